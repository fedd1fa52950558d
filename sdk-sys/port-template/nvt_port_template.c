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
