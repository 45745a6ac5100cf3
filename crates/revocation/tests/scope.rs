//! RFC 5280 §6.3.3 scope rules on CRLs built for the purpose (issuingDistributionPoint
//! variants, delta and indirect CRLs, unknown critical extensions).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use kenpo_core::cert::CertRef;
use kenpo_core::der_span::{tag, tlv};
use kenpo_revocation::crl::{Crl, CrlError, ScopeMismatch};
use kenpo_revocation::{Checker, RevocationCheck, RevocationStatus};
use kenpo_testpki::{Config, TestPki};

use common::bigcrl::{extension, with_extensions};

const IDP: &[u8] = &[0x55, 0x1d, 0x1c];
const DELTA: &[u8] = &[0x55, 0x1d, 0x1b];
/// 1.3.6.1.4.1.49113.27: an extension nobody implements.
const OTHER: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xff, 0x59, 0x1b];

/// IDP value with an optional fullName URI and the given `[n] BOOLEAN TRUE` flags
/// (1 = onlyContainsUserCerts, 2 = onlyContainsCACerts, 4 = indirectCRL) and
/// onlySomeReasons (raw BIT STRING contents).
fn idp(uri: Option<&str>, flags: &[u8], reasons: Option<&[u8]>) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    if let Some(u) = uri {
        let full_name = tlv(0xa0, &[&tlv(0x86, &[u.as_bytes()])]);
        parts.push(tlv(0xa0, &[&full_name]));
    }
    for f in flags.iter().filter(|f| **f < 3) {
        parts.push(vec![0x80 | f, 0x01, 0xff]);
    }
    if let Some(r) = reasons {
        parts.push(tlv(0x83, &[r]));
    }
    for f in flags.iter().filter(|f| **f >= 4) {
        parts.push(vec![0x80 | f, 0x01, 0xff]);
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    tlv(tag::SEQUENCE, &refs)
}

fn scope(pki: &TestPki, issuer: &str, subject: &str, exts: &[Vec<u8>]) -> Result<(), CrlError> {
    let crl = Crl::from_der(with_extensions(pki, issuer, exts))?;
    let der = pki.entity(subject).unwrap().cert_der.clone();
    crl.check_scope(&CertRef::parse(&der).unwrap())
}

fn not_in_scope(r: Result<(), CrlError>) -> ScopeMismatch {
    match r {
        Err(CrlError::NotInScope(m)) => m,
        other => panic!("expected NotInScope, got {other:?}"),
    }
}

#[test]
fn issuing_distribution_point_rules() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let ee_dp = pki.config().crl_url("hpki-sign-ca");
    let ext = |v: Vec<u8>| vec![extension(IDP, true, &v)];

    // No IDP at all: everything of the issuer.
    assert_eq!(scope(&pki, "hpki-sign-ca", "hpki-signer", &[]), Ok(()));
    // The certificate's DP URI: in scope; another URI: not.
    assert_eq!(
        scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &ext(idp(Some(&ee_dp), &[], None))
        ),
        Ok(())
    );
    assert!(matches!(
        not_in_scope(scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &ext(idp(
                Some("http://127.0.0.1:8480/crl/partition-2.crl"),
                &[],
                None
            ))
        )),
        ScopeMismatch::DistributionPoint { .. }
    ));
    // onlyContainsUserCerts: end entities yes, CAs no.
    assert_eq!(
        scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &ext(idp(None, &[1], None))
        ),
        Ok(())
    );
    assert_eq!(
        not_in_scope(scope(
            &pki,
            "root-ca",
            "hpki-sign-ca",
            &ext(idp(None, &[1], None))
        )),
        ScopeMismatch::OnlyUserCerts
    );
    // onlyContainsCACerts: the reverse.
    assert_eq!(
        scope(&pki, "root-ca", "hpki-sign-ca", &ext(idp(None, &[2], None))),
        Ok(())
    );
    assert_eq!(
        not_in_scope(scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &ext(idp(None, &[2], None))
        )),
        ScopeMismatch::OnlyCaCerts
    );
    // onlySomeReasons (keyCompromise only): partitioned, not usable for "good".
    assert_eq!(
        not_in_scope(scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &ext(idp(None, &[], Some(&[0x06, 0x40])))
        )),
        ScopeMismatch::OnlySomeReasons(0x0002)
    );
    // indirectCRL: also covers the CRL issuer's own certificates (RFC 5280 §5.3.3).
    assert_eq!(
        scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &ext(idp(None, &[4], None))
        ),
        Ok(())
    );
    // A delta CRL alone: only usable with its complete CRL.
    assert_eq!(
        not_in_scope(scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &[extension(DELTA, true, &[0x02, 0x01, 0x05])]
        )),
        ScopeMismatch::DeltaCrl
    );
    // Another issuer's CRL.
    assert!(matches!(
        not_in_scope(scope(&pki, "hpki-auth-ca", "hpki-signer", &[])),
        ScopeMismatch::Issuer { .. }
    ));
    // Two onlyContains flags at once: malformed.
    assert!(matches!(
        scope(
            &pki,
            "hpki-sign-ca",
            "hpki-signer",
            &ext(idp(None, &[1, 2], None))
        ),
        Err(CrlError::Malformed(_))
    ));
}

#[test]
fn unknown_critical_extension_makes_the_crl_unusable() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let unknown = extension(OTHER, true, &[0x05, 0x00]);
    let der = with_extensions(&pki, "hpki-sign-ca", &[unknown]);
    assert!(matches!(
        Crl::from_der(der.clone()),
        Err(CrlError::UnsupportedCriticalExtension(_))
    ));
    let checker = Checker::new().offline(true).with_crls(vec![der]);
    match checker.status_at(
        &pki.entity("hpki-signer").unwrap().cert_der,
        &pki.entity("hpki-sign-ca").unwrap().cert_der,
        pki.now(),
    ) {
        RevocationStatus::Unknown { reason } => {
            assert!(
                reason.contains("unsupported critical CRL extension"),
                "{reason}"
            )
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    // The same extension non-critical is ignored.
    let benign = extension(OTHER, false, &[0x05, 0x00]);
    assert!(Crl::from_der(with_extensions(&pki, "hpki-sign-ca", &[benign])).is_ok());
}

#[test]
fn crl_issuer_must_be_a_ca_with_crl_sign() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    // A "CRL" for hpki-signer's own name signed with its key: not a CA.
    let der = with_extensions(&pki, "hpki-signer", &[]);
    let crl = Crl::from_der(der).unwrap();
    let signer = pki.entity("hpki-signer").unwrap().cert_der.clone();
    assert_eq!(
        crl.verify_signature(&CertRef::parse(&signer).unwrap()),
        Err(CrlError::IssuerNotCa)
    );
    // The TSA root has keyCertSign+cRLSign: fine.
    let der = with_extensions(&pki, "tsa-ca", &[]);
    let tsa_ca = pki.entity("tsa-ca").unwrap().cert_der.clone();
    assert_eq!(
        Crl::from_der(der)
            .unwrap()
            .verify_signature(&CertRef::parse(&tsa_ca).unwrap()),
        Ok(())
    );
}
