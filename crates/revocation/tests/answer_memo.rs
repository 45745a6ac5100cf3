//! A checker remembers the answers its supplied CRLs give (per certificate and issuer) and
//! gives one again only while its CRL still finds the same: at every time, in any order of
//! questions, a reused checker answers exactly as a fresh one does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::crlgen::{Entry, Spec, fixture};
use kenpo_revocation::crl::{REASON_CERTIFICATE_HOLD, REASON_REMOVE_FROM_CRL};
use kenpo_revocation::{CheckReport, Checker, Evidence, RevocationCheck};
use time::{Duration, OffsetDateTime};

/// What a report says, evidence named by source.
fn said(r: &CheckReport) -> String {
    let source = |e: &Evidence| match e {
        Evidence::Crl { source, .. } | Evidence::Ocsp { source, .. } => source.clone(),
    };
    format!(
        "{:?} evidence {:?} more {:?} notes {:?}",
        r.status,
        r.evidence.as_ref().map(source),
        r.more_evidence.iter().map(source).collect::<Vec<_>>(),
        r.notes
    )
}

/// Asks `reused` about (`cert`, `issuer`) at each of `times` in turn, and a fresh checker
/// over the same CRLs each time; both must say the same.
fn same_as_fresh(crls: &[Vec<u8>], cert: &[u8], issuer: &[u8], times: &[OffsetDateTime]) {
    let fresh = || Checker::new().offline(true).with_crls(crls.to_vec());
    let reused = fresh();
    for (round, at) in times.iter().chain(times.iter().rev()).enumerate() {
        let want = said(&fresh().check(cert, issuer, *at));
        assert_eq!(
            said(&reused.check(cert, issuer, *at)),
            want,
            "round {round} at {at}"
        );
        assert_eq!(
            format!("{:?}", reused.status_at(cert, issuer, *at)),
            format!("{:?}", fresh().status_at(cert, issuer, *at)),
            "status, round {round} at {at}"
        );
    }
}

/// Times around every edge of a CRL made by `Spec::new` with an entry dated `now + 1 h`:
/// before thisUpdate, the entry's date, nextUpdate (with the clock skew), long after.
fn times(now: OffsetDateTime) -> Vec<OffsetDateTime> {
    let h = Duration::hours(1);
    let s = Duration::seconds(1);
    let skew = kenpo_revocation::DEFAULT_CLOCK_SKEW;
    vec![
        now,
        now + 2 * h,
        now,
        now + h - s,
        now + h,
        now + h + s,
        now - 2 * h,
        now - h - skew - s,
        now - h,
        now + Duration::days(7),
        now + Duration::days(7) + skew + s,
        now + Duration::days(30),
        now,
    ]
}

#[test]
fn a_reused_checker_answers_as_a_fresh_one_at_every_time() {
    let f = fixture();
    let p = &f.pki;
    let now = p.now();
    let later = now + Duration::hours(1);
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("not listed", vec![Spec::new(p, "hpki-sign-ca").build(p)]),
        (
            "revoked an hour later",
            vec![
                Spec::new(p, "hpki-sign-ca")
                    .entry(Entry::new(&f.serial, later, Some(1)))
                    .build(p),
            ],
        ),
        (
            "on hold an hour later",
            vec![
                Spec::new(p, "hpki-sign-ca")
                    .entry(Entry::new(&f.serial, later, Some(REASON_CERTIFICATE_HOLD)))
                    .build(p),
            ],
        ),
        (
            "removed from the CRL",
            vec![
                Spec::new(p, "hpki-sign-ca")
                    .entry(Entry::new(&f.serial, later, Some(REASON_REMOVE_FROM_CRL)))
                    .build(p),
            ],
        ),
        (
            "an older CRL first, then a newer one",
            vec![
                {
                    let mut old = Spec::new(p, "hpki-sign-ca");
                    old.this_update = now - Duration::days(10);
                    old.next_update = Some(now - Duration::days(3));
                    old.build(p)
                },
                Spec::new(p, "hpki-sign-ca")
                    .entry(Entry::new(&f.serial, later, None))
                    .build(p),
            ],
        ),
        (
            "a CRL of another issuer first",
            vec![
                Spec::new(p, "hpki-auth-ca").build(p),
                Spec::new(p, "hpki-sign-ca").build(p),
            ],
        ),
    ];
    for (name, crls) in &cases {
        eprintln!("case: {name}");
        same_as_fresh(crls, &f.ee, &f.ca, &times(now));
    }
}

#[test]
fn a_revocation_after_a_good_answer_is_found() {
    let f = fixture();
    let p = &f.pki;
    let now = p.now();
    let crl = Spec::new(p, "hpki-sign-ca")
        .entry(Entry::new(&f.serial, now + Duration::hours(1), Some(1)))
        .build(p);
    let checker = Checker::new().offline(true).with_crls(vec![crl]);
    let good = checker.check(&f.ee, &f.ca, now);
    assert!(
        matches!(good.status, kenpo_revocation::RevocationStatus::Good { .. }),
        "{good:?}"
    );
    let revoked = checker.status_at(&f.ee, &f.ca, now + Duration::hours(2));
    assert!(
        matches!(
            revoked,
            kenpo_revocation::RevocationStatus::Revoked {
                reason: Some(1),
                ..
            }
        ),
        "{revoked:?}"
    );
    let stale = checker.status_at(&f.ee, &f.ca, now + Duration::days(30));
    assert!(
        !matches!(stale, kenpo_revocation::RevocationStatus::Good { .. }),
        "{stale:?}"
    );
    // Another issuer certificate is another question.
    let other = p.entity("hpki-auth-ca").unwrap().cert_der.clone();
    assert!(matches!(
        checker.status_at(&f.ee, &other, now),
        kenpo_revocation::RevocationStatus::Unknown { .. }
    ));
}
