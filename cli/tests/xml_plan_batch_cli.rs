//! XML signatures in `plan` and `batch` (issue 20 item 4): a XAdES B-T and B-LTA made by
//! `sign DOC.xml` and a plain XMLDSig made by xmlsec1 are planned by their newest
//! time-stamp (or signer certificate); `batch --archive` extends a passing XAdES to B-LTA
//! under `--out`; an e-Gov folder (kousei.xml whose references name two attachments beside
//! it) is verified with its attachments, fails when one changes, and references with `..`
//! or a URL are never resolved (nothing fetched). A real `tsa serve` child and
//! kenpo-testpki's revocation service on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{env, f, run, text, xmlsec1};
use serde_json::Value;

fn sign_xml(doc: &Path, out: &Path, level: &str) {
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &f("hpki-signer.pem"),
        "--key",
        &f("hpki-signer.key.pem"),
        "--chain",
        &f("hpki-sign-ca.pem"),
        "--yes",
        "--tsa",
        &env().tsa.url,
        "--level",
        level,
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// An e-Gov style kousei.xml: plain XMLDSig whose references name `uris` (resolved by
/// xmlsec1 from `dir`), signed into `dir/name`.
fn xmldsig(dir: &Path, name: &str, uris: &[&str]) -> PathBuf {
    let refs: String = uris
        .iter()
        .map(|u| {
            format!(
                r#"<ds:Reference URI="{u}"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>"#
            )
        })
        .collect();
    let tmpl = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<kousei xmlns="urn:example:egov"><item>申請書</item><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>{refs}</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature></kousei>"#
    );
    let t = dir.join(format!("{name}.tmpl"));
    std::fs::write(&t, tmpl).unwrap();
    let out = dir.join(name);
    let o = Command::new("xmlsec1")
        .current_dir(dir)
        .args(["--sign", "--privkey-pem"])
        .arg(format!(
            "{},{}",
            f("hpki-signer.key.pem"),
            f("hpki-signer.pem")
        ))
        .arg("--output")
        .arg(&out)
        .arg(&t)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "xmlsec1: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::remove_file(t).unwrap();
    out
}

/// Validates a JSON document (or, with `lines`, every line) against
/// `docs/schemas/NAME` with Python's `jsonschema` (`$KENPO_SCHEMA_PYTHON`; skipped without
/// it, except under CI).
fn schema_check(name: &str, mode: &str, file: &Path) {
    const CHECK: &str = r#"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1], encoding="utf-8")))
text = open(sys.argv[3], encoding="utf-8").read()
docs = text.splitlines() if sys.argv[2] == "lines" else [text]
errors = [f"{list(e.absolute_path)}: {e.message}" for d in docs for e in v.iter_errors(json.loads(d))]
print("\n".join(errors))
sys.exit(1 if errors else 0)
"#;
    let py = std::env::var("KENPO_SCHEMA_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "jsonschema is required under CI"
    );
    if !ok {
        eprintln!("SKIP: no python3 with jsonschema (set KENPO_SCHEMA_PYTHON)");
        return;
    }
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/schemas")
        .join(name);
    let o = Command::new(&py)
        .args(["-c", CHECK])
        .arg(schema)
        .arg(mode)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

fn plan_json(path: &Path) -> Value {
    let o = run(&[
        "plan",
        path.to_str().unwrap(),
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["files"][0].clone()
}

/// `batch ROOT --report R [extra]` (online revocation from the served PKI).
fn batch(root: &Path, report: &Path, extra: &[&str]) -> (Option<i32>, BTreeMap<String, Value>) {
    let mut args = vec![
        "batch".to_owned(),
        root.to_str().unwrap().into(),
        "--report".into(),
        report.to_str().unwrap().into(),
        "--jobs".into(),
        "2".into(),
        "--trust".into(),
        f("root-ca.pem"),
        "--trust".into(),
        f("tsa-ca.pem"),
        "--cert-store".into(),
        f("hpki-sign-ca.pem"),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&argv);
    let mut lines = BTreeMap::new();
    for l in std::fs::read_to_string(report).unwrap().lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        if let Some(p) = v["path"].as_str() {
            let rel = Path::new(p).strip_prefix(root).unwrap();
            lines.insert(rel.to_string_lossy().into_owned(), v);
        }
    }
    assert!(!text(&o).contains("panic"), "{}", text(&o));
    (o.status.code(), lines)
}

#[test]
fn plan_xades_b_t_b_lta_and_plain_xmldsig() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, "<claim><item>001</item></claim>\n").unwrap();
    let bt = work.path().join("bt.xml");
    sign_xml(&doc, &bt, "b-t");
    let p = plan_json(&bt);
    assert_eq!(
        (&p["status"], &p["level"], &p["protected_by"]),
        (&"ok".into(), &"B-T".into(), &"signature-time-stamp".into()),
        "{p:#}"
    );
    assert!(p["gen_time"].is_string() && p["due"].is_string(), "{p:#}");
    assert!(p["path_validated"].as_bool().unwrap(), "{p:#}");
    assert!(
        p["certificate"].as_str().unwrap().contains("TSA"),
        "the TSA certificate bounds it: {p:#}"
    );
    let described = p["constraints"].to_string();
    assert!(
        described.contains("TSA certificate") && described.contains("signature digest"),
        "{p:#}"
    );

    let lta = work.path().join("lta.xml");
    sign_xml(&doc, &lta, "b-lta");
    let p = plan_json(&lta);
    assert_eq!(
        (&p["status"], &p["level"], &p["protected_by"]),
        (&"ok".into(), &"B-LTA".into(), &"archive-time-stamp".into()),
        "{p:#}"
    );
    let doc_json = work.path().join("plan.json");
    std::fs::write(
        &doc_json,
        serde_json::json!({
            "schema_version": 1, "policy": "p", "at": "2026-12-08T00:00:00Z", "margin_days": 90,
            "files": [p], "earliest_due": null, "skipped": []
        })
        .to_string(),
    )
    .unwrap();
    schema_check("plan.schema.json", "doc", &doc_json);

    // A directory walk finds both (and reports a plain XML file unsigned).
    std::fs::write(work.path().join("plain.xml"), "<a/>").unwrap();
    let o = run(&[
        "plan",
        work.path().to_str().unwrap(),
        "--trust",
        &f("tsa-ca.pem"),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let by: BTreeMap<String, String> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let name = Path::new(e["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, e["status"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(by["plain.xml"], "unsigned", "{v:#}");
    assert_eq!(by["claim.xml"], "unsigned", "{v:#}");
    assert_eq!(by["bt.xml"], "ok", "{v:#}");

    if !xmlsec1() {
        return;
    }
    std::fs::write(work.path().join("a.txt"), "添付\n").unwrap();
    let plain = xmldsig(work.path(), "kousei.xml", &["a.txt"]);
    let p = plan_json(&plain);
    assert_eq!(
        (&p["status"], &p["level"], &p["protected_by"]),
        (&"ok".into(), &Value::Null, &"signer-certificate".into()),
        "{p:#}"
    );
    assert!(p["notes"].to_string().contains("plain XMLDSig"), "{p:#}");
    assert!(p["reason"].as_str().unwrap().contains("expires"), "{p:#}");
}

#[test]
fn batch_archive_extends_xades_and_verifies_e_gov_attachments() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    std::fs::create_dir_all(root.join("egov")).unwrap();
    let doc = work.path().join("claim.xml");
    std::fs::write(&doc, "<claim><item>001</item></claim>\n").unwrap();
    sign_xml(&doc, &root.join("bt.xml"), "b-t");
    let have_xmlsec1 = xmlsec1();
    if have_xmlsec1 {
        let egov = root.join("egov");
        std::fs::write(egov.join("attachment.pdf"), common::MINIMAL_PDF).unwrap();
        std::fs::write(egov.join("申請書.csv"), "氏名,記号\n山田,1\n").unwrap();
        xmldsig(&egov, "kousei.xml", &["attachment.pdf", "申請書.csv"]);
    }
    let before = std::fs::read(root.join("bt.xml")).unwrap();
    let out = work.path().join("out");
    let report = work.path().join("r.jsonl");
    let (code, lines) = batch(
        &root,
        &report,
        &[
            "--archive",
            "--tsa",
            &env().tsa.url,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{lines:#?}");
    let bt = &lines["bt.xml"];
    assert_eq!(
        (&bt["indication"], &bt["level"]),
        (&"TOTAL_PASSED".into(), &"B-T".into()),
        "{bt:#}"
    );
    let copy = out.join("bt.xml");
    assert_eq!(bt["archived"], copy.to_str().unwrap(), "{bt:#}");
    assert_eq!(std::fs::read(root.join("bt.xml")).unwrap(), before);
    let o = run(&[
        "verify",
        copy.to_str().unwrap(),
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--offline",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (&v["indication"], &v["signatures"][0]["level"]),
        (&"TOTAL_PASSED".into(), &"B-LTA".into()),
        "{v:#}"
    );
    if !have_xmlsec1 {
        return;
    }
    schema_check("batch-line.schema.json", "lines", &report);
    let k = &lines["egov/kousei.xml"];
    assert_eq!(k["indication"], "TOTAL_PASSED", "{k:#}");
    let attached: Vec<&str> = k["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let egov = root.join("egov");
    assert_eq!(
        attached,
        [
            egov.join("attachment.pdf").to_str().unwrap(),
            egov.join("申請書.csv").to_str().unwrap()
        ]
    );
    assert!(k["notes"].to_string().contains("plain XMLDSig"), "{k:#}");
    assert!(k["archived"].is_null(), "{k:#}");
    assert!(!out.join("egov/kousei.xml").exists());
    // The attachments are files of the folder too: intake time-stamps.
    for a in ["egov/attachment.pdf", "egov/申請書.csv"] {
        assert_eq!(lines[a]["kind"], "unsigned", "{:#}", lines[a]);
        assert!(lines[a]["intake"]["tsr"].is_string(), "{:#}", lines[a]);
    }
    // One attachment changed: FAILED, also under --resume (the attachments' digest is the
    // line's content_sha256).
    std::fs::write(egov.join("申請書.csv"), "氏名,記号\n山田,2\n").unwrap();
    let (code, lines) = batch(
        &root,
        &report,
        &[
            "--resume",
            "--archive",
            "--tsa",
            &env().tsa.url,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{lines:#?}");
    assert_eq!(
        lines["egov/kousei.xml"]["indication"], "TOTAL_FAILED",
        "{:#}",
        lines["egov/kousei.xml"]
    );
    let (code, lines) = batch(&root, &work.path().join("r2.jsonl"), &[]);
    assert_eq!(code, Some(1), "{lines:#?}");
    assert_eq!(lines["egov/kousei.xml"]["indication"], "TOTAL_FAILED");
}

#[test]
fn references_with_dot_dot_or_a_url_are_never_resolved() {
    if !xmlsec1() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    let sub = root.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    // `../x` exists (inside the batch folder, even) and xmlsec1 signs it from `sub`.
    std::fs::write(root.join("x.txt"), "outside the document's folder\n").unwrap();
    std::fs::write(sub.join("a.txt"), "a\n").unwrap();
    xmldsig(&sub, "up.xml", &["../x.txt"]);
    // A URL reference: the signed kousei with one reference rewritten to a listener that
    // must never be contacted.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/a.txt", listener.local_addr().unwrap());
    let signed = xmldsig(&sub, "web.xml", &["a.txt"]);
    let t = std::fs::read_to_string(&signed)
        .unwrap()
        .replace(r#"URI="a.txt""#, &format!(r#"URI="{url}""#));
    std::fs::write(&signed, t).unwrap();
    let (_, lines) = batch(&root, &work.path().join("r.jsonl"), &[]);
    for (name, uri) in [("sub/up.xml", "../x.txt"), ("sub/web.xml", url.as_str())] {
        let l = &lines[name];
        assert_ne!(l["indication"], "TOTAL_PASSED", "{l:#}");
        assert!(l.get("attachments").is_none(), "{l:#}");
        assert!(
            l["notes"].to_string().contains(uri),
            "the refused reference is named: {l:#}"
        );
    }
    assert!(listener.accept().is_err(), "a reference URL was fetched");
}
