//! libFuzzer entry for the `tsa_response` target (see kenpo_fuzz_targets::tsa_response).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kenpo_fuzz_targets::tsa_response(data));
