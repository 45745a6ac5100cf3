//! `kenpo-sign inspect` against `../shared/CLI.md`: a B-T signature from a `tsa serve`
//! process, a time-stamp response, a certificate and a CRL of the test PKI, junk (exit 1),
//! a missing file (exit 4), and every file of the DSS CAdES corpus (no panic, exit 0 or 1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{Server, p, run, text};

fn inspect_json(file: &str) -> (Option<i32>, serde_json::Value, String) {
    let o = run(&["inspect", file, "--format", "json"]);
    let j = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.code(), j, text(&o))
}

#[test]
fn inspect_signature_timestamp_certificate_and_crl() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("claim.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let sig = work.path().join("claim.csv.p7s");
    let server = Server::start(&work.path().join("tsa-state"));
    let (cert, key, chain, tsa_ca) = (
        p("hpki-signer.pem"),
        p("hpki-signer.key.pem"),
        p("hpki-sign-ca.pem"),
        p("tsa-ca.pem"),
    );
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &cert,
        "--key",
        &key,
        "--chain",
        &chain,
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "--yes",
        "-o",
        sig.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let tsr = work.path().join("claim.tsr");
    let o = run(&[
        "timestamp",
        doc.to_str().unwrap(),
        "--tsa",
        &server.url,
        "--trust",
        &tsa_ca,
        "-o",
        tsr.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    drop(server);

    let (code, j, out) = inspect_json(sig.to_str().unwrap());
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(j["kind"], "cms-signed-data");
    assert_eq!(
        j["attached"], false,
        "sign writes detached signatures by default"
    );
    assert_eq!(j["level"], "B-T");
    let si = &j["signer_infos"][0];
    assert!(si["sid"]["serial"].is_string(), "{si}");
    let signed: Vec<&str> = si["signed_attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(signed.contains(&"signing-certificate-v2"), "{signed:?}");
    assert!(signed.contains(&"message-digest"), "{signed:?}");
    let ts = &si["timestamps"][0];
    assert_eq!(ts["kind"], "signature-time-stamp");
    assert!(ts["gen_time"].as_str().unwrap().ends_with('Z'), "{ts}");
    assert!(ts["tsa_certificate"].as_str().unwrap().contains("Test TSA"));
    assert_eq!(ts["imprint_algorithm"], "SHA-256");
    let certs = j["certificates"].as_array().unwrap();
    assert!(
        certs
            .iter()
            .any(|c| c["subject"].as_str().unwrap().contains("YAMADA"))
    );
    assert!(
        certs
            .iter()
            .all(|c| c["sha256_fingerprint"].as_str().unwrap().len() == 64)
    );

    let o = run(&["inspect", sig.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains("kind: cms-signed-data") && t.contains("signature-time-stamp"),
        "{t}"
    );

    let (code, j, out) = inspect_json(tsr.to_str().unwrap());
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(j["kind"], "timestamp-response");
    assert_eq!(j["status"], "granted");
    assert!(j["token"]["tst_info"]["gen_time"].is_string(), "{j}");

    let (code, j, out) = inspect_json(&p("tsa.pem"));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(j["kind"], "certificate");
    assert_eq!(j["key"], "RSA-2048");
    assert!(j["subject"].as_str().unwrap().contains("Test TSA"));

    let (code, j, out) = inspect_json(&p("hpki-sign-ca.crl"));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(j["kind"], "crl");
    assert!(j["this_update"].is_string());
    assert!(j["entries"].as_u64().is_some());
}

#[test]
fn junk_is_exit_1_and_missing_is_exit_4() {
    let work = tempfile::tempdir().unwrap();
    let junk = work.path().join("junk.p7s");
    std::fs::write(&junk, b"\x30\x03\x02\x01").unwrap();
    let o = run(&["inspect", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("FORMAT"), "{}", text(&o));
    let o = run(&["inspect", "/nonexistent/kenpo.p7s"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
}

/// The real e-prescription (XAdES, B-LT in structure): what it holds, with the time of
/// its signature time-stamp; the XAdES files of the DSS corpus never crash inspect.
#[test]
fn inspect_xml_says_what_the_signatures_hold() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let sample = shared.join("hpki-real/eprescription-xades-a-sample.xml");
    if !sample.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} missing",
            sample.display()
        );
        eprintln!("SKIP: {} not found", sample.display());
        return;
    }
    let (code, j, out) = inspect_json(sample.to_str().unwrap());
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(j["kind"], "xml-document", "{j}");
    assert_eq!(j["signature_count"], 1);
    let s = &j["signatures"][0];
    assert_eq!(
        (s["format"].as_str(), s["level"].as_str()),
        (Some("XAdES"), Some("B-LT")),
        "{s}"
    );
    assert_eq!(s["references"].as_array().map(Vec::len), Some(3), "{s}");
    assert_eq!(
        s["xades"]["signature_timestamps"][0]["tokens"][0]["gen_time"],
        "2022-09-07T08:18:25.197Z"
    );
    assert_eq!(s["xades"]["revocation_values"]["crls"], 2, "{s}");

    // XML that is not signed: a document with no signature, exit 0.
    let work = tempfile::tempdir().unwrap();
    let plain = work.path().join("plain.xml");
    std::fs::write(&plain, "<?xml version=\"1.0\"?><a><b/></a>").unwrap();
    let (code, j, out) = inspect_json(plain.to_str().unwrap());
    assert_eq!(
        (code, j["signature_count"].as_u64()),
        (Some(0), Some(0)),
        "{out}"
    );
    // A DOCTYPE is refused (no entity is ever expanded): exit 1, not a crash.
    let xxe = work.path().join("xxe.xml");
    std::fs::write(
        &xxe,
        "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
    )
    .unwrap();
    let (code, _, out) = inspect_json(xxe.to_str().unwrap());
    assert_eq!(code, Some(1), "{out}");

    let dss = shared.join("conformance/dss-xades");
    let mut files = Vec::new();
    files_under(&dss, &mut files);
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "xml"))
    {
        let (code, _, out) = inspect_json(f.to_str().unwrap());
        assert!(matches!(code, Some(0 | 1)), "{}: {out}", f.display());
    }
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/dss-cades");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "DSS corpus missing at {} (required under CI)",
        dir.display()
    );
    eprintln!("SKIP: DSS corpus not found at {}", dir.display());
    None
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn len(v: &serde_json::Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// Our structure against the facts `expectations.json` records for a signature file.
fn agrees(j: &serde_json::Value, st: &serde_json::Value) -> Result<(), String> {
    let same = |what: &str, ours: usize, theirs: &serde_json::Value| {
        if theirs.as_u64() == Some(ours as u64) {
            Ok(())
        } else {
            Err(format!("{what}: ours {ours}, expected {theirs}"))
        }
    };
    same("certificates", len(&j["certificates"]), &st["certificates"])?;
    same("crls", len(&j["crls"]), &st["crls"])?;
    let other = len(&j["ocsp_responses"]) + len(&j["other_revocation_info"]);
    same("other revocation info", other, &st["other_revocation_info"])?;
    let (ours, theirs) = (
        j["signer_infos"].as_array().unwrap(),
        st["signer_infos"].as_array().unwrap(),
    );
    same("signer infos", ours.len(), &serde_json::json!(theirs.len()))?;
    for (a, b) in ours.iter().zip(theirs) {
        same(
            "signed attributes",
            len(&a["signed_attributes"]),
            &serde_json::json!(len(&b["signed_attrs"])),
        )?;
        same(
            "unsigned attributes",
            len(&a["unsigned_attributes"]),
            &serde_json::json!(len(&b["unsigned_attrs"])),
        )?;
        let mut mine: Vec<String> = a["timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                t["gen_time"]
                    .as_str()
                    .unwrap_or("?")
                    .replace(['-', ':', 'T'], "")
            })
            .collect();
        let mut want: Vec<String> = b["timestamp_tokens"]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|t| t["gen_time"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        mine.sort();
        want.sort();
        if mine != want {
            return Err(format!(
                "time-stamp genTimes: ours {mine:?}, expected {want:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn every_dss_corpus_file_inspects_without_panic() {
    let Some(dir) = corpus_dir() else { return };
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    files.sort();
    assert!(files.len() > 100, "{} files", files.len());
    let expectations: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expectations.json")).unwrap()).unwrap();
    let mut compared = 0;
    for f in &files {
        let o = run(&["inspect", f.to_str().unwrap(), "--format", "json"]);
        let code = o.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "{}: exit {code:?}: {}",
            f.display(),
            text(&o)
        );
        let rel = f.strip_prefix(&dir).unwrap().to_str().unwrap();
        let facts = expectations
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"] == rel);
        let Some(st) = facts.map(|e| &e["structure"]) else {
            continue;
        };
        if st["cms_signed_data"] != true {
            continue;
        }
        assert_eq!(code, Some(0), "{rel}: {}", text(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        match j["kind"].as_str() {
            Some("cms-signed-data") => {}
            Some("timestamp-token") => assert!(j["tst_info"]["gen_time"].is_string(), "{rel}"),
            other => panic!("{rel}: kind {other:?}"),
        }
        if let Err(e) = agrees(&j, st) {
            panic!("{rel}: {e}");
        }
        compared += 1;
    }
    // 114 signature files and the standalone token.
    assert!(compared >= 115, "compared {compared}");
    let (code, j, out) = inspect_json(dir.join("d-trust.tsr").to_str().unwrap());
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(j["kind"], "timestamp-token", "{j}");
}
