//! Long-term signatures: extension to CAdES B-LT and B-LTA (ETSI EN 319 122-1) and
//! renewal of archive time-stamps (rule 27-2).
//!
//! [`extend`] takes a signature that is valid now and
//! 1. adds a signature time-stamp when there is none (B-B → B-T);
//! 2. **B-LT**: gathers, for the signer's path at the signature time-stamp's genTime and for
//!    the path of every time-stamp's TSA, all certificates and one revocation answer per
//!    non-anchor certificate — OCSP where the certificate names a responder, else a CRL —
//!    issued after that genTime (otherwise [`ExtendError::TryLater`]), and embeds them in
//!    `SignedData.certificates` and `SignedData.crls` (OCSP responses as
//!    `RevocationInfoChoice` *other*, `id-ri-ocsp-response`);
//! 3. **B-LTA**: adds an archive-time-stamp-v3 (`0.4.0.1733.2.4`) whose token carries the
//!    ats-hash-index-v3 (`0.4.0.19122.1.5`), computed over the original bytes
//!    ([`crate::archive`]), then embeds the validation data of that time-stamp's TSA path
//!    (not covered by it, which ATSv3 allows) so the file verifies offline;
//! 4. **renewal** (`B-LTA` → `B-LTA`): validation data for the newest archive time-stamp's
//!    TSA path, issued after its genTime, then a new ATSv3 covering everything.
//!
//! Nothing already signed or hashed is re-encoded: content, signed attributes, signature
//! value and earlier unsigned attributes stay byte-identical (checked before returning),
//! and the result must verify with the same options, or nothing is returned.
//!
//! [`extend_pdf`] does the same for PAdES (incremental updates) and [`extend_xml`] for
//! XAdES (unsigned signature properties inserted, every other byte in place).

mod ctx;
mod error;
mod gather;
mod guard;
mod legacy;
mod pdf;
mod stamp;
mod xml;

use std::path::{Path, PathBuf};

use kenpo_core::ber;
use kenpo_core::cms::SignedDataView;
use kenpo_core::oid;
use kenpo_sign::Profile;
use kenpo_tsa::client::{BlockingTsaClient, ClientConfig};
use time::OffsetDateTime;

pub(crate) use ctx::has;
use ctx::{Counts, Ctx};
pub use error::ExtendError;
use guard::check_preserved;
pub use pdf::{ExtendedPdf, document_timestamp, extend_pdf};
use stamp::{add_archive_time_stamps, add_signature_time_stamps};
pub use xml::{ExtendedXml, extend_xml};

use crate::policy::Requirement;
use crate::report::Report;
use crate::validate::{RevocationMode, Verifier, VerifyOptions};
use crate::{Indication, SubIndication};

/// The level to extend to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// CAdES B-LT: validation data embedded.
    BLt,
    /// CAdES B-LTA: validation data and an archive time-stamp (renewal when already B-LTA).
    BLta,
}

/// How to extend.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExtendOptions {
    /// Target level.
    pub to: Target,
    /// TSAs for the archive time-stamp (and a signature time-stamp when missing).
    pub tsa: Option<ClientConfig>,
    /// Trust anchors (DER or PEM); the signature must validate to one of them.
    pub anchors: Vec<Vec<u8>>,
    /// Extra certificates for path building (DER or PEM).
    pub cert_store: Vec<Vec<u8>>,
    /// CRLs to use besides fetched ones (DER or PEM).
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses to use besides fetched ones (DER).
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Profile the signing certificate must meet.
    pub profile: Profile,
    /// Forbid network fetches of revocation data (the TSA is still contacted).
    pub offline: bool,
    /// Also add the legacy certificate-values / revocation-values unsigned attributes
    /// (TS 101 733 CAdES-X-Long, for JIS X 5092-era receivers) when validation data is
    /// first embedded (no archive time-stamp yet).
    pub legacy_values: bool,
    /// Directory where fetched CRLs and OCSP responses are kept between runs, used for the
    /// verification before extending (data to embed is always fetched fresh, as it must be
    /// issued after the signature time-stamp).
    pub revocation_cache: Option<PathBuf>,
    /// The only hosts and ports fetched from (revocation data, issuer certificates), when
    /// not empty; see `kenpo_revocation::fetch`. The TSAs are contacted whatever it says.
    pub fetch_allow: Vec<kenpo_revocation::fetch::AllowedOrigin>,
    /// A validation policy the signature must meet to be preserved (`None`: only valid
    /// now). The input must meet the requirements an extension cannot supply (the
    /// signer's profile, its validity at the signature time-stamp, accepted TSAs), and the
    /// result all of them, or nothing is returned ([`ExtendError::Policy`]).
    pub policy: Option<crate::policy::Policy>,
}

impl ExtendOptions {
    /// Extension to `to` with the given TSA and anchors, everything else default.
    pub fn new(to: Target, tsa: Option<ClientConfig>, anchors: Vec<Vec<u8>>) -> Self {
        Self {
            to,
            tsa,
            anchors,
            cert_store: Vec::new(),
            crls: Vec::new(),
            ocsp_responses: Vec::new(),
            profile: Profile::Any,
            offline: false,
            legacy_values: false,
            revocation_cache: None,
            fetch_allow: Vec::new(),
            policy: None,
        }
    }

    fn verify_options(&self) -> VerifyOptions {
        VerifyOptions {
            anchors: self.anchors.clone(),
            cert_store: self.cert_store.clone(),
            crls: self.crls.clone(),
            ocsp_responses: self.ocsp_responses.clone(),
            profile: self.profile,
            offline: self.offline,
            revocation_cache: self.revocation_cache.clone(),
            fetch_allow: self.fetch_allow.clone(),
            at: None,
            revocation: RevocationMode::Hard,
            policy: crate::policy::Policy::default(),
        }
    }
}

/// An extended signature.
#[derive(Debug, Clone)]
pub struct Extended {
    /// The new ContentInfo (DER).
    pub der: Vec<u8>,
    /// `B-LT` or `B-LTA`.
    pub level: &'static str,
    /// Certificates added to SignedData.certificates.
    pub added_certificates: usize,
    /// CRLs added to SignedData.crls.
    pub added_crls: usize,
    /// OCSP responses added to SignedData.crls.
    pub added_ocsp_responses: usize,
    /// genTime of the signature time-stamp added (B-B input), if any.
    pub signature_time_stamp: Option<OffsetDateTime>,
    /// genTime of the archive time-stamp added, if any.
    pub archive_time_stamp: Option<OffsetDateTime>,
    /// Remarks (e.g. validation data of the new archive time-stamp that could not be had).
    pub notes: Vec<String>,
    /// The verification of the result.
    pub report: Report,
}

/// Extends `signature` (DER, BER or PEM) — see the module docs. `content` is the detached
/// content, needed for B-LTA of a detached signature.
pub fn extend(
    signature: &[u8],
    content: Option<&Path>,
    opts: &ExtendOptions,
) -> Result<Extended, ExtendError> {
    let der = ber::to_der(&kenpo_core::pem::der_of(signature))
        .map_err(|e| ExtendError::Format(e.to_string()))?
        .into_owned();
    let original = der.clone();
    let sd = SignedDataView::parse(&der).map_err(|e| ExtendError::Format(e.to_string()))?;
    if sd.signer_infos.is_empty() {
        return Err(ExtendError::Format(
            "the SignedData has no SignerInfo".into(),
        ));
    }
    let archived = sd
        .signer_infos
        .iter()
        .any(|si| has(si, oid::ATTR_ARCHIVE_TIME_STAMP_V3));
    if sd
        .signer_infos
        .iter()
        .any(|si| has(si, oid::ATTR_ARCHIVE_TIME_STAMP_V2))
    {
        return Err(ExtendError::LegacyArchive);
    }
    if archived && opts.to == Target::BLt {
        return Err(ExtendError::AlreadyArchived);
    }
    if sd.econtent.is_none() && content.is_none() && opts.to == Target::BLta {
        return Err(ExtendError::NeedsContent);
    }
    drop(sd);

    let verifier = Verifier::new(opts.verify_options());
    let before = verifier.verify(&der, content).map_err(content_error)?;
    require_valid(&before)?;
    if let Some(policy) = &opts.policy {
        require_policy(policy, &before, |r| {
            !matches!(
                r,
                Requirement::Level { .. }
                    | Requirement::SignatureTimestamp
                    | Requirement::ArchiveTimestamp
            )
        })?;
    }

    let client = match &opts.tsa {
        Some(c) => Some(BlockingTsaClient::new(c.clone())?),
        None => None,
    };
    let ctx = Ctx::new(opts);
    let mut notes = Vec::new();

    // 1. Signature time-stamps where missing.
    let (mut der, signature_time_stamp) = add_signature_time_stamps(der, client.as_ref())?;

    // 2. Validation data for what the newest proof of existence must protect.
    let gathered = ctx.validation_data(&der, &before)?;
    let legacy = if opts.legacy_values && !archived {
        Some(legacy::attributes(&gathered)?)
    } else {
        None
    };
    let mut counts = Counts::default();
    der = counts.embed(&der, gathered)?;
    if let Some(attrs) = legacy {
        let n = SignedDataView::parse(&der)
            .map_err(|e| ExtendError::Build(e.to_string()))?
            .signer_infos
            .len();
        let aug = kenpo_core::cms::Augmentation {
            unsigned_attrs: (0..n).map(|i| (i, attrs.clone())).collect(),
            ..Default::default()
        };
        der = kenpo_core::cms::augment(&der, &aug)?;
    }

    // 3. Archive time-stamp and its own validation data.
    let mut archive_time_stamp = None;
    if opts.to == Target::BLta {
        let client = client
            .as_ref()
            .ok_or(ExtendError::NoTsa("add an archive time-stamp"))?;
        let (with_ats, ts) = add_archive_time_stamps(&der, content, client)?;
        der = with_ats;
        archive_time_stamp = Some(ts.gen_time());
        match ctx.token_data(&ts.token_der, ts.gen_time(), None) {
            Ok(g) => der = counts.embed(&der, g)?,
            Err(e) => notes.push(format!(
                "validation data for the new archive time-stamp not embedded ({e}); it is gathered at the next renewal"
            )),
        }
    }

    check_preserved(&original, &der)?;
    let report = verifier.verify(&der, content).map_err(content_error)?;
    if report.indication != Indication::TotalPassed {
        return Err(ExtendError::Guard(format!(
            "the extended signature does not verify: {}{}",
            report.indication,
            report
                .sub_indication
                .map(|s| format!("/{s}"))
                .unwrap_or_default()
        )));
    }
    if let Some(policy) = &opts.policy {
        require_policy(policy, &report, |_| true)?;
    }
    Ok(Extended {
        der,
        level: match opts.to {
            Target::BLt => "B-LT",
            Target::BLta => "B-LTA",
        },
        added_certificates: counts.certs,
        added_crls: counts.crls,
        added_ocsp_responses: counts.ocsp,
        signature_time_stamp,
        archive_time_stamp,
        notes,
        report,
    })
}

fn content_error(e: crate::validate::VerifyError) -> ExtendError {
    match e {
        crate::validate::VerifyError::Content { source, .. } => ExtendError::Content(source),
    }
}

/// Only a signature that meets `policy` is preserved: the requirements of `policy` that
/// `report`'s signatures miss, those `counts` keeps, refuse the extension.
fn require_policy(
    policy: &crate::policy::Policy,
    report: &Report,
    counts: impl Fn(&Requirement) -> bool,
) -> Result<(), ExtendError> {
    let unmet: Vec<String> = report
        .signatures
        .iter()
        .flat_map(|s| crate::policy::evaluate(policy, s))
        .filter(|r| counts(r))
        .map(|r| format!("[{}] {}", r.code(), r.text(crate::report::Lang::En)))
        .collect();
    if unmet.is_empty() {
        return Ok(());
    }
    Err(ExtendError::Policy {
        policy: policy.name.clone(),
        unmet: unmet.join("; "),
    })
}

/// Rule 27-2: only a signature valid now is preserved.
fn require_valid(report: &Report) -> Result<(), ExtendError> {
    if report.indication == Indication::TotalPassed {
        return Ok(());
    }
    let reason = report
        .signatures
        .iter()
        .flat_map(|s| s.checks.iter())
        .filter(|c| !c.passed && !c.is_warning())
        .map(|c| format!("{}: {}", c.name(), c.detail()))
        .collect::<Vec<_>>()
        .join("; ");
    if report.sub_indication == Some(SubIndication::TRY_LATER) {
        return Err(ExtendError::TryLater(reason));
    }
    Err(ExtendError::NotValid {
        indication: report.indication,
        sub_indication: report.sub_indication,
        reason,
    })
}
