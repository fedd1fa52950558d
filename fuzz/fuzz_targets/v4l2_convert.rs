//! A captured V4L2 buffer into I420 for any reported size, stride and format and any buffer
//! length: an error or a picture of the reported size (`sdk_sys::v4l2::convert::fuzz_input`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sdk_sys::v4l2::convert::fuzz_input(data));
