//! Event subscription topic filters (src/events/filter.rs): ConcreteSet, Concrete and Simple
//! topic expressions, and the filter element around them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvt::events::filter::fuzz_input(data);
});
