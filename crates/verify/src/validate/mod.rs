//! EN 319 102-1 (v1.4.1) verdicts: basic signature validation plus validation with time,
//! for CAdES signatures ([`verify_signature`]) and single certificates
//! ([`verify_certificate`]).
//!
//! Per signature, in the order of the standard's building blocks: format, signing
//! certificate identification (and its signing-certificate(-v2) binding), cryptographic
//! verification (message digest, signature value), signature acceptance (the
//! `--profile` rules), then X.509 certificate validation of the signer at the
//! *best-signature-time* — the earliest genTime of a valid signature time-stamp (its TSA
//! chain validated at genTime), else the validation time — with revocation. A TOTAL_FAILED
//! finding wins over an INDETERMINATE one; among equals the earliest building block wins.
//!
//! Trust comes only from [`VerifyRequest::anchors`]: certificates inside the signature are
//! path-building candidates, never anchors.

mod attachments;
mod cades;
mod cert;
mod embedded;
pub(crate) mod evidence;
mod pades;
mod pades_doc_ts;
mod pades_mdp;
mod pades_sha1;
mod profiles;
mod tsa_time;
mod verdict;
mod verifier;
pub(crate) mod xades;
mod xades_manifest;

pub use attachments::{Attachments, MAX_ATTACHMENTS, xml_attachments};
pub use cert::verify_certificate;
pub use evidence::{
    DataIntegrity, EmbeddedData, SignatureEvidence, SignatureValue, TimestampEvidence,
    TimestampKind, TsaPathCheck,
};
pub use pades::{
    DocumentTimestampFacts, PdfSignatureFacts, PdfVerification, is_pdf_file, verify_pdf,
    verify_pdf_under,
};
pub use pades_mdp::Modification;
pub(crate) use profiles::ProfileMemo;
pub use verifier::{Detached, Verifier, VerifyOptions};

use std::path::{Path, PathBuf};

use kenpo_revocation::Checker;
use kenpo_revocation::fetch::AllowedOrigin;
use kenpo_sign::Profile;
use time::OffsetDateTime;

use crate::path::{self, PathValidator, ValidationOptions};
use crate::report::{
    CheckKind, CheckReport, Report, SCHEMA_VERSION, SignatureReport, SignerReport,
};
use crate::{Indication, SubIndication};

/// Name of the validation policy, reported in every [`Report`].
pub const POLICY_NAME: &str = "kenpo-sign default (EN 319 102-1 v1.4.1, DSS default constraints)";

/// How an unknown revocation status is treated (`--revocation`).
///
/// The default is [`RevocationMode::Hard`]: the DSS default policy FAILs "revocation data
/// available" for signing, CA and TSA certificates, which EN 319 102-1 reports as
/// INDETERMINATE/TRY_LATER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationMode {
    /// Unknown status is a failed but non-fatal check; the verdict can still pass.
    Soft,
    /// Unknown status of any certificate on a path gives INDETERMINATE/TRY_LATER.
    #[default]
    Hard,
    /// As [`RevocationMode::Hard`], and additionally INDETERMINATE/TRY_LATER up front when
    /// there is no revocation data source at all (no CRL or OCSP response supplied or
    /// embedded, and offline).
    Require,
}

impl RevocationMode {
    /// `soft`, `hard`, `require` (as on the command line).
    pub fn name(self) -> &'static str {
        match self {
            Self::Soft => "soft",
            Self::Hard => "hard",
            Self::Require => "require",
        }
    }

    pub(crate) fn path_mode(self) -> path::RevocationMode {
        match self {
            Self::Soft => path::RevocationMode::Soft,
            Self::Hard | Self::Require => path::RevocationMode::Hard,
        }
    }
}

/// What to verify and with what.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyRequest<'a> {
    /// The signature: CMS ContentInfo, DER, BER or PEM.
    pub signature: &'a [u8],
    /// Detached content file.
    pub content: Option<&'a Path>,
    /// Trust anchors (DER or PEM certificates); the only source of trust.
    pub anchors: Vec<Vec<u8>>,
    /// Extra certificates for path building (DER or PEM; never trusted).
    pub cert_store: Vec<Vec<u8>>,
    /// CRLs (DER or PEM).
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses (DER).
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Profile the signing certificate must meet.
    pub profile: Profile,
    /// Forbid network fetches.
    pub offline: bool,
    /// Directory where fetched CRLs and OCSP responses are kept between runs and read
    /// back while current (offline too); see `kenpo_revocation::Checker::with_cache_dir`.
    pub revocation_cache: Option<PathBuf>,
    /// The only hosts and ports fetched from (revocation data, issuer certificates), when
    /// not empty; see `kenpo_revocation::fetch`.
    pub fetch_allow: Vec<AllowedOrigin>,
    /// Validation time (default now).
    pub at: Option<OffsetDateTime>,
    /// Unknown-revocation handling.
    pub revocation: RevocationMode,
    /// The validation policy the verdict is given under ([`crate::policy`]); its
    /// revocation mode is not applied here (see [`VerifyOptions::with_policy`]).
    pub policy: crate::policy::Policy,
}

/// Operational errors (exit code 4); verdicts are never errors.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The detached content could not be read.
    #[error("cannot read the content file {}: {source}", path.display())]
    Content {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A certificate to validate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CertRequest<'a> {
    /// The certificate (DER or PEM).
    pub cert: &'a [u8],
    /// Intermediate candidates (DER or PEM).
    pub chain: Vec<Vec<u8>>,
    /// Trust anchors (DER or PEM).
    pub anchors: Vec<Vec<u8>>,
    /// CRLs (DER or PEM).
    pub crls: Vec<Vec<u8>>,
    /// Validation time (default now).
    pub at: Option<OffsetDateTime>,
    /// Forbid network fetches.
    pub offline: bool,
    /// Directory where fetched CRLs and OCSP responses are kept between runs and read
    /// back while current (offline too); see `kenpo_revocation::Checker::with_cache_dir`.
    pub revocation_cache: Option<PathBuf>,
    /// The only hosts and ports fetched from (revocation data, issuer certificates), when
    /// not empty; see `kenpo_revocation::fetch`.
    pub fetch_allow: Vec<AllowedOrigin>,
    /// Profile the certificate must meet.
    pub profile: Profile,
}

/// The current time, to the second (reports show whole seconds).
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Certificates from DER/PEM blobs (each may hold several PEM certificates); unreadable
/// blobs are dropped (they cannot build a path anyway).
pub(crate) fn certs_of(blobs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    blobs
        .iter()
        .flat_map(|b| kenpo_core::cert::certificates_from_pem_or_der(b).unwrap_or_default())
        .collect()
}

/// `v`, fetching missing issuer certificates from caIssuers URLs unless `offline`, only
/// from the hosts and ports of `allow` when it is not empty (the network policy of
/// `kenpo_revocation::fetch`). The HTTP client is built on the first fetch.
pub(crate) fn online(v: PathValidator, offline: bool, allow: &[AllowedOrigin]) -> PathValidator {
    if offline {
        return v;
    }
    let config = kenpo_revocation::FetchConfig::default().with_allow(allow.to_vec());
    v.with_ca_issuers_fetch(std::sync::Arc::new(kenpo_revocation::fetch::Fetcher::new(
        config,
    )))
}

/// `checker` fetching only from the hosts and ports of `allow`, when it is not empty.
pub(crate) fn with_allow(checker: Checker, allow: &[AllowedOrigin]) -> Checker {
    if allow.is_empty() {
        return checker;
    }
    checker.with_fetch_allow(allow.to_vec())
}

pub(crate) fn path_options(
    profile: Profile,
    at: OffsetDateTime,
    mode: path::RevocationMode,
) -> ValidationOptions {
    let mut o = match profile {
        Profile::Hpki => ValidationOptions::hpki_signature(at),
        Profile::Accredited | Profile::Any => ValidationOptions::at(at),
    };
    o.revocation_mode = mode;
    o
}

fn format_failure(at: OffsetDateTime, detail: String) -> Report {
    Report {
        indication: Indication::TotalFailed,
        sub_indication: Some(SubIndication::FORMAT_FAILURE),
        signatures: vec![SignatureReport {
            indication: Indication::TotalFailed,
            sub_indication: Some(SubIndication::FORMAT_FAILURE),
            level: "B-B",
            format: "CAdES",
            signer: SignerReport::default(),
            signing_time: None,
            best_signature_time: at,
            timestamps: Vec::new(),
            checks: vec![CheckReport::new(CheckKind::Format, false, detail)],
            signer_profiles: Vec::new(),
            signer_validated_at: None,
            policy_unmet: Vec::new(),
        }],
        policy: POLICY_NAME.into(),
        validation_time: at,
        schema_version: SCHEMA_VERSION,
    }
}

/// Validates every signature of a CAdES/CMS signature (see the module docs).
///
/// Input that is not CMS SignedData gives `Ok` with TOTAL_FAILED/FORMAT_FAILURE; only an
/// unreadable content file is an error. For many files, build one [`Verifier`] and reuse it:
/// CRLs are then parsed once and fetched revocation data is shared.
pub fn verify_signature(req: &VerifyRequest<'_>) -> Result<Report, VerifyError> {
    Verifier::one_shot(req.options()).verify(req.signature, req.content)
}

/// `checker` with the revocation cache directory `dir`, if any.
pub(crate) fn with_cache(checker: Checker, dir: Option<&Path>) -> Checker {
    match dir {
        Some(d) => checker.with_cache_dir(d.to_path_buf()),
        None => checker,
    }
}
