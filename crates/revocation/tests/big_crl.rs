//! A 100,000-entry CRL signed by a test CA: parsed once, signature verified, O(1) lookups
//! correct (timing is in `benches/crl.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use kenpo_core::cert::CertRef;
use kenpo_revocation::crl::Crl;
use kenpo_revocation::{Checker, Finding, RevocationCheck, RevocationStatus};
use kenpo_testpki::Config;

use common::bigcrl;

const N: usize = 100_000;

#[test]
fn hundred_thousand_entries() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let revoked = pki
        .revoked()
        .iter()
        .find(|r| r.subject == "hpki-signer-revoked")
        .unwrap()
        .clone();
    // The real revoked signer sits among 100,000 generated entries, listed twice (the
    // earlier date must win).
    let extra = vec![
        (revoked.serial.clone(), revoked.time, Some(1)),
        (
            revoked.serial.clone(),
            revoked.time + time::Duration::days(1),
            Some(4),
        ),
    ];
    let der = bigcrl::build(&pki, "hpki-sign-ca", "hpki-sign-ca", N, &extra);
    assert!(der.len() > 2_500_000, "{} bytes", der.len());

    let crl = Arc::new(Crl::from_der(der).unwrap());
    assert_eq!(crl.len(), N + 1);
    let ca_der = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let ca = CertRef::parse(&ca_der).unwrap();
    assert_eq!(crl.verify_signature(&ca), Ok(()));

    let now = pki.now();
    for i in [0, 1, 2, 3, 4999, 50_000, 77_777, N - 1] {
        let e = crl
            .entry(&bigcrl::serial_of(i))
            .unwrap()
            .unwrap_or_else(|| panic!("entry {i} missing"));
        assert_eq!(e.revocation_date, bigcrl::date_of(now, i), "entry {i}");
        assert_eq!(e.reason, bigcrl::reason_of(i), "entry {i}");
    }
    for absent in [N, N + 1, 10 * N] {
        assert_eq!(crl.entry(&bigcrl::serial_of(absent)).unwrap(), None);
    }
    let e = crl.entry(&revoked.serial).unwrap().unwrap();
    assert_eq!((e.revocation_date, e.reason), (revoked.time, Some(1)));

    // Through the checker, the parsed CRL shared, many certificates, one parse.
    let checker = Checker::new()
        .offline(true)
        .with_parsed_crls(vec![Arc::clone(&crl)]);
    for _ in 0..3 {
        assert!(matches!(
            checker.status_at(
                &pki.entity("hpki-signer-revoked").unwrap().cert_der,
                &ca_der,
                now
            ),
            RevocationStatus::Revoked {
                reason: Some(1),
                ..
            }
        ));
        assert!(matches!(
            checker.status_at(&pki.entity("hpki-signer").unwrap().cert_der, &ca_der, now),
            RevocationStatus::Good { .. }
        ));
    }
    let signer_der = pki.entity("hpki-signer").unwrap().cert_der.clone();
    let signer = CertRef::parse(&signer_der).unwrap();
    assert_eq!(crl.status_at(&signer, &ca, now), Ok(Finding::NotRevoked));
}
