//! libFuzzer entry for the `cms` target (see kenpo_fuzz_targets::cms).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::cms(data));
