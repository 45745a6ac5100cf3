//! What a signature format's checks give the verdict: [`SignatureEvidence`], one per
//! signature, format-neutral.
//!
//! Validation is split in two. A format *adapter* reads its signature (CAdES:
//! [`crate::signature`], turned into evidence by `validate::cades`), makes the checks
//! only that format can make (attribute structure, which octets the signature and the
//! time-stamps cover) and records what it found as typed checks and facts. The verdict
//! (`validate::verdict`) then applies EN 319 102-1 to those facts alone: signing
//! certificate identification, cryptographic verification, signature acceptance
//! (profile), time-stamps and best-signature-time, algorithm sunsets, and the X.509
//! validation of the signer. It knows nothing of CMS.
//!
//! A PAdES or XAdES adapter plugs in the same way: it fills a [`SignatureEvidence`] per
//! signature (the signer certificate chosen among the candidates, whether the format's
//! signing-certificate reference binds it, the integrity of the signed data and of the
//! signature value, the claimed signing time, one [`TimestampEvidence`] per time-stamp —
//! PAdES document time-stamps as [`TimestampKind::Document`], XAdES archive time-stamps
//! as [`TimestampKind::Archive`] — what it embeds for long-term validation, and its own
//! structural [`SignatureEvidence::findings`]) and hands it to the same verdict.

use std::sync::Arc;

use kenpo_core::shared_cert::SharedCert;
use time::OffsetDateTime;

use crate::report::{CheckReport, TimestampFinding};

/// Which kind of time-stamp a [`TimestampEvidence`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimestampKind {
    /// Signature time-stamp (CAdES id-aa-signatureTimeStampToken), over the signature value.
    Signature,
    /// Content time-stamp (CAdES id-aa-ets-contentTimestamp), over the content.
    Content,
    /// CAdES archive-time-stamp v2 (id-aa-ets-archiveTimestampV2).
    ArchiveV2,
    /// CAdES archive-time-stamp v3 (id-aa-ets-archiveTimestampV3).
    ArchiveV3,
    /// Another format's archive time-stamp (XAdES ArchiveTimeStamp).
    Archive,
    /// A document time-stamp (PAdES DocTimeStamp).
    Document,
}

impl TimestampKind {
    /// Short name (`signature`, `content`, `archive-v2`, `archive-v3`, `archive`,
    /// `document`), as in the check name `timestamp:<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Content => "content",
            Self::ArchiveV2 => "archive-v2",
            Self::ArchiveV3 => "archive-v3",
            Self::Archive => "archive",
            Self::Document => "document",
        }
    }

    /// What the time-stamp does (`signature`, `content`, `archive`, `document`): the
    /// `type` of the report's time-stamp list.
    pub fn role(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Content => "content",
            Self::ArchiveV2 | Self::ArchiveV3 | Self::Archive => "archive",
            Self::Document => "document",
        }
    }

    /// An archive time-stamp (of any format).
    pub fn is_archive(self) -> bool {
        matches!(self, Self::ArchiveV2 | Self::ArchiveV3 | Self::Archive)
    }
}

/// One embedded time-stamp token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampEvidence {
    /// Which kind.
    pub kind: TimestampKind,
    /// genTime, when the TSTInfo could be read.
    pub gen_time: Option<OffsetDateTime>,
    /// The token verifies (its TSA path included) and its imprint was checked and matches
    /// (an imprint that cannot be checked leaves the time-stamp not intact).
    pub intact: bool,
    /// The token's own signature and structure verify.
    pub token_intact: bool,
    /// Whether the imprint matches what it must cover; `None` when not checked (content
    /// or its digest not available, archive time-stamp of a countersignature).
    pub imprint_intact: Option<bool>,
    /// Archive time-stamps that index what they cover (CAdES ATSv3: the
    /// ats-hash-index(-v3), see [`crate::archive::check_ats_v3`]): every entry corresponds
    /// to something present now; `None` for other kinds.
    pub hash_index_valid: Option<bool>,
    /// The TSA path validation, when the validator checked the path beyond genTime
    /// (`kenpo_tsa::TsaCertValidator::checked_until`): until when, and whether it held.
    pub tsa_path: Option<TsaPathCheck>,
    /// SHA-256 of the trust anchor the TSA path ended at, when the token verifies (a
    /// policy's accepted TSA anchors).
    pub tsa_anchor_sha256: Option<[u8; 32]>,
    /// What was found (rendered only at output).
    pub detail: TimestampFinding,
}

/// A TSA path validation returned with its token's evidence (see
/// [`TimestampEvidence::tsa_path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsaPathCheck {
    /// The time up to which the path had to hold.
    pub checked_until: OffsetDateTime,
    /// Whether it did.
    pub passed: bool,
}

/// The signed data's integrity: does what the signature covers still hash to what it
/// signed?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataIntegrity {
    /// It does.
    Intact,
    /// It does not (HASH_FAILURE).
    Broken,
    /// Not checkable: the (detached) content was not given.
    ContentMissing,
    /// Not checkable for another reason (the reference to it is missing or malformed, or
    /// its algorithm is unknown).
    NotCheckable,
}

/// The signature value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureValue {
    /// It verifies with the signer certificate's key over what it must cover.
    Intact,
    /// It was checked and does not verify (or its algorithms were substituted).
    Broken,
    /// It could not be checked: the certificate, an algorithm or the signed data is
    /// missing, or an algorithm is not supported (see
    /// [`SignatureEvidence::unsupported_algorithm`]).
    NotCheckable,
}

/// What a signature embeds for long-term validation.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddedData<'a> {
    /// Certificates carried (path-building candidates, never anchors).
    pub certificates: &'a [&'a [u8]],
    /// CRLs carried (DER).
    pub crls: &'a [Vec<u8>],
    /// OCSP responses carried (DER).
    pub ocsp_responses: &'a [Vec<u8>],
    /// This signature has validation data (needed for B-LT).
    pub validation_data: bool,
}

/// Everything the verdict needs to know about one signature (see the module docs).
#[derive(Debug, Clone)]
pub struct SignatureEvidence<'a> {
    /// The signer certificate, chosen by the adapter among the candidates that match the
    /// signer's identifier (preferring the one the signing-certificate reference names).
    pub signer_cert: Option<Arc<SharedCert>>,
    /// The format's signing-certificate reference names the signer certificate; `None`
    /// when there is no such reference (or no signer certificate).
    pub signing_cert_bound: Option<bool>,
    /// The signed data's integrity.
    pub data: DataIntegrity,
    /// The signature value.
    pub signature_value: SignatureValue,
    /// An algorithm the signature uses that this build cannot check (named): the
    /// signature is then neither intact nor broken but unchecked.
    pub unsupported_algorithm: Option<String>,
    /// The format's structure is broken (a required attribute absent or malformed, a
    /// malformed algorithm identifier): FORMAT_FAILURE.
    pub format_failure: bool,
    /// The claimed signing time.
    pub signing_time: Option<OffsetDateTime>,
    /// Every time-stamp, in the format's order.
    pub timestamps: Vec<TimestampEvidence>,
    /// What the signature embeds.
    pub embedded: EmbeddedData<'a>,
    /// The format's own checks, in order; the report lists them first.
    pub findings: Vec<CheckReport>,
}
