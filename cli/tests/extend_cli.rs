//! `kenpo-sign extend` and `sign --level b-lt|b-lta` per the contract, with a real
//! `kenpo-sign tsa serve` child and kenpo-testpki's revocation service on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{BIN, env, f, run, text};

fn doc(dir: &Path) -> PathBuf {
    let d = dir.join("application.csv");
    std::fs::write(&d, "保険者番号,氏名\n06270001,山田太郎\n").unwrap();
    d
}

fn sign(doc: &Path, out: &Path, level: &str) -> std::process::Output {
    let e = env();
    let args = [
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &f("hpki-signer.pem"),
        "--key",
        &f("hpki-signer.key.pem"),
        "--chain",
        &f("hpki-sign-ca.pem"),
        "--tsa",
        &e.tsa.url,
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--level",
        level,
        "--profile",
        "hpki",
        "--yes",
        "-o",
        out.to_str().unwrap(),
    ];
    std::process::Command::new(BIN)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn verify_json(sig: &Path, content: &Path, at: Option<&str>) -> serde_json::Value {
    let mut args = vec![
        "verify".to_owned(),
        sig.to_str().unwrap().to_owned(),
        "--content".into(),
        content.to_str().unwrap().to_owned(),
        "--trust".into(),
        f("root-ca.pem"),
        "--trust".into(),
        f("tsa-ca.pem"),
        "--offline".into(),
        "--format".into(),
        "json".into(),
    ];
    if let Some(at) = at {
        args.push("--at".into());
        args.push(at.into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)))
}

#[test]
fn sign_b_lta_in_one_step_then_renew_in_place() {
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let out = work.path().join("application.csv.p7s");
    let o = sign(&d, &out, "b-lta");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = verify_json(&out, &d, None);
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v:#}");
    assert_eq!(v["signatures"][0]["level"], "B-LTA");
    let n_archive = |v: &serde_json::Value| {
        v["signatures"][0]["timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["type"] == "archive" && t["valid"] == true)
            .count()
    };
    assert_eq!(n_archive(&v), 1);

    // Renewal in place.
    let before = std::fs::read(&out).unwrap();
    let o = run(&[
        "extend",
        out.to_str().unwrap(),
        "--content",
        d.to_str().unwrap(),
        "--to",
        "b-lta",
        "--tsa",
        &e.tsa.url,
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--in-place",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let after = std::fs::read(&out).unwrap();
    assert!(after.len() > before.len());
    let v = verify_json(&out, &d, None);
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v:#}");
    assert_eq!(n_archive(&v), 2);
}

#[test]
fn extend_b_t_to_b_lt_writes_output_and_keeps_the_original() {
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let bt = work.path().join("bt.p7s");
    let o = sign(&d, &bt, "b-t");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let original = std::fs::read(&bt).unwrap();
    let lt = work.path().join("lt.p7s");
    let o = run(&[
        "extend",
        bt.to_str().unwrap(),
        "--to",
        "b-lt",
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--content",
        d.to_str().unwrap(),
        "-o",
        lt.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read(&bt).unwrap(), original, "input untouched");
    let v = verify_json(&lt, &d, None);
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v:#}");
    assert_eq!(v["signatures"][0]["level"], "B-LT");
    let _ = e;
}

#[test]
fn failures_write_nothing_and_use_the_contract_codes() {
    let e = env();
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let bt = work.path().join("bt.p7s");
    assert_eq!(sign(&d, &bt, "b-t").status.code(), Some(0));
    let original = std::fs::read(&bt).unwrap();

    // TSA down: exit 4, original untouched, no output.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let out = work.path().join("out.p7s");
    let o = run(&[
        "extend",
        bt.to_str().unwrap(),
        "--content",
        d.to_str().unwrap(),
        "--to",
        "b-lta",
        "--tsa",
        &dead,
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "--in-place",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert_eq!(std::fs::read(&bt).unwrap(), original);

    // Wrong content: the signature is not valid, refused with exit 1.
    let other = work.path().join("other.csv");
    std::fs::write(&other, "tampered").unwrap();
    let o = run(&[
        "extend",
        bt.to_str().unwrap(),
        "--content",
        other.to_str().unwrap(),
        "--to",
        "b-lta",
        "--tsa",
        &e.tsa.url,
        "--trust",
        &f("root-ca.pem"),
        "--trust",
        &f("tsa-ca.pem"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("HASH_FAILURE"), "{}", text(&o));
    assert!(!out.exists());

    // b-lta without a TSA: usage error.
    let o = run(&[
        "extend",
        bt.to_str().unwrap(),
        "--to",
        "b-lta",
        "--trust",
        &f("root-ca.pem"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn openssl_still_verifies_a_b_lta_signature_and_its_tokens() {
    if !common::openssl_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let d = doc(work.path());
    let out = work.path().join("lta.p7s");
    assert_eq!(sign(&d, &out, "b-lta").status.code(), Some(0));
    let o = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&out)
        .arg("-content")
        .arg(&d)
        .args([
            "-CAfile",
            &f("root-ca.pem"),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Every embedded time-stamp token passes `openssl ts -verify` (signature and chain).
    let der = std::fs::read(&out).unwrap();
    let sd = kenpo_core::cms::SignedDataView::parse(&der).unwrap();
    let attrs = sd.signer_infos[0].unsigned_attrs.as_ref().unwrap();
    let mut tokens = 0;
    for a in &attrs.list {
        if a.oid != kenpo_core::oid::ATTR_SIGNATURE_TIME_STAMP
            && a.oid != kenpo_core::oid::ATTR_ARCHIVE_TIME_STAMP_V3
        {
            continue;
        }
        let token = a.values[0].raw;
        let tsd = kenpo_core::cms::SignedDataView::parse(token).unwrap();
        let info = kenpo_tsa::TstInfo::parse(tsd.econtent.unwrap()).unwrap();
        let path = work.path().join(format!("token{tokens}.der"));
        std::fs::write(&path, token).unwrap();
        let o = std::process::Command::new("openssl")
            .args(["ts", "-verify", "-token_in", "-in"])
            .arg(&path)
            .args(["-digest", &hex::encode(info.imprint.as_bytes())])
            .args(["-CAfile", &f("tsa-ca.pem")])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Verification: OK"),
            "token {tokens}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        tokens += 1;
    }
    assert_eq!(tokens, 2);
}
