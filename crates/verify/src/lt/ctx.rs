//! Gathering context: path validation and revocation sources, and what each SignerInfo's
//! newest proof of existence must protect.

use std::sync::Arc;

use kenpo_core::cms::augment::{Augmentation, augment};
use kenpo_core::cms::{SignedDataView, SignerInfoView};
use kenpo_core::oid;
use kenpo_revocation::Checker;
use kenpo_sign::Profile;
use kenpo_tsa::{self as token, TsaCertValidator};
use time::OffsetDateTime;

use super::gather::{Freshness, Gathered, Sources};
use super::{ExtendError, ExtendOptions};
use crate::path::PathValidator;
use crate::report::Report;
use crate::validate::{certs_of, path_options};
use crate::{Indication, SubIndication};

/// What was embedded, for the caller's summary.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub(super) certs: usize,
    pub(super) crls: usize,
    pub(super) ocsp: usize,
}

impl Counts {
    /// Embeds `g` into SignedData.certificates/crls, counting what was new (`augment`
    /// skips what is already there).
    pub(super) fn embed(&mut self, der: &[u8], g: Gathered) -> Result<Vec<u8>, ExtendError> {
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
pub(super) struct Ctx {
    anchors: Vec<Vec<u8>>,
    store: Vec<Vec<u8>>,
    sources: Sources,
    profile: Profile,
    offline: bool,
    fetch_allow: Vec<kenpo_revocation::fetch::AllowedOrigin>,
}

impl Ctx {
    pub(super) fn new(opts: &ExtendOptions) -> Self {
        let anchors = certs_of(&opts.anchors);
        let store = certs_of(&opts.cert_store);
        let checker = |c: Checker| {
            let c = c
                .with_trust_anchors(anchors.clone())
                .with_crl_signer_candidates(store.clone())
                .offline(opts.offline);
            crate::validate::with_allow(c, &opts.fetch_allow)
        };
        let online = checker(Checker::new());
        let all = crate::validate::with_cache(
            checker(
                Checker::new()
                    .with_crls(opts.crls.clone())
                    .with_ocsp_responses(opts.ocsp_responses.clone()),
            ),
            opts.revocation_cache.as_deref(),
        );
        Self {
            anchors,
            store,
            sources: Sources {
                ocsp_first: Arc::new(online),
                all: Arc::new(all),
            },
            profile: opts.profile,
            offline: opts.offline,
            fetch_allow: opts.fetch_allow.clone(),
        }
    }

    fn validator(&self, at: OffsetDateTime, profile: Profile, extra: &[Vec<u8>]) -> PathValidator {
        let mut store = self.store.clone();
        store.extend(extra.iter().cloned());
        crate::validate::online(
            PathValidator::new(
                self.anchors.clone(),
                path_options(profile, at, crate::path::RevocationMode::Hard),
            )
            .with_intermediates(store)
            .with_revocation(self.sources.all.clone()),
            self.offline,
            &self.fetch_allow,
        )
    }

    /// Validation data of a time-stamp token's TSA path at its genTime.
    pub(super) fn token_data(
        &self,
        token_der: &[u8],
        gen_time: OffsetDateTime,
        issued_after: Option<OffsetDateTime>,
    ) -> Result<Gathered, ExtendError> {
        let v = self.validator(gen_time, Profile::Any, &[]);
        let verified = token::verify_token(
            token_der,
            &token::VerifyOptions::default()
                .with_extra_certs(&self.store)
                .with_validator(Some(&v as &dyn TsaCertValidator)),
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
    pub(super) fn validation_data(
        &self,
        der: &[u8],
        report: &Report,
    ) -> Result<Gathered, ExtendError> {
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
            all.merge(self.signer_data(&signer, &embedded, t0, profile)?);
        }
        Ok(all)
    }

    /// Validation data of the signer's path (built with `extra` certificates too) at
    /// `t0`, the earliest signature time-stamp's genTime: revocation issued after it.
    pub(super) fn signer_data(
        &self,
        signer: &[u8],
        extra: &[Vec<u8>],
        t0: OffsetDateTime,
        profile: Profile,
    ) -> Result<Gathered, ExtendError> {
        let path = self
            .validator(t0, profile, extra)
            .validate(signer, &[])
            .map_err(|e| ExtendError::NotValid {
                indication: Indication::Indeterminate,
                sub_indication: Some(e.sub_indication_enum()),
                reason: format!("signer path at {}: {e}", kenpo_core::timefmt::rfc3339(t0)),
            })?;
        self.sources.for_path(
            &path.certs,
            Freshness {
                at: t0,
                issued_after: Some(t0),
            },
        )
    }

    /// The profile the signer must meet.
    pub(super) fn profile(&self) -> Profile {
        self.profile
    }
}

pub(super) fn tokens<'a>(
    si: &SignerInfoView<'a>,
    attr: const_oid::ObjectIdentifier,
) -> Vec<&'a [u8]> {
    si.unsigned_attrs
        .iter()
        .flat_map(|a| a.list.iter())
        .filter(|a| a.oid == attr)
        .flat_map(|a| a.values.iter().map(|v| v.raw))
        .collect()
}

pub(super) fn gen_time(token: &[u8]) -> Option<OffsetDateTime> {
    let sd = SignedDataView::parse(token).ok()?;
    kenpo_tsa::TstInfo::parse(sd.econtent?)
        .ok()
        .map(|t| t.gen_time)
}

/// The certificate the SignerInfo's sid names, among `certs`.
fn signer_cert(si: &SignerInfoView<'_>, certs: &[Vec<u8>]) -> Option<Vec<u8>> {
    certs
        .iter()
        .find(|c| kenpo_core::cert::CertRef::parse(c).is_ok_and(|cert| si.sid.matches(&cert)))
        .cloned()
}

/// Whether the SignerInfo has an unsigned attribute of type `attr`.
pub(crate) fn has(si: &SignerInfoView<'_>, attr: const_oid::ObjectIdentifier) -> bool {
    si.unsigned_attrs
        .as_ref()
        .is_some_and(|a| a.all_of(attr).next().is_some())
}
