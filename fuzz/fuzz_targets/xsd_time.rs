//! xs:dateTime and xs:duration parsers (src/xml/xsd.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::xml::xsd::fuzz_input(data);
});
