//! WS-Discovery datagrams (src/discovery/message.rs): parse, and answer what parses.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::discovery::message::fuzz_input(data);
});
