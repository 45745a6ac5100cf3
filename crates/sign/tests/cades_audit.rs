//! The audit log: one JSON line per signing attempt, refusals included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cades_common;

use std::sync::Arc;

use cades_common::{RecordingTsa, client_config, closed_port_url, pki};
use kenpo_core::alg::DigestAlgorithm;
use kenpo_sign::audit::{AuditLog, AuditRecord};
use kenpo_sign::cades::{SignOptions, sign_bytes, sign_file_to};
use kenpo_sign::{Level, Profile};

const DOC: &[u8] = b"<claim>audited</claim>";

#[test]
fn every_attempt_appends_one_line() {
    let p = pki();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("sign-audit.jsonl");
    std::fs::write(&log_path, "").unwrap();
    let log = Arc::new(AuditLog::open(&log_path).unwrap());
    let doc = dir.path().join("claim.xml");
    std::fs::write(&doc, DOC).unwrap();
    let out = dir.path().join("claim.xml.p7s");
    let tsa = RecordingTsa::start(None);
    let signer = p.signer("hpki-signer");
    let doc_sha = DigestAlgorithm::Sha256.digest(DOC).to_hex();
    let cert_sha = DigestAlgorithm::Sha256
        .digest(&p.cert("hpki-signer"))
        .to_hex();

    // 1: B-T to a file.
    let bt = SignOptions::default()
        .with_level(Level::BT)
        .with_profile(Profile::Hpki)
        .with_tsa(Some(client_config(vec![tsa.url()])))
        .with_audit(Some(log.clone()));
    let signed = sign_file_to(&signer, &doc, &out, &bt).unwrap();
    // 2: B-B in memory, attached.
    let bb = SignOptions::default()
        .with_attached(true)
        .with_audit(Some(log.clone()));
    sign_bytes(&signer, DOC, &bb).unwrap();
    // 3: refused by the profile (before the document is read).
    let e = sign_file_to(&p.signer("hpki-auth"), &doc, &out, &bt).unwrap_err();
    // 4: TSA down.
    let down = bt
        .clone()
        .with_tsa(Some(client_config(vec![closed_port_url()])));
    let e2 = sign_file_to(&signer, &doc, &out, &down).unwrap_err();

    let records: Vec<AuditRecord> = AuditLog::read_all(&log_path).unwrap();
    assert_eq!(records.len(), 4, "{records:#?}");

    let r = &records[0];
    assert_eq!(r.outcome, "signed");
    assert_eq!(r.level, "B-T");
    assert_eq!(r.profile, "hpki");
    assert!(!r.attached);
    assert_eq!(r.document_sha256.as_deref(), Some(doc_sha.as_str()));
    assert_eq!(r.signer_cert_sha256.as_deref(), Some(cert_sha.as_str()));
    assert_eq!(
        r.tsa_gen_time.as_deref(),
        Some(kenpo_core::timefmt::rfc3339(signed.timestamp_gen_time.unwrap()).as_str())
    );
    assert_eq!(r.tsa_url.as_deref(), Some(tsa.url().as_str()));
    assert_eq!(
        r.document.as_deref(),
        Some(doc.display().to_string().as_str())
    );
    assert_eq!(
        r.output.as_deref(),
        Some(out.display().to_string().as_str())
    );
    assert!(kenpo_core::timefmt::parse_rfc3339(&r.time).is_ok());

    let r = &records[1];
    assert_eq!((r.outcome.as_str(), r.level.as_str()), ("signed", "B-B"));
    assert!(r.attached && r.tsa_gen_time.is_none() && r.document.is_none());
    assert_eq!(r.document_sha256.as_deref(), Some(doc_sha.as_str()));

    let r = &records[2];
    assert_eq!(r.outcome, format!("refused: {e}"));
    assert!(r.outcome.contains("authentication"), "{}", r.outcome);
    assert!(
        r.document_sha256.is_none(),
        "refused before reading the document"
    );
    assert!(r.signer_cert_sha256.is_some() && r.signer_subject.is_some());

    let r = &records[3];
    assert_eq!(r.outcome, format!("refused: {e2}"));
    assert_eq!(r.document_sha256.as_deref(), Some(doc_sha.as_str()));
    assert!(r.tsa_gen_time.is_none());

    // Every line is one JSON object with the documented fields.
    let text = std::fs::read_to_string(&log_path).unwrap();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "time",
            "document_sha256",
            "signer_cert_sha256",
            "level",
            "tsa_gen_time",
            "outcome",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }

    // A second log handle appends after the existing lines.
    let again = Arc::new(AuditLog::open(&log_path).unwrap());
    sign_bytes(
        &signer,
        DOC,
        &SignOptions::default().with_audit(Some(again)),
    )
    .unwrap();
    assert_eq!(AuditLog::read_all(&log_path).unwrap().len(), 5);
}

#[test]
fn unwritable_log_is_found_before_signing() {
    let dir = tempfile::tempdir().unwrap();
    let e = AuditLog::open(dir.path().join("missing-dir").join("audit.jsonl")).unwrap_err();
    assert!(e.to_string().contains("audit log"), "{e}");
}
