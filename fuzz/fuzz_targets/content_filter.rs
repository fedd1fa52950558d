//! Message content filters in the ONVIF ItemFilter dialect (src/events/content_filter.rs):
//! parse, evaluate, and re-parse the canonical form.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::events::content_filter::fuzz_input(data);
});
