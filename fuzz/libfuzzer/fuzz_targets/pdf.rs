//! libFuzzer entry for the `pdf` target (see kenpo_fuzz_targets::pdf).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::pdf(data));
