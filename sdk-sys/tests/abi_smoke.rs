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
        for e in -11..=0 {
            let s = NVT_SYS_StrError(e);
            assert!(!s.is_null() && !CStr::from_ptr(s).to_bytes().is_empty());
        }
        assert_eq!(NVT_SYS_Exit(), 0);
        assert_eq!(NVT_SYS_Exit(), 0);
        assert_eq!(NVT_SYS_GetVersion(&mut v), NVT_ERR_NOT_INIT);
        assert_eq!(NVT_SYS_Init(&cfg), 0, "Init after Exit");
        assert_eq!(NVT_SYS_Exit(), 0);
    }
}
