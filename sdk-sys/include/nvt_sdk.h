/*
 * nvt_sdk.h - the camera SoC SDK contract of nvt.
 *
 * This header is written the way SoC vendors write theirs (HiSilicon MPI, Ingenic IMP):
 * plain C99, fixed-size types, one prefix per block (SYS, VI, VENC, ISP, JPEG, MD, FOCUS, PTZ,
 * OSD, GPIO, AI, AO),
 * every call returning an NVT_ERR code. nvt talks to the camera only through these calls.
 * The simulated SoC in sdk-sys implements them on a PC; a vendor port implements them over
 * the vendor's own SDK (see sdk-sys/README.md).
 *
 * Threading: every function may be called from any thread. NVT_VENC_GetStream,
 * NVT_MD_GetResult, NVT_GPIO_WaitEvent and NVT_AI_GetFrame block (up to their timeout) and are called from one
 * dedicated thread per channel/source (one for the board's GPIO); all other calls return promptly (a port must not block them on a
 * GetStream in progress on the same channel).
 *
 * Memory: the SDK owns every buffer it hands out. A stream returned by NVT_VENC_GetStream
 * stays valid until NVT_VENC_ReleaseStream; nvt copies it out and releases it at once, so
 * a port may keep a small fixed pool of stream buffers.
 *
 * Versioning: NVT_SDK_API_VERSION changes when this contract changes incompatibly;
 * NVT_SYS_Init fails with NVT_ERR_VERSION if the caller was built against another one.
 * Version 2 added NVT_ISP_RANGE_S.levels; version 3 the PTZ block; version 4 the OSD and
 * GPIO blocks and NVT_ISP_GetStats (ONVIF Profile T: on-screen text, tamper detection,
 * relays and digital inputs). Every v4 addition has an "absent" answer (max_regions 0,
 * relay_count/input_count 0, NVT_ERR_NOT_SUPPORTED for statistics), so a port without the
 * hardware implements it in a few lines. Version 5 added the AI block (microphones) and the
 * AO block (speakers, the ONVIF audio back channel); a board without them answers
 * input_count 0 and output_count 0.
 */
#ifndef NVT_SDK_H
#define NVT_SDK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NVT_SDK_API_VERSION 5

/* ------------------------------------------------------------------------------------ */
/* Error codes. Every call returns NVT_OK (0) or one of these negative values.           */
/* ------------------------------------------------------------------------------------ */
#define NVT_OK                  0
#define NVT_ERR_INVALID_ARG    (-1)  /* NULL pointer, or a value outside the reported range */
#define NVT_ERR_NOT_INIT       (-2)  /* NVT_SYS_Init has not been called (or Exit was)       */
#define NVT_ERR_BUSY           (-3)  /* resource in use (channel exists, already inited)    */
#define NVT_ERR_NO_MEM         (-4)  /* out of memory or stream buffers                     */
#define NVT_ERR_TIMEOUT        (-5)  /* nothing became available within the timeout         */
#define NVT_ERR_NOT_SUPPORTED  (-6)  /* the hardware cannot do this (codec, mode, feature)  */
#define NVT_ERR_UNKNOWN_CHN    (-7)  /* no such channel / video source                      */
#define NVT_ERR_BUF_TOO_SMALL  (-8)  /* caller buffer too small; the needed size is reported */
#define NVT_ERR_HW             (-9)  /* hardware or driver fault; the call may be retried   */
#define NVT_ERR_VERSION        (-10) /* caller built against another NVT_SDK_API_VERSION    */
#define NVT_ERR_STOPPED        (-11) /* channel not started (GetStream) or being destroyed  */

/* ------------------------------------------------------------------------------------ */
/* SYS: initialisation and identity                                                     */
/* ------------------------------------------------------------------------------------ */
typedef struct {
    uint32_t api_version;      /* must be NVT_SDK_API_VERSION                           */
    /* Board options, "key=value" pairs separated by ';' (NULL or "" for none). Their
     * meaning is the port's: the simulator reads e.g. "replay=/path/file.h264". Unknown
     * keys are an error (NVT_ERR_INVALID_ARG) so a typo is not silently ignored. */
    const char *board_options;
} NVT_SYS_CONFIG_S;

typedef struct {
    char sdk_name[32];         /* e.g. "nvt-sim"                                        */
    char sdk_version[32];      /* e.g. "1.0.0"                                          */
    char chip_model[32];       /* e.g. "SIM-X1"; becomes the ONVIF hardware scope       */
    char manufacturer[32];
    char serial[32];           /* unique per unit                                       */
    uint32_t video_source_count;
    uint32_t max_venc_channels;
} NVT_SYS_VERSION_S;

/* Initialise the SDK. Must be the first call. Returns NVT_ERR_BUSY if already inited. */
int32_t NVT_SYS_Init(const NVT_SYS_CONFIG_S *config);
/* Destroy every channel, stop every worker, release everything. Idempotent. */
int32_t NVT_SYS_Exit(void);
int32_t NVT_SYS_GetVersion(NVT_SYS_VERSION_S *version);
/* Human-readable text for an error code; never NULL, static storage. */
const char *NVT_SYS_StrError(int32_t err);

/* ------------------------------------------------------------------------------------ */
/* VI: video sources (sensors)                                                          */
/* ------------------------------------------------------------------------------------ */
typedef struct {
    char name[32];             /* sensor name, e.g. "sim-imx307"                         */
    uint32_t width;            /* native capture size                                   */
    uint32_t height;
    uint32_t max_fps;          /* sensor frame rate; encoder rates are <= this          */
} NVT_VI_INFO_S;

int32_t NVT_VI_GetInfo(uint32_t vi, NVT_VI_INFO_S *info);

/* ------------------------------------------------------------------------------------ */
/* VENC: encoder channels                                                               */
/* ------------------------------------------------------------------------------------ */
typedef enum {
    NVT_CODEC_H264 = 0,
    NVT_CODEC_H265 = 1,
    NVT_CODEC_MJPEG = 2,
} NVT_CODEC_E;

typedef enum {
    NVT_RC_CBR = 0,            /* constant bitrate: bitrate_kbps is the target          */
    NVT_RC_VBR = 1,            /* variable bitrate: bitrate_kbps is the ceiling         */
    NVT_RC_FIXQP = 2,          /* constant quantiser: bitrate_kbps ignored              */
} NVT_RC_MODE_E;

typedef enum {
    NVT_H264_PROFILE_BASELINE = 0,  /* constrained baseline */
    NVT_H264_PROFILE_MAIN = 1,
    NVT_H264_PROFILE_HIGH = 2,
} NVT_H264_PROFILE_E;

typedef struct {
    uint32_t vi;               /* video source this channel encodes                      */
    NVT_CODEC_E codec;
    uint32_t width;            /* must be one of the caps resolutions                   */
    uint32_t height;
    uint32_t fps;              /* frames per second, 1..vi max_fps                      */
    NVT_RC_MODE_E rc_mode;
    uint32_t bitrate_kbps;
    uint32_t gop;              /* frames from one IDR to the next, >= 1                 */
    NVT_H264_PROFILE_E profile;
    uint32_t qp;               /* quantiser for NVT_RC_FIXQP, 0..51                      */
} NVT_VENC_ATTR_S;

#define NVT_MAX_RESOLUTIONS 16
typedef struct {
    uint32_t width;
    uint32_t height;
} NVT_RESOLUTION_S;

typedef struct {
    uint32_t codecs;           /* bit (1 << NVT_CODEC_E) per codec that really encodes  */
    uint32_t h264_profiles;    /* bit (1 << NVT_H264_PROFILE_E) per supported profile   */
    uint32_t rc_modes;         /* bit (1 << NVT_RC_MODE_E) per supported mode           */
    uint32_t resolution_count;
    NVT_RESOLUTION_S resolutions[NVT_MAX_RESOLUTIONS]; /* largest first                  */
    uint32_t fps_min, fps_max;
    uint32_t bitrate_min_kbps, bitrate_max_kbps;
    uint32_t gop_min, gop_max;
    uint32_t qp_min, qp_max;
} NVT_VENC_CAPS_S;

/* One NAL unit of an access unit, without Annex-B start code. */
typedef struct {
    const uint8_t *data;
    uint32_t len;
    uint32_t nal_type;         /* nal_unit_type (H.264: 1 slice, 5 IDR, 7 SPS, 8 PPS)   */
} NVT_VENC_NALU_S;

/* One encoded frame (access unit). Valid until NVT_VENC_ReleaseStream. */
typedef struct {
    uint32_t seq;              /* frame number on this channel, +1 per frame, wraps     */
    uint64_t pts_us;           /* capture time, CLOCK_MONOTONIC, microseconds           */
    uint64_t utc_us;           /* capture time, wall clock, microseconds since 1970     */
    uint32_t keyframe;         /* 1 for an IDR access unit (SPS and PPS come first)      */
    uint32_t nalu_count;
    const NVT_VENC_NALU_S *nalus;
    void *priv;                /* the SDK's own handle; do not touch                    */
} NVT_VENC_STREAM_S;

int32_t NVT_VENC_GetCaps(NVT_VENC_CAPS_S *caps);
/* Create a channel (0 .. max_venc_channels-1). It encodes nothing until started. */
int32_t NVT_VENC_CreateChn(uint32_t chn, const NVT_VENC_ATTR_S *attr);
/* Stop and destroy; a GetStream blocked on the channel returns NVT_ERR_STOPPED. */
int32_t NVT_VENC_DestroyChn(uint32_t chn);
int32_t NVT_VENC_GetAttr(uint32_t chn, NVT_VENC_ATTR_S *attr);
/* Apply new attributes at once, on a running channel too. The next frame after the change
 * is an IDR carrying the new SPS/PPS. Invalid attributes change nothing. */
int32_t NVT_VENC_SetAttr(uint32_t chn, const NVT_VENC_ATTR_S *attr);
int32_t NVT_VENC_StartChn(uint32_t chn);
int32_t NVT_VENC_StopChn(uint32_t chn);
/* Wait up to timeout_ms (0: poll, <0: forever) for the next frame. Frames are not queued
 * without bound: a caller that does not keep up finds older frames dropped by the SDK and
 * sees a gap in seq. */
int32_t NVT_VENC_GetStream(uint32_t chn, NVT_VENC_STREAM_S *stream, int32_t timeout_ms);
int32_t NVT_VENC_ReleaseStream(uint32_t chn, NVT_VENC_STREAM_S *stream);
/* Make the next frame an IDR (with SPS/PPS). */
int32_t NVT_VENC_RequestIDR(uint32_t chn);

/* ------------------------------------------------------------------------------------ */
/* ISP: image settings, per video source                                                */
/* ------------------------------------------------------------------------------------ */
typedef enum { NVT_IRCUT_AUTO = 0, NVT_IRCUT_DAY = 1, NVT_IRCUT_NIGHT = 2 } NVT_IRCUT_MODE_E;
typedef enum { NVT_MODE_AUTO = 0, NVT_MODE_MANUAL = 1 } NVT_AUTO_MODE_E;

typedef struct {
    int32_t brightness;        /* all levels: see NVT_ISP_RANGE_S for their bounds      */
    int32_t contrast;
    int32_t saturation;
    int32_t sharpness;
    NVT_IRCUT_MODE_E ircut;    /* DAY: filter in, colour; NIGHT: filter out, mono        */
    uint32_t backlight_enable;
    int32_t backlight_level;
    uint32_t wdr_enable;
    int32_t wdr_level;
    NVT_AUTO_MODE_E exposure_mode;
    int32_t exposure_time_us;  /* used when exposure_mode is MANUAL                     */
    int32_t gain;              /* used when exposure_mode is MANUAL                     */
    NVT_AUTO_MODE_E wb_mode;
    int32_t wb_cr_gain;        /* used when wb_mode is MANUAL                           */
    int32_t wb_cb_gain;
} NVT_ISP_ATTR_S;

typedef struct { int32_t min; int32_t max; } NVT_RANGE_S;

typedef struct {
    NVT_RANGE_S brightness, contrast, saturation, sharpness;
    NVT_RANGE_S backlight_level, wdr_level;
    NVT_RANGE_S exposure_time_us, gain;
    NVT_RANGE_S wb_cr_gain, wb_cb_gain;
    uint32_t ircut_modes;      /* bit (1 << NVT_IRCUT_MODE_E) per supported mode        */
    uint32_t has_backlight, has_wdr;
    uint32_t exposure_modes;   /* bit (1 << NVT_AUTO_MODE_E)                            */
    uint32_t wb_modes;         /* bit (1 << NVT_AUTO_MODE_E)                            */
    /* NVT_ISP_LEVEL_* bits: which of these levels the hardware has. A level it lacks is not
     * offered to clients; its value in NVT_ISP_ATTR_S is ignored (keep it inside its
     * range, e.g. {0, 0}). Added in API version 2: a USB webcam may have no sharpness. */
    uint32_t levels;
} NVT_ISP_RANGE_S;

#define NVT_ISP_LEVEL_BRIGHTNESS  (1u << 0)
#define NVT_ISP_LEVEL_CONTRAST    (1u << 1)
#define NVT_ISP_LEVEL_SATURATION  (1u << 2)
#define NVT_ISP_LEVEL_SHARPNESS   (1u << 3)
#define NVT_ISP_LEVEL_GAIN        (1u << 4) /* manual gain, with manual exposure        */

int32_t NVT_ISP_GetRange(uint32_t vi, NVT_ISP_RANGE_S *range);
int32_t NVT_ISP_GetAttr(uint32_t vi, NVT_ISP_ATTR_S *attr);
/* Applies to the next captured frame. Any value out of range: NVT_ERR_INVALID_ARG and
 * nothing changes. */
int32_t NVT_ISP_SetAttr(uint32_t vi, const NVT_ISP_ATTR_S *attr);

/* Statistics of the picture, as the ISP computes them for its own auto exposure and auto
 * focus (version 4). nvt's tamper detection reads them: too dark, too bright, too blurry,
 * scene changed. Luma is of the source picture before any OSD overlay. */
#define NVT_ISP_ZONE_COLS 16
#define NVT_ISP_ZONE_ROWS 12
#define NVT_ISP_HIST_BINS 32

typedef struct {
    uint32_t seq;              /* statistics number, +1 per analysed frame              */
    uint64_t pts_us;           /* capture time of the analysed frame (CLOCK_MONOTONIC)   */
    /* Mean luma 0..255 of each zone; zones split the frame evenly, row-major from the
     * top-left. */
    uint8_t zone_luma[NVT_ISP_ZONE_ROWS][NVT_ISP_ZONE_COLS];
    /* Luma histogram: bin b counts luma 8b..8b+7, in per mille of the pixels (rounded
     * down, so the bins add up to 1000 minus at most NVT_ISP_HIST_BINS). */
    uint16_t hist[NVT_ISP_HIST_BINS];
    uint32_t focus_value;      /* sharpness, larger = sharper; the unit is the port's:   */
                               /* only compare it with itself over time                 */
    uint32_t focus_valid;      /* 0: no sharpness statistic (focus_value meaningless)   */
    uint32_t ae_at_max;        /* 1: exposure and gain at their upper limit, the picture */
                               /* cannot be made brighter                               */
    uint32_t ae_at_min;        /* 1: exposure and gain at their lower limit             */
} NVT_ISP_STATS_S;

/* The latest statistics of vi, without waiting: NVT_ERR_TIMEOUT before the first frame
 * (or while the source delivers none), NVT_ERR_NOT_SUPPORTED if the hardware has none.
 * Cheap: nvt polls it a few times a second from one thread. */
int32_t NVT_ISP_GetStats(uint32_t vi, NVT_ISP_STATS_S *stats);

/* ------------------------------------------------------------------------------------ */
/* JPEG: snapshots                                                                      */
/* ------------------------------------------------------------------------------------ */
/* Encode the latest captured frame of vi, scaled to width x height (each 16..source size),
 * quality 1..100, into buf. If buf_len is too small, returns NVT_ERR_BUF_TOO_SMALL with
 * *out_len set to the size needed (call again with a larger buffer). */
int32_t NVT_JPEG_Snap(uint32_t vi, uint32_t width, uint32_t height, uint32_t quality,
                      uint8_t *buf, uint32_t buf_len, uint32_t *out_len);

/* ------------------------------------------------------------------------------------ */
/* MD: motion detection on a grid of cells, per video source                            */
/* ------------------------------------------------------------------------------------ */
#define NVT_MD_MAX_COLS 32
#define NVT_MD_MAX_ROWS 32

typedef struct {
    uint32_t enable;
    uint32_t cols;             /* grid size, 1..NVT_MD_MAX_COLS; cells cover the frame   */
    uint32_t rows;             /* 1..NVT_MD_MAX_ROWS                                     */
    uint32_t sensitivity;      /* 0 (least) .. 100 (most sensitive)                      */
    uint32_t mask[NVT_MD_MAX_ROWS]; /* bit c of mask[r]: cell (c, r) is watched          */
    uint32_t min_cells;        /* motion is reported when >= min_cells watched cells move */
} NVT_MD_ATTR_S;

typedef struct {
    uint32_t seq;              /* result number, +1 per analysed frame                  */
    uint64_t pts_us;           /* capture time of the analysed frame (CLOCK_MONOTONIC)   */
    uint64_t utc_us;
    uint32_t motion;           /* 1 if >= min_cells watched cells moved                 */
    uint32_t active_cells;     /* watched cells that moved                              */
    uint32_t cells[NVT_MD_MAX_ROWS]; /* bit c of cells[r]: cell (c, r) moved            */
} NVT_MD_RESULT_S;

int32_t NVT_MD_GetAttr(uint32_t vi, NVT_MD_ATTR_S *attr);
int32_t NVT_MD_SetAttr(uint32_t vi, const NVT_MD_ATTR_S *attr);
/* Wait up to timeout_ms for the next result (one per analysed frame, latest wins). */
int32_t NVT_MD_GetResult(uint32_t vi, NVT_MD_RESULT_S *result, int32_t timeout_ms);

/* ------------------------------------------------------------------------------------ */
/* FOCUS: lens focus motor, per video source                                            */
/* ------------------------------------------------------------------------------------ */
typedef enum {
    NVT_FOCUS_IDLE = 0,
    NVT_FOCUS_MOVING = 1,
    NVT_FOCUS_UNKNOWN = 2,
} NVT_FOCUS_STATE_E;

typedef struct {
    uint32_t supported;        /* 0: fixed-focus lens, every move is NOT_SUPPORTED      */
    int32_t position_min;      /* position units, e.g. motor steps                      */
    int32_t position_max;
    int32_t speed_max;         /* position units per second                             */
} NVT_FOCUS_INFO_S;

typedef struct {
    int32_t position;
    NVT_FOCUS_STATE_E state;
    int32_t error;             /* NVT_OK, or the error that stopped the last move        */
} NVT_FOCUS_STATUS_S;

int32_t NVT_FOCUS_GetInfo(uint32_t vi, NVT_FOCUS_INFO_S *info);
/* Moves return at once; the motor moves in the background. speed 1..speed_max. */
int32_t NVT_FOCUS_MoveAbsolute(uint32_t vi, int32_t position, int32_t speed);
int32_t NVT_FOCUS_MoveRelative(uint32_t vi, int32_t distance, int32_t speed);
/* Signed speed, -speed_max..speed_max; moves until Stop or an end stop. */
int32_t NVT_FOCUS_MoveContinuous(uint32_t vi, int32_t speed);
int32_t NVT_FOCUS_Stop(uint32_t vi);
int32_t NVT_FOCUS_GetStatus(uint32_t vi, NVT_FOCUS_STATUS_S *status);

/* ------------------------------------------------------------------------------------ */
/* PTZ: motorised pan/tilt head and zoom lens, per video source                         */
/* ------------------------------------------------------------------------------------ */
/* Units: pan and tilt in hundredths of a degree (pan positive to the right, tilt positive
 * up, 0/0 the mechanical centre), zoom as magnification in hundredths (100 = 1x, the
 * widest view); speeds in those units per second. Moves return at once; the head moves in
 * the background, accelerating and braking as its mechanics allow, and GetStatus tells
 * where it is. Presets and the configurable home position are nvt's (kept in its settings,
 * reached with MoveAbsolute); `home` below is only the factory default. */
#define NVT_PTZ_MOVE_ABSOLUTE   (1u << 0)
#define NVT_PTZ_MOVE_RELATIVE   (1u << 1)
#define NVT_PTZ_MOVE_CONTINUOUS (1u << 2)

/* Which members of an NVT_PTZ_VECTOR_S a call applies to; the other axes carry on with
 * what they were doing. */
#define NVT_PTZ_AXES_PAN_TILT   (1u << 0)
#define NVT_PTZ_AXES_ZOOM       (1u << 1)

typedef enum {
    NVT_PTZ_IDLE = 0,
    NVT_PTZ_MOVING = 1,
    NVT_PTZ_UNKNOWN = 2,
} NVT_PTZ_STATE_E;

typedef struct {
    int32_t pan;
    int32_t tilt;
    int32_t zoom;
} NVT_PTZ_VECTOR_S;

typedef struct {
    uint32_t supported;        /* 0: no head; every other PTZ call is NOT_SUPPORTED     */
    uint32_t moves;            /* NVT_PTZ_MOVE_* bits the head can do                   */
    uint32_t axes;             /* NVT_PTZ_AXES_* bits it has (a fixed lens: no ZOOM)    */
    NVT_PTZ_VECTOR_S min;      /* position range of each axis it has                   */
    NVT_PTZ_VECTOR_S max;
    NVT_PTZ_VECTOR_S speed_max;/* > 0 for each axis it has                              */
    NVT_PTZ_VECTOR_S home;     /* factory home position, inside min..max                */
    int32_t hfov;              /* field of view at zoom 100, hundredths of a degree:    */
    int32_t vfov;              /* nvt turns moves "by a fraction of the view" into angles */
} NVT_PTZ_INFO_S;

typedef struct {
    NVT_PTZ_VECTOR_S position;
    NVT_PTZ_STATE_E pan_tilt;  /* MOVING while either of pan and tilt moves             */
    NVT_PTZ_STATE_E zoom;
    int32_t error;             /* NVT_OK, or the error that stopped the last move        */
} NVT_PTZ_STATUS_S;

int32_t NVT_PTZ_GetInfo(uint32_t vi, NVT_PTZ_INFO_S *info);
/* speed: per axis, 1..speed_max. A position outside min..max is NVT_ERR_INVALID_ARG. */
int32_t NVT_PTZ_MoveAbsolute(uint32_t vi, const NVT_PTZ_VECTOR_S *position,
                             const NVT_PTZ_VECTOR_S *speed, uint32_t axes);
/* A move past an end stops there (ONVIF: "along the border of valid positions"). */
int32_t NVT_PTZ_MoveRelative(uint32_t vi, const NVT_PTZ_VECTOR_S *distance,
                             const NVT_PTZ_VECTOR_S *speed, uint32_t axes);
/* Signed velocity per axis, -speed_max..speed_max: moves until Stop, another move on that
 * axis, or an end stop. A velocity of 0 on an axis stops it. */
int32_t NVT_PTZ_MoveContinuous(uint32_t vi, const NVT_PTZ_VECTOR_S *velocity, uint32_t axes);
int32_t NVT_PTZ_Stop(uint32_t vi, uint32_t axes);
int32_t NVT_PTZ_GetStatus(uint32_t vi, NVT_PTZ_STATUS_S *status);

/* ------------------------------------------------------------------------------------ */
/* OSD: overlay regions burnt into every encoded stream of a video source (version 4)     */
/* ------------------------------------------------------------------------------------ */
/* nvt renders text (plain, date, time) into ARGB8888 pixels and hands the SDK a bitmap;
 * the SDK only places and blends it (SoCs overlay bitmaps; none renders text). A region
 * shows in every encoder channel of the source (scaled with the picture) and in snapshots,
 * not in the statistics or motion detection. Coordinates are in the source's pixels
 * (NVT_VI_INFO_S width x height), top-left origin; a region lies inside the frame. */
#define NVT_OSD_MAX_REGIONS 8

typedef struct {
    uint32_t max_regions;      /* 0..NVT_OSD_MAX_REGIONS; 0: no OSD, and every other OSD */
                               /* call is NVT_ERR_NOT_SUPPORTED                          */
    uint32_t max_width;        /* largest region, pixels                                */
    uint32_t max_height;
    uint32_t align_x;          /* x and width must be multiples of this (1, 2, 16...)    */
    uint32_t align_y;          /* y and height must be multiples of this                */
    uint32_t alpha_levels;     /* distinct opacity steps the hardware blends (2: on/off */
                               /* only; 256: full); nvt quantises to them               */
} NVT_OSD_INFO_S;

typedef struct {
    uint32_t x;                /* top-left corner, aligned                              */
    uint32_t y;
    uint32_t width;            /* aligned, 1..max_width                                 */
    uint32_t height;           /* aligned, 1..max_height                                */
    uint32_t stride;           /* bytes from one row of pixels to the next, >= 4 * width */
    /* width x height pixels, ARGB8888 as native-endian uint32_t: A in bits 31..24, R in
     * 23..16, G 15..8, B 7..0; A = 0 fully transparent, 255 opaque. sRGB, full range. */
    const uint8_t *pixels;
    uint32_t alpha;            /* whole-region opacity 0..255, multiplied with each A    */
} NVT_OSD_REGION_S;

int32_t NVT_OSD_GetInfo(uint32_t vi, NVT_OSD_INFO_S *info);
/* Show region `id` (0..max_regions-1), replacing what it showed: position and pixels
 * together, from the next captured frame on. The SDK copies the pixels before it returns.
 * A region outside the frame, misaligned, too large, with a short stride or NULL pixels is
 * NVT_ERR_INVALID_ARG and changes nothing. Regions may overlap: a higher id is on top.
 * Cheap enough to call once a second per region (a clock). */
int32_t NVT_OSD_SetRegion(uint32_t vi, uint32_t id, const NVT_OSD_REGION_S *region);
/* Hide region `id`; hiding a hidden region is NVT_OK. */
int32_t NVT_OSD_ClearRegion(uint32_t vi, uint32_t id);

/* ------------------------------------------------------------------------------------ */
/* GPIO: relay outputs and digital (alarm) inputs of the board (version 4)                */
/* ------------------------------------------------------------------------------------ */
/* Board-wide, not per video source. Levels are physical: 1 = circuit closed. nvt keeps the
 * ONVIF logic (idle state, active/inactive, monostable timing) and drives or reads the
 * physical level. */
#define NVT_GPIO_MAX_RELAYS 8
#define NVT_GPIO_MAX_INPUTS 8

typedef struct {
    uint32_t relay_count;      /* 0..NVT_GPIO_MAX_RELAYS; relays are 0..relay_count-1    */
    uint32_t input_count;      /* 0..NVT_GPIO_MAX_INPUTS; both 0: no GPIO                */
    uint32_t relay_closed_at_boot; /* bit r: relay r is closed at power-up              */
} NVT_GPIO_INFO_S;

typedef struct {
    uint32_t seq;              /* +1 per reported change, over all inputs               */
    uint64_t pts_us;           /* when it was seen (CLOCK_MONOTONIC)                    */
    uint32_t input;            /* which input                                           */
    uint32_t closed;           /* its new level: 1 closed, 0 open                       */
} NVT_GPIO_EVENT_S;

int32_t NVT_GPIO_GetInfo(NVT_GPIO_INFO_S *info);
/* Close (closed = 1) or open (0) relay `relay`; returns once the level is applied. An
 * unknown relay is NVT_ERR_UNKNOWN_CHN. */
int32_t NVT_GPIO_SetRelay(uint32_t relay, uint32_t closed);
int32_t NVT_GPIO_GetRelay(uint32_t relay, uint32_t *closed);
int32_t NVT_GPIO_GetInput(uint32_t input, uint32_t *closed);
/* Wait up to timeout_ms (0: poll, <0: forever) for the next input change, debounced by the
 * port. Every edge is reported, in order, none merged: changes are queued (a bounded
 * queue; a caller that does not keep up sees a gap in seq). The queue starts empty at
 * NVT_SYS_Init: read the levels with NVT_GPIO_GetInput first, then wait. Called from one
 * dedicated thread, like NVT_MD_GetResult; NVT_SYS_Exit wakes it with NVT_ERR_STOPPED.
 * No inputs: NVT_ERR_NOT_SUPPORTED. */
int32_t NVT_GPIO_WaitEvent(NVT_GPIO_EVENT_S *event, int32_t timeout_ms);

/* ------------------------------------------------------------------------------------ */
/* AI: audio inputs (microphones) (version 5)                                           */
/* ------------------------------------------------------------------------------------ */
/* An AI channel captures one audio input and encodes it, as a VENC channel does a video
 * source. Frames carry their capture time on the clock of the video's pts_us
 * (CLOCK_MONOTONIC), so nvt maps audio and video onto one timeline (RTCP sender reports,
 * RFC 3550 s6.4.1) and a viewer plays them in sync. GetFrame blocks like
 * NVT_VENC_GetStream and is called from one dedicated thread per channel. */
typedef enum {
    NVT_AUDIO_G711U = 0,       /* ITU-T G.711 mu-law, 8 bits per sample                 */
    NVT_AUDIO_G711A = 1,       /* ITU-T G.711 A-law                                     */
    NVT_AUDIO_AAC_LC = 2,      /* MPEG-4 AAC-LC, raw access units (no ADTS header)      */
} NVT_AUDIO_CODEC_E;

#define NVT_AI_MAX_RATES 8

typedef struct {
    uint32_t input_count;      /* microphones; 0: no audio in, and every other AI call  */
                               /* is NVT_ERR_NOT_SUPPORTED                              */
    uint32_t max_ai_channels;  /* channels 0..max_ai_channels-1                         */
    uint32_t codecs;           /* bit (1 << NVT_AUDIO_CODEC_E) per codec that encodes   */
    uint32_t rate_count;
    uint32_t sample_rates[NVT_AI_MAX_RATES]; /* Hz, ascending (G.711: 8000)             */
    uint32_t max_channels;     /* audio channels per stream: 1 mono, 2 stereo           */
    uint32_t bitrate_min_kbps; /* AAC's range; G.711 is always 8 bits x sample rate     */
    uint32_t bitrate_max_kbps;
} NVT_AI_CAPS_S;

typedef struct {
    uint32_t ai;               /* audio input this channel encodes                      */
    NVT_AUDIO_CODEC_E codec;
    uint32_t sample_rate;      /* one of the caps rates                                 */
    uint32_t channels;         /* 1..max_channels                                       */
    uint32_t bitrate_kbps;     /* AAC only; ignored for G.711                           */
    uint32_t frame_samples;    /* samples per channel in one frame: G.711 any of        */
                               /* 80..1024 (160 = 20 ms at 8 kHz); AAC-LC 1024           */
} NVT_AI_ATTR_S;

/* One encoded audio frame. Valid until NVT_AI_ReleaseFrame. */
typedef struct {
    uint32_t seq;              /* frame number on this channel, +1 per frame, wraps     */
    uint64_t pts_us;           /* capture time of the first sample, CLOCK_MONOTONIC,    */
                               /* microseconds: the clock of NVT_VENC_STREAM_S pts_us   */
    uint64_t utc_us;           /* the same instant on the wall clock                    */
    uint32_t samples;          /* samples per channel in this frame                     */
    const uint8_t *data;       /* the encoded frame (G.711: one byte per sample)        */
    uint32_t len;
    void *priv;                /* the SDK's own handle; do not touch                    */
} NVT_AI_FRAME_S;

int32_t NVT_AI_GetCaps(NVT_AI_CAPS_S *caps);
/* Create a channel; it captures nothing until started. Attributes outside the caps:
 * NVT_ERR_INVALID_ARG (a codec the caps lack: NVT_ERR_NOT_SUPPORTED). */
int32_t NVT_AI_CreateChn(uint32_t chn, const NVT_AI_ATTR_S *attr);
/* Stop and destroy; a GetFrame blocked on the channel returns NVT_ERR_STOPPED. */
int32_t NVT_AI_DestroyChn(uint32_t chn);
int32_t NVT_AI_GetAttr(uint32_t chn, NVT_AI_ATTR_S *attr);
/* Apply new attributes, on a running channel too; invalid ones change nothing. */
int32_t NVT_AI_SetAttr(uint32_t chn, const NVT_AI_ATTR_S *attr);
int32_t NVT_AI_StartChn(uint32_t chn);
/* Stops capture; a GetFrame blocked on the channel returns NVT_ERR_STOPPED. */
int32_t NVT_AI_StopChn(uint32_t chn);
/* Wait up to timeout_ms (0: poll, <0: forever) for the next frame. Frames are queued for
 * a few hundred milliseconds at most: a caller that falls further behind finds older
 * frames dropped and sees a gap in seq. */
int32_t NVT_AI_GetFrame(uint32_t chn, NVT_AI_FRAME_S *frame, int32_t timeout_ms);
int32_t NVT_AI_ReleaseFrame(uint32_t chn, NVT_AI_FRAME_S *frame);
/* Sound level at audio input `ai` now, whether or not a channel captures it: the RMS of
 * the last 100 ms of samples before encoding, in dBFS (0 = a full-scale square wave,
 * -96 the floor and digital silence), rounded to whole dB. nvt polls it a few times a
 * second for its sound detector (tns1:AudioAnalytics/Audio/DetectedSound). */
int32_t NVT_AI_GetLevel(uint32_t ai, int32_t *level_dbfs);

/* ------------------------------------------------------------------------------------ */
/* AO: audio outputs (speakers) (version 5)                                             */
/* ------------------------------------------------------------------------------------ */
/* A speaker (line out) of the board: nvt's RTSP back channel (ONVIF Streaming "Back
 * channel connection") hands it the encoded audio an NVR sends, one RTP payload at a
 * time, and the SDK decodes it, as a SoC's audio block does (G.711 in hardware or in the
 * vendor's library). One channel per output, opened with the codec and rate the talker
 * uses and closed when the talker leaves; one talker at a time (nvt guarantees it). */
#define NVT_AO_MAX_OUTPUTS 4

/* NVT_AUDIO_CODEC_E: see the AI block (the speaker decodes the G.711 codes). */

typedef struct {
    uint32_t output_count;     /* 0..NVT_AO_MAX_OUTPUTS; 0: no speaker, and every other */
                               /* AO call is NVT_ERR_NOT_SUPPORTED                      */
    uint32_t codecs;           /* bit (1 << NVT_AUDIO_CODEC_E) per codec it decodes;    */
                               /* G.711 mu-law at least when output_count > 0           */
    uint32_t sample_rates;     /* NVT_AO_RATE_* bits; 8000 Hz at least                  */
    uint32_t channels;         /* 1: mono                                               */
} NVT_AO_CAPS_S;

#define NVT_AO_RATE_8000   (1u << 0)
#define NVT_AO_RATE_16000  (1u << 1)
#define NVT_AO_RATE_48000  (1u << 2)

typedef struct {
    NVT_AUDIO_CODEC_E codec;   /* one of caps.codecs                                    */
    uint32_t sample_rate;      /* Hz, one of caps.sample_rates                          */
} NVT_AO_ATTR_S;

typedef struct {
    uint32_t open;             /* 1 while a channel is open                             */
    uint32_t volume;           /* 0..100                                                */
    uint32_t level;            /* output level of the last 100 ms of decoded samples,   */
                               /* 0 (silence) .. 100 (full scale), after the volume     */
    uint64_t samples;          /* decoded samples played since the channel was opened   */
    uint32_t underruns;        /* times the output ran dry while open (a late talker)   */
} NVT_AO_STATUS_S;

int32_t NVT_AO_GetCaps(NVT_AO_CAPS_S *caps);
/* Open output `ao` (0..output_count-1) for `attr`. An open output is NVT_ERR_BUSY; an
 * unknown one NVT_ERR_UNKNOWN_CHN; a codec or rate not in caps NVT_ERR_NOT_SUPPORTED. */
int32_t NVT_AO_Open(uint32_t ao, const NVT_AO_ATTR_S *attr);
/* Queue `len` bytes of encoded audio (a whole number of samples: G.711 is one byte per
 * sample) for playing; returns once the SDK has copied them, without waiting for them to
 * be played. The SDK may drop what exceeds its buffer (about a second); an empty write is
 * NVT_OK. Not open: NVT_ERR_STOPPED. */
int32_t NVT_AO_Write(uint32_t ao, const uint8_t *data, uint32_t len);
/* Volume 0..100 (default 100 at power-up), kept across Open and Close. */
int32_t NVT_AO_SetVolume(uint32_t ao, uint32_t volume);
int32_t NVT_AO_GetStatus(uint32_t ao, NVT_AO_STATUS_S *status);
/* Stop playing and drop what is queued; closing a closed output is NVT_OK. */
int32_t NVT_AO_Close(uint32_t ao);

#ifdef __cplusplus
}
#endif

#endif /* NVT_SDK_H */
