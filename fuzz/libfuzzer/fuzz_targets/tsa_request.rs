//! libFuzzer entry for the `tsa_request` target (see kenpo_fuzz_targets::tsa_request).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::tsa_request(data));
