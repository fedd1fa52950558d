//! SOAP envelope, WS-Addressing and WS-Security header parsing (src/soap/envelope.rs,
//! src/auth/wsse.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::soap::envelope::fuzz_input(data);
});
