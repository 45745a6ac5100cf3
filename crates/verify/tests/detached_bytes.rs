//! `Verifier::verify_detached` with the detached content in memory gives the verdict the
//! same content gives as a file, and other bytes give HASH_FAILURE; nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kenpo_core::crypto::default_backend;
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::signer::SoftwareSigner;
use kenpo_verify::validate::{Detached, Verifier, VerifyOptions};
use kenpo_verify::{Indication, SubIndication};

#[test]
fn detached_content_from_bytes_matches_the_file() {
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
    let e = pki.entity("hpki-signer").unwrap();
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let signer = SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![ca]).unwrap();
    let doc = "資格取得届,12345678\n".as_bytes();
    let opts = SignOptions::default().with_now(Some(pki.now()));
    let sig = sign_bytes(&signer, doc, &opts).unwrap().der;
    let v = Verifier::new(
        VerifyOptions::default()
            .with_anchors(vec![pki.entity("root-ca").unwrap().cert_der.clone()])
            .with_crls(vec![
                pki.crl("hpki-sign-ca").unwrap().der.clone(),
                pki.crl("root-ca").unwrap().der.clone(),
            ])
            .with_offline(true)
            // One validation time for both calls: their reports are compared whole.
            .with_at(Some(pki.now())),
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.csv");
    std::fs::write(&file, doc).unwrap();
    let from_file = v.verify(&sig, Some(&file)).unwrap();
    let from_bytes = v.verify_detached(&sig, Some(Detached::Bytes(doc))).unwrap();
    assert_eq!(
        from_bytes.indication,
        Indication::TotalPassed,
        "{from_bytes:?}"
    );
    assert_eq!(
        from_bytes.to_json()["signatures"],
        from_file.to_json()["signatures"]
    );

    let other = v
        .verify_detached(&sig, Some(Detached::Bytes(b"something else")))
        .unwrap();
    assert_eq!(other.indication, Indication::TotalFailed);
    assert_eq!(other.sub_indication, Some(SubIndication::HASH_FAILURE));
    // Without the content the signature cannot be checked.
    let none = v.verify_detached(&sig, None).unwrap();
    assert_ne!(none.indication, Indication::TotalPassed);
}
