//! docs/schemas/*.schema.json (JSON Schema draft 2020-12) against real outputs of the
//! binary: `verify --format json` (passed, hash failure, not a signature), every line of a
//! `batch` report (signed with detached content, unsigned, junk, summary) and
//! `plan --format json`.
//!
//! The validator is Python's `jsonschema` (`$KENPO_SCHEMA_PYTHON`, else `python3`);
//! `.ci/run` makes sure there is one. Without it the test is skipped, except under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{f, run, text};

/// The Python that has `jsonschema`, if any (required under CI).
fn python() -> Option<String> {
    let py = std::env::var("KENPO_SCHEMA_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import jsonschema; jsonschema.Draft202012Validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "python3 with the jsonschema package is required under CI (.ci/run installs it)"
    );
    if !ok {
        eprintln!("SKIP: no python3 with jsonschema (set KENPO_SCHEMA_PYTHON)");
    }
    ok.then_some(py)
}

/// Validates each instance file (a JSON document, or with `lines` every line of a JSON
/// lines file) against `schema`; panics with the validator's messages.
const CHECK: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
mode, files = sys.argv[2], sys.argv[3:]
bad = 0
for f in files:
    text = open(f, encoding="utf-8").read()
    docs = [l for l in text.splitlines() if l.strip()] if mode == "lines" else [text]
    for i, d in enumerate(docs):
        for e in v.iter_errors(json.loads(d)):
            bad += 1
            print(f"{f}[{i}] {list(e.absolute_path)}: {e.message}")
print(f"checked {len(files)} file(s), {bad} error(s)")
sys.exit(1 if bad else 0)
"#;

fn schema(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/schemas")
        .join(name)
}

fn validate(py: &str, schema_name: &str, mode: &str, instances: &[PathBuf]) {
    let o = Command::new(py)
        .arg("-c")
        .arg(CHECK)
        .arg(schema(schema_name))
        .arg(mode)
        .args(instances)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{schema_name}: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Runs the binary, expecting `code`; returns stdout.
fn out(args: &[&str], code: i32) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn real_outputs_validate_against_the_published_schemas() {
    let Some(py) = python() else { return };
    let env = common::env();
    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let doc = inbox.join("claim.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let sig = inbox.join("claim.csv.p7s");
    let (cert, key, chain, tsa_ca, root) = (
        f("hpki-signer.pem"),
        f("hpki-signer.key.pem"),
        f("hpki-sign-ca.pem"),
        f("tsa-ca.pem"),
        f("root-ca.pem"),
    );
    out(
        &[
            "sign",
            doc.to_str().unwrap(),
            "--yes",
            "--cert",
            &cert,
            "--key",
            &key,
            "--chain",
            &chain,
            "--tsa",
            &env.tsa.url,
            "--trust",
            &tsa_ca,
            "-o",
            sig.to_str().unwrap(),
        ],
        0,
    );
    std::fs::write(inbox.join("unsigned.csv"), "氏名\n").unwrap();
    std::fs::write(inbox.join("junk.p7s"), b"\x30\x03\x02\x01").unwrap();
    let tampered = work.path().join("tampered.csv");
    std::fs::write(&tampered, "other\n").unwrap();

    // verify: passed, HASH_FAILURE, FORMAT_FAILURE.
    let mut verify_docs = Vec::new();
    for (i, (sig, content, code)) in [
        (&sig, &doc, 0),
        (&sig, &tampered, 1),
        (&inbox.join("junk.p7s"), &doc, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let json = out(
            &[
                "verify",
                sig.to_str().unwrap(),
                "--content",
                content.to_str().unwrap(),
                "--trust",
                &root,
                "--trust",
                &tsa_ca,
                "--format",
                "json",
            ],
            code,
        );
        let p = work.path().join(format!("verify{i}.json"));
        std::fs::write(&p, json).unwrap();
        verify_docs.push(p);
    }
    validate(&py, "verify.schema.json", "doc", &verify_docs);

    // batch: every line and the summary.
    let report = work.path().join("report.jsonl");
    let o = run(&[
        "batch",
        inbox.to_str().unwrap(),
        "--trust",
        &root,
        "--trust",
        &tsa_ca,
        "--report",
        report.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&report).unwrap().lines().count(), 4);
    validate(&py, "batch-line.schema.json", "lines", &[report]);

    // plan.
    let json = out(
        &[
            "plan",
            inbox.to_str().unwrap(),
            "--trust",
            &tsa_ca,
            "--format",
            "json",
        ],
        0,
    );
    let p = work.path().join("plan.json");
    std::fs::write(&p, json).unwrap();
    validate(&py, "plan.schema.json", "doc", &[p]);
}

/// The schemas reject what the contract forbids: a schema that accepted anything would
/// pass the test above.
#[test]
fn the_schemas_reject_wrong_documents() {
    let Some(py) = python() else { return };
    let work = tempfile::tempdir().unwrap();
    let write = |name: &str, s: &str| {
        let p = work.path().join(name);
        std::fs::write(&p, s).unwrap();
        p
    };
    let cases = [
        (
            "verify.schema.json",
            r#"{"indication": "PASSED", "sub_indication": null, "signatures": []}"#,
        ),
        (
            "verify.schema.json",
            r#"{"indication": "TOTAL_PASSED", "sub_indication": null, "validation_time": "2026-12-06 14:28:17.0 +00:00:00", "signatures": []}"#,
        ),
        (
            "batch-line.schema.json",
            r#"{"summary": {"files": 1, "TOTAL_PASSED": 1}}"#,
        ),
        (
            "batch-line.schema.json",
            r#"{"path": "a", "sha256": null, "kind": "unsigned", "indication": "TOTAL_PASSED", "sub_indication": null, "level": null, "error": null}"#,
        ),
        (
            "plan.schema.json",
            r#"{"schema_version": 1, "policy": "p", "at": "2026-12-06T14:28:17Z", "margin_days": 90, "files": [], "earliest_due": "soon"}"#,
        ),
    ];
    for (i, (schema_name, doc)) in cases.iter().enumerate() {
        let p = write(&format!("bad{i}.json"), doc);
        let o = Command::new(&py)
            .arg("-c")
            .arg(CHECK)
            .arg(schema(schema_name))
            .arg("doc")
            .arg(&p)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{schema_name} accepted {doc}");
    }
}
