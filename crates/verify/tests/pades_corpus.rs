//! The PAdES adapter over the DSS PAdES corpus (`../shared/conformance/dss-pades`,
//! LGPL-2.1): every PDF gives a report (never an error or a panic), offline and without
//! anchors; where DSS's tests pin whether the PDF was modified after signing, our
//! `modified_after_signing` agrees, except for the files listed with the reason. The
//! other facts DSS's tests assert (signature and data intact, signature and time-stamp
//! counts, indication) are counted as agreement with DSS, which may only go up
//! (`tests/baselines/dss-pades.json`). Skipped without `../shared`, except under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::conformance::{Table, check_baseline};
use kenpo_verify::Report;
use kenpo_verify::report::CheckKind;
use kenpo_verify::validate::{Verifier, VerifyRequest, verify_pdf};
use serde_json::{Value, json};

/// Files where our analysis (`kenpo_pdf::diff`, object roles and DocMDP levels) differs
/// from DSS's, and why.
const DIFFERENT: &[(&str, &str)] = &[
    // The page's /Resources gained an entry after signing: flagged here, DSS compares
    // rendered content.
    ("Signature-P-DE_SCI-4.pdf", "page /Resources changed"),
    // Non-signature annotations added (and the catalog's /Names changed) after an approval
    // signature: beyond form filling, as pyHanko judges; DSS reports annotation changes apart.
    ("pades-signed-annot-added.pdf", "annotation added"),
    // The structure tree changed: DSS does not count it as a visual modification.
    ("pdf-structtreeroot-changes.pdf", "structure tree changed"),
    // iText's /ITXT marker on /Pages (a page tree node changed).
    ("pkcs7_sha1.pdf", "/Pages /ITXT changed"),
];

#[test]
fn every_corpus_pdf_gives_a_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-pades");
    let Ok(text) = std::fs::read_to_string(dir.join("expectations.json")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: ../shared/conformance/dss-pades is required"
        );
        eprintln!("skipped: {} not found", dir.display());
        return;
    };
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    let verifier = Verifier::new(VerifyRequest::new(&[]).with_offline(true).options());
    let (mut reports, mut agree, mut pinned) = (0, 0, 0);
    let mut table = Table::new();
    for e in list.as_array().unwrap() {
        let name = e["file"].as_str().unwrap();
        if !name.ends_with(".pdf") {
            continue;
        }
        let pdf = std::fs::read(dir.join(name)).unwrap();
        let v = verify_pdf(&verifier, &pdf).unwrap_or_else(|err| panic!("{name}: {err}"));
        reports += 1;
        if name == "pkcs7_sha1.pdf" {
            // A real adbe.pkcs7.sha1 signature (BOE, 2009): its encapsulated SHA-1 digest is
            // that of the byte range, and SHA-1's sunset is reported, not passed silently.
            let r = &v.report.signatures[0];
            let sha1 = |kind: CheckKind| {
                r.checks
                    .iter()
                    .find(|c| c.kind == kind && c.outcome.to_string().contains("adbe.pkcs7.sha1"))
                    .map(|c| c.passed)
            };
            assert_eq!(
                v.signatures[0].sub_filter.as_deref(),
                Some("adbe.pkcs7.sha1")
            );
            assert_eq!(sha1(CheckKind::MessageDigest), Some(true), "{name}");
            assert_eq!(sha1(CheckKind::AlgorithmSunset), Some(false), "{name}");
        }
        dss_facts(&mut table, name, e, &v.report, v.document_timestamps.len());
        if name == "pdf-byterange-overlap.pdf" {
            // The later signature's /Contents lies over bytes the earlier one signed.
            let r = &v.report.signatures[0];
            assert_eq!(
                r.sub_indication,
                Some(kenpo_verify::SubIndication::FORMAT_FAILURE),
                "{name}"
            );
            assert!(
                r.checks.iter().any(|c| !c.passed
                    && c.outcome
                        .to_string()
                        .contains("another signature's /Contents")),
                "{name}"
            );
        }
        if let Some(dss) = e["pdf_modifications_detected"].as_bool() {
            pinned += 1;
            let ours = v.signatures.iter().any(|s| s.modified_after_signing);
            if DIFFERENT.iter().any(|(f, _)| *f == name) {
                assert_ne!(
                    ours, dss,
                    "{name}: now agrees with DSS; remove it from DIFFERENT"
                );
            } else {
                assert_eq!(ours, dss, "{name}: modified after signing");
                agree += 1;
            }
        }
    }
    eprintln!(
        "{reports} reports; modification verdict agrees with DSS on {agree} of {pinned} pinned files"
    );
    assert_eq!(reports, 90);
    for (fact, counts) in &table {
        eprintln!("DSS PAdES {fact}: {counts:?}");
    }
    check_baseline("dss-pades", &table);
}

/// Whether every check of `kind` of every signature passed (`None`: there is none).
fn all_passed(r: &Report, kind: CheckKind) -> Option<bool> {
    let checks: Vec<bool> = r
        .signatures
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| c.kind == kind)
        .map(|c| c.passed)
        .collect();
    (!checks.is_empty()).then(|| checks.iter().all(|p| *p))
}

/// Counts our agreement with the facts DSS's tests assert about one file, as the DSS
/// XAdES harness does: DSS's dataIntact (the byte range hashes to the message digest),
/// signatureIntact (and the signature value verifies), the number of signatures and of
/// time-stamps (signature and document time-stamps, each once), and the first
/// signature's indication and sub-indication.
fn dss_facts(table: &mut Table, file: &str, e: &Value, r: &Report, document_timestamps: usize) {
    let data = all_passed(r, CheckKind::MessageDigest).unwrap_or(false)
        && all_passed(r, CheckKind::SignedData).unwrap_or(true);
    let sig_intact = all_passed(r, CheckKind::SignatureValue).unwrap_or(false) && data;
    let signature_timestamps: usize = r
        .signatures
        .iter()
        .flat_map(|s| &s.timestamps)
        .filter(|t| t.kind != "document")
        .count();
    let first = r.signatures.first();
    let facts = [
        ("signature_intact", json!(sig_intact)),
        ("data_intact", json!(data)),
        ("signatures", json!(r.signatures.len())),
        (
            "timestamps",
            json!(signature_timestamps + document_timestamps),
        ),
        ("indication", json!(first.map(|s| s.indication.name()))),
        (
            "sub_indication",
            json!(first.and_then(|s| s.sub_indication).map(|s| s.name())),
        ),
    ];
    for (fact, ours) in facts {
        let expected = &e[fact];
        let outcome = if expected.is_null() {
            "skip"
        } else if &ours == expected {
            "agree"
        } else {
            eprintln!("DISAGREE {file}: {fact}: expected {expected}, ours {ours}");
            "disagree"
        };
        *table
            .entry(fact.to_string())
            .or_default()
            .entry(outcome.to_string())
            .or_default() += 1;
    }
}
