//! # kenpo-verify — validation and long-term preservation
//!
//! Validates CAdES/CMS signatures and certificates per ETSI EN 319 102-1 v1.4.1 and keeps
//! them valid for the retention period:
//! [`path`] (RFC 5280 path building and validation, revocation of every non-anchor
//! certificate through `kenpo-revocation`), [`signature`] (cryptographic checks of CMS
//! signatures and their time-stamps), [`archive`] (archive time-stamp imprints: ATSv3 with
//! ats-hash-index-v3, legacy ATSv2), [`validate`] (basic validation and validation with
//! time, giving EN 319 102-1 indications; [`validate::Verifier`] for many files),
//! [`report`] (versioned JSON and Japanese/English text), [`policy`] (declared validation
//! policies: `default`, `rule27-sign`, `rule27-archive`, policy files), [`lt`] (extension to B-LT and
//! B-LTA, renewal), [`sunset`] (algorithm sunset dates, ETSI TS 119 312), [`plan`] (when
//! each archive must be renewed), [`batch`] (verify, time-stamp and archive whole folders)
//! and [`inspect`](mod@inspect) (structure of a file, without validation).
//!
//! ## Where to start
//!
//! The crate root re-exports the main API; the modules hold the rest. What verifications
//! work out is kept in a caller-owned [`Context`], never by the process.
//!
//! * Verifying: [`verify_signature`] with a [`VerifyRequest`] for one file, or a
//!   [`Verifier`] built once from [`VerifyOptions`] for many ([`Detached`] content as a
//!   file or bytes); [`verify_certificate`] with a [`CertRequest`] for a certificate.
//!   [`RevocationMode`] says how hard revocation status must be established.
//! * The verdict: a [`Report`] (one [`SignatureReport`] per signer with its
//!   [`CheckReport`]s and [`Outcome`]s; [`CertReport`] for certificates), rendered as
//!   JSON or text in a [`Lang`], under a validation [`Policy`].
//! * Preserving: [`extend`] with [`ExtendOptions`] to a [`Target`] (B-LT, B-LTA, renewal),
//!   giving [`Extended`].
//! * Looking inside a file without validating it: [`inspect()`].
//!
//! The options structs are `#[non_exhaustive]`: start from `default()` or `new(…)` and
//! chain the `with_*` setters.
//!
//! ```no_run
//! use kenpo_verify::{RevocationMode, Verifier, VerifyOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(
//!     VerifyOptions::default()
//!         .with_anchors(vec![std::fs::read("root-ca.pem")?])
//!         .with_crls(vec![std::fs::read("ca.crl")?])
//!         .with_revocation(RevocationMode::Require),
//! );
//! let report = verifier.verify(&std::fs::read("a.p7s")?, Some("a.xml".as_ref()))?;
//! println!("{}", report.indication);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod archive;
pub mod batch;
mod context;
pub mod inspect;
pub mod lt;
pub mod path;
pub mod plan;
pub mod policy;
pub mod report;
pub mod signature;
pub mod sunset;
pub mod validate;

pub use context::Context;
pub use inspect::{InspectError, Inspection, inspect};
pub use lt::{ExtendError, ExtendOptions, Extended, Target, extend};
pub use policy::Policy;
pub use report::{
    CertIndication, CertReport, CheckKind, CheckReport, Lang, Outcome, Report, SignatureReport,
    SignerReport, TimestampReport,
};
pub use validate::{
    CertRequest, Detached, RevocationMode, Verifier, VerifyError, VerifyOptions, VerifyRequest,
    verify_certificate, verify_signature,
};

mod options;

/// A DER object (a certificate) as a set or map key: hashed by its length and last 64
/// octets, compared in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByTail<'a>(pub(crate) &'a [u8]);

impl std::hash::Hash for ByTail<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_usize(self.0.len());
        h.write(
            self.0
                .get(self.0.len().saturating_sub(64)..)
                .unwrap_or_default(),
        );
    }
}

/// Main indication of a validation (EN 319 102-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indication {
    /// The signature passed every check.
    TotalPassed,
    /// A check failed in a way no further information can fix.
    TotalFailed,
    /// The checks could not conclude.
    Indeterminate,
}

/// Sub-indications (EN 319 102-1 §5.1.3, table 5), named as the standard names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types, missing_docs)]
pub enum SubIndication {
    FORMAT_FAILURE,
    HASH_FAILURE,
    SIG_CRYPTO_FAILURE,
    REVOKED,
    SIG_CONSTRAINTS_FAILURE,
    CHAIN_CONSTRAINTS_FAILURE,
    CERTIFICATE_CHAIN_GENERAL_FAILURE,
    CRYPTO_CONSTRAINTS_FAILURE,
    EXPIRED,
    NOT_YET_VALID,
    POLICY_PROCESSING_ERROR,
    SIGNATURE_POLICY_NOT_AVAILABLE,
    TIMESTAMP_ORDER_FAILURE,
    NO_SIGNING_CERTIFICATE_FOUND,
    NO_CERTIFICATE_CHAIN_FOUND,
    REVOKED_NO_POE,
    REVOKED_CA_NO_POE,
    OUT_OF_BOUNDS_NO_POE,
    OUT_OF_BOUNDS_NOT_REVOKED,
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    NO_POE,
    TRY_LATER,
    SIGNED_DATA_NOT_FOUND,
}

impl Indication {
    /// The standard name: `TOTAL_PASSED`, `TOTAL_FAILED` or `INDETERMINATE`.
    pub fn name(self) -> &'static str {
        match self {
            Self::TotalPassed => "TOTAL_PASSED",
            Self::TotalFailed => "TOTAL_FAILED",
            Self::Indeterminate => "INDETERMINATE",
        }
    }

    /// Severity for "worst of": TOTAL_FAILED (2) > INDETERMINATE (1) > TOTAL_PASSED (0).
    pub fn severity(self) -> u8 {
        match self {
            Self::TotalPassed => 0,
            Self::Indeterminate => 1,
            Self::TotalFailed => 2,
        }
    }
}

impl std::fmt::Display for Indication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Indication {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl SubIndication {
    /// The standard name (EN 319 102-1 table 5), e.g. `HASH_FAILURE`.
    pub fn name(self) -> &'static str {
        match self {
            Self::FORMAT_FAILURE => "FORMAT_FAILURE",
            Self::HASH_FAILURE => "HASH_FAILURE",
            Self::SIG_CRYPTO_FAILURE => "SIG_CRYPTO_FAILURE",
            Self::REVOKED => "REVOKED",
            Self::SIG_CONSTRAINTS_FAILURE => "SIG_CONSTRAINTS_FAILURE",
            Self::CHAIN_CONSTRAINTS_FAILURE => "CHAIN_CONSTRAINTS_FAILURE",
            Self::CERTIFICATE_CHAIN_GENERAL_FAILURE => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            Self::CRYPTO_CONSTRAINTS_FAILURE => "CRYPTO_CONSTRAINTS_FAILURE",
            Self::EXPIRED => "EXPIRED",
            Self::NOT_YET_VALID => "NOT_YET_VALID",
            Self::POLICY_PROCESSING_ERROR => "POLICY_PROCESSING_ERROR",
            Self::SIGNATURE_POLICY_NOT_AVAILABLE => "SIGNATURE_POLICY_NOT_AVAILABLE",
            Self::TIMESTAMP_ORDER_FAILURE => "TIMESTAMP_ORDER_FAILURE",
            Self::NO_SIGNING_CERTIFICATE_FOUND => "NO_SIGNING_CERTIFICATE_FOUND",
            Self::NO_CERTIFICATE_CHAIN_FOUND => "NO_CERTIFICATE_CHAIN_FOUND",
            Self::REVOKED_NO_POE => "REVOKED_NO_POE",
            Self::REVOKED_CA_NO_POE => "REVOKED_CA_NO_POE",
            Self::OUT_OF_BOUNDS_NO_POE => "OUT_OF_BOUNDS_NO_POE",
            Self::OUT_OF_BOUNDS_NOT_REVOKED => "OUT_OF_BOUNDS_NOT_REVOKED",
            Self::CRYPTO_CONSTRAINTS_FAILURE_NO_POE => "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
            Self::NO_POE => "NO_POE",
            Self::TRY_LATER => "TRY_LATER",
            Self::SIGNED_DATA_NOT_FOUND => "SIGNED_DATA_NOT_FOUND",
        }
    }
}

impl std::fmt::Display for SubIndication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for SubIndication {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The library examples of the workspace README (signing, time-stamping, preserving and
/// verifying with revocation required), compiled as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
