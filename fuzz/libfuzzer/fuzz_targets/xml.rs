//! libFuzzer entry for the `xml` target (see kenpo_fuzz_targets::xml).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::xml(data));
