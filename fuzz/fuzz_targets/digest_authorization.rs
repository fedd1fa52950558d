//! The `Authorization: Digest` parser and verifier (src/auth/digest.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::auth::digest::fuzz_input(data);
});
