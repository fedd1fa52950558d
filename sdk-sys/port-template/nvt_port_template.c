/*
 * nvt_port_template.c - skeleton of a vendor port of the nvt camera SDK contract.
 *
 * Copy this file, implement the hardware calls where it says PORT, and build nvt with
 *
 *     NVT_SDK_PORT_C=/path/to/your_port.c NVT_SDK_LIBS=mpi,isp,... \
 *     NVT_SDK_LIB_DIR=/path/to/vendor/lib cargo build --release --no-default-features
 *
 * Everything that is pure bookkeeping (init state, version, error texts, argument and
 * channel checks) is implemented; every call that needs the hardware returns
 * NVT_ERR_NOT_SUPPORTED until you plug it in. The contract (threading, memory, errors) is
 * in include/nvt_sdk.h and sdk-sys/README.md; the simulator (sdk-sys/src/sim/) is a
 * complete reference implementation of every call.
 *
 * Typical mapping on a HiSilicon-style MPI:
 *   NVT_SYS_Init      -> HI_MPI_SYS_Init, VB pools, sensor/ISP start, VI/VPSS binding
 *   NVT_VENC_*        -> HI_MPI_VENC_CreateChn / StartRecvFrame / GetStream / ReleaseStream
 *   NVT_ISP_*         -> HI_MPI_ISP_Set* (CSC, sharpen, WDR, exposure, AWB)
 *   NVT_JPEG_Snap     -> a JPEG VENC channel bound to a VPSS output
 *   NVT_MD_*          -> IVE/MD or the vendor's motion-detection module
 *   NVT_FOCUS_*       -> the lens driver (often a GPIO/PWM stepper)
 *   NVT_PTZ_*         -> the pan/tilt motor controller (often Pelco-D over a UART) and the
 *                        zoom lens driver
 *   NVT_ISP_GetStats  -> the ISP's AE and AF statistics (version 4)
 *   NVT_OSD_*         -> the overlay/region unit (version 4)
 *   NVT_GPIO_*        -> the Linux GPIO character device or the vendor's GPIO API (version 4)
 *   NVT_AI_*          -> the audio input unit and its audio encoder (AI + AENC, version 5)
 *   NVT_AO_*          -> the audio output block: HI_MPI_AO_* + HI_MPI_ADEC_* (G.711 decode),
 *                        IMP_AO_*, RK_MPI_AO_*, or ALSA on a board without one (version 5)
 *
 * The version 4 and 5 mappings below name vendor functions from their public SDK manuals, by
 * recollection: check them against your SDK manual.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "nvt_sdk.h"

#define PORT_MAX_CHN 4

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_inited;
static int g_chn_exists[PORT_MAX_CHN];
static NVT_VENC_ATTR_S g_chn_attr[PORT_MAX_CHN];

/* ---- helpers ----------------------------------------------------------------------- */

static int port_inited(void)
{
    int v;
    pthread_mutex_lock(&g_lock);
    v = g_inited;
    pthread_mutex_unlock(&g_lock);
    return v;
}

static void copy_str(char dst[32], const char *src)
{
    strncpy(dst, src, 31);
    dst[31] = '\0';
}

/* Common checks: initialised, known video source. */
static int32_t check_vi(uint32_t vi)
{
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    if (vi != 0)
        return NVT_ERR_UNKNOWN_CHN;
    return NVT_OK;
}

/* Common checks: initialised, channel exists. */
static int32_t check_chn(uint32_t chn)
{
    int32_t rc = NVT_OK;
    pthread_mutex_lock(&g_lock);
    if (!g_inited)
        rc = NVT_ERR_NOT_INIT;
    else if (chn >= PORT_MAX_CHN || !g_chn_exists[chn])
        rc = NVT_ERR_UNKNOWN_CHN;
    pthread_mutex_unlock(&g_lock);
    return rc;
}

/* ---- SYS --------------------------------------------------------------------------- */

int32_t NVT_SYS_Init(const NVT_SYS_CONFIG_S *config)
{
    int32_t rc = NVT_OK;
    if (config == NULL)
        return NVT_ERR_INVALID_ARG;
    if (config->api_version != NVT_SDK_API_VERSION)
        return NVT_ERR_VERSION;
    /* PORT: parse config->board_options ("k=v;k=v"); reject unknown keys with
     * NVT_ERR_INVALID_ARG. This template accepts none. */
    if (config->board_options != NULL && config->board_options[0] != '\0')
        return NVT_ERR_INVALID_ARG;
    pthread_mutex_lock(&g_lock);
    if (g_inited) {
        rc = NVT_ERR_BUSY;
    } else {
        /* PORT: initialise the system, video buffers, sensor, ISP and VI here. */
        memset(g_chn_exists, 0, sizeof(g_chn_exists));
        g_inited = 1;
    }
    pthread_mutex_unlock(&g_lock);
    return rc;
}

int32_t NVT_SYS_Exit(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_inited) {
        /* PORT: stop and destroy every channel (waking blocked GetStream callers with
         * NVT_ERR_STOPPED), stop MD, ISP, VI, release buffers. Must be idempotent. */
        memset(g_chn_exists, 0, sizeof(g_chn_exists));
        g_inited = 0;
    }
    pthread_mutex_unlock(&g_lock);
    return NVT_OK;
}

int32_t NVT_SYS_GetVersion(NVT_SYS_VERSION_S *version)
{
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    if (version == NULL)
        return NVT_ERR_INVALID_ARG;
    memset(version, 0, sizeof(*version));
    copy_str(version->sdk_name, "nvt-port-template");
    copy_str(version->sdk_version, "0.1.0");
    copy_str(version->chip_model, "PORT-TEMPLATE");   /* PORT: the SoC model */
    copy_str(version->manufacturer, "unknown");       /* PORT */
    copy_str(version->serial, "000000000000");        /* PORT: read from OTP/flash */
    version->video_source_count = 1;
    version->max_venc_channels = PORT_MAX_CHN;
    return NVT_OK;
}

const char *NVT_SYS_StrError(int32_t err)
{
    switch (err) {
    case NVT_OK: return "success";
    case NVT_ERR_INVALID_ARG: return "invalid argument";
    case NVT_ERR_NOT_INIT: return "SDK not initialised";
    case NVT_ERR_BUSY: return "resource busy";
    case NVT_ERR_NO_MEM: return "out of memory or stream buffers";
    case NVT_ERR_TIMEOUT: return "timed out";
    case NVT_ERR_NOT_SUPPORTED: return "not supported";
    case NVT_ERR_UNKNOWN_CHN: return "unknown channel or video source";
    case NVT_ERR_BUF_TOO_SMALL: return "buffer too small";
    case NVT_ERR_HW: return "hardware fault";
    case NVT_ERR_VERSION: return "SDK API version mismatch";
    case NVT_ERR_STOPPED: return "channel stopped";
    default: return "unknown error";
    }
}

/* ---- VI ---------------------------------------------------------------------------- */

int32_t NVT_VI_GetInfo(uint32_t vi, NVT_VI_INFO_S *info)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (info == NULL)
        return NVT_ERR_INVALID_ARG;
    /* PORT: report the sensor's name, capture size and frame rate. */
    return NVT_ERR_NOT_SUPPORTED;
}

/* ---- VENC -------------------------------------------------------------------------- */

int32_t NVT_VENC_GetCaps(NVT_VENC_CAPS_S *caps)
{
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    if (caps == NULL)
        return NVT_ERR_INVALID_ARG;
    /* PORT: advertise only what the encoder really produces (codecs, profiles, RC
     * modes, resolutions largest first, fps/bitrate/gop/qp ranges). */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_VENC_CreateChn(uint32_t chn, const NVT_VENC_ATTR_S *attr)
{
    int32_t rc = NVT_OK;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    if (chn >= PORT_MAX_CHN)
        return NVT_ERR_UNKNOWN_CHN;
    if (attr == NULL)
        return NVT_ERR_INVALID_ARG;
    pthread_mutex_lock(&g_lock);
    if (g_chn_exists[chn])
        rc = NVT_ERR_BUSY;
    else
        /* PORT: validate attr against the caps, create the hardware channel, then
         * record it: g_chn_exists[chn] = 1; g_chn_attr[chn] = *attr; */
        rc = NVT_ERR_NOT_SUPPORTED;
    pthread_mutex_unlock(&g_lock);
    return rc;
}

int32_t NVT_VENC_DestroyChn(uint32_t chn)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    /* PORT: stop the channel, wake a blocked GetStream with NVT_ERR_STOPPED, destroy. */
    pthread_mutex_lock(&g_lock);
    g_chn_exists[chn] = 0;
    pthread_mutex_unlock(&g_lock);
    return NVT_OK;
}

int32_t NVT_VENC_GetAttr(uint32_t chn, NVT_VENC_ATTR_S *attr)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    if (attr == NULL)
        return NVT_ERR_INVALID_ARG;
    pthread_mutex_lock(&g_lock);
    *attr = g_chn_attr[chn];
    pthread_mutex_unlock(&g_lock);
    return NVT_OK;
}

int32_t NVT_VENC_SetAttr(uint32_t chn, const NVT_VENC_ATTR_S *attr)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    if (attr == NULL)
        return NVT_ERR_INVALID_ARG;
    /* PORT: validate (invalid: NVT_ERR_INVALID_ARG, nothing changes), apply on the running
     * channel, force the next frame to be an IDR with the new SPS/PPS. */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_VENC_StartChn(uint32_t chn)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    /* PORT: start receiving frames. */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_VENC_StopChn(uint32_t chn)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    /* PORT: stop receiving frames; a blocked GetStream returns NVT_ERR_STOPPED. */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_VENC_GetStream(uint32_t chn, NVT_VENC_STREAM_S *stream, int32_t timeout_ms)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    if (stream == NULL)
        return NVT_ERR_INVALID_ARG;
    (void)timeout_ms;
    /* PORT: wait (select/poll on the channel fd) up to timeout_ms, get the packet(s),
     * fill seq/pts_us/utc_us/keyframe and one NVT_VENC_NALU_S per NAL unit without start
     * code; keep the vendor handle in stream->priv for ReleaseStream. */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_VENC_ReleaseStream(uint32_t chn, NVT_VENC_STREAM_S *stream)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    if (stream == NULL)
        return NVT_ERR_INVALID_ARG;
    /* PORT: release the vendor stream buffer referenced by stream->priv. */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_VENC_RequestIDR(uint32_t chn)
{
    int32_t rc = check_chn(chn);
    if (rc != NVT_OK)
        return rc;
    /* PORT: request an IDR (with SPS/PPS) for the next frame. */
    return NVT_ERR_NOT_SUPPORTED;
}

/* ---- ISP --------------------------------------------------------------------------- */

int32_t NVT_ISP_GetRange(uint32_t vi, NVT_ISP_RANGE_S *range)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (range == NULL)
        return NVT_ERR_INVALID_ARG;
    /* PORT: fill every range, and set range->levels to the NVT_ISP_LEVEL_* bits of the
     * levels the ISP really has (API version 2). */
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_ISP_GetAttr(uint32_t vi, NVT_ISP_ATTR_S *attr)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (attr == NULL)
        return NVT_ERR_INVALID_ARG;
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_ISP_SetAttr(uint32_t vi, const NVT_ISP_ATTR_S *attr)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (attr == NULL)
        return NVT_ERR_INVALID_ARG;
    /* PORT: any value out of range: NVT_ERR_INVALID_ARG and nothing changes. */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_ISP_GetStats(uint32_t vi, NVT_ISP_STATS_S *stats)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (stats == NULL)
        return NVT_ERR_INVALID_ARG;
    /* PORT (check against your SDK manual): fill zone_luma (16x12 zone means, regrouped
     * from the AE statistics' own grid), hist (32 bins, per mille), focus_value/focus_valid
     * (the AF statistics' high-frequency sum over the frame; focus_valid = 0 without AF
     * statistics), ae_at_max/ae_at_min (exposure and gain at their limits), and seq/pts_us
     * of the analysed frame. Return the latest without waiting; NVT_ERR_TIMEOUT before
     * the first frame.
     *   HiSilicon: HI_MPI_ISP_GetAEStatistics (zone averages, histogram),
     *              HI_MPI_ISP_GetFocusStatistics (zone FV), HI_MPI_ISP_QueryExposureInfo
     *   Ingenic:   IMP_ISP_Tuning_GetAeZone, IMP_ISP_Tuning_GetAeHist,
     *              IMP_ISP_Tuning_GetAFMetrics
     *   Rockchip:  the rkaiq 3A statistics (AE and AF results)
     * No statistics: NVT_ERR_NOT_SUPPORTED (nvt then offers no tamper detection). */
    return NVT_ERR_NOT_SUPPORTED;
}

/* ---- JPEG -------------------------------------------------------------------------- */

int32_t NVT_JPEG_Snap(uint32_t vi, uint32_t width, uint32_t height, uint32_t quality,
                      uint8_t *buf, uint32_t buf_len, uint32_t *out_len)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (out_len == NULL || (buf == NULL && buf_len > 0))
        return NVT_ERR_INVALID_ARG;
    if (width < 16 || height < 16 || quality < 1 || quality > 100)
        return NVT_ERR_INVALID_ARG;
    /* PORT: encode the latest frame; if it does not fit, set *out_len and return
     * NVT_ERR_BUF_TOO_SMALL. */
    return NVT_ERR_NOT_SUPPORTED;
}

/* ---- MD ---------------------------------------------------------------------------- */

int32_t NVT_MD_GetAttr(uint32_t vi, NVT_MD_ATTR_S *attr)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (attr == NULL)
        return NVT_ERR_INVALID_ARG;
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_MD_SetAttr(uint32_t vi, const NVT_MD_ATTR_S *attr)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (attr == NULL)
        return NVT_ERR_INVALID_ARG;
    if (attr->cols < 1 || attr->cols > NVT_MD_MAX_COLS || attr->rows < 1 ||
        attr->rows > NVT_MD_MAX_ROWS || attr->sensitivity > 100)
        return NVT_ERR_INVALID_ARG;
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_MD_GetResult(uint32_t vi, NVT_MD_RESULT_S *result, int32_t timeout_ms)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (result == NULL)
        return NVT_ERR_INVALID_ARG;
    (void)timeout_ms;
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

/* ---- FOCUS ------------------------------------------------------------------------- */

int32_t NVT_FOCUS_GetInfo(uint32_t vi, NVT_FOCUS_INFO_S *info)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (info == NULL)
        return NVT_ERR_INVALID_ARG;
    /* A fixed-focus lens: report supported = 0 (then every move is NOT_SUPPORTED). */
    memset(info, 0, sizeof(*info));
    info->supported = 0;
    return NVT_OK;
}

int32_t NVT_FOCUS_MoveAbsolute(uint32_t vi, int32_t position, int32_t speed)
{
    int32_t rc = check_vi(vi);
    (void)position;
    (void)speed;
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_FOCUS_MoveRelative(uint32_t vi, int32_t distance, int32_t speed)
{
    int32_t rc = check_vi(vi);
    (void)distance;
    (void)speed;
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_FOCUS_MoveContinuous(uint32_t vi, int32_t speed)
{
    int32_t rc = check_vi(vi);
    (void)speed;
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_FOCUS_Stop(uint32_t vi)
{
    int32_t rc = check_vi(vi);
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_FOCUS_GetStatus(uint32_t vi, NVT_FOCUS_STATUS_S *status)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (status == NULL)
        return NVT_ERR_INVALID_ARG;
    memset(status, 0, sizeof(*status));
    status->state = NVT_FOCUS_UNKNOWN;
    return NVT_OK;
}

/* ---- PTZ --------------------------------------------------------------------------- */

int32_t NVT_PTZ_GetInfo(uint32_t vi, NVT_PTZ_INFO_S *info)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (info == NULL)
        return NVT_ERR_INVALID_ARG;
    /* No motorised head: report supported = 0 (then every other PTZ call is
     * NOT_SUPPORTED). A head: its ranges in 1/100 degree, zoom in 1/100 x, top speeds,
     * factory home and the field of view at 1x (see nvt_sdk.h). PORT */
    memset(info, 0, sizeof(*info));
    info->supported = 0;
    return NVT_OK;
}

int32_t NVT_PTZ_MoveAbsolute(uint32_t vi, const NVT_PTZ_VECTOR_S *position,
                             const NVT_PTZ_VECTOR_S *speed, uint32_t axes)
{
    int32_t rc = check_vi(vi);
    (void)position;
    (void)speed;
    (void)axes;
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_PTZ_MoveRelative(uint32_t vi, const NVT_PTZ_VECTOR_S *distance,
                             const NVT_PTZ_VECTOR_S *speed, uint32_t axes)
{
    int32_t rc = check_vi(vi);
    (void)distance;
    (void)speed;
    (void)axes;
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_PTZ_MoveContinuous(uint32_t vi, const NVT_PTZ_VECTOR_S *velocity, uint32_t axes)
{
    int32_t rc = check_vi(vi);
    (void)velocity;
    (void)axes;
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_PTZ_Stop(uint32_t vi, uint32_t axes)
{
    int32_t rc = check_vi(vi);
    (void)axes;
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_PTZ_GetStatus(uint32_t vi, NVT_PTZ_STATUS_S *status)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (status == NULL)
        return NVT_ERR_INVALID_ARG;
    (void)status;
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

/* ---- OSD --------------------------------------------------------------------------- */

int32_t NVT_OSD_GetInfo(uint32_t vi, NVT_OSD_INFO_S *info)
{
    int32_t rc = check_vi(vi);
    if (rc != NVT_OK)
        return rc;
    if (info == NULL)
        return NVT_ERR_INVALID_ARG;
    /* No overlay unit: max_regions = 0 (then every other OSD call is NOT_SUPPORTED).
     * One: the regions per source, the largest region, the position/size alignment and
     * the alpha steps it blends (see nvt_sdk.h). PORT */
    memset(info, 0, sizeof(*info));
    return NVT_OK;
}

int32_t NVT_OSD_SetRegion(uint32_t vi, uint32_t id, const NVT_OSD_REGION_S *region)
{
    int32_t rc = check_vi(vi);
    (void)id;
    (void)region;
    /* PORT (check against your SDK manual): validate first (outside the frame, misaligned,
     * too large, short stride, NULL pixels: NVT_ERR_INVALID_ARG, nothing changes), copy the
     * pixels, then show them at the position, on every encoder channel of the source:
     *   HiSilicon: HI_MPI_RGN_Create once per id (OVERLAYEX_RGN, ARGB8888 or converted to
     *              ARGB1555), HI_MPI_RGN_AttachToChn (VPSS group or each VENC channel),
     *              HI_MPI_RGN_SetBitMap, HI_MPI_RGN_SetDisplayAttr (point, fg alpha)
     *   Ingenic:   IMP_OSD_CreateRgn (OSD_REG_PIC, ARGB8888) + IMP_OSD_RegisterRgn to the
     *              group bound before the encoders, IMP_OSD_SetRgnAttr, IMP_OSD_ShowRgn
     *   Rockchip:  RK_MPI_VENC_RGN_Init + RK_MPI_VENC_RGN_SetBitMap per encoder channel
     *              (rkmedia), or RK_MPI_RGN_Create/AttachToChn/SetBitMap (rockit); RGA
     *              imblend where the encoder has no overlay */
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_OSD_ClearRegion(uint32_t vi, uint32_t id)
{
    int32_t rc = check_vi(vi);
    (void)id;
    /* PORT: hide the region (HI_MPI_RGN_DetachFromChn or SetDisplayAttr bShow = 0;
     * IMP_OSD_ShowRgn(.., 0); RK_MPI_VENC_RGN_SetBitMap with the region disabled).
     * Hiding a hidden region is NVT_OK. Check against your SDK manual. */
    return rc != NVT_OK ? rc : NVT_ERR_NOT_SUPPORTED;
}

/* ---- GPIO -------------------------------------------------------------------------- */

/* PORT (check against your SDK manual): HiSilicon, Ingenic and Rockchip boards expose their
 * GPIO banks through Linux gpiolib, so a port is generic: the GPIO character device
 * (/dev/gpiochipN, GPIO_V2_GET_LINE_IOCTL with output lines for relays and input lines
 * with edge detection and debounce for inputs; read struct gpio_v2_line_event from the
 * line fd in NVT_GPIO_WaitEvent) or the vendor's GPIO API. Which lines are relays and
 * inputs is the board's: a board option is a good place for it. */

int32_t NVT_GPIO_GetInfo(NVT_GPIO_INFO_S *info)
{
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    if (info == NULL)
        return NVT_ERR_INVALID_ARG;
    /* No GPIO: relay_count = input_count = 0 (then every other GPIO call is
     * NOT_SUPPORTED). PORT */
    memset(info, 0, sizeof(*info));
    return NVT_OK;
}

int32_t NVT_GPIO_SetRelay(uint32_t relay, uint32_t closed)
{
    (void)relay;
    (void)closed;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: GPIO_V2_LINE_SET_VALUES_IOCTL on the relay's line */
}

int32_t NVT_GPIO_GetRelay(uint32_t relay, uint32_t *closed)
{
    (void)relay;
    (void)closed;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: the level last set */
}

int32_t NVT_GPIO_GetInput(uint32_t input, uint32_t *closed)
{
    (void)input;
    (void)closed;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: GPIO_V2_LINE_GET_VALUES_IOCTL */
}

int32_t NVT_GPIO_WaitEvent(NVT_GPIO_EVENT_S *event, int32_t timeout_ms)
{
    (void)event;
    (void)timeout_ms;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    /* PORT: poll() the input lines' fds up to timeout_ms, read one gpio_v2_line_event,
     * report it (seq +1, timestamp_ns / 1000 as pts_us, closed from the edge); queue the
     * others. NVT_SYS_Exit must wake a waiter with NVT_ERR_STOPPED (e.g. an eventfd in the
     * poll set). */
    return NVT_ERR_NOT_SUPPORTED;
}

/* ---- AI (version 5) ----------------------------------------------------------------- */

/* PORT (check against your SDK manual): the SoC's audio input unit captures the codec's
 * microphone over I2S and its audio encoder packs G.711 (and often AAC-LC) in hardware:
 * HI_MPI_AI_Enable / HI_MPI_AENC_CreateChn bound to the AI channel / HI_MPI_AENC_GetStream
 * (AUDIO_STREAM_S u64TimeStamp is on the video's clock); IMP_AI_Enable / IMP_AI_PollFrame /
 * IMP_AENC_SendFrame + IMP_AENC_GetStream on Ingenic; RK_MPI_AI_* + RK_MPI_AENC_* on
 * Rockchip. The sound level: the RMS of the PCM frames before the encoder (the AI unit
 * hands them out too). A board without a microphone leaves input_count 0. */

int32_t NVT_AI_GetCaps(NVT_AI_CAPS_S *caps)
{
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    if (caps == NULL)
        return NVT_ERR_INVALID_ARG;
    /* No microphone: input_count = 0 (then every other AI call is NOT_SUPPORTED). PORT */
    memset(caps, 0, sizeof(*caps));
    return NVT_OK;
}

int32_t NVT_AI_CreateChn(uint32_t chn, const NVT_AI_ATTR_S *attr)
{
    (void)chn;
    (void)attr;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: AI device + AENC channel with attr's codec */
}

int32_t NVT_AI_DestroyChn(uint32_t chn)
{
    (void)chn;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: wake a blocked GetFrame with NVT_ERR_STOPPED */
}

int32_t NVT_AI_GetAttr(uint32_t chn, NVT_AI_ATTR_S *attr)
{
    (void)chn;
    (void)attr;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_AI_SetAttr(uint32_t chn, const NVT_AI_ATTR_S *attr)
{
    (void)chn;
    (void)attr;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: usually destroy and re-create the AENC channel */
}

int32_t NVT_AI_StartChn(uint32_t chn)
{
    (void)chn;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: bind AI -> AENC, enable the channel */
}

int32_t NVT_AI_StopChn(uint32_t chn)
{
    (void)chn;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT */
}

int32_t NVT_AI_GetFrame(uint32_t chn, NVT_AI_FRAME_S *frame, int32_t timeout_ms)
{
    (void)chn;
    (void)frame;
    (void)timeout_ms;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    /* PORT: the AENC's GetStream with the timeout; pts_us from the stream's timestamp
     * (the clock of NVT_VENC_STREAM_S pts_us: convert if the SDK uses another). */
    return NVT_ERR_NOT_SUPPORTED;
}

int32_t NVT_AI_ReleaseFrame(uint32_t chn, NVT_AI_FRAME_S *frame)
{
    (void)chn;
    (void)frame;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: the AENC's ReleaseStream */
}

int32_t NVT_AI_GetLevel(uint32_t ai, int32_t *level_dbfs)
{
    (void)ai;
    (void)level_dbfs;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: 20 log10(RMS / 32768) of the last 100 ms of PCM */
}

/* ---- AO ---------------------------------------------------------------------------- */

/* PORT (check against your SDK manual): HiSilicon binds an ADEC channel (PT_G711U/PT_G711A)
 * to AO device 0 (HI_MPI_AO_SetPubAttr, HI_MPI_AO_Enable, HI_MPI_AO_EnableChn,
 * HI_MPI_ADEC_CreateChn, HI_MPI_SYS_Bind, then HI_MPI_ADEC_SendStream per write); Ingenic
 * IMP has IMP_AO_* with IMP_ADEC_* decoders; Rockchip RK_MPI_AO_* / RK_MPI_ADEC_*. A board
 * with a plain ALSA codec decodes G.711 in software (a 256-entry table) and writes S16 PCM
 * with snd_pcm_writei. Writes must not block for long: queue and return. */

int32_t NVT_AO_GetCaps(NVT_AO_CAPS_S *caps)
{
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    if (caps == NULL)
        return NVT_ERR_INVALID_ARG;
    /* No speaker: output_count = 0 (then every other AO call is NOT_SUPPORTED). PORT:
     * output_count 1, codecs (1 << NVT_AUDIO_G711U) | (1 << NVT_AUDIO_G711A),
     * sample_rates NVT_AO_RATE_8000, channels 1. */
    memset(caps, 0, sizeof(*caps));
    return NVT_OK;
}

int32_t NVT_AO_Open(uint32_t ao, const NVT_AO_ATTR_S *attr)
{
    (void)ao;
    (void)attr;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: enable the AO device and an ADEC channel */
}

int32_t NVT_AO_Write(uint32_t ao, const uint8_t *data, uint32_t len)
{
    (void)ao;
    (void)data;
    (void)len;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: HI_MPI_ADEC_SendStream (non-blocking) */
}

int32_t NVT_AO_SetVolume(uint32_t ao, uint32_t volume)
{
    (void)ao;
    (void)volume;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: HI_MPI_AO_SetVolume (dB: map 0..100 to its range) */
}

int32_t NVT_AO_GetStatus(uint32_t ao, NVT_AO_STATUS_S *status)
{
    (void)ao;
    (void)status;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: open flag, volume; level from the samples played */
}

int32_t NVT_AO_Close(uint32_t ao)
{
    (void)ao;
    if (!port_inited())
        return NVT_ERR_NOT_INIT;
    return NVT_ERR_NOT_SUPPORTED; /* PORT: unbind and destroy the ADEC channel, disable AO */
}
