//! Certificate validation ([`verify_certificate`]).

use std::sync::Arc;

use kenpo_revocation::{Checker, RevocationCheck};
use kenpo_sign::profile::check_profile;

use super::verdict::{path_checks, signer_report, subjects};
use super::{CertRequest, certs_of, now, path_options};
use crate::SubIndication;
use crate::path::{self, PathError, PathValidator};
use crate::report::{CertIndication, CertReport, CheckKind, CheckReport, Outcome};

/// Validates one certificate (path, revocation, profile) at [`CertRequest::at`].
pub fn verify_certificate(req: &CertRequest<'_>) -> CertReport {
    let at = req.at.unwrap_or_else(now);
    let mut checks = Vec::new();
    let leaf = certs_of(&[req.cert.to_vec()]).into_iter().next();
    let Some(leaf) = leaf else {
        return CertReport {
            indication: CertIndication::Failed,
            sub_indication: Some(SubIndication::FORMAT_FAILURE),
            hc_roles: Vec::new(),
            policy_oids: Vec::new(),
            path: Vec::new(),
            checks: vec![CheckReport::new(
                CheckKind::Certificate,
                false,
                Outcome::NotACertificate,
            )],
        };
    };
    let info = signer_report(Some(&leaf));
    let mut failed = None;
    match check_profile(req.profile, &leaf) {
        Ok(_) => checks.push(CheckReport::new(
            CheckKind::Profile,
            true,
            Outcome::ProfileMet(req.profile),
        )),
        Err(e) => {
            checks.push(CheckReport::new(
                CheckKind::Profile,
                false,
                Outcome::ProfileRefused(e.to_string()),
            ));
            failed = Some((
                CertIndication::Failed,
                SubIndication::SIG_CONSTRAINTS_FAILURE,
            ));
        }
    }
    let anchors = certs_of(&req.anchors);
    let chain = certs_of(&req.chain);
    let checker: Arc<dyn RevocationCheck> = Arc::new(super::with_cache(
        super::with_allow(Checker::new(), &req.fetch_allow)
            .with_crls(req.crls.clone())
            .with_trust_anchors(anchors.clone())
            .with_crl_signer_candidates(chain.clone())
            .with_crl_signer_validator(
                PathValidator::new(
                    anchors.clone(),
                    path_options(req.profile, at, path::RevocationMode::Hard),
                )
                .with_intermediates(chain.clone())
                .crl_signer_validator(),
            )
            .offline(req.offline),
        req.revocation_cache.as_deref(),
    ));
    let v = super::online(
        PathValidator::new(
            anchors,
            path_options(req.profile, at, path::RevocationMode::Hard),
        )
        .with_intermediates(chain)
        .with_revocation(checker),
        req.offline,
        &req.fetch_allow,
    );
    let mut path = Vec::new();
    match v.validate(&leaf, &[]) {
        Ok(p) => {
            path = subjects(&p.certs);
            checks.push(CheckReport::new(
                CheckKind::Path,
                true,
                Outcome::PathValidated { at, anchor: None },
            ));
            path_checks(p, &mut checks);
        }
        Err(e) => {
            let sub = e.sub_indication_enum();
            let ind = match e {
                PathError::Revoked { .. } | PathError::BadSignature { .. } => {
                    CertIndication::Failed
                }
                _ => CertIndication::Indeterminate,
            };
            if failed.is_none() {
                failed = Some((ind, sub));
            }
            checks.push(CheckReport::new(
                CheckKind::Path,
                false,
                Outcome::PathFailed {
                    at,
                    error: Box::new(e),
                },
            ));
        }
    }
    let (indication, sub_indication) = match failed {
        Some((i, s)) => (i, Some(s)),
        None => (CertIndication::Passed, None),
    };
    CertReport {
        indication,
        sub_indication,
        hc_roles: info.hc_roles,
        policy_oids: info.policy_oids,
        path,
        checks,
    }
}
