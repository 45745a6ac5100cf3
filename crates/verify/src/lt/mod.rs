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

mod error;
mod gather;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::ber;
use kenpo_core::cms::augment::{Augmentation, augment};
use kenpo_core::cms::build::attribute;
use kenpo_core::cms::{SignedDataView, SignerInfoView};
use kenpo_core::oid;
use kenpo_revocation::Checker;
use kenpo_sign::Profile;
use kenpo_tsa::client::{BlockingTsaClient, ClientConfig, TimeStamp};
use kenpo_tsa::token::{self, TsaCertValidator};
use time::OffsetDateTime;

pub use error::ExtendError;
use gather::{Freshness, Gathered, Sources};

use crate::archive;
use crate::path::PathValidator;
use crate::report::Report;
use crate::validate::{RevocationMode, Verifier, VerifyOptions, certs_of, cms_der, path_options};
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
            at: None,
            revocation: RevocationMode::Hard,
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
    let der = ber::to_der(&cms_der(signature))
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
    let mut counts = Counts::default();
    der = counts.embed(&der, gathered)?;

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

fn has(si: &SignerInfoView<'_>, attr: const_oid::ObjectIdentifier) -> bool {
    si.unsigned_attrs
        .as_ref()
        .is_some_and(|a| a.all_of(attr).next().is_some())
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
        .filter(|c| !c.passed && !c.detail.starts_with("warning"))
        .map(|c| format!("{}: {}", c.name, c.detail))
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

/// What was embedded, for the caller's summary.
#[derive(Debug, Default)]
struct Counts {
    certs: usize,
    crls: usize,
    ocsp: usize,
}

impl Counts {
    /// Embeds `g` into SignedData.certificates/crls, counting what was new (`augment`
    /// skips what is already there).
    fn embed(&mut self, der: &[u8], g: Gathered) -> Result<Vec<u8>, ExtendError> {
        let counts = |d: &[u8]| {
            SignedDataView::parse(d).map(|sd| {
                let other = sd
                    .crls
                    .iter()
                    .filter(|c| c.tag != kenpo_core::der_span::tag::SEQUENCE)
                    .count();
                (sd.certificates.len(), sd.crls.len() - other, other)
            })
        };
        let before = counts(der).map_err(|e| ExtendError::Build(e.to_string()))?;
        let out = augment(
            der,
            &Augmentation {
                certificates: g.certs,
                crls: g.crls,
                ocsp_responses: g.ocsp,
                unsigned_attrs: Vec::new(),
            },
        )?;
        let after = counts(&out).map_err(|e| ExtendError::Build(e.to_string()))?;
        self.certs += after.0.saturating_sub(before.0);
        self.crls += after.1.saturating_sub(before.1);
        self.ocsp += after.2.saturating_sub(before.2);
        Ok(out)
    }
}

/// Path validation and revocation sources for gathering.
struct Ctx {
    anchors: Vec<Vec<u8>>,
    store: Vec<Vec<u8>>,
    sources: Sources,
    profile: Profile,
}

impl Ctx {
    fn new(opts: &ExtendOptions) -> Self {
        let anchors = certs_of(&opts.anchors);
        let store = certs_of(&opts.cert_store);
        let online = Checker::new()
            .with_trust_anchors(anchors.clone())
            .with_crl_signer_candidates(store.clone())
            .offline(opts.offline);
        let all = Checker::new()
            .with_crls(opts.crls.clone())
            .with_ocsp_responses(opts.ocsp_responses.clone())
            .with_trust_anchors(anchors.clone())
            .with_crl_signer_candidates(store.clone())
            .offline(opts.offline);
        Self {
            anchors,
            store,
            sources: Sources {
                ocsp_first: Arc::new(online),
                all: Arc::new(all),
            },
            profile: opts.profile,
        }
    }

    fn validator(&self, at: OffsetDateTime, profile: Profile, extra: &[Vec<u8>]) -> PathValidator {
        let mut store = self.store.clone();
        store.extend(extra.iter().cloned());
        PathValidator::new(
            self.anchors.clone(),
            path_options(profile, at, crate::path::RevocationMode::Hard),
        )
        .with_intermediates(store)
        .with_revocation(self.sources.all.clone())
    }

    /// Validation data of a time-stamp token's TSA path at its genTime.
    fn token_data(
        &self,
        token_der: &[u8],
        gen_time: OffsetDateTime,
        issued_after: Option<OffsetDateTime>,
    ) -> Result<Gathered, ExtendError> {
        let v = self.validator(gen_time, Profile::Any, &[]);
        let verified = token::verify_token(
            token_der,
            &token::VerifyOptions {
                extra_certs: &self.store,
                validator: Some(&v as &dyn TsaCertValidator),
                ..token::VerifyOptions::default()
            },
        )
        .map_err(|e| ExtendError::NotValid {
            indication: Indication::Indeterminate,
            sub_indication: None,
            reason: format!("time-stamp token: {e}"),
        })?;
        self.sources.for_path(
            &verified.path,
            Freshness {
                at: gen_time,
                issued_after,
            },
        )
    }

    /// What the newest proof of existence of each SignerInfo must protect: without archive
    /// time-stamps the signer's path and every signature time-stamp's TSA path; with them,
    /// the newest archive time-stamp's TSA path. Revocation data issued after the
    /// respective genTime.
    fn validation_data(&self, der: &[u8], report: &Report) -> Result<Gathered, ExtendError> {
        let sd = SignedDataView::parse(der).map_err(|e| ExtendError::Build(e.to_string()))?;
        let embedded: Vec<Vec<u8>> = sd.x509_certificates().map(<[u8]>::to_vec).collect();
        let mut all = Gathered::default();
        for (i, si) in sd.signer_infos.iter().enumerate() {
            let newest_archive = tokens(si, oid::ATTR_ARCHIVE_TIME_STAMP_V3)
                .into_iter()
                .filter_map(|t| gen_time(t).map(|g| (g, t)))
                .max_by_key(|(g, _)| *g);
            if let Some((g, token)) = newest_archive {
                all.merge(self.token_data(token, g, Some(g))?);
                continue;
            }
            let stamps: Vec<(OffsetDateTime, &[u8])> = tokens(si, oid::ATTR_SIGNATURE_TIME_STAMP)
                .into_iter()
                .filter_map(|t| gen_time(t).map(|g| (g, t)))
                .collect();
            let Some(t0) = stamps.iter().map(|(g, _)| *g).min() else {
                return Err(ExtendError::Build(format!(
                    "SignerInfo {i} has no signature time-stamp"
                )));
            };
            for (g, token) in &stamps {
                all.merge(self.token_data(token, *g, Some(*g))?);
            }
            let signer = signer_cert(si, &embedded).ok_or_else(|| ExtendError::NotValid {
                indication: Indication::Indeterminate,
                sub_indication: Some(SubIndication::NO_SIGNING_CERTIFICATE_FOUND),
                reason: format!("SignerInfo {i}: the signing certificate is not in the signature"),
            })?;
            let profile = if report.signatures.len() > i {
                self.profile
            } else {
                Profile::Any
            };
            let path = self
                .validator(t0, profile, &embedded)
                .validate(&signer, &[])
                .map_err(|e| ExtendError::NotValid {
                    indication: Indication::Indeterminate,
                    sub_indication: Some(e.sub_indication_enum()),
                    reason: format!("signer path at {}: {e}", kenpo_core::timefmt::rfc3339(t0)),
                })?;
            all.merge(self.sources.for_path(
                &path.certs,
                Freshness {
                    at: t0,
                    issued_after: Some(t0),
                },
            )?);
        }
        Ok(all)
    }
}

fn tokens<'a>(si: &SignerInfoView<'a>, attr: const_oid::ObjectIdentifier) -> Vec<&'a [u8]> {
    si.unsigned_attrs
        .iter()
        .flat_map(|a| a.list.iter())
        .filter(|a| a.oid == attr)
        .flat_map(|a| a.values.iter().map(|v| v.raw))
        .collect()
}

fn gen_time(token: &[u8]) -> Option<OffsetDateTime> {
    let sd = SignedDataView::parse(token).ok()?;
    kenpo_tsa::tstinfo::TstInfo::parse(sd.econtent?)
        .ok()
        .map(|t| t.gen_time)
}

/// The certificate the SignerInfo's sid names, among `certs`.
fn signer_cert(si: &SignerInfoView<'_>, certs: &[Vec<u8>]) -> Option<Vec<u8>> {
    certs
        .iter()
        .find(|c| {
            kenpo_core::cert::CertRef::parse(c)
                .is_ok_and(|cert| crate::signature::sid_matches(&si.sid, &cert))
        })
        .cloned()
}

/// Adds a signature time-stamp to every SignerInfo without one.
fn add_signature_time_stamps(
    der: Vec<u8>,
    client: Option<&BlockingTsaClient>,
) -> Result<(Vec<u8>, Option<OffsetDateTime>), ExtendError> {
    let sd = SignedDataView::parse(&der).map_err(|e| ExtendError::Build(e.to_string()))?;
    let missing: Vec<(usize, Vec<u8>)> = sd
        .signer_infos
        .iter()
        .enumerate()
        .filter(|(_, si)| !has(si, oid::ATTR_SIGNATURE_TIME_STAMP))
        .map(|(i, si)| (i, si.signature.to_vec()))
        .collect();
    drop(sd);
    if missing.is_empty() {
        return Ok((der, None));
    }
    let client = client.ok_or(ExtendError::NoTsa("add the missing signature time-stamp"))?;
    let mut aug = Augmentation::default();
    let mut first = None;
    for (i, sig) in missing {
        let ts = client.timestamp_digest(&client.config().digest.digest(&sig))?;
        first.get_or_insert(ts.gen_time());
        aug.unsigned_attrs.push((
            i,
            vec![attribute(oid::ATTR_SIGNATURE_TIME_STAMP, &[&ts.token_der])?],
        ));
    }
    Ok((augment(&der, &aug)?, first))
}

/// Adds one archive-time-stamp-v3 to every SignerInfo; returns the new DER and the last
/// time-stamp obtained.
fn add_archive_time_stamps(
    der: &[u8],
    content: Option<&Path>,
    client: &BlockingTsaClient,
) -> Result<(Vec<u8>, TimeStamp), ExtendError> {
    let alg = client.config().digest;
    let sd = SignedDataView::parse(der).map_err(|e| ExtendError::Build(e.to_string()))?;
    let signed_data_hash = match (sd.econtent, content) {
        (Some(c), _) => alg.digest(c),
        (None, Some(p)) => hash_file(alg, p)?,
        (None, None) => return Err(ExtendError::NeedsContent),
    };
    let mut aug = Augmentation::default();
    let mut last = None;
    for (i, si) in sd.signer_infos.iter().enumerate() {
        let index =
            archive::hash_index_v3(&sd, si, alg).map_err(|e| ExtendError::Build(e.to_string()))?;
        let imprint = archive::ats_v3_imprint(&sd, si, signed_data_hash.as_bytes(), &index, alg)
            .map_err(|e| ExtendError::Build(e.to_string()))?;
        let ts = client.timestamp_digest(&imprint)?;
        let index_attr = attribute(oid::ATTR_ATS_HASH_INDEX_V3, &[&index])?;
        let token = augment(
            &ts.token_der,
            &Augmentation {
                unsigned_attrs: vec![(0, vec![index_attr])],
                ..Augmentation::default()
            },
        )?;
        aug.unsigned_attrs.push((
            i,
            vec![attribute(oid::ATTR_ARCHIVE_TIME_STAMP_V3, &[&token])?],
        ));
        last = Some(ts);
    }
    let last = last.ok_or_else(|| ExtendError::Format("no SignerInfo".into()))?;
    Ok((augment(der, &aug)?, last))
}

fn hash_file(alg: DigestAlgorithm, path: &Path) -> Result<kenpo_core::alg::Digest, ExtendError> {
    let mut f = std::fs::File::open(path).map_err(ExtendError::Content)?;
    let mut h = alg.hasher();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(ExtendError::Content)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize())
}

/// Guard: everything signed or hashed in `before` is byte-identical in `after`, and the
/// earlier unsigned attributes are a prefix of the new ones.
fn check_preserved(before: &[u8], after: &[u8]) -> Result<(), ExtendError> {
    let guard = |what: &str| ExtendError::Guard(format!("{what} changed during extension"));
    let a = SignedDataView::parse(before).map_err(|e| ExtendError::Guard(e.to_string()))?;
    let b = SignedDataView::parse(after).map_err(|e| ExtendError::Guard(e.to_string()))?;
    if a.encap_content_info.raw != b.encap_content_info.raw {
        return Err(guard("encapContentInfo"));
    }
    if a.signer_infos.len() != b.signer_infos.len() {
        return Err(guard("the number of SignerInfos"));
    }
    for (x, y) in a.signer_infos.iter().zip(&b.signer_infos) {
        if x.signed_attrs.as_ref().map(|s| s.raw) != y.signed_attrs.as_ref().map(|s| s.raw)
            || x.signature_field.raw != y.signature_field.raw
        {
            return Err(guard("a signed attribute or signature value"));
        }
        let old = x
            .unsigned_attrs
            .as_ref()
            .map(|u| u.list.as_slice())
            .unwrap_or(&[]);
        let new = y
            .unsigned_attrs
            .as_ref()
            .map(|u| u.list.as_slice())
            .unwrap_or(&[]);
        if old.len() > new.len() || old.iter().zip(new).any(|(p, q)| p.raw != q.raw) {
            return Err(guard("an earlier unsigned attribute"));
        }
    }
    for c in &a.certificates {
        if !b.certificates.iter().any(|d| d.raw == c.raw) {
            return Err(guard("a certificate"));
        }
    }
    for c in &a.crls {
        if !b.crls.iter().any(|d| d.raw == c.raw) {
            return Err(guard("a revocation element"));
        }
    }
    Ok(())
}
