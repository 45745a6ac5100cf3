//! Batch intake of XML files: an `*.xml` file carrying an XML signature (the real
//! e-prescription, XAdES B-LT) is a signed file with its verdict; an XML file without a
//! signature and one that only looks like XML are unsigned.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use kenpo_verify::Indication;
use kenpo_verify::batch::{BatchConfig, FileKind, start};
use kenpo_verify::validate::{Verifier, VerifyOptions};

fn hpki_real() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hpki-real");
    if d.exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("{} missing (CI is set)", d.display());
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

#[test]
fn signed_xml_files_are_verified_and_other_xml_files_are_unsigned() {
    let Some(real) = hpki_real() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        real.join("eprescription-xades-a-sample.xml"),
        dir.path().join("prescription.XML"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("plain.xml"),
        "<?xml version=\"1.0\"?><申請><氏名>山田</氏名></申請>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("notes.xml"),
        "not xml at all, mentions http://www.w3.org/2000/09/xmldsig#",
    )
    .unwrap();
    let anchors = vec![
        std::fs::read(real.join("mhlw-hpki-root-ca-v2.cer")).unwrap(),
        std::fs::read(real.join("eprescription-tsa-ca.cer")).unwrap(),
    ];
    let at = time::OffsetDateTime::parse(
        "2022-09-08T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let verifier = Verifier::new(
        VerifyOptions::default()
            .with_anchors(anchors)
            .with_offline(true)
            .with_at(Some(at)),
    );
    let mut results: Vec<_> = start(dir.path(), BatchConfig::new(Arc::new(verifier)))
        .unwrap()
        .collect();
    results.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    let kinds: Vec<(String, FileKind)> = results
        .iter()
        .map(|r| (r.rel_path.to_string_lossy().into_owned(), r.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("notes.xml".into(), FileKind::Unsigned),
            ("plain.xml".into(), FileKind::Unsigned),
            ("prescription.XML".into(), FileKind::Signed),
        ]
    );
    let v = results[2].verdict.as_ref().unwrap();
    assert_eq!(
        (v.indication, v.level),
        (Indication::TotalPassed, "B-LT"),
        "{:?}",
        results[2].error
    );
    assert!(results.iter().all(|r| r.error.is_none()));
}
