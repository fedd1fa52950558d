//! The SDK board options string (`NVT_SYS_CONFIG_S.board_options`, from `--sdk-options`,
//! `--source`, `--replay`): the simulator's parser never panics, and what it accepts keeps
//! its invariants (`sdk_sys::sim::options::fuzz_input`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sdk_sys::sim::options::fuzz_input(data));
