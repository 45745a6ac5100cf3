//! # kenpo-revocation — is a certificate revoked at a given time?
//!
//! Revocation data for signing (rule 27-1(3): the signer must not be revoked at the
//! time-stamp's genTime), for verification and for B-LT augmentation: CRLs (RFC 5280) and
//! OCSP (RFC 6960), from supplied files, a cache, or the network.
//!
//! * [`crl`]: CRL parsing with spans, signature, RFC 5280 §6.3.3 scope (including the
//!   issuingDistributionPoint of HPKI ARLs, indirect CRLs with certificateIssuer entries,
//!   reason partitions), delta CRLs, O(1) lookup in lists of any length;
//! * [`ocsp`]: requests, responses, responder authorization (CA or delegated responder
//!   with id-kp-OCSPSigning);
//! * [`fetch`]: HTTP with timeouts and size limits (http/https only);
//! * [`names`]: general names, distribution points, name comparison;
//! * [`Checker`]: the [`RevocationCheck`] implementation combining them — supplied OCSP
//!   responses, supplied CRLs, OCSP via AIA, CRLs from the distribution points.
//!
//! ```no_run
//! use kenpo_revocation::{Checker, RevocationCheck, RevocationStatus};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let checker = Checker::new()
//!     .with_crls(vec![std::fs::read("medis-sign-ca2-2022-09.crl")?])
//!     .offline(true);
//! let at = kenpo_core::timefmt::parse_rfc3339("2022-09-08T00:00:00Z")?;
//! let status = checker.status_at(
//!     &std::fs::read("medis-test-signer-ee.cer")?,
//!     &std::fs::read("medis-sign-ca2.cer")?,
//!     at,
//! );
//! assert!(matches!(status, RevocationStatus::Good { .. }));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod asn1;
mod cache;
mod checker;
pub mod crl;
pub mod fetch;
mod links;
pub mod names;
pub mod ocsp;

pub use checker::{CheckReport, Checker, CrlSignerValidator, Evidence};
pub use crl::{Crl, CrlError};
pub use fetch::{FetchConfig, FetchError};
pub use links::LinkCache;
pub use ocsp::{OcspError, OcspRequest, OcspResponse};

use time::OffsetDateTime;

/// Clock skew tolerated by default when comparing times from other parties: 5 minutes.
pub const DEFAULT_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// Revocation status of one certificate at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not revoked at the time asked, according to `source`.
    Good {
        /// Where the answer came from (CRL URL or file, OCSP responder).
        source: String,
    },
    /// Revoked at or before the time asked.
    Revoked {
        /// revocationDate.
        time: OffsetDateTime,
        /// CRLReason code, when given.
        reason: Option<u8>,
        /// Where the answer came from.
        source: String,
    },
    /// No usable revocation data could be had; says why.
    Unknown {
        /// What was tried and why it did not answer.
        reason: String,
    },
}

/// RFC 5280 §5.3.1 name of a CRLReason code (`keyCompromise` …; `code N` for others).
pub fn crl_reason_name(code: u8) -> std::borrow::Cow<'static, str> {
    std::borrow::Cow::Borrowed(match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        other => return std::borrow::Cow::Owned(format!("code {other}")),
    })
}

/// `good (source)`, `revoked at 2026-11-22T03:25:00Z, reason keyCompromise (source)`,
/// `unknown: why`.
impl std::fmt::Display for RevocationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Good { source } => write!(f, "good ({source})"),
            Self::Revoked {
                time,
                reason,
                source,
            } => {
                write!(f, "revoked at {}", kenpo_core::timefmt::rfc3339(*time))?;
                if let Some(r) = reason {
                    write!(f, ", reason {}", crl_reason_name(*r))?;
                }
                write!(f, " ({source})")
            }
            Self::Unknown { reason } => write!(f, "unknown: {reason}"),
        }
    }
}

/// Something that can tell a certificate's revocation status at a time.
pub trait RevocationCheck: Send + Sync {
    /// Status of `cert` (DER), issued by `issuer` (DER), at `at`.
    fn status_at(&self, cert: &[u8], issuer: &[u8], at: OffsetDateTime) -> RevocationStatus;

    /// As [`RevocationCheck::status_at`] for a certificate on a certification path ending
    /// at `anchor` (DER): revocation data signed by another key than the issuer's (a
    /// separate CRL signer, an indirect CRL) must chain to that anchor (RFC 5280 §6.3.3
    /// (f)). The default ignores `anchor`.
    fn status_on_path(
        &self,
        cert: &[u8],
        issuer: &[u8],
        anchor: &[u8],
        at: OffsetDateTime,
    ) -> RevocationStatus {
        let _ = anchor;
        self.status_at(cert, issuer, at)
    }

    /// As [`RevocationCheck::status_at`] for certificates the caller has parsed already.
    /// The default passes their encodings to `status_at`.
    fn status_at_parsed(
        &self,
        cert: &kenpo_core::cert::CertRef<'_>,
        issuer: &kenpo_core::cert::CertRef<'_>,
        at: OffsetDateTime,
    ) -> RevocationStatus {
        self.status_at(cert.raw, issuer.raw, at)
    }

    /// As [`RevocationCheck::status_on_path`] for certificates the caller has parsed
    /// already (path validation has): an implementation may skip parsing them again.
    /// `budget` is the enclosing path validation's: CRL-signer validations made for this
    /// answer spend from it and are nested in it ([`CrlSignerValidator`]). The default
    /// passes their encodings to `status_on_path`.
    fn status_on_path_parsed(
        &self,
        cert: &kenpo_core::cert::CertRef<'_>,
        issuer: &kenpo_core::cert::CertRef<'_>,
        anchor: &[u8],
        at: OffsetDateTime,
        budget: &mut Budget,
    ) -> RevocationStatus {
        let _ = budget;
        self.status_on_path(cert.raw, issuer.raw, anchor, at)
    }
}

/// What a path validation may still spend, handed down as `&mut` to the validations nested
/// in it (a CRL signer's path, whose CRL may have its own signer …), as rustls-webpki does:
/// signature checks left, and the CRL signers whose validation is in progress further up
/// (a CRL covering its own signer is then accepted for it, and nesting is bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Signature verifications left.
    pub signature_checks: usize,
    /// The CRL signer certificates (DER) being validated, outermost first.
    pub crl_signers: Vec<Vec<u8>>,
}

impl Budget {
    /// `signature_checks` verifications, no CRL-signer validation in progress.
    pub fn new(signature_checks: usize) -> Self {
        Self {
            signature_checks,
            crl_signers: Vec::new(),
        }
    }
}

/// 64 signature checks (a path validation's default).
impl Default for Budget {
    fn default() -> Self {
        Self::new(64)
    }
}

/// What one CRL or OCSP response, already verified and in scope, says about a certificate
/// at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// Not revoked at that time (possibly revoked later).
    NotRevoked,
    /// Revoked at or before that time.
    Revoked {
        /// revocationDate / revocationTime.
        time: OffsetDateTime,
        /// CRLReason code, when given.
        reason: Option<u8>,
    },
}
