//! libFuzzer entry for the `cert` target (see kenpo_fuzz_targets::cert).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::cert(data));
