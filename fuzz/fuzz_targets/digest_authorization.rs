//! The `Authorization` parsers and verifiers: Digest (src/auth/digest.rs) and Basic (src/auth/basic.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::auth::digest::fuzz_input(data);
});
