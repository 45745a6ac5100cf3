//! libFuzzer entry for the `ocsp` target (see kenpo_fuzz_targets::ocsp).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::ocsp(data));
