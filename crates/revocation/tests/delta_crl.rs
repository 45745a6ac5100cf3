//! Delta CRLs (RFC 5280 §5.2.4, §6.3.3 (c), (i)–(k)): when a delta applies to a complete
//! CRL, and the status the pair gives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::crlgen::{AKI, Entry, IDP, Spec, fixture, idp};
use kenpo_core::cert::CertRef;
use kenpo_revocation::crl::{
    Crl, CrlError, DeltaMismatch, REASON_CERTIFICATE_HOLD, REASON_REMOVE_FROM_CRL,
};
use kenpo_revocation::{Checker, DEFAULT_CLOCK_SKEW, Finding, RevocationStatus};
use kenpo_testpki::TestPki;
use time::Duration;

fn crl(spec: Spec, pki: &TestPki) -> Crl {
    Crl::from_der(spec.build(pki)).unwrap()
}

#[test]
fn numbering_issuer_and_scope_rules() {
    let f = fixture();
    let p = &f.pki;
    let base = |n| crl(Spec::new(p, "hpki-sign-ca").number(n), p);
    let delta = |n, b| crl(Spec::new(p, "hpki-sign-ca").number(n).delta_of(b), p);
    assert_eq!(delta(6, 5).delta_applies_to(&base(5)), Ok(()));
    assert_eq!(delta(6, 4).delta_applies_to(&base(5)), Ok(()));
    assert!(matches!(
        delta(6, 5).delta_applies_to(&base(4)),
        Err(DeltaMismatch::BaseTooOld { .. })
    ));
    assert!(matches!(
        delta(5, 4).delta_applies_to(&base(5)),
        Err(DeltaMismatch::NotNewer { .. })
    ));
    assert_eq!(
        base(6).delta_applies_to(&base(5)),
        Err(DeltaMismatch::NotDelta)
    );
    assert_eq!(
        delta(7, 5).delta_applies_to(&delta(6, 5)),
        Err(DeltaMismatch::BaseIsDelta)
    );
    let other = crl(Spec::new(p, "hpki-auth-ca").number(6).delta_of(5), p);
    assert_eq!(other.delta_applies_to(&base(5)), Err(DeltaMismatch::Issuer));
    let scoped = crl(
        Spec::new(p, "hpki-sign-ca").number(6).delta_of(5).ext(
            IDP,
            true,
            &idp(Some("http://127.0.0.1:9/d.crl"), None, false),
        ),
        p,
    );
    assert_eq!(scoped.delta_applies_to(&base(5)), Err(DeltaMismatch::Scope));
    let aki = |k: u8| vec![0x30, 0x04, 0x80, 0x02, k, k];
    let with_aki = crl(
        Spec::new(p, "hpki-sign-ca")
            .number(5)
            .ext(AKI, false, &aki(1)),
        p,
    );
    let delta_aki = crl(
        Spec::new(p, "hpki-sign-ca")
            .number(6)
            .delta_of(5)
            .ext(AKI, false, &aki(2)),
        p,
    );
    assert_eq!(
        delta_aki.delta_applies_to(&with_aki),
        Err(DeltaMismatch::AuthorityKeyId)
    );
    assert_eq!(
        base(5).delta_applies_to(&base(5)),
        Err(DeltaMismatch::NotDelta)
    );
    assert!(delta(6, 5).is_delta() && delta(6, 5).base_crl_number() == Some(&[5][..]));
}

#[test]
fn the_delta_entry_wins() {
    let f = fixture();
    let p = &f.pki;
    let cert = CertRef::parse(&f.ee).unwrap();
    let day = p.now() - Duration::days(3);
    let on_hold = Spec::new(p, "hpki-sign-ca").number(5).entry(Entry::new(
        &f.serial,
        day,
        Some(REASON_CERTIFICATE_HOLD),
    ));
    let base = crl(on_hold, p);
    let removed = crl(
        Spec::new(p, "hpki-sign-ca")
            .number(6)
            .delta_of(5)
            .entry(Entry::new(
                &f.serial,
                day + Duration::days(1),
                Some(REASON_REMOVE_FROM_CRL),
            )),
        p,
    );
    let at = p.now();
    assert!(matches!(
        base.finding_at(&cert, at, DEFAULT_CLOCK_SKEW),
        Ok(Finding::Revoked { .. })
    ));
    assert_eq!(
        base.finding_with_delta(&removed, &cert, at, DEFAULT_CLOCK_SKEW),
        Ok(Finding::NotRevoked)
    );
    // Before the removal, the hold stands.
    assert!(matches!(
        base.finding_with_delta(
            &removed,
            &cert,
            day + Duration::hours(1),
            DEFAULT_CLOCK_SKEW
        ),
        Ok(Finding::Revoked { .. })
    ));
    // Revoked on the delta only.
    let clean = crl(Spec::new(p, "hpki-sign-ca").number(5), p);
    let revoked = crl(
        Spec::new(p, "hpki-sign-ca")
            .number(6)
            .delta_of(5)
            .entry(Entry::new(&f.serial, day, Some(1))),
        p,
    );
    assert_eq!(
        clean.finding_with_delta(&revoked, &cert, at, DEFAULT_CLOCK_SKEW),
        Ok(Finding::Revoked {
            time: revoked.entry(&f.serial).unwrap().unwrap().revocation_date,
            reason: Some(1)
        })
    );
    // A delta that does not apply is refused.
    assert!(matches!(
        clean.finding_with_delta(&clean, &cert, at, DEFAULT_CLOCK_SKEW),
        Err(CrlError::Delta(DeltaMismatch::NotDelta))
    ));
}

#[test]
fn a_current_delta_makes_a_stale_complete_crl_usable() {
    let f = fixture();
    let p = &f.pki;
    let cert = CertRef::parse(&f.ee).unwrap();
    let mut stale = Spec::new(p, "hpki-sign-ca").number(5);
    stale.this_update = p.now() - Duration::days(10);
    stale.next_update = Some(p.now() - Duration::days(3));
    let stale = stale.build(p);
    let delta = Spec::new(p, "hpki-sign-ca").number(6).delta_of(5).build(p);
    let at = p.now();
    let base = Crl::from_der(stale.clone()).unwrap();
    assert!(matches!(
        base.finding_at(&cert, at, DEFAULT_CLOCK_SKEW),
        Err(CrlError::Stale { .. })
    ));
    assert_eq!(
        base.finding_with_delta(
            &Crl::from_der(delta.clone()).unwrap(),
            &cert,
            at,
            DEFAULT_CLOCK_SKEW
        ),
        Ok(Finding::NotRevoked)
    );
    // Through the checker: good, with both CRLs as evidence.
    let checker = Checker::new().with_crls(vec![delta, stale]).offline(true);
    let report = checker.check(&f.ee, &f.ca, at);
    match &report.status {
        RevocationStatus::Good { source } => assert!(source.contains("with delta"), "{source}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(report.more_evidence.len(), 1);
}

#[test]
fn a_delta_signed_by_another_key_is_not_used() {
    let f = fixture();
    let p = &f.pki;
    let base = Spec::new(p, "hpki-sign-ca").number(5).build(p);
    let mut forged = Spec::new(p, "hpki-sign-ca")
        .number(6)
        .delta_of(5)
        .entry(Entry::new(&f.serial, p.now() - Duration::days(1), Some(1)));
    forged.signer = "hpki-auth-ca".into();
    let checker = Checker::new()
        .with_crls(vec![base, forged.build(p)])
        .offline(true);
    let report = checker.check(&f.ee, &f.ca, p.now());
    assert!(
        matches!(report.status, RevocationStatus::Good { .. }),
        "{report:?}"
    );
    assert!(
        report.notes.iter().any(|n| n.contains("not used")),
        "{:?}",
        report.notes
    );
}

#[test]
fn a_critical_crl_number_is_refused() {
    let f = fixture();
    let der = Spec::new(&f.pki, "hpki-sign-ca")
        .ext(common::crlgen::CRL_NUMBER, true, &[0x02, 0x01, 0x05])
        .build(&f.pki);
    assert!(matches!(Crl::from_der(der), Err(CrlError::Malformed(_))));
}
