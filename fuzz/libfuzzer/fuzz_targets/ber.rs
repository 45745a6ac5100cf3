//! libFuzzer entry for the `ber` target (see kenpo_fuzz_targets::ber).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::ber(data));
