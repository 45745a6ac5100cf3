//! Indirect CRLs (RFC 5280 §5.2.5 indirectCRL, §5.3.3 certificateIssuer): entries belong
//! to the issuer named by the latest certificateIssuer before them, the CRL issuer by
//! default; such entries need an indirect CRL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::bigcrl::{extension, utc_time};
use common::crlgen::{DELTA, Entry, FRESHEST, IDP, Spec, idp, subject};
use kenpo_core::cert::CertRef;
use kenpo_core::der_span::{tag, tlv};
use kenpo_revocation::crl::{Crl, CrlError, ScopeMismatch};
use kenpo_revocation::{Checker, RevocationStatus};
use kenpo_testpki::{Config, TestPki};
use time::Duration;

fn serial(pki: &TestPki, name: &str) -> Vec<u8> {
    let der = pki.entity(name).unwrap().cert_der.clone();
    CertRef::parse(&der).unwrap().serial.to_vec()
}

#[test]
fn entries_follow_the_latest_certificate_issuer() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let (own, other) = (subject(&pki, "hpki-sign-ca"), subject(&pki, "hpki-auth-ca"));
    let day = pki.now() - Duration::days(2);
    let der = Spec::new(&pki, "hpki-sign-ca")
        .ext(IDP, true, &idp(None, None, true))
        .entry(Entry::new(&[0x0a], day, Some(1)))
        .entry(Entry::new(&[0x0b], day, Some(1)).issued_by(&other))
        .entry(Entry::new(&[0x0c], day, None))
        .entry(Entry::new(&[0x0d], day, Some(4)).issued_by(&own))
        .build(&pki);
    let crl = Crl::from_der(der).unwrap();
    assert!(crl.has_indirect_entries());
    let listed = |issuer: &[u8], s: u8| crl.entry_for(issuer, &[s]).unwrap().is_some();
    assert!(listed(&own, 0x0a) && !listed(&other, 0x0a));
    assert!(listed(&other, 0x0b) && !listed(&own, 0x0b));
    // No extension: still the previous entry's issuer.
    assert!(listed(&other, 0x0c) && !listed(&own, 0x0c));
    // certificateIssuer naming the CRL issuer itself.
    assert!(listed(&own, 0x0d) && !listed(&other, 0x0d));
    assert_eq!(crl.entry(&[0x0d]).unwrap().unwrap().reason, Some(4));
    assert_eq!(crl.entry(&[0x0b]).unwrap(), None);
    assert_eq!(crl.len(), 4);
}

#[test]
fn certificate_issuer_entries_need_an_indirect_crl() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let other = subject(&pki, "hpki-auth-ca");
    let day = pki.now() - Duration::days(2);
    let der = Spec::new(&pki, "hpki-sign-ca")
        .entry(Entry::new(&[0x0b], day, Some(1)).issued_by(&other))
        .build(&pki);
    let ee = pki.entity("hpki-signer").unwrap().cert_der.clone();
    let crl = Crl::from_der(der).unwrap();
    assert_eq!(
        crl.check_scope(&CertRef::parse(&ee).unwrap()),
        Err(CrlError::NotInScope(ScopeMismatch::IndirectCrl))
    );
}

#[test]
fn checker_reads_entries_for_the_certificate_issuer_only() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    let (own, other) = (subject(&pki, "hpki-sign-ca"), subject(&pki, "hpki-auth-ca"));
    let ee = pki.entity("hpki-signer").unwrap().cert_der.clone();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let s = serial(&pki, "hpki-signer");
    let day = pki.now() - Duration::days(2);
    let build = |entries: Vec<Entry>| {
        let mut spec = Spec::new(&pki, "hpki-sign-ca").ext(IDP, true, &idp(None, None, true));
        spec.entries = entries;
        spec.build(&pki)
    };
    // The signer's serial listed for another issuer: not about this certificate.
    let foreign = build(vec![Entry::new(&s, day, Some(1)).issued_by(&other)]);
    let checker = Checker::new().with_crls(vec![foreign]).offline(true);
    assert!(
        matches!(
            checker.check(&ee, &ca, pki.now()).status,
            RevocationStatus::Good { .. }
        ),
        "listed for another issuer"
    );
    // Back to the CRL issuer after another issuer's entries: revoked.
    let mine = build(vec![
        Entry::new(&[0x7f], day, Some(1)).issued_by(&other),
        Entry::new(&s, day, Some(1)).issued_by(&own),
    ]);
    let checker = Checker::new().with_crls(vec![mine]).offline(true);
    match checker.check(&ee, &ca, pki.now()).status {
        RevocationStatus::Revoked { reason, .. } => assert_eq!(reason, Some(1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_indirect_and_delta_fields_are_errors() {
    let pki = kenpo_testpki::generate(&Config::default()).unwrap();
    // Control: a well-formed value through the same builder.
    let names = tlv(
        tag::SEQUENCE,
        &[&tlv(0xa4, &[&subject(&pki, "hpki-auth-ca")])],
    );
    let crl = Crl::from_der(raw_entry_crl(&pki, &names)).unwrap();
    assert!(crl.has_indirect_entries());
    // certificateIssuer values that are not GeneralNames.
    for bad in [
        &b""[..],
        b"\x30\x00",
        b"\x30\x02\xa4\x00",
        b"\x04\x01\x00",
        b"\x30\x84\xff",
    ] {
        let der = raw_entry_crl(&pki, bad);
        assert!(Crl::from_der(der).is_err(), "{bad:?}");
    }
    // freshestCRL and deltaCRLIndicator with bad values.
    for (oid, value) in [
        (FRESHEST, &b"\x30\x03\x30\x01\x00"[..]),
        (FRESHEST, b"\x02\x01\x01"),
        (DELTA, b"\x04\x01\x01"),
        (DELTA, b""),
    ] {
        let der = Spec::new(&pki, "hpki-sign-ca")
            .ext(oid, false, value)
            .build(&pki);
        assert!(Crl::from_der(der).is_err(), "{oid:?} {value:?}");
    }
}

/// A CRL whose single entry carries `value` as its certificateIssuer extension value.
fn raw_entry_crl(pki: &TestPki, value: &[u8]) -> Vec<u8> {
    let ext = extension(&[0x55, 0x1d, 0x1d], true, value);
    let entry = tlv(
        tag::SEQUENCE,
        &[
            &tlv(tag::INTEGER, &[&[0x0b]]),
            &utc_time(pki.now() - Duration::days(1)),
            &tlv(tag::SEQUENCE, &[&ext]),
        ],
    );
    let mut spec = Spec::new(pki, "hpki-sign-ca").ext(IDP, true, &idp(None, None, true));
    spec.raw_entries = Some(entry);
    spec.build(pki)
}
