//! Contract checks that every implementation must pass, the simulator and a vendor port
//! alike: run it against the port template with
//! `NVT_SDK_PORT_C=$PWD/sdk-sys/port-template/nvt_port_template.c cargo test -p sdk-sys --no-default-features --test abi_smoke`.

use std::ffi::CStr;

use sdk_sys::*;

#[test]
fn lifecycle_version_and_errors() {
    // SAFETY: every pointer is NULL or points to a live local for the duration of the call.
    unsafe {
        assert_eq!(NVT_SYS_Exit(), 0, "Exit before Init is a no-op");
        let mut v = NVT_SYS_VERSION_S::default();
        assert_eq!(NVT_SYS_GetVersion(&mut v), NVT_ERR_NOT_INIT);
        assert_eq!(NVT_SYS_Init(std::ptr::null()), NVT_ERR_INVALID_ARG);
        let wrong = NVT_SYS_CONFIG_S {
            api_version: NVT_SDK_API_VERSION + 1,
            board_options: std::ptr::null(),
        };
        assert_eq!(NVT_SYS_Init(&wrong), NVT_ERR_VERSION);
        let bad = NVT_SYS_CONFIG_S {
            api_version: NVT_SDK_API_VERSION,
            board_options: c"no_such_key=1".as_ptr(),
        };
        assert_eq!(NVT_SYS_Init(&bad), NVT_ERR_INVALID_ARG);
        let cfg = NVT_SYS_CONFIG_S {
            api_version: NVT_SDK_API_VERSION,
            board_options: std::ptr::null(),
        };
        assert_eq!(NVT_SYS_Init(&cfg), 0);
        assert_eq!(NVT_SYS_Init(&cfg), NVT_ERR_BUSY);
        assert_eq!(NVT_SYS_GetVersion(&mut v), 0);
        assert!(!CStr::from_ptr(v.sdk_name.as_ptr()).to_bytes().is_empty());
        assert!(v.video_source_count >= 1 && v.max_venc_channels >= 1);
        assert_eq!(
            NVT_VI_GetInfo(v.video_source_count, &mut NVT_VI_INFO_S::default()),
            NVT_ERR_UNKNOWN_CHN
        );
        assert_eq!(
            NVT_VENC_GetAttr(v.max_venc_channels, &mut NVT_VENC_ATTR_S::default()),
            NVT_ERR_UNKNOWN_CHN
        );
        version_4_blocks_are_present_or_absent_consistently(v.video_source_count);
        audio_outputs_are_present_or_absent_consistently();
        for e in -11..=0 {
            let s = NVT_SYS_StrError(e);
            assert!(!s.is_null() && !CStr::from_ptr(s).to_bytes().is_empty());
        }
        assert_eq!(NVT_SYS_Exit(), 0);
        assert_eq!(NVT_SYS_Exit(), 0);
        assert_eq!(NVT_SYS_GetVersion(&mut v), NVT_ERR_NOT_INIT);
        assert_eq!(
            NVT_GPIO_GetInfo(&mut NVT_GPIO_INFO_S::default()),
            NVT_ERR_NOT_INIT
        );
        assert_eq!(NVT_SYS_Init(&cfg), 0, "Init after Exit");
        assert_eq!(NVT_SYS_Exit(), 0);
    }
}

/// OSD, GPIO and statistics (contract version 4): "0 / NOT_SUPPORTED means absent", and
/// what is reported stays inside the header's limits.
///
/// # Safety
/// The SDK is initialised; called from the one test that owns it.
unsafe fn version_4_blocks_are_present_or_absent_consistently(sources: u32) {
    // SAFETY: every pointer is NULL or points to a live local for the duration of the call.
    unsafe {
        let mut osd = NVT_OSD_INFO_S::default();
        assert_eq!(NVT_OSD_GetInfo(sources, &mut osd), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(
            NVT_OSD_GetInfo(0, std::ptr::null_mut()),
            NVT_ERR_INVALID_ARG
        );
        assert_eq!(NVT_OSD_GetInfo(0, &mut osd), 0);
        assert!(osd.max_regions <= NVT_OSD_MAX_REGIONS);
        if osd.max_regions == 0 {
            assert_eq!(NVT_OSD_ClearRegion(0, 0), NVT_ERR_NOT_SUPPORTED);
        } else {
            assert!(osd.align_x >= 1 && osd.align_y >= 1 && osd.alpha_levels >= 2);
            assert!(osd.max_width >= 1 && osd.max_height >= 1);
            assert_eq!(NVT_OSD_ClearRegion(0, 0), 0, "hiding a hidden region is OK");
            assert_eq!(
                NVT_OSD_SetRegion(0, 0, std::ptr::null()),
                NVT_ERR_INVALID_ARG
            );
        }

        let mut stats = NVT_ISP_STATS_S::default();
        assert_eq!(NVT_ISP_GetStats(sources, &mut stats), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(
            NVT_ISP_GetStats(0, std::ptr::null_mut()),
            NVT_ERR_INVALID_ARG
        );
        let rc = NVT_ISP_GetStats(0, &mut stats);
        assert!(
            [0, NVT_ERR_TIMEOUT, NVT_ERR_NOT_SUPPORTED].contains(&rc),
            "GetStats: {rc}"
        );
        if rc == 0 {
            let bins: u32 = stats.hist.iter().map(|&b| b as u32).sum();
            assert!((1000 - NVT_ISP_HIST_BINS..=1000).contains(&bins), "{bins}");
            assert!(stats.focus_valid <= 1 && stats.ae_at_max <= 1 && stats.ae_at_min <= 1);
        }

        let mut gpio = NVT_GPIO_INFO_S::default();
        assert_eq!(NVT_GPIO_GetInfo(std::ptr::null_mut()), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_GPIO_GetInfo(&mut gpio), 0);
        assert!(gpio.relay_count <= NVT_GPIO_MAX_RELAYS && gpio.input_count <= NVT_GPIO_MAX_INPUTS);
        let mut level = 0u32;
        if gpio.relay_count == 0 {
            assert_eq!(NVT_GPIO_SetRelay(0, 1), NVT_ERR_NOT_SUPPORTED);
        } else {
            assert_eq!(
                NVT_GPIO_GetRelay(gpio.relay_count, &mut level),
                NVT_ERR_UNKNOWN_CHN
            );
        }
        if gpio.input_count == 0 {
            let mut e = NVT_GPIO_EVENT_S::default();
            assert_eq!(NVT_GPIO_WaitEvent(&mut e, 0), NVT_ERR_NOT_SUPPORTED);
        } else {
            assert_eq!(
                NVT_GPIO_GetInput(gpio.input_count, &mut level),
                NVT_ERR_UNKNOWN_CHN
            );
            assert_eq!(NVT_GPIO_GetInput(0, &mut level), 0);
            assert!(level <= 1);
        }
    }
}

/// The speakers (contract version 5): `output_count` 0 means absent, and then every other
/// AO call is NOT_SUPPORTED; a speaker decodes µ-law at 8 kHz at least.
///
/// # Safety
/// The SDK is initialised; called from the one test that owns it.
unsafe fn audio_outputs_are_present_or_absent_consistently() {
    // SAFETY: every pointer is NULL or points to a live local for the duration of the call.
    unsafe {
        let mut caps = NVT_AO_CAPS_S::default();
        assert_eq!(NVT_AO_GetCaps(std::ptr::null_mut()), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_AO_GetCaps(&mut caps), 0);
        assert!(caps.output_count <= NVT_AO_MAX_OUTPUTS);
        let ulaw = NVT_AO_ATTR_S {
            codec: NVT_AUDIO_CODEC_E::NVT_AUDIO_G711U,
            sample_rate: 8000,
        };
        if caps.output_count == 0 {
            assert_eq!(NVT_AO_Open(0, &ulaw), NVT_ERR_NOT_SUPPORTED);
            assert_eq!(NVT_AO_Write(0, [0xFFu8].as_ptr(), 1), NVT_ERR_NOT_SUPPORTED);
            return;
        }
        assert!(caps.codecs & 1 != 0 && caps.sample_rates & NVT_AO_RATE_8000 != 0);
        assert_eq!(NVT_AO_Open(caps.output_count, &ulaw), NVT_ERR_UNKNOWN_CHN);
        assert_eq!(NVT_AO_Open(0, std::ptr::null()), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_AO_Write(0, [0xFFu8].as_ptr(), 1), NVT_ERR_STOPPED);
        assert_eq!(NVT_AO_Open(0, &ulaw), 0);
        assert_eq!(NVT_AO_Open(0, &ulaw), NVT_ERR_BUSY);
        assert_eq!(NVT_AO_Write(0, [0x80u8; 160].as_ptr(), 160), 0);
        let mut st = NVT_AO_STATUS_S::default();
        assert_eq!(NVT_AO_GetStatus(0, &mut st), 0);
        assert_eq!((st.open, st.samples), (1, 160));
        assert!(st.level > 90 && st.volume <= 100, "{st:?}");
        assert_eq!(NVT_AO_SetVolume(0, 101), NVT_ERR_INVALID_ARG);
        assert_eq!(NVT_AO_Close(0), 0);
        assert_eq!(NVT_AO_Close(0), 0, "closing a closed output is OK");
        assert_eq!(NVT_AO_GetStatus(0, &mut st), 0);
        assert_eq!(st.open, 0);
    }
}
