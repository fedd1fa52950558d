//! Time zones as clients send them and as the zoneinfo database stores them: the TZif footer
//! reader and the POSIX TZ / zone name parsers never panic (`settings::timezone`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nvt::settings::timezone::fuzz_input(data));
