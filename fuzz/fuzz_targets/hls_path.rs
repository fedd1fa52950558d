//! The HLS request-target parser (src/hls/path.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::fuzzing::hls_path(data);
});
