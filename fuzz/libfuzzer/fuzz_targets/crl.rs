//! libFuzzer entry for the `crl` target (see kenpo_fuzz_targets::crl).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::crl(data));
