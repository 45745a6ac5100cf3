//! # kenpo-core
//!
//! The foundation every other kenpo-sign crate builds on:
//!
//! * [`crypto`]: the one small crypto backend trait ("verify a signature", "sign a digest")
//!   with aws-lc-rs as the default implementation and the pure-Rust RustCrypto set behind
//!   the `rustcrypto` feature;
//! * [`alg`]: digest and signature algorithms and their `AlgorithmIdentifier` mapping;
//! * [`der_span`]: a tiny DER TLV reader that hands out spans of the original input;
//! * [`asn1`]: readers of ASN.1 times, strings, names and extensions, and [`pem`]: PEM armour;
//! * [`cms`]: a span-preserving view of CMS `SignedData` (signed or hashed bytes are
//!   always spans of the original input, never re-encoded) and a builder;
//! * [`ess`]: ESS signing-certificate attributes (RFC 2634, RFC 5035), with
//!   [`cert_cache`] keeping certificates, their hashes and keys for a verification context;
//! * [`oid`]: object identifiers, including HPKI ones;
//! * [`timefmt`]: conversions between ASN.1 times and RFC 3339;
//! * [`atomic`]: atomic output files under a lock, stale temporary files of killed runs
//!   swept, modes of replaced files kept.
#![forbid(unsafe_code)]

pub mod alg;
pub mod asn1;
pub mod atomic;
pub mod ber;
pub mod cert;
pub mod cert_cache;
pub mod cms;
pub mod crypto;
pub mod der_span;
pub mod ess;
pub mod memo;
pub mod oid;
pub mod pem;
pub mod shared_cert;
pub mod timefmt;
