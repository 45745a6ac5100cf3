//! Real HPKI material, offline: the MEDIS sign CA's CRL and the MHLW root's ARL with its
//! critical issuingDistributionPoint (DirName + onlyContainsCACerts), RFC 5280 §6.3.3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use kenpo_core::cert::CertRef;
use kenpo_revocation::crl::{Crl, CrlError, ScopeMismatch};
use kenpo_revocation::names::{DistributionPointName, GeneralName};
use kenpo_revocation::{Checker, Finding, RevocationCheck, RevocationStatus};

use common::t;

struct Files {
    root: Vec<u8>,
    ca: Vec<u8>,
    ee: Vec<u8>,
    crl: Vec<u8>,
    arl: Vec<u8>,
}

fn files(dir: &Path) -> Files {
    let r = |f: &str| std::fs::read(dir.join(f)).unwrap();
    Files {
        root: r("mhlw-hpki-root-ca-v2.cer"),
        ca: r("medis-sign-ca2.cer"),
        ee: r("medis-test-signer-ee.cer"),
        crl: r("medis-sign-ca2-2022-09.crl"),
        arl: r("mhlw-hpki-root-v2-arl-2022-09.crl"),
    }
}

const AT: &str = "2022-09-08T00:00:00Z";

#[test]
fn medis_test_signer_is_good_at_2022_09_08() {
    let Some(dir) = common::hpki_real() else {
        return;
    };
    let f = files(&dir);
    let checker = Checker::new()
        .with_crls(vec![f.arl.clone(), f.crl.clone()])
        .offline(true);
    let status = checker.status_at(&f.ee, &f.ca, t(AT));
    match &status {
        RevocationStatus::Good { source } => {
            assert!(source.starts_with("supplied CRL #2"), "{source}");
            assert!(
                source.contains("thisUpdate 2022-09-06T18:00:00Z"),
                "{source}"
            );
        }
        other => panic!("expected Good, got {other:?}"),
    }
    // The same through the CRL API.
    let crl = Crl::from_pem_or_der(&f.crl).unwrap();
    let (ee, ca) = (
        CertRef::parse(&f.ee).unwrap(),
        CertRef::parse(&f.ca).unwrap(),
    );
    assert_eq!(ee.serial, &[0x01, 0x5e]);
    assert_eq!(crl.len(), 29);
    assert_eq!(crl.entry(ee.serial).unwrap(), None);
    assert_eq!(crl.status_at(&ee, &ca, t(AT)), Ok(Finding::NotRevoked));
    assert_eq!(crl.this_update(), t("2022-09-06T18:00:00Z"));
    assert_eq!(crl.next_update(), Some(t("2022-09-10T18:00:00Z")));
    assert_eq!(crl.crl_number(), Some(&[0x05, 0xbe][..]));
    assert!(crl.issuing_distribution_point().is_none());
}

#[test]
fn real_crl_entries_are_indexed() {
    let Some(dir) = common::hpki_real() else {
        return;
    };
    let crl = Crl::from_pem_or_der(&files(&dir).crl).unwrap();
    // 0x9A is encoded 02 02 00 9A (positive).
    let e = crl.entry(&[0x00, 0x9a]).unwrap().expect("0x9A is listed");
    assert_eq!(e.revocation_date, t("2017-09-20T03:17:23Z"));
    assert_eq!(e.reason, Some(5), "cessationOfOperation");
    // Non-minimal encodings of the same serial find the same entry.
    assert_eq!(crl.entry(&[0x00, 0x00, 0x9a]).unwrap(), Some(e));
    assert_eq!(crl.entry(&[0x9a]).unwrap(), None, "-102 is another number");
    assert!(crl.entry(&[0x01, 0x03]).unwrap().is_some());
    assert!(crl.entry(&[0x9b]).unwrap().is_none());
}

#[test]
fn sub_ca_is_good_against_the_root_arl() {
    let Some(dir) = common::hpki_real() else {
        return;
    };
    let f = files(&dir);
    let arl = Crl::from_pem_or_der(&f.arl).unwrap();
    let idp = arl.issuing_distribution_point().expect("ARL has an IDP");
    assert!(idp.only_contains_ca_certs);
    assert!(!idp.only_contains_user_certs && !idp.indirect_crl);
    match &idp.distribution_point {
        Some(DistributionPointName::FullName(names)) => {
            assert!(
                matches!(&names[..], [GeneralName::DirectoryName(_)]),
                "{names:?}"
            );
            assert!(
                names[0]
                    .to_string()
                    .starts_with("DirName:CN=SARL,OU=MHLW HPKI Root CA V2"),
                "{}",
                names[0]
            );
        }
        other => panic!("IDP distributionPoint {other:?}"),
    }
    let (ca, root) = (
        CertRef::parse(&f.ca).unwrap(),
        CertRef::parse(&f.root).unwrap(),
    );
    assert_eq!(
        arl.check_scope(&ca),
        Ok(()),
        "IDP DirName matches the CRLDP DirName"
    );
    assert_eq!(arl.status_at(&ca, &root, t(AT)), Ok(Finding::NotRevoked));

    let checker = Checker::new().with_crls(vec![f.crl, f.arl]).offline(true);
    match checker.status_at(&f.ca, &f.root, t(AT)) {
        RevocationStatus::Good { source } => assert!(source.starts_with("supplied CRL #2")),
        other => panic!("expected Good, got {other:?}"),
    }
}

#[test]
fn arl_is_not_in_scope_for_the_end_entity() {
    let Some(dir) = common::hpki_real() else {
        return;
    };
    let f = files(&dir);
    let arl = Crl::from_pem_or_der(&f.arl).unwrap();
    let ee = CertRef::parse(&f.ee).unwrap();
    assert_eq!(
        arl.check_scope(&ee),
        Err(CrlError::NotInScope(ScopeMismatch::OnlyCaCerts))
    );
    // With only the ARL, nothing can be said about the EE.
    let checker = Checker::new().with_crls(vec![f.arl]).offline(true);
    match checker.status_at(&f.ee, &f.ca, t(AT)) {
        RevocationStatus::Unknown { reason } => {
            assert!(reason.contains("none issued by"), "{reason}");
            assert!(reason.contains("offline"), "{reason}");
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn both_signatures_verify_with_their_issuers_keys() {
    let Some(dir) = common::hpki_real() else {
        return;
    };
    let f = files(&dir);
    let (root, ca) = (
        CertRef::parse(&f.root).unwrap(),
        CertRef::parse(&f.ca).unwrap(),
    );
    let crl = Crl::from_pem_or_der(&f.crl).unwrap();
    let arl = Crl::from_pem_or_der(&f.arl).unwrap();
    assert_eq!(crl.verify_signature(&ca), Ok(()));
    assert_eq!(arl.verify_signature(&root), Ok(()));
    assert!(matches!(
        crl.verify_signature(&root),
        Err(CrlError::IssuerNameMismatch { .. })
    ));
    // One flipped bit in the signature value.
    let mut bad = f.crl.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    let bad = Crl::from_der(bad).unwrap();
    assert!(matches!(
        bad.verify_signature(&ca),
        Err(CrlError::BadSignature(_))
    ));
    // ...and in the signed part (an entry's date): parsed fine, signature fails.
    let mut bad = f.crl.clone();
    let pos = bad.windows(13).position(|w| w == b"170920031723Z").unwrap();
    bad[pos + 12 - 1] = b'4';
    let bad = Crl::from_der(bad).unwrap();
    assert!(matches!(
        bad.verify_signature(&ca),
        Err(CrlError::BadSignature(_))
    ));
    // PEM input is accepted.
    let pem = der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, &f.crl).unwrap();
    assert_eq!(
        Crl::from_pem_or_der(pem.as_bytes()).unwrap().der(),
        &f.crl[..]
    );
}

#[test]
fn stale_crls_give_unknown_and_later_revocations_do_not_count() {
    let Some(dir) = common::hpki_real() else {
        return;
    };
    let f = files(&dir);
    let checker = Checker::new()
        .with_crls(vec![f.crl.clone(), f.arl])
        .offline(true);
    match checker.status_at(&f.ee, &f.ca, t("2022-09-11T00:00:00Z")) {
        RevocationStatus::Unknown { reason } => {
            assert!(reason.contains("stale"), "{reason}");
            assert!(
                reason.contains("nextUpdate 2022-09-10T18:00:00Z"),
                "{reason}"
            );
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    // Before the CRL was issued it still vouches (revocations are listed from then on).
    assert!(matches!(
        checker.status_at(&f.ee, &f.ca, t("2022-03-01T00:00:00Z")),
        RevocationStatus::Good { .. }
    ));
    // A wrong issuer certificate is refused up front.
    match checker.status_at(&f.ee, &f.root, t(AT)) {
        RevocationStatus::Unknown { reason } => assert!(reason.contains("issuer"), "{reason}"),
        other => panic!("expected Unknown, got {other:?}"),
    }
}

/// The e-prescription sample's test TSA CA (a self-signed v3 root with keyUsage
/// keyCertSign + cRLSign and no basicConstraints, as some Japanese test and legacy CAs
/// are) signed the CRL of its TSA certificate: it is accepted as a CRL issuer, as OpenSSL
/// accepts a keyCertSign certificate without basicConstraints as a CA. Before, the CRL was
/// refused (IssuerNotCa), leaving the TSA's revocation status unknown.
#[test]
fn e_prescription_tsa_ca_without_basic_constraints_signs_its_crl() {
    let Some(dir) = common::hpki_real() else {
        return;
    };
    let ca = std::fs::read(dir.join("eprescription-tsa-ca.cer")).unwrap();
    let crl = Crl::from_der(std::fs::read(dir.join("eprescription-tsa-ca.crl")).unwrap()).unwrap();
    assert_eq!(crl.verify_signature(&CertRef::parse(&ca).unwrap()), Ok(()));
}
