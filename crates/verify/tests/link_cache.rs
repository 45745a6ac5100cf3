//! A reused `Verifier` remembers verified certificate signatures across files: a second
//! file by another signer of the same CA costs only what is new (its own signature and its
//! own certificate's link), counted by the verifier's context.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kenpo_core::crypto::default_backend;
use kenpo_sign::Profile;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::signer::SoftwareSigner;
use kenpo_testpki::TestPki;
use kenpo_verify::Indication;
use kenpo_verify::validate::{Verifier, VerifyOptions};

fn sign(pki: &TestPki, name: &str, doc: &[u8]) -> Vec<u8> {
    let e = pki.entity(name).unwrap();
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let signer = SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![ca]).unwrap();
    let opts = SignOptions::default()
        .with_attached(true)
        .with_now(Some(pki.now()));
    sign_bytes(&signer, doc, &opts).unwrap().der
}

#[test]
fn certificate_links_are_checked_once_per_verifier() {
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
    let a = sign(&pki, "hpki-signer", b"first");
    let b = sign(&pki, "hpki-signer-multirole", b"second");
    let cert = |n: &str| pki.entity(n).unwrap().cert_der.clone();
    let crl = |n: &str| pki.crl(n).unwrap().der.clone();
    let opts = VerifyOptions::default()
        .with_anchors(vec![cert("root-ca")])
        .with_crls(vec![crl("hpki-sign-ca"), crl("root-ca")])
        .with_profile(Profile::Hpki)
        .with_offline(true);
    let counted = |v: &Verifier, sig: &[u8]| {
        let before = v.context().verifications();
        let r = v.verify(sig, None).unwrap();
        assert_eq!(r.indication, Indication::TotalPassed, "{r:?}");
        v.context().verifications() - before
    };

    let v = Verifier::new(opts.clone());
    let first = counted(&v, &a);
    let again = counted(&v, &a);
    // The same file again: only the SignerInfo signature is checked.
    assert_eq!(again, 1, "first {first}, again {again}");
    // Another signer of the same CA: its signature and its certificate's link.
    assert_eq!(counted(&v, &b), 2);
    // A fresh verifier starts from nothing.
    assert_eq!(counted(&Verifier::new(opts), &b), first);
}
