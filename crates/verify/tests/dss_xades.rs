//! The DSS XAdES corpus (`shared/conformance/dss-xades`, LGPL-2.1 test data from EU DSS)
//! through `Verifier::verify_xml`: every file verifies without panicking, and the facts
//! DSS's own tests assert (`expectations.json`: signature count, signature value intact,
//! data intact, time-stamp count, indication and sub-indication where asserted) are
//! compared with ours. Agreement counts may only go up (`tests/baselines/dss-xades.json`;
//! `KENPO_UPDATE_BASELINES=1` rewrites it). No trust anchors are given, so path-dependent
//! verdicts are not compared. Without the corpus the test is skipped, except under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kenpo_verify::{CheckKind, Detached, Report, Verifier, VerifyOptions};
use serde_json::{Value, json};

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-xades");
    if dir.join("expectations.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "DSS XAdES corpus missing at {} (required under CI)",
        dir.display()
    );
    eprintln!("SKIP: DSS XAdES corpus not found at {}", dir.display());
    None
}

#[derive(Default, Clone, Copy)]
struct Count {
    agree: u64,
    disagree: u64,
    not_asserted: u64,
}

#[derive(Default)]
struct Tally {
    facts: BTreeMap<&'static str, Count>,
    disagreements: Vec<String>,
}

impl Tally {
    fn fact(&mut self, name: &'static str, file: &str, expected: &Value, ours: Value) {
        let c = self.facts.entry(name).or_default();
        if expected.is_null() {
            c.not_asserted += 1;
        } else if &ours == expected {
            c.agree += 1;
        } else {
            c.disagree += 1;
            self.disagreements
                .push(format!("{file}: {name}: expected {expected}, ours {ours}"));
        }
    }
}

/// The detached contents a DSS test feeds (paths in the corpus and `text:` values; a
/// `digest:` content is not a document and gives none).
fn contents(dir: &Path, e: &Value) -> (Vec<PathBuf>, Vec<Vec<u8>>) {
    let (mut files, mut bytes) = (Vec::new(), Vec::new());
    for c in e["detached_content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Some(t) = c.strip_prefix("text:") {
            bytes.push(t.as_bytes().to_vec());
        } else if !c.starts_with("digest:") && !c.starts_with("bytes:") {
            files.push(dir.join(c.split(" (").next().unwrap_or(c)));
        }
    }
    (files, bytes)
}

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

#[test]
fn dss_xades_corpus_against_expectations() {
    let Some(dir) = corpus_dir() else { return };
    let expectations: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expectations.json")).unwrap()).unwrap();
    let verifier = Verifier::new(VerifyOptions::default().with_offline(true));
    let mut tally = Tally::default();
    for e in expectations.as_array().unwrap() {
        let file = e["file"].as_str().unwrap();
        if !file.ends_with(".xml") || e["signatures"] == json!(0) {
            continue;
        }
        let input = std::fs::read(dir.join(file)).unwrap();
        let (files, bytes) = contents(&dir, e);
        let detached: Vec<Detached<'_>> = files
            .iter()
            .map(|p| Detached::File(p.as_path()))
            .chain(bytes.iter().map(|b| Detached::Bytes(b)))
            .collect();
        let r = verifier.verify_xml(&input, &detached).unwrap();
        let parsed = !r.signatures.iter().any(|s| {
            s.checks
                .iter()
                .any(|c| c.kind == CheckKind::Format && !c.passed)
        });
        tally.fact(
            "signatures",
            file,
            &e["signatures"],
            json!(if parsed { r.signatures.len() } else { 0 }),
        );
        let missing = r.signatures.iter().any(|s| {
            s.checks.iter().any(|c| {
                c.kind == CheckKind::SignedData && !c.passed && c.detail().starts_with("reference")
            })
        });
        // DSS's dataIntact: every reference found and intact (unsigned SignedProperties
        // are a signed-data finding of ours, not a reference).
        let data = all_passed(&r, CheckKind::MessageDigest).unwrap_or(false) && !missing;
        // DSS's signatureIntact: the SignatureValue verifies and every reference was found
        // and is intact.
        let sig_intact = all_passed(&r, CheckKind::SignatureValue).unwrap_or(false) && data;
        tally.fact(
            "signature_intact",
            file,
            &e["signature_intact"],
            json!(sig_intact),
        );
        tally.fact("data_intact", file, &e["data_intact"], json!(data));
        let ts: usize = r.signatures.iter().map(|s| s.timestamps.len()).sum();
        tally.fact("timestamps", file, &e["timestamps"], json!(ts));
        let first = r.signatures.first();
        tally.fact(
            "indication",
            file,
            &e["indication"],
            json!(first.map(|s| s.indication.name())),
        );
        tally.fact(
            "sub_indication",
            file,
            &e["sub_indication"],
            json!(first.and_then(|s| s.sub_indication).map(|s| s.name())),
        );
    }
    for d in &tally.disagreements {
        println!("DISAGREE {d}");
    }
    let current: BTreeMap<&str, Value> = tally
        .facts
        .iter()
        .map(|(k, c)| {
            (
                *k,
                json!({"agree": c.agree, "disagree": c.disagree, "not_asserted": c.not_asserted}),
            )
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&current).unwrap());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/baselines/dss-xades.json");
    if std::env::var_os("KENPO_UPDATE_BASELINES").is_some() || !path.exists() {
        let text = serde_json::to_string_pretty(&json!({ "facts": current })).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        println!("baseline written to {}", path.display());
        return;
    }
    let base: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut dropped = Vec::new();
    for (name, b) in base["facts"].as_object().unwrap() {
        let was = b["agree"].as_u64().unwrap_or(0);
        let now = current
            .get(name.as_str())
            .and_then(|v| v["agree"].as_u64())
            .unwrap_or(0);
        if now < was {
            dropped.push(format!("{name}: agree {was} -> {now}"));
        }
    }
    assert!(
        dropped.is_empty(),
        "DSS XAdES agreement dropped below the baseline: {dropped:?}"
    );
}
