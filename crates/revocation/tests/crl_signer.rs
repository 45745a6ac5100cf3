//! CRLs signed by a key other than the certificate issuer's (RFC 5280 §6.3.3 (f)): separate
//! CRL-signing certificates and self-issued key rollover, on NIST PKITS data (skipped when
//! the data is absent).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::pkits::{Data, data};
use kenpo_revocation::{Checker, CrlSignerValidator, RevocationCheck, RevocationStatus};
use time::OffsetDateTime;

const AT: OffsetDateTime = time::macros::datetime!(2022-01-01 00:00 UTC);
const SEP_CA: &str = "SeparateCertificateandCRLKeysCertificateSigningCACert";
const SEP_SIGNER: &str = "SeparateCertificateandCRLKeysCRLSigningCert";

fn separate_keys_checker(d: &Data) -> Checker {
    Checker::new()
        .with_crls(vec![
            d.crl("TrustAnchorRootCRL"),
            d.crl("SeparateCertificateandCRLKeysCRL"),
        ])
        .offline(true)
}

#[test]
fn separate_crl_signing_key_signed_by_the_anchor() {
    let Some(d) = data() else { return };
    let (ca, signer) = (d.cert(SEP_CA), d.cert(SEP_SIGNER));
    let good = d.cert("ValidSeparateCertificateandCRLKeysTest19EE");
    let revoked = d.cert("InvalidSeparateCertificateandCRLKeysTest20EE");

    // Without candidates (the old behaviour): the issuer lacks cRLSign, no answer.
    let plain = separate_keys_checker(&d);
    assert!(matches!(
        plain.status_at(&good, &ca, AT),
        RevocationStatus::Unknown { .. }
    ));

    // A candidate without any trust anchor to chain it to is not accepted.
    let no_anchor = separate_keys_checker(&d).with_crl_signer_candidates(vec![signer.clone()]);
    match no_anchor.status_at(&good, &ca, AT) {
        RevocationStatus::Unknown { reason } => {
            assert!(reason.contains("not signed by the issuer"), "{reason}")
        }
        other => panic!("{other:?}"),
    }

    let checker = separate_keys_checker(&d)
        .with_crl_signer_candidates(vec![ca.clone(), signer])
        .with_trust_anchors(vec![d.anchor()]);
    assert!(matches!(
        checker.status_at(&good, &ca, AT),
        RevocationStatus::Good { .. }
    ));
    match checker.status_at(&revoked, &ca, AT) {
        RevocationStatus::Revoked { reason, .. } => assert_eq!(reason, Some(1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn revoked_crl_signer_is_not_used() {
    let Some(d) = data() else { return };
    // PKITS 4.4.21: the CRL-signing certificate of CA2 is revoked on the anchor's CRL.
    let ca = d.cert("SeparateCertificateandCRLKeysCA2CertificateSigningCACert");
    let signer = d.cert("SeparateCertificateandCRLKeysCA2CRLSigningCert");
    let ee = d.cert("InvalidSeparateCertificateandCRLKeysTest21EE");
    let checker = Checker::new()
        .with_crls(vec![
            d.crl("TrustAnchorRootCRL"),
            d.crl("SeparateCertificateandCRLKeysCA2CRL"),
        ])
        .with_crl_signer_candidates(vec![signer])
        .with_trust_anchors(vec![d.anchor()])
        .offline(true);
    match checker.status_at(&ee, &ca, AT) {
        RevocationStatus::Unknown { reason } => assert!(reason.contains("revoked"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn self_issued_crl_signing_key() {
    let Some(d) = data() else { return };
    let ca = d.cert("BasicSelfIssuedCRLSigningKeyCACert");
    let signer = d.cert("BasicSelfIssuedCRLSigningKeyCRLCert");
    let checker = Checker::new()
        .with_crls(vec![
            d.crl("TrustAnchorRootCRL"),
            d.crl("BasicSelfIssuedCRLSigningKeyCRLCertCRL"),
            d.crl("BasicSelfIssuedCRLSigningKeyCACRL"),
        ])
        .with_crl_signer_candidates(vec![ca.clone(), signer])
        .offline(true);
    let good = d.cert("ValidBasicSelfIssuedCRLSigningKeyTest6EE");
    let revoked = d.cert("InvalidBasicSelfIssuedCRLSigningKeyTest7EE");
    assert!(matches!(
        checker.status_at(&good, &ca, AT),
        RevocationStatus::Good { .. }
    ));
    assert!(matches!(
        checker.status_at(&revoked, &ca, AT),
        RevocationStatus::Revoked { .. }
    ));
}

#[test]
fn self_issued_old_with_new_key() {
    let Some(d) = data() else { return };
    // The EE is issued by the old key (certified by the new key in a self-issued
    // certificate); the CRL is signed by the new key.
    let new_key = d.cert("BasicSelfIssuedNewKeyCACert");
    let old_with_new = d.cert("BasicSelfIssuedNewKeyOldWithNewCACert");
    let ee = d.cert("ValidBasicSelfIssuedOldWithNewTest1EE");
    let base = || {
        Checker::new()
            .with_crls(vec![d.crl("BasicSelfIssuedNewKeyCACRL")])
            .offline(true)
    };
    assert!(matches!(
        base().status_at(&ee, &old_with_new, AT),
        RevocationStatus::Unknown { .. }
    ));
    let checker = base().with_crl_signer_candidates(vec![new_key]);
    assert!(matches!(
        checker.status_at(&ee, &old_with_new, AT),
        RevocationStatus::Good { .. }
    ));
}

struct Fixed(bool, std::sync::Mutex<Vec<Vec<u8>>>);

impl CrlSignerValidator for Fixed {
    fn validate_crl_signer(&self, signer_cert: &[u8], _at: OffsetDateTime) -> bool {
        self.1.lock().unwrap().push(signer_cert.to_vec());
        self.0
    }
}

#[test]
fn validator_callback_decides() {
    let Some(d) = data() else { return };
    let (ca, signer) = (d.cert(SEP_CA), d.cert(SEP_SIGNER));
    let good = d.cert("ValidSeparateCertificateandCRLKeysTest19EE");
    for accept in [true, false] {
        let v = Arc::new(Fixed(accept, Default::default()));
        // The anchor is given but the validator replaces the built-in rules.
        let checker = separate_keys_checker(&d)
            .with_crl_signer_candidates(vec![signer.clone()])
            .with_trust_anchors(vec![d.anchor()])
            .with_crl_signer_validator(v.clone());
        let status = checker.status_at(&good, &ca, AT);
        assert_eq!(
            matches!(status, RevocationStatus::Good { .. }),
            accept,
            "{status:?}"
        );
        assert_eq!(*v.1.lock().unwrap(), vec![signer.clone()]);
    }
}
