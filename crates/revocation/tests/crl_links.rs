//! A CRL that verified against its issuer certificate is remembered in the run's
//! [`LinkCache`] (kept by the caller's verification context), so that the checker made for
//! the next file does not verify its signature again; the answers stay those of a fresh
//! checker, and a CRL that does not verify is never remembered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::crlgen::{Spec, fixture};
use kenpo_revocation::{CheckReport, Checker, LinkCache};

fn said(r: &CheckReport) -> String {
    format!("{:?} notes {:?}", r.status, r.notes)
}

#[test]
fn a_verified_crl_is_remembered_for_the_next_checker_of_the_run() {
    let f = fixture();
    let p = &f.pki;
    let now = p.now();
    let crl = Spec::new(p, "hpki-sign-ca").build(p);
    let links = Arc::new(LinkCache::new());
    let checker = |crl: &[u8]| {
        Checker::new()
            .offline(true)
            .with_crls(vec![crl.to_vec()])
            .with_link_cache(links.clone())
    };
    let fresh = |crl: &[u8]| {
        let c = Checker::new().offline(true).with_crls(vec![crl.to_vec()]);
        said(&c.check(&f.ee, &f.ca, now))
    };

    let first = said(&checker(&crl).check(&f.ee, &f.ca, now));
    assert!(first.starts_with("Good"), "{first}");
    assert!(
        links.contains(&crl, &f.ca),
        "the CRL verified against its issuer certificate is remembered"
    );
    assert_eq!(said(&checker(&crl).check(&f.ee, &f.ca, now)), first);
    assert_eq!(first, fresh(&crl));

    // A CRL whose signature does not verify: answered as a fresh checker answers it, and
    // never remembered.
    let mut bad = crl.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    for _ in 0..2 {
        let answer = said(&checker(&bad).check(&f.ee, &f.ca, now));
        assert!(!answer.starts_with("Good"), "{answer}");
        assert_eq!(answer, fresh(&bad));
    }
    assert!(!links.contains(&bad, &f.ca));
    // The remembered pair is (CRL, whole issuer certificate): another certificate, even
    // one with the issuer's key, is another question.
    let spki = kenpo_core::cert::CertRef::parse(&f.ca)
        .unwrap()
        .spki
        .to_vec();
    assert!(!links.contains(&crl, &spki));
}
