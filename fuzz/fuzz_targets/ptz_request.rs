//! PTZ move requests (src/onvif/ptz/request.rs): the generated decoders of AbsoluteMove,
//! RelativeMove and ContinuousMove and their translation into SDK commands.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::onvif::ptz::fuzz_request(data);
});
