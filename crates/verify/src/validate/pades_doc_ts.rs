//! PAdES document time-stamps (`/Type /DocTimeStamp`) validated as archive time-stamps
//! are: the token and its imprint, then the TSA certificate's path with revocation — from
//! the verifier's sources and the DSS — at genTime and at the control time (the genTime of
//! the next valid document time-stamp of the file, else the validation time; EN 319 102-1
//! §5.6.2, [`ControlTimeValidator`]). The path's anchor is reported, so a policy's accepted
//! TSA anchors apply to document time-stamps as to CAdES archive time-stamps.

use std::sync::Arc;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cms::SignedDataView;
use kenpo_revocation::RevocationCheck;
use kenpo_sign::Profile;
use kenpo_tsa::ParsedToken;
use time::OffsetDateTime;

use super::embedded::{Embedded, TokenEntry, token_facts};
use super::tsa_time::ControlTimeValidator;
use super::verifier::Verifier;
use super::{online, path_options};
use crate::path::PathValidator;

/// One document time-stamp to check: its token (DER) and the bytes its range covers.
pub(super) struct Pending {
    /// The token, DER.
    pub der: Vec<u8>,
    /// The bytes of its byte range.
    pub covered: Vec<u8>,
}

/// What checking one document time-stamp gave.
pub(super) struct Checked {
    /// genTime (of the verified token, else as read).
    pub gen_time: Option<OffsetDateTime>,
    /// The token verifies, its TSA path is trusted and its imprint matches.
    pub valid: bool,
    /// SHA-256 of the TSA path's anchor, when the token verified.
    pub tsa_anchor_sha256: Option<[u8; 32]>,
    /// Why it is not valid.
    pub detail: Option<String>,
}

/// Checks the document time-stamps of one file, oldest first; `dss_*`: what the DSS holds.
pub(super) fn check_all(
    v: &Verifier,
    pending: &[Pending],
    dss_certs: &[Vec<u8>],
    dss_crls: &[Vec<u8>],
    dss_ocsps: &[Vec<u8>],
    at: OffsetDateTime,
) -> Vec<Checked> {
    let parsed: Vec<Option<ParsedToken<'_>>> = pending
        .iter()
        .map(|p| SignedDataView::parse(&p.der).ok().map(ParsedToken::new))
        .collect();
    // A time-stamp whose imprint does not match protects nothing before it.
    let imprint_ok = |p: &Pending, t: &ParsedToken<'_>| {
        t.tst_info()
            .is_some_and(|i| i.imprint.algorithm().digest(&p.covered) == i.imprint)
    };
    let mut entries = Vec::new();
    let mut excluded = Vec::new();
    for (p, t) in pending.iter().zip(&parsed) {
        if let Some(t) = t
            && let Some((gen_time, sid)) = token_facts(t)
        {
            entries.push(TokenEntry {
                gen_time,
                sid,
                archive: true,
            });
            if !imprint_ok(p, t) {
                excluded.push(gen_time);
            }
        }
    }
    let order = vec![entries];
    let emb = Embedded {
        crls: dss_crls.to_vec(),
        ocsp: dss_ocsps.to_vec(),
        ..Embedded::default()
    };
    let candidates: Vec<Vec<u8>> = v.store.iter().chain(dss_certs).cloned().collect();
    let checker: Arc<dyn RevocationCheck> = if dss_crls.is_empty() && dss_ocsps.is_empty() {
        v.shared.clone()
    } else {
        Arc::new(v.checker(&emb, &candidates))
    };
    let mode = v.opts.revocation.path_mode();
    let tsa_path =
        PathValidator::with_shared_anchors(v.anchors.clone(), path_options(Profile::Any, at, mode))
            .with_shared_intermediates(Arc::new(candidates))
            .with_context(v.ctx.clone())
            .with_revocation(checker.clone());
    let tsa_path = online(tsa_path, v.opts.offline, &v.opts.fetch_allow);
    let carried: Vec<&[u8]> = dss_certs.iter().map(Vec::as_slice).collect();
    let validator = ControlTimeValidator::new(tsa_path, &carried, checker, at, &order, &excluded)
        .with_sunset(&v.opts.policy.sunset);
    pending
        .iter()
        .zip(&parsed)
        .map(|(p, t)| check_one(v, &validator, &carried, p, t.as_ref()))
        .collect()
}

fn check_one(
    v: &Verifier,
    validator: &ControlTimeValidator<'_>,
    carried: &[&[u8]],
    p: &Pending,
    parsed: Option<&ParsedToken<'_>>,
) -> Checked {
    let opts = kenpo_tsa::VerifyOptions::default()
        .with_extra_certs(&v.store)
        .with_more_certs(carried)
        .with_validator(Some(validator))
        .with_keep_path(true)
        .with_backend(v.ctx.keys())
        .with_cert_cache(Some(v.ctx.certs()));
    match kenpo_tsa::verify_token(&p.der, &opts) {
        Ok(t) => {
            let digest = t.tst_info.imprint.algorithm().digest(&p.covered);
            let valid = digest == t.tst_info.imprint;
            Checked {
                gen_time: Some(t.tst_info.gen_time),
                valid,
                tsa_anchor_sha256: t.path.last().map(|a| {
                    let mut out = [0u8; 32];
                    out.copy_from_slice(DigestAlgorithm::Sha256.digest(a).as_bytes());
                    out
                }),
                detail: (!valid)
                    .then(|| "the token's imprint is not the digest of the byte range".into()),
            }
        }
        Err(e) => Checked {
            gen_time: parsed.and_then(|t| t.tst_info()).map(|i| i.gen_time),
            valid: false,
            tsa_anchor_sha256: None,
            detail: Some(e.to_string()),
        },
    }
}
