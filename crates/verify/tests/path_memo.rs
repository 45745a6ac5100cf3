//! `PathMemo`: a path that validated is checked again at another time by its
//! time-dependent checks and revocation only, and every answer is the one a fresh
//! validation gives (same path and checks when it holds, same error when it does not).
//! Signatures are counted by the memo-backed validators' own context.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kenpo_revocation::{Checker, LinkCache};
use kenpo_testpki::TestPki;
use kenpo_verify::Context;
use kenpo_verify::path::{PathError, PathMemo, PathValidator, ValidationOptions};
use time::{Duration, OffsetDateTime};

struct Fixture {
    pki: TestPki,
    /// The memo-backed validators' context (its own signature counter and [`PathMemo`]).
    ctx: Arc<Context>,
    /// The memo-backed validators' checker: it checks each CRL signature once, so the
    /// signatures counted are those of path building.
    checker: Arc<Checker>,
}

impl Fixture {
    fn new() -> Self {
        let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
        let checker = Arc::new(checker(&pki).with_link_cache(Arc::new(LinkCache::new())));
        Self {
            pki,
            ctx: Arc::new(Context::new()),
            checker,
        }
    }

    fn memo(&self) -> &PathMemo {
        self.ctx.paths().unwrap()
    }

    fn cert(&self, name: &str) -> Vec<u8> {
        self.pki.entity(name).unwrap().cert_der.clone()
    }

    /// An HPKI-signature validator at `at` with the CA in its store and the CRLs.
    fn validator(&self, at: OffsetDateTime, with_ca: bool, memo: bool) -> PathValidator {
        let mut v = PathValidator::new(
            vec![self.cert("root-ca")],
            ValidationOptions::hpki_signature(at),
        );
        if with_ca {
            v = v.with_intermediates(vec![self.cert("hpki-sign-ca")]);
        }
        if memo {
            v.with_context(self.ctx.clone())
                .with_revocation(self.checker.clone())
        } else {
            v.with_revocation(Arc::new(checker(&self.pki)))
        }
    }

    /// Validates `leaf` at `at` with and without the memo; asserts both answers are equal
    /// and returns it with the signature checks the memo-backed validation made.
    fn both(
        &self,
        leaf: &str,
        at: OffsetDateTime,
        with_ca: bool,
    ) -> (Result<Vec<Vec<u8>>, PathError>, u64) {
        let leaf = self.cert(leaf);
        let before = self.ctx.verifications();
        let memo = self.validator(at, with_ca, true).validate(&leaf, &[]);
        let checks = self.ctx.verifications() - before;
        let fresh = self.validator(at, with_ca, false).validate(&leaf, &[]);
        assert_eq!(memo, fresh, "at {at}");
        (memo.map(|p| p.certs), checks)
    }
}

fn checker(pki: &TestPki) -> Checker {
    let crls = vec![
        pki.crl("hpki-sign-ca").unwrap().der.clone(),
        pki.crl("root-ca").unwrap().der.clone(),
    ];
    Checker::new().with_crls(crls).offline(true)
}

#[test]
fn remembered_paths_answer_as_fresh_validations() {
    let f = Fixture::new();
    remembered_paths_hold_or_fail_as_fresh(&f);
    revocation_is_asked_at_every_replay(&Fixture::new());
    other_options_are_not_replayed(&Fixture::new());
}

fn remembered_paths_hold_or_fail_as_fresh(f: &Fixture) {
    let now = f.pki.now();
    let (first, checks) = f.both("hpki-signer", now, true);
    assert_eq!(first.unwrap().len(), 3);
    assert!(
        checks >= 2,
        "a fresh build checks both certificate signatures: {checks}"
    );
    assert_eq!(f.memo().len(), 1);

    // Another time: replayed, no certificate signature checked, same path and checks.
    let (again, checks) = f.both("hpki-signer", now + Duration::hours(5), true);
    assert!(again.is_ok());
    assert_eq!(checks, 0, "the remembered path needs no signature check");

    // After the leaf's notAfter: the error of a fresh validation.
    let leaf = f.cert("hpki-signer");
    let expiry = kenpo_core::cert::CertRef::parse(&leaf).unwrap().not_after;
    let (late, _) = f.both("hpki-signer", expiry + Duration::seconds(1), true);
    assert!(
        matches!(late, Err(PathError::Expired { index: 0, .. })),
        "{late:?}"
    );

    // The intermediate is no longer a candidate: no chain, as without the memo.
    let (missing, _) = f.both("hpki-signer", now, false);
    assert!(
        matches!(missing, Err(PathError::NoChain { .. })),
        "{missing:?}"
    );
}

fn revocation_is_asked_at_every_replay(f: &Fixture) {
    let now = f.pki.now();
    // Revoked one day before `now`: good two days before, remembered then.
    let (before, _) = f.both("hpki-signer-revoked", now - Duration::days(2), true);
    assert!(before.is_ok(), "{before:?}");
    assert_eq!(f.memo().len(), 1);
    let (after, _) = f.both("hpki-signer-revoked", now, true);
    assert!(
        matches!(after, Err(PathError::Revoked { index: 0, .. })),
        "{after:?}"
    );
}

fn other_options_are_not_replayed(f: &Fixture) {
    let now = f.pki.now();
    f.both("hpki-signer", now, true).0.unwrap();
    let leaf = f.cert("hpki-signer");
    // Same leaf and time, but the TSA purpose: refused exactly as without the memo.
    let mut v = f.validator(now, true, true);
    v.options_mut().required_eku = Some(kenpo_core::oid::KP_TIME_STAMPING);
    v.options_mut().eku_must_be_present = true;
    let with_memo = v.validate(&leaf, &[]);
    assert!(
        matches!(with_memo, Err(PathError::LeafUsage { .. })),
        "{with_memo:?}"
    );
}
