//! On-screen text: any bytes as an OSD's text, style, position, window and overlay hardware
//! (`nvt::osd::fuzz_input`). Rendering never panics, and a rendered region lies inside the
//! source and is one the hardware takes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nvt::osd::fuzz_input(data));
