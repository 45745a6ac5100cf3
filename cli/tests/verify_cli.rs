//! `kenpo-sign verify` / `verify-cert` against `../shared/CLI.md`: EN 319 102-1 indications,
//! exit codes 0/1/3, JSON fields, `openssl cms -sign` output, validation with time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Server, openssl_available, p, pki, run, text};

/// Signs `doc` with the test PKI's HPKI signer through the CLI; returns the signature path.
fn sign(work: &Path, doc: &str, name: &str, extra: &[&str]) -> String {
    let out = work.join(name);
    let mut args = vec![
        "sign",
        doc,
        "--cert",
        &p_static("hpki-signer.pem"),
        "--key",
        &p_static("hpki-signer.key.pem"),
        "--chain",
        &p_static("hpki-sign-ca.pem"),
        "--yes",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    out.to_str().unwrap().to_owned()
}

fn p_static(name: &str) -> &'static str {
    Box::leak(p(name).into_boxed_str())
}

fn verify(sig: &str, content: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec![
        "verify",
        sig,
        "--content",
        content,
        "--trust",
        p_static("root-ca.pem"),
        "--crl",
        p_static("hpki-sign-ca.crl"),
        "--crl",
        p_static("root-ca.crl"),
        "--offline",
        "--format",
        "json",
    ];
    args.extend(extra);
    let o = run(&args);
    let json = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.code(), json, text(&o))
}

#[test]
fn verdicts_and_exit_codes() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("application.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let doc_s = doc.to_str().unwrap();
    let sig = sign(work.path(), doc_s, "bb.p7s", &["--profile", "hpki"]);

    let (code, v, t) = verify(&sig, doc_s, &["--profile", "hpki"]);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    let s0 = &v["signatures"][0];
    assert_eq!(s0["level"], "B-B");
    assert_eq!(
        s0["signer"]["hc_roles"],
        serde_json::json!(["Medical Doctor"])
    );
    assert!(s0["best_signature_time"].is_string());
    // CLI.md: every signature names its format; a .p7s is CAdES.
    assert_eq!(s0["format"], "CAdES");
    assert!(s0["checks"].as_array().is_some_and(|c| !c.is_empty()));

    // Tampered content.
    let other = work.path().join("other.csv");
    std::fs::write(&other, "改ざん\n").unwrap();
    let (code, v, t) = verify(&sig, other.to_str().unwrap(), &[]);
    assert_eq!(code, Some(1), "{t}");
    assert_eq!(v["indication"], "TOTAL_FAILED");
    assert_eq!(v["sub_indication"], "HASH_FAILURE");

    // An unknown root: indeterminate, exit 3.
    let o = run(&[
        "verify",
        &sig,
        "--content",
        doc_s,
        "--trust",
        &p("tsa-ca.pem"),
        "--offline",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["indication"], "INDETERMINATE");
    assert_eq!(v["sub_indication"], "NO_CERTIFICATE_CHAIN_FOUND");

    // Not a signature at all: a verdict, not an error.
    let junk = work.path().join("junk.p7s");
    std::fs::write(&junk, b"this is not CMS").unwrap();
    let (code, v, t) = verify(junk.to_str().unwrap(), doc_s, &[]);
    assert_eq!(code, Some(1), "{t}");
    assert_eq!(v["sub_indication"], "FORMAT_FAILURE");

    // Text reports in both languages.
    let o = run(&[
        "verify",
        &sig,
        "--content",
        doc_s,
        "--trust",
        &p("root-ca.pem"),
        "--crl",
        &p("hpki-sign-ca.crl"),
        "--crl",
        &p("root-ca.crl"),
        "--offline",
        "--lang",
        "ja",
    ]);
    assert!(text(&o).contains("TOTAL_PASSED"), "{}", text(&o));
    // Unreadable signature file: operational error.
    assert_eq!(
        run(&["verify", "/nonexistent.p7s", "--trust", &p("root-ca.pem")])
            .status
            .code(),
        Some(4)
    );
}

#[test]
fn validation_with_time_uses_the_signature_time_stamp() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("application.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let doc_s = doc.to_str().unwrap();
    // The RSA-3072 TSA: three years on may be past the RSA-2048 sunset (2029-01-01), after
    // which an RSA-2048 time-stamp is no proof of existence without an archive time-stamp.
    let server = Server::start_with(pki(), "tsa-rsa3072", &work.path().join("tsa-state"));
    let bt = sign(work.path(), doc_s, "bt.p7s", &["--tsa", &server.url]);
    let bb = sign(work.path(), doc_s, "bb.p7s", &[]);
    drop(server);
    // Three years on, the signer certificate (2 years) has expired.
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(3 * 365);
    let at = kenpo_core::timefmt::rfc3339(later);
    let tsa = [
        "--trust",
        p_static("tsa-ca.pem"),
        "--crl",
        p_static("tsa-ca.crl"),
        "--at",
        &at,
    ];
    let (code, v, t) = verify(&bt, doc_s, &tsa);
    assert_eq!(code, Some(0), "B-T passes after expiry: {t}");
    assert_eq!(v["signatures"][0]["level"], "B-T");
    assert_eq!(v["signatures"][0]["timestamps"][0]["type"], "signature");
    assert_eq!(v["signatures"][0]["timestamps"][0]["valid"], true);
    let (code, v, t) = verify(&bb, doc_s, &tsa);
    assert_ne!(
        code,
        Some(0),
        "B-B without a time-stamp does not pass after expiry: {t}"
    );
    assert_ne!(v["indication"], "TOTAL_PASSED");
}

#[test]
fn revoked_signer_is_not_passed() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("d.txt");
    std::fs::write(&doc, "x").unwrap();
    let out = work.path().join("r.p7s");
    // Sign without a revocation source (the CLI would refuse with the CRL), then verify with it.
    let o = run(&[
        "sign",
        doc.to_str().unwrap(),
        "--cert",
        &p("hpki-signer-revoked.pem"),
        "--key",
        &p("hpki-signer-revoked.key.pem"),
        "--chain",
        &p("hpki-sign-ca.pem"),
        "--offline",
        "--yes",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (code, v, t) = verify(out.to_str().unwrap(), doc.to_str().unwrap(), &[]);
    assert_ne!(code, Some(0), "{t}");
    assert!(
        v["sub_indication"]
            .as_str()
            .unwrap_or("")
            .contains("REVOKED"),
        "{v}"
    );
}

#[test]
fn openssl_signatures_verify() {
    if !openssl_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("d.txt");
    std::fs::write(&doc, "openssl-signed document\n").unwrap();
    for (name, extra) in [("detached", vec![]), ("cades", vec!["-cades"])] {
        let sig = work.path().join(format!("{name}.p7s"));
        let mut args = vec![
            "cms",
            "-sign",
            "-binary",
            "-in",
            doc.to_str().unwrap(),
            "-signer",
            p_static("hpki-signer.pem"),
            "-inkey",
            p_static("hpki-signer.key.pem"),
            "-certfile",
            p_static("hpki-sign-ca.pem"),
            "-outform",
            "DER",
            "-out",
            sig.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = Command::new("openssl").args(&args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (code, v, t) = verify(sig.to_str().unwrap(), doc.to_str().unwrap(), &[]);
        assert_eq!(code, Some(0), "{name}: {t}");
        assert_eq!(v["indication"], "TOTAL_PASSED");
    }
}

#[test]
fn verify_cert_paths() {
    let o = run(&[
        "verify-cert",
        &p("hpki-signer.pem"),
        "--chain",
        &p("hpki-sign-ca.pem"),
        "--trust",
        &p("root-ca.pem"),
        "--crl",
        &p("hpki-sign-ca.crl"),
        "--crl",
        &p("root-ca.crl"),
        "--offline",
        "--profile",
        "hpki",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["indication"], "PASSED");
    assert_eq!(v["path"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["hc_roles"], serde_json::json!(["Medical Doctor"]));
    let o = run(&[
        "verify-cert",
        &p("hpki-signer-revoked.pem"),
        "--chain",
        &p("hpki-sign-ca.pem"),
        "--trust",
        &p("root-ca.pem"),
        "--crl",
        &p("hpki-sign-ca.crl"),
        "--crl",
        &p("root-ca.crl"),
        "--offline",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // The real HPKI chain with its real CRL and ARL, offline, at 2022-09-08.
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/hpki-real");
    if !real.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "shared/hpki-real is required under CI"
        );
        return;
    }
    let f = |n: &str| real.join(n).to_str().unwrap().to_owned();
    let o = run(&[
        "verify-cert",
        &f("medis-test-signer-ee.cer"),
        "--chain",
        &f("medis-sign-ca2.cer"),
        "--trust",
        &f("mhlw-hpki-root-ca-v2.cer"),
        "--crl",
        &f("medis-sign-ca2-2022-09.crl"),
        "--crl",
        &f("mhlw-hpki-root-v2-arl-2022-09.crl"),
        "--at",
        "2022-09-08T00:00:00Z",
        "--offline",
        "--profile",
        "hpki",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hc_roles"], serde_json::json!(["Medical Doctor"]));
}

/// `verify --lang ja`: the short report first, in Japanese (verdict beside its ETSI name,
/// qualification, the kanji name of the subjectAltName); every check only with --verbose.
#[test]
fn japanese_short_report_first_and_verbose_details() {
    let work = tempfile::tempdir().unwrap();
    let doc = work.path().join("application.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let doc_s = doc.to_str().unwrap();
    let sig = sign(work.path(), doc_s, "bb.p7s", &["--profile", "hpki"]);
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "verify",
            sig.as_str(),
            "--content",
            doc_s,
            "--trust",
            p_static("root-ca.pem"),
            "--crl",
            p_static("hpki-sign-ca.crl"),
            "--crl",
            p_static("root-ca.crl"),
            "--offline",
            "--lang",
            "ja",
        ];
        a.extend(extra);
        run(&a)
    };
    let o = args(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let short = String::from_utf8(o.stdout).unwrap();
    assert!(
        short.starts_with("総合判定: 合格 (TOTAL_PASSED)"),
        "{short}"
    );
    assert!(short.contains("医師 (Medical Doctor)"), "{short}");
    assert!(short.contains("保存状態: B-B"), "{short}");
    let (_, json, _) = verify(&sig, doc_s, &[]);
    let alt = json["signatures"][0]["signer"]["alt_names"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!alt.is_empty(), "the test signer has a kanji SAN: {json}");
    assert!(!alt.is_ascii(), "kanji in the SAN: {alt}");
    let signer_line = short.lines().find(|l| l.contains("署名者:")).unwrap();
    assert!(
        signer_line.contains(" — "),
        "kanji name beside the subject: {signer_line}"
    );
    assert!(
        !short.contains("各検査"),
        "checks only with --verbose: {short}"
    );
    assert!(short.contains("--verbose"), "{short}");

    let o = args(&["--verbose"]);
    let long = String::from_utf8(o.stdout).unwrap();
    assert!(long.contains("各検査"), "{long}");
    assert!(
        long.contains("メッセージダイジェスト (message-digest)"),
        "{long}"
    );
    assert!(long.contains("HPKI"), "policy OIDs named: {long}");

    let o = args(&["--format", "html"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let html = String::from_utf8(o.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_eq!(html.matches("<html").count(), 1);
    assert_eq!(html.matches("</html>").count(), 1);
    assert_eq!(
        html.matches("<table").count(),
        html.matches("</table>").count()
    );
    assert!(html.contains("@page"), "{html}");
    assert!(html.contains("合格 (TOTAL_PASSED)"), "{html}");
    assert!(html.contains("医師"), "{html}");
    for bad in ["src=", "href=", "url(", "<script", "<link"] {
        assert!(!html.contains(bad), "no external asset ({bad}): {html}");
    }
}

/// The short report of a B-LTA signature states its preservation: the latest archive
/// time-stamp and the planner's next renewal date.
#[test]
fn preservation_state_names_the_renewal_due_date() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("d");
    let o = run(&["demo", "--dir", dir.to_str().unwrap(), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let f = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (sig, doc, root, tsa) = (
        f("application.csv.p7s"),
        f("application.csv"),
        f("pki/root-ca.pem"),
        f("pki/tsa-ca.pem"),
    );
    let o = run(&[
        "verify",
        &sig,
        "--content",
        &doc,
        "--trust",
        &root,
        "--trust",
        &tsa,
        "--offline",
        "--lang",
        "ja",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let line = out.lines().find(|l| l.contains("保存状態:")).unwrap();
    assert!(
        line.contains("B-LTA; 最新のアーカイブタイムスタンプ"),
        "{out}"
    );
    assert!(line.contains("次回更新期限 20"), "{out}");
}
