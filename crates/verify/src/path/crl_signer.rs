//! CRL signers validated by full path validation (RFC 5280 §6.3.3 (f)): a CRL signed by
//! another key than the certificate issuer's — a separate CRL-signing certificate, the
//! issuer of an indirect CRL — is used only if the signer's own certification path
//! validates at the time asked, revocation included, ending at the trust anchor of the
//! certificate's path.
//!
//! The [`Checker`] that holds this validator is also the one that checks the signer's
//! revocation: it hands itself to the validator at each call
//! ([`CrlSignerValidator::validate_crl_signer_on_path`]), so the validator does not hold
//! it and there is no reference cycle ([`PathValidator::with_checker`]). The enclosing
//! validation's [`Budget`] is handed down as `&mut` through the checker: nested validations
//! (a CRL signer whose CRL has its own signer …) are limited to [`MAX_NESTING`] levels and
//! spend the enclosing validation's signature checks; a CRL covering its own signer (PKITS
//! 4.14.30) is accepted for that signer, whose path the enclosing validation is checking.

use std::sync::Arc;

use kenpo_revocation::{Checker, CrlSignerValidator, RevocationCheck};
use time::OffsetDateTime;

use super::{Budget, KeyUsages, PathValidator, build};

/// How many CRL-signer validations may be nested inside one another.
pub const MAX_NESTING: usize = 3;

impl PathValidator {
    /// Uses `checker` for revocation, with a copy of this validator (its anchors,
    /// intermediates and options) authorizing the CRL signers other than the certificate
    /// issuer that `checker` meets ([`CrlSignerValidator`]): full path validation of the
    /// signer at the time asked (any policy, keyUsage cRLSign) ending at the certificate's
    /// trust anchor, its revocation checked by `checker` itself. The copy does not hold the
    /// checker (it is handed the checker at each call), so there is no reference cycle.
    pub fn with_checker(self, checker: Checker) -> Self {
        let checker = checker.with_crl_signer_validator(self.crl_signer_validator());
        self.with_revocation(Arc::new(checker))
    }

    /// This validator as a [`CrlSignerValidator`] for [`Checker::with_crl_signer_validator`]
    /// (without its revocation checker: the asking checker is used).
    pub fn crl_signer_validator(&self) -> Arc<dyn CrlSignerValidator> {
        Arc::new(PathValidator {
            revocation: None,
            ..self.clone()
        })
    }

    fn validate_signer(
        &self,
        signer: &[u8],
        anchor: Option<&[u8]>,
        at: OffsetDateTime,
        revocation: Option<&dyn RevocationCheck>,
        budget: &mut Budget,
    ) -> Result<(), String> {
        if budget.crl_signers.iter().any(|s| s == signer) {
            // Its path is being validated further up; this CRL only adds its own status.
            return Ok(());
        }
        if budget.crl_signers.len() >= MAX_NESTING {
            return Err(format!(
                "CRL signer validations nested deeper than {MAX_NESTING}"
            ));
        }
        if budget.signature_checks == 0 {
            return Err(format!(
                "signature-check budget {} exhausted by CRL signer validations",
                self.options.max_signature_checks
            ));
        }
        let anchors: Vec<Vec<u8>> = match anchor {
            Some(a) => self
                .anchors
                .iter()
                .filter(|x| x.as_slice() == a)
                .cloned()
                .collect(),
            None => self.anchors.to_vec(),
        };
        if anchors.is_empty() {
            return Err("the certificate's trust anchor is not one of the validator's".into());
        }
        let mut opts = self.options.clone();
        opts.time = at;
        opts.required_eku = None;
        opts.eku_must_be_present = false;
        opts.required_key_usage = vec![KeyUsages::CRLSign];
        opts.initial_policy_set = None;
        opts.explicit_policy = false;
        opts.leaf_policy_prefixes.clear();
        opts.forbidden_leaf_policy_prefixes.clear();
        let v = PathValidator {
            anchors: Arc::new(anchors),
            revocation: None,
            ..self.clone()
        };
        budget.crl_signers.push(signer.to_vec());
        let result = build::build_and_validate(&v, &opts, signer, &[], revocation, budget);
        budget.crl_signers.pop();
        result
            .map(|_| ())
            .map_err(|e| format!("its certification path does not validate: {e}"))
    }
}

impl CrlSignerValidator for PathValidator {
    /// Validates with this validator's own revocation checker, if any.
    fn validate_crl_signer(&self, signer_cert: &[u8], at: OffsetDateTime) -> bool {
        let mut budget = Budget::new(self.options.max_signature_checks);
        let revocation = self.revocation.as_deref();
        self.validate_signer(signer_cert, None, at, revocation, &mut budget)
            .is_ok()
    }

    fn validate_crl_signer_on_path(
        &self,
        signer_cert: &[u8],
        anchor: Option<&[u8]>,
        at: OffsetDateTime,
        revocation: &dyn RevocationCheck,
        budget: &mut Budget,
    ) -> Result<(), String> {
        self.validate_signer(signer_cert, anchor, at, Some(revocation), budget)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::PathBuf;

    use super::*;
    use crate::path::{PathError, RevocationMode, ValidationOptions};

    const AT: OffsetDateTime = time::macros::datetime!(2022-01-01 00:00 UTC);

    /// NIST PKITS files, or `None` (skip) — a failure under CI.
    fn pkits() -> Option<PathBuf> {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/pkits");
        if d.join("certs").is_dir() {
            return Some(d);
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "PKITS data missing at {} (required under CI)",
            d.display()
        );
        eprintln!("SKIP: PKITS data not found at {}", d.display());
        None
    }

    fn read(d: &std::path::Path, sub: &str, name: &str) -> Vec<u8> {
        std::fs::read(d.join(sub).join(name)).unwrap()
    }

    /// A validator over PKITS "Separate Certificate and CRL Keys" data (`ca` = "" or "CA2").
    fn separate_keys(d: &std::path::Path, ca: &str) -> (PathValidator, Vec<u8>) {
        let anchor = read(d, "certs", "TrustAnchorRootCertificate.crt");
        let certs = vec![
            read(
                d,
                "certs",
                &format!("SeparateCertificateandCRLKeys{ca}CertificateSigningCACert.crt"),
            ),
            read(
                d,
                "certs",
                &format!("SeparateCertificateandCRLKeys{ca}CRLSigningCert.crt"),
            ),
        ];
        let crls = vec![
            read(d, "crls", "TrustAnchorRootCRL.crl"),
            read(
                d,
                "crls",
                &format!("SeparateCertificateandCRLKeys{ca}CRL.crl"),
            ),
        ];
        let mut opts = ValidationOptions::at(AT);
        opts.revocation_mode = RevocationMode::Hard;
        let checker = Checker::new()
            .with_crls(crls)
            .with_crl_signer_candidates(certs.clone())
            .offline(true);
        let v = PathValidator::new(vec![anchor.clone()], opts)
            .with_intermediates(certs)
            .with_checker(checker);
        (v, anchor)
    }

    #[test]
    fn separate_crl_key_gets_a_full_path() {
        let Some(d) = pkits() else { return };
        let (v, _) = separate_keys(&d, "");
        let ok = read(
            &d,
            "certs",
            "ValidSeparateCertificateandCRLKeysTest19EE.crt",
        );
        let path = v.validate(&ok, &[]).unwrap();
        assert_eq!(path.certs.len(), 3);
        let revoked = read(
            &d,
            "certs",
            "InvalidSeparateCertificateandCRLKeysTest20EE.crt",
        );
        assert!(matches!(
            v.validate(&revoked, &[]),
            Err(PathError::Revoked { index: 0, .. })
        ));
        // 4.4.21: the CRL signer itself is revoked on the anchor's CRL.
        let (v2, _) = separate_keys(&d, "CA2");
        let ee = read(
            &d,
            "certs",
            "InvalidSeparateCertificateandCRLKeysTest21EE.crt",
        );
        match v2.validate(&ee, &[]) {
            Err(PathError::RevocationUnknown { index: 0, reason }) => {
                assert!(reason.contains("revoked"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_reference_cycle() {
        let Some(d) = pkits() else { return };
        let (v, _) = separate_keys(&d, "");
        let weak = Arc::downgrade(v.revocation.as_ref().unwrap());
        assert!(weak.upgrade().is_some());
        drop(v);
        assert!(
            weak.upgrade().is_none(),
            "the checker outlived its validator"
        );
    }

    #[test]
    fn signer_must_chain_to_the_same_anchor() {
        let Some(d) = pkits() else { return };
        let (v, anchor) = separate_keys(&d, "");
        let signer = read(
            &d,
            "certs",
            "SeparateCertificateandCRLKeysCRLSigningCert.crt",
        );
        let checker = v.revocation.clone().unwrap();
        let validator = v.crl_signer_validator();
        let on_path = |anchor: &[u8], at| {
            let mut budget = Budget::default();
            validator.validate_crl_signer_on_path(
                &signer,
                Some(anchor),
                at,
                checker.as_ref(),
                &mut budget,
            )
        };
        assert_eq!(on_path(&anchor, AT), Ok(()));
        let other = read(&d, "certs", "GoodCACert.crt");
        let e = on_path(&other, AT).unwrap_err();
        assert!(e.contains("trust anchor"), "{e}");
        // Not valid at the time asked.
        let late = time::macros::datetime!(2040-01-01 00:00 UTC);
        assert!(on_path(&anchor, late).is_err());
    }

    #[test]
    fn nesting_and_budget_are_limited() {
        let Some(d) = pkits() else { return };
        let (v, anchor) = separate_keys(&d, "");
        let signer = read(
            &d,
            "certs",
            "SeparateCertificateandCRLKeysCRLSigningCert.crt",
        );
        let checker = v.revocation.clone().unwrap();
        let run = |budget: &mut Budget| {
            v.validate_signer(&signer, Some(&anchor), AT, Some(checker.as_ref()), budget)
        };
        let nested = |signers: usize, checks: usize| Budget {
            signature_checks: checks,
            crl_signers: vec![vec![0x30, 0x00]; signers],
        };
        // The signer → anchor check is charged to the enclosing validation, and the
        // validation in progress is popped again.
        let mut budget = nested(1, 10);
        assert_eq!(run(&mut budget), Ok(()));
        assert_eq!(budget, nested(1, 9));
        // Verified before (the context remembers the link): still charged, the budget
        // bounds the search.
        assert_eq!(run(&mut budget), Ok(()));
        assert_eq!(budget, nested(1, 8));
        let deep = run(&mut nested(MAX_NESTING, 64));
        assert!(deep.unwrap_err().contains("nested"));
        assert!(run(&mut nested(1, 0)).unwrap_err().contains("budget"));
        // A signer already being validated further up (a CRL covering its own signer).
        let mut cycle = Budget {
            signature_checks: 0,
            crl_signers: vec![signer.clone()],
        };
        assert_eq!(run(&mut cycle), Ok(()));
    }
}
