//! `Accept-Encoding` negotiation (src/http/content_coding.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::fuzzing::accept_encoding(data);
});
