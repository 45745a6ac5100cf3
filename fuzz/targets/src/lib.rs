//! # kenpo-fuzz-targets — the fuzz targets of kenpo-sign
//!
//! One function per parser that reads untrusted input, each calling the same public
//! entry points the product calls and then reading the parsed result a little (every
//! field, every list), without signature verification. The functions never panic on any
//! input: a panic, a hang or a huge allocation is a defect in the parser.
//!
//! The libFuzzer binaries in `fuzz/libfuzzer` (outside the workspace) only call these
//! functions; `tests/regressions.rs` runs every committed crash input under
//! `fuzz/regressions/<target>/` (and any seed corpus given in `KENPO_FUZZ_CORPUS`)
//! through them in a normal `cargo test`. See `docs/FUZZING.md`.
#![forbid(unsafe_code)]

mod targets;

pub use targets::{ber, cert, cms, crl, ocsp, pdf, tsa_request, tsa_response, xml};

/// A fuzz target: any byte string in, nothing out, never a panic.
pub type Target = fn(&[u8]);

/// Every target by name (the name of its libFuzzer binary and regression directory).
pub const TARGETS: &[(&str, Target)] = &[
    ("ber", ber),
    ("cms", cms),
    ("cert", cert),
    ("crl", crl),
    ("ocsp", ocsp),
    ("tsa_request", tsa_request),
    ("tsa_response", tsa_response),
    ("pdf", pdf),
    ("xml", xml),
];

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
