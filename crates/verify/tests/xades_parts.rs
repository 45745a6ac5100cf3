//! XAdES / XMLDSig parts beyond SignedInfo, on DSS's own samples
//! (../shared/conformance/dss-xades): `ds:Manifest` entries (the e-Gov way of signing
//! attached files) are checked like references — a changed or missing attachment is never
//! a passed signature — and `xades:CounterSignature`s are verified on their own and
//! reported on the signature they countersign.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use kenpo_verify::report::{CheckKind, Outcome};
use kenpo_verify::{Detached, Indication, SignatureReport, SubIndication, Verifier, VerifyOptions};

fn corpus() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-xades");
    if d.exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("{} missing (CI is set)", d.display());
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

fn verify(file: &str, detached: &[Detached<'_>]) -> SignatureReport {
    let dir = corpus().unwrap();
    let input = std::fs::read(dir.join(file)).unwrap();
    let v = Verifier::new(VerifyOptions::default().with_offline(true));
    let mut r = v.verify_xml(&input, detached).unwrap();
    r.signatures.remove(0)
}

/// The manifest-entry findings of `s`: (passed, text).
fn manifest_entries(s: &SignatureReport) -> Vec<(bool, String)> {
    s.checks
        .iter()
        .filter(|c| matches!(c.kind, CheckKind::MessageDigest | CheckKind::SignedData))
        .filter(|c| {
            matches!(c.outcome, Outcome::DigestMismatch { .. })
                || c.outcome.text().contains("manifest entry")
        })
        .map(|c| (c.passed, c.outcome.text().into_owned()))
        .collect()
}

#[test]
fn manifest_entries_are_checked_like_references() {
    let Some(dir) = corpus() else { return };
    let file = "dss2329/xades-with-enveloped-manifest.xml";
    let (png, txt) = (
        dir.join("detached-content/sample.png"),
        dir.join("detached-content/sample.txt"),
    );
    // Both attachments given: each entry's digest matches.
    let s = verify(file, &[Detached::File(&png), Detached::File(&txt)]);
    // Three entries: the document itself (URI "") and the two files.
    let entries = manifest_entries(&s);
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(entries.iter().all(|(p, _)| *p), "{entries:?}");
    assert_ne!(s.sub_indication, Some(SubIndication::HASH_FAILURE));

    // One attachment changed: HASH_FAILURE, whatever else the signature lacks.
    let changed = tempfile::tempdir().unwrap();
    let txt2 = changed.path().join("sample.txt");
    let mut bytes = std::fs::read(&txt).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&txt2, bytes).unwrap();
    let s = verify(file, &[Detached::File(&png), Detached::File(&txt2)]);
    assert_eq!(s.indication, Indication::TotalFailed, "{:?}", s.checks);
    assert_eq!(s.sub_indication, Some(SubIndication::HASH_FAILURE));
    assert!(
        manifest_entries(&s).iter().any(|(p, _)| !p),
        "{:?}",
        manifest_entries(&s)
    );

    // No attachment given: not passed, and the report says what is missing.
    let s = verify(file, &[]);
    assert_ne!(s.indication, Indication::TotalPassed);
    let missing: Vec<_> = manifest_entries(&s)
        .into_iter()
        .filter(|(p, t)| !p && t.contains("content not given"))
        .collect();
    assert_eq!(missing.len(), 2, "{:?}", s.checks);
}

/// The texts of `s`'s checks.
fn texts(s: &SignatureReport) -> Vec<String> {
    s.checks
        .iter()
        .map(|c| format!("{}: {}", c.passed, c.outcome.text()))
        .collect()
}

/// The countersignature findings of `s`.
fn countersignatures(s: &SignatureReport) -> Vec<(bool, Indication, Option<SubIndication>, bool)> {
    s.checks
        .iter()
        .filter(|c| c.kind == CheckKind::CounterSignature)
        .map(|c| match &c.outcome {
            Outcome::Countersignature {
                indication,
                sub_indication,
                covers_parent,
                ..
            } => (c.passed, *indication, *sub_indication, *covers_parent),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn countersignatures_are_verified_and_reported_on_their_parent() {
    if corpus().is_none() {
        return;
    }
    // A countersignature over the parent's SignatureValue whose references all match:
    // its signature verifies (not trusted here: no chain to an anchor).
    let s = verify("xades-counter-signature-no-type.xml", &[]);
    let cs = countersignatures(&s);
    assert_eq!(cs.len(), 1, "{:?}", s.checks);
    let (passed, indication, sub, covers) = cs[0];
    assert!(covers, "it references the parent's SignatureValue");
    assert!(!passed, "not trusted, so not passed");
    assert_eq!(indication, Indication::Indeterminate);
    assert_ne!(sub, Some(SubIndication::HASH_FAILURE));
    assert_ne!(sub, Some(SubIndication::SIG_CRYPTO_FAILURE));

    // A "countersignature" whose references cover an Object rather than the parent's
    // SignatureValue (DSS: its reference is not intact, B-level not valid): reported as
    // failed, not covering the parent; the parent's own verdict does not depend on it.
    let bad = verify("xades-counter-signature-no-type-invalid.xml", &[]);
    let cs = countersignatures(&bad);
    assert_eq!(cs.len(), 1, "{:?}", texts(&bad));
    let (passed, _, _, covers) = cs[0];
    assert!(!passed && !covers, "{:?}", texts(&bad));
    assert_eq!(bad.indication, s.indication);
    assert_eq!(bad.sub_indication, s.sub_indication);

    // A signature without countersignatures reports none.
    let plain = verify("xades-level-b-with-certvals.xml", &[]);
    assert!(countersignatures(&plain).is_empty());
}
