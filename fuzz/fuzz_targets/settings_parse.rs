//! The settings file parser: arbitrary bytes must give a settings model or an error, never a
//! panic; whatever parses must serialise and parse back to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(settings) = nvt::settings::parse(data) {
        let again = serde_json::to_vec(&settings).expect("a parsed model serialises");
        let back = nvt::settings::parse(&again).expect("what we write we can read");
        assert_eq!(back, settings);
    }
});
