//! Readers of the ASN.1 types every kenpo-sign crate meets, each written once: times,
//! strings, names and extensions, read from [`crate::der_span`] spans.
//!
//! (Named `asn1` rather than `der` so that it never shadows the `der` crate.)

pub mod extensions;
pub mod name;
pub mod string;
pub mod time;
