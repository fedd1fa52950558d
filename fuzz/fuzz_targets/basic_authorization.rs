//! The `Authorization: Basic` parser and verifier (src/auth/basic.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::auth::basic::fuzz_input(data);
});
