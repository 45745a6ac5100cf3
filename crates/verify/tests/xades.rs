//! XAdES / XMLDSig verification through the format-neutral verdict: the real
//! e-prescription sample (HPKI test signer, test TSA, B-LT) and what tampering does to it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use kenpo_verify::{Indication, Report, VerifyRequest, verify_signature};

fn shared(sub: &str) -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(sub);
    if d.exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("{} missing (CI is set)", d.display());
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

fn verify(doc: &[u8], at: &str) -> Report {
    let d = shared("hpki-real").unwrap();
    let anchors = vec![
        std::fs::read(d.join("mhlw-hpki-root-ca-v2.cer")).unwrap(),
        std::fs::read(d.join("eprescription-tsa-ca.cer")).unwrap(),
    ];
    let at =
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap();
    verify_signature(
        &VerifyRequest::new(doc)
            .with_anchors(anchors)
            .with_offline(true)
            .with_at(Some(at))
            .with_profile(kenpo_sign::Profile::Hpki),
    )
    .unwrap()
}

fn sample() -> Option<String> {
    let d = shared("hpki-real")?;
    Some(std::fs::read_to_string(d.join("eprescription-xades-a-sample.xml")).unwrap())
}

#[test]
fn the_real_e_prescription_is_b_lt_and_passes() {
    let Some(doc) = sample() else { return };
    let r = verify(doc.as_bytes(), "2022-09-08T00:00:00Z");
    let s = &r.signatures[0];
    assert_eq!(
        (r.indication, s.level, s.format),
        (Indication::TotalPassed, "B-LT", "XAdES"),
        "{:#?}",
        s.checks
    );
    assert_eq!(r.signatures.len(), 1);
    // Best-signature-time is the SignatureTimeStamp's genTime (its imprint over the
    // canonicalised SignatureValue checked), the signer validated then from embedded CRLs.
    assert_eq!(s.timestamps.len(), 1);
    assert!(s.timestamps[0].valid);
    assert_eq!(Some(s.best_signature_time), s.timestamps[0].gen_time);
    assert_eq!(s.signer_validated_at, Some(s.best_signature_time));
    assert!(s.signer.subject.contains("Sanjushi Kagurazaka"));
    let json = r.to_json();
    assert_eq!(json["signatures"][0]["format"], "XAdES");
    // A B-LT XAdES has no archive time-stamp yet: the report sends the reader to `extend`.
    for lang in [
        kenpo_verify::report::Lang::En,
        kenpo_verify::report::Lang::Ja,
    ] {
        let text = r.render_text(lang);
        assert!(text.contains("B-LT"), "{text}");
        assert!(text.contains("kenpo-sign extend"), "{text}");
    }
}

#[test]
fn a_changed_prescription_is_a_hash_failure() {
    let Some(doc) = sample() else { return };
    let changed = doc.replacen(
        "id=\"PrescriptionDocument\">U",
        "id=\"PrescriptionDocument\">V",
        1,
    );
    assert_ne!(changed, doc);
    let r = verify(changed.as_bytes(), "2022-09-08T00:00:00Z");
    assert_eq!(r.indication, Indication::TotalFailed);
    assert_eq!(r.sub_indication.map(|s| s.name()), Some("HASH_FAILURE"));
}

#[test]
fn a_changed_signed_info_is_a_signature_failure() {
    let Some(doc) = sample() else { return };
    // A second Id value on SignedInfo changes the signed octets, not a reference.
    let changed = doc.replacen(
        "Id=\"id898cfb77-SignedInfo\"",
        "Id=\"id898cfb77-SignedInfX\"",
        1,
    );
    assert_ne!(changed, doc);
    let r = verify(changed.as_bytes(), "2022-09-08T00:00:00Z");
    assert_eq!(
        r.sub_indication.map(|s| s.name()),
        Some("SIG_CRYPTO_FAILURE")
    );
}

#[test]
fn a_wrapped_copy_of_the_signed_element_is_refused() {
    let Some(doc) = sample() else { return };
    // Signature wrapping: a second element carrying the signed ID.
    let wrapped = doc.replacen(
        "<Prescription>",
        "<Prescription><Fake id=\"PrescriptionDocument\">x</Fake>",
        1,
    );
    assert_ne!(wrapped, doc);
    let r = verify(wrapped.as_bytes(), "2022-09-08T00:00:00Z");
    assert_eq!(
        r.sub_indication.map(|s| s.name()),
        Some("SIGNED_DATA_NOT_FOUND")
    );
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| !c.passed && c.detail().contains("more than once"))
    );
}

#[test]
fn xml_that_is_not_a_signature_is_a_format_failure() {
    let r = verify(b"<?xml version=\"1.0\"?><a/>", "2022-09-08T00:00:00Z");
    assert_eq!(r.sub_indication.map(|s| s.name()), Some("FORMAT_FAILURE"));
    let r = verify(b"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>", "2022-09-08T00:00:00Z");
    assert_eq!(r.sub_indication.map(|s| s.name()), Some("FORMAT_FAILURE"));
    assert_eq!(r.signatures[0].format, "XMLDSig");
}

#[test]
fn at_most_64_signatures_of_a_document_are_verified_and_the_rest_counted() {
    let sig = r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI=""><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"#;
    let doc = format!("<r>{}</r>", sig.repeat(70));
    let r = verify(doc.as_bytes(), "2022-09-08T00:00:00Z");
    assert_eq!(r.signatures.len(), 64);
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.kind == kenpo_verify::CheckKind::Budget && !c.passed)
    );
}
