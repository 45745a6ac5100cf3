//! CRLs partitioned by reason (RFC 5280 §5.2.5 onlySomeReasons, §6.3.3 (d)–(e), (l)): a
//! certificate is good only when the CRLs used together cover every reason; any partition
//! listing it revokes it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::crlgen::{Entry, IDP, Spec, fixture, idp};
use kenpo_core::cert::CertRef;
use kenpo_revocation::crl::{Crl, CrlError, ScopeMismatch, effective_distribution_points};
use kenpo_revocation::names::ALL_REASONS;
use kenpo_revocation::{Checker, RevocationStatus};
use kenpo_testpki::TestPki;
use time::Duration;

/// keyCompromise (1) and cACompromise (2).
const COMPROMISE: &[u8] = &[0x05, 0x60];
/// affiliationChanged (3) … aACompromise (8).
const OTHERS: &[u8] = &[0x07, 0x1f, 0x80];

fn partition(pki: &TestPki, reasons: &[u8], entries: Vec<Entry>) -> Vec<u8> {
    let mut spec = Spec::new(pki, "hpki-sign-ca").ext(IDP, true, &idp(None, Some(reasons), false));
    spec.entries = entries;
    spec.build(pki)
}

#[test]
fn each_partition_covers_its_reasons() {
    let f = fixture();
    let cert = CertRef::parse(&f.ee).unwrap();
    let dps = effective_distribution_points(&cert).unwrap();
    let a = Crl::from_der(partition(&f.pki, COMPROMISE, vec![])).unwrap();
    let b = Crl::from_der(partition(&f.pki, OTHERS, vec![])).unwrap();
    let ma = a.distribution_point_scope(&cert, &dps[0]).unwrap();
    let mb = b.distribution_point_scope(&cert, &dps[0]).unwrap();
    assert_eq!(ma, 0x0006);
    assert_eq!(ma | mb, ALL_REASONS);
    assert_eq!(ma & mb, 0);
    assert_eq!(
        a.check_scope(&cert),
        Err(CrlError::NotInScope(ScopeMismatch::OnlySomeReasons(0x0006)))
    );
}

#[test]
fn good_needs_every_reason_covered() {
    let f = fixture();
    let a = partition(&f.pki, COMPROMISE, vec![]);
    let b = partition(&f.pki, OTHERS, vec![]);
    let one = Checker::new().with_crls(vec![a.clone()]).offline(true);
    match one.check(&f.ee, &f.ca, f.pki.now()).status {
        RevocationStatus::Unknown { reason } => {
            assert!(reason.contains("only some revocation reasons"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let both = Checker::new().with_crls(vec![a, b]).offline(true);
    let report = both.check(&f.ee, &f.ca, f.pki.now());
    match &report.status {
        RevocationStatus::Good { source } => {
            assert!(source.contains("#1") && source.contains("#2"), "{source}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.more_evidence.len(), 1);
}

#[test]
fn any_partition_listing_the_certificate_revokes_it() {
    let f = fixture();
    let day = f.pki.now() - Duration::days(1);
    let a = partition(&f.pki, COMPROMISE, vec![]);
    let b = partition(&f.pki, OTHERS, vec![Entry::new(&f.serial, day, Some(3))]);
    // Even with the compromise partition missing, the listing is definite.
    for crls in [vec![b.clone()], vec![a, b]] {
        let checker = Checker::new().with_crls(crls).offline(true);
        match checker.check(&f.ee, &f.ca, f.pki.now()).status {
            RevocationStatus::Revoked { reason, .. } => assert_eq!(reason, Some(3)),
            other => panic!("{other:?}"),
        }
    }
}
