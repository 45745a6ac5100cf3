//! Why a signature was not made.

use std::path::PathBuf;

use kenpo_core::cms::CmsError;
use kenpo_tsa::client::ClientError;
use time::OffsetDateTime;

use crate::Level;
use crate::audit::AuditError;
use crate::profile::ProfileError;

fn t(t: &OffsetDateTime) -> String {
    kenpo_core::timefmt::rfc3339(*t)
}

fn reason_text(r: &Option<u8>) -> String {
    match r {
        Some(code) => format!(", reason {}", crl_reason_name(*code)),
        None => String::new(),
    }
}

/// RFC 5280 §5.3.1 CRLReason name.
pub fn crl_reason_name(code: u8) -> String {
    match code {
        0 => "unspecified".into(),
        1 => "keyCompromise".into(),
        2 => "cACompromise".into(),
        3 => "affiliationChanged".into(),
        4 => "superseded".into(),
        5 => "cessationOfOperation".into(),
        6 => "certificateHold".into(),
        8 => "removeFromCRL".into(),
        9 => "privilegeWithdrawn".into(),
        10 => "aACompromise".into(),
        other => format!("code {other}"),
    }
}

/// Why signing failed. Nothing was written when any of these is returned.
///
/// [`SignError::is_refusal`] separates refusals for a stated reason (the certificate or
/// the signer's status does not allow the signature) from operational errors (files, TSA
/// unreachable, token failures).
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The signer certificate does not fit the profile.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The signer certificate cannot be parsed.
    #[error("signer certificate cannot be read: {0}")]
    Certificate(String),
    /// The private key does not belong to the signer certificate.
    #[error("the private key does not match the signer certificate's public key")]
    KeyMismatch,
    /// The signer certificate has expired.
    #[error("signer certificate expired at {} (now {})", t(.not_after), t(.now))]
    Expired {
        /// notAfter.
        not_after: OffsetDateTime,
        /// The signing time used.
        now: OffsetDateTime,
    },
    /// The signer certificate is not yet valid.
    #[error("signer certificate not valid before {} (now {})", t(.not_before), t(.now))]
    NotYetValid {
        /// notBefore.
        not_before: OffsetDateTime,
        /// The signing time used.
        now: OffsetDateTime,
    },
    /// The signature algorithm cannot be used (SHA-1, or not fitting the key).
    #[error("signature algorithm {algorithm} cannot be used: {reason}")]
    Algorithm {
        /// The algorithm asked for.
        algorithm: String,
        /// Why not.
        reason: String,
    },
    /// The level cannot be created by this function (B-LT/B-LTA are made by extension).
    #[error("level {} cannot be created at signing time; sign B-T and extend it", super::level_name(*.0))]
    UnsupportedLevel(Level),
    /// B-T or a content time-stamp was asked for without a TSA configuration.
    #[error("a time-stamp is required but no TSA is configured")]
    NoTsa,
    /// Attached output was asked for but only a digest was given.
    #[error("attached output needs the content, not only its digest")]
    AttachedWithoutContent,
    /// No TSA issued a valid time-stamp (all configured URLs were tried in order).
    #[error("time-stamp: {0}")]
    TsaFailed(#[source] ClientError),
    /// Rule 27-1(3): the signer certificate is not within its validity at genTime.
    #[error(
        "rule 27-1(3): signer certificate not valid at the time-stamp's genTime {} (valid {} … {})",
        t(.gen_time), t(.not_before), t(.not_after)
    )]
    NotValidAtGenTime {
        /// genTime of the signature time-stamp.
        gen_time: OffsetDateTime,
        /// notBefore.
        not_before: OffsetDateTime,
        /// notAfter.
        not_after: OffsetDateTime,
    },
    /// Rule 27-1(3): the signer certificate was revoked at or before genTime.
    #[error(
        "rule 27-1(3): signer certificate revoked at {}{} (time-stamp genTime {}; source {origin})",
        t(.revoked_at), reason_text(.reason), t(.gen_time)
    )]
    RevokedAtGenTime {
        /// genTime of the signature time-stamp.
        gen_time: OffsetDateTime,
        /// revocationDate.
        revoked_at: OffsetDateTime,
        /// CRLReason code.
        reason: Option<u8>,
        /// Where the revocation information came from.
        origin: String,
    },
    /// B-B with a revocation checker: the signer certificate is revoked now.
    #[error(
        "signer certificate revoked at {}{} (source {origin})",
        t(.revoked_at), reason_text(.reason)
    )]
    Revoked {
        /// The time checked (the signing time).
        at: OffsetDateTime,
        /// revocationDate.
        revoked_at: OffsetDateTime,
        /// CRLReason code.
        reason: Option<u8>,
        /// Where the revocation information came from.
        origin: String,
    },
    /// Building or signing the CMS structure failed (includes key/token failures).
    #[error("signing failed: {0}")]
    Cms(#[from] CmsError),
    /// An attached document changed between hashing and copying it into the output.
    #[error("{path} changed while it was being signed")]
    DocumentChanged {
        /// The document.
        path: PathBuf,
    },
    /// The content is too large for this platform's lengths.
    #[error("content of {0} bytes is too large to encode")]
    TooLarge(u64),
    /// The PDF to sign cannot be read or updated (PAdES).
    #[error("PDF: {0}")]
    Pdf(#[from] kenpo_pdf::PdfError),
    /// The XML document to sign cannot be read, or the signature cannot be placed in it
    /// (XAdES).
    #[error("XML: {0}")]
    Xml(#[from] kenpo_xml::XmlError),
    /// Reading the document or writing the output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (`reading claim.xml`).
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The audit log could not be written; the signature was discarded.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl SignError {
    /// True when signing was refused for a stated reason about the signer (profile,
    /// validity, key, revocation, algorithm): exit code 1 in the CLI. False for
    /// operational errors (I/O, TSA, audit): exit code 4.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Profile(_)
                | Self::Certificate(_)
                | Self::KeyMismatch
                | Self::Expired { .. }
                | Self::NotYetValid { .. }
                | Self::Algorithm { .. }
                | Self::UnsupportedLevel(_)
                | Self::NotValidAtGenTime { .. }
                | Self::RevokedAtGenTime { .. }
                | Self::Revoked { .. }
        )
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
