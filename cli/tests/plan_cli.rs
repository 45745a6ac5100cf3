//! `kenpo-sign plan` against `../shared/CLI.md`: B-T signatures from `tsa serve` processes
//! with RSA-2048 and P-256 TSA keys, a B-B signature and junk in one directory; due dates
//! checked against the certificate files; statuses, exit codes, JSON and text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{Server, p, run, text};
use der::{Decode, DecodePem};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const RSA2048_SUNSET: OffsetDateTime = datetime!(2029-01-01 00:00 UTC);

fn sign(doc: &str, out: &Path, tsa: Option<&Server>) {
    let (cert, key, chain) = (
        p("hpki-signer.pem"),
        p("hpki-signer.key.pem"),
        p("hpki-sign-ca.pem"),
    );
    let mut args = vec![
        "sign", doc, "--cert", &cert, "--key", &key, "--chain", &chain,
    ];
    let trust = p("tsa-ca.pem");
    if let Some(t) = tsa {
        args.extend(["--tsa", &t.url, "--trust", &trust]);
    }
    args.extend(["--yes", "-o", out.to_str().unwrap()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

fn not_after(name: &str) -> OffsetDateTime {
    let pem = std::fs::read(p(&format!("{name}.pem"))).unwrap();
    let c = x509_cert::Certificate::from_pem(&pem).unwrap();
    OffsetDateTime::UNIX_EPOCH + c.tbs_certificate.validity.not_after.to_unix_duration()
}

fn rsa_bits(name: &str) -> Option<usize> {
    let pem = std::fs::read(p(&format!("{name}.pem"))).unwrap();
    let c = x509_cert::Certificate::from_pem(&pem).unwrap();
    let spki = &c.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid.to_string() != "1.2.840.113549.1.1.1" {
        return None;
    }
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    let mut r = der::SliceReader::new(spki.subject_public_key.raw_bytes()).unwrap();
    let bits = der::Reader::sequence(&mut r, |s| {
        let n = der::asn1::UintRef::decode(s)?;
        der::asn1::UintRef::decode(s)?;
        Ok(n.as_bytes().len() * 8)
    })
    .unwrap();
    Some(bits)
}

/// min(notAfter, RSA 1900–2999 sunset) − margin, as a date string.
fn expected_due(entities: &[&str], key_of: &str, margin: i64) -> String {
    let mut dates: Vec<OffsetDateTime> = entities.iter().map(|e| not_after(e)).collect();
    if rsa_bits(key_of).is_some_and(|b| (1900..3000).contains(&b)) {
        dates.push(RSA2048_SUNSET);
    }
    let d = (dates.into_iter().min().unwrap() - Duration::days(margin)).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn plan(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let (root, tsa_ca) = (p("root-ca.pem"), p("tsa-ca.pem"));
    let mut all = vec!["plan"];
    all.extend(args);
    all.extend(["--trust", &root, "--trust", &tsa_ca]);
    let o = run(&all);
    let json = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.code(), json, text(&o))
}

fn entry<'a>(j: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    j["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} not in {j}"))
}

#[test]
fn plan_a_directory_of_signatures() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("archive");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let doc = dir.join("claim.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    let doc = doc.to_str().unwrap();
    let rsa = Server::start_with(common::pki(), "tsa", &work.path().join("s1"));
    let ecdsa = Server::start_with(common::pki(), "tsa-ecdsa", &work.path().join("s2"));
    sign(doc, &dir.join("rsa.p7s"), Some(&rsa));
    sign(doc, &dir.join("sub/ecdsa.p7m"), Some(&ecdsa));
    sign(doc, &dir.join("bb.p7s"), None);
    std::fs::write(dir.join("junk.p7s"), b"not a signature").unwrap();
    drop((rsa, ecdsa));

    let d = dir.to_str().unwrap();
    let (code, j, out) = plan(&[d, "--format", "json"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        j["files"].as_array().unwrap().len(),
        4,
        "content files are skipped: {j}"
    );
    let rsa = entry(&j, "rsa.p7s");
    assert_eq!(
        rsa["due"],
        expected_due(&["tsa", "tsa-ca"], "tsa", 90),
        "{rsa}"
    );
    assert_eq!(rsa["level"], "B-T");
    assert_eq!(rsa["protected_by"], "signature-time-stamp");
    assert!(
        rsa["reason"]
            .as_str()
            .unwrap()
            .starts_with("RSA-2048 sunset 2029-01-01")
    );
    assert_eq!(rsa["status"], "ok");
    assert_eq!(rsa["path_validated"], true);
    let ec = entry(&j, "ecdsa.p7m");
    assert_eq!(
        ec["due"],
        expected_due(&["tsa-ecdsa", "tsa-ca"], "tsa-ecdsa", 90),
        "{ec}"
    );
    assert!(
        ec["reason"]
            .as_str()
            .unwrap()
            .starts_with("TSA certificate"),
        "{ec}"
    );
    let bb = entry(&j, "bb.p7s");
    assert_eq!(bb["level"], "B-B");
    assert_eq!(
        bb["due"],
        expected_due(
            &["hpki-signer", "hpki-sign-ca", "root-ca"],
            "hpki-signer",
            90
        )
    );
    let junk = entry(&j, "junk.p7s");
    assert_eq!(junk["status"], "error");
    assert!(junk["message"].is_string());
    // Sorted by due date; earliest_due is the first.
    let dues: Vec<&str> = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["due"].as_str())
        .collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    assert_eq!(j["earliest_due"], dues[0]);

    // Another margin moves the due date.
    let (_, j, _) = plan(&[d, "--format", "json", "--margin-days", "30"]);
    assert_eq!(
        entry(&j, "rsa.p7s")["due"],
        expected_due(&["tsa", "tsa-ca"], "tsa", 30)
    );

    // Planned after the RSA-2048 sunset: overdue, exit 1.
    let (code, j, out) = plan(&[d, "--format", "json", "--at", "2029-01-02T00:00:00Z"]);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(entry(&j, "rsa.p7s")["status"], "overdue");

    // Text in both languages.
    let (code, _, out) = plan(&[d, "--lang", "ja"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("更新期限") && out.contains("rsa.p7s"), "{out}");
    let (_, _, out) = plan(&[d, "--lang", "en"]);
    assert!(
        out.contains("earliest due:") && out.contains("[error]"),
        "{out}"
    );
}

#[test]
fn unreadable_input_is_exit_4() {
    let (code, _, out) = plan(&["/nonexistent/kenpo/x.p7s", "--format", "json"]);
    assert_eq!(code, Some(4), "{out}");
}

/// A symbolic link in the planned folder that points outside it is not read (the file
/// outside, here a real signature, is not planned) and is reported, in JSON and in text.
#[cfg(unix)]
#[test]
fn links_leaving_the_folder_are_skipped_and_reported() {
    let work = tempfile::tempdir().unwrap();
    let outside = work.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let doc = outside.join("claim.csv");
    std::fs::write(&doc, "資格取得届,12345678\n").unwrap();
    sign(doc.to_str().unwrap(), &outside.join("other.p7s"), None);
    let dir = work.path().join("archive");
    std::fs::create_dir_all(&dir).unwrap();
    sign(doc.to_str().unwrap(), &dir.join("own.p7s"), None);
    std::os::unix::fs::symlink(outside.join("other.p7s"), dir.join("link.p7s")).unwrap();
    let d = dir.to_str().unwrap();
    let (code, j, out) = plan(&[d, "--format", "json"]);
    assert_eq!(code, Some(0), "{out}");
    let files = j["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{j}");
    assert!(files[0]["path"].as_str().unwrap().ends_with("own.p7s"));
    let skipped = j["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{j}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("link.p7s"));
    assert!(
        skipped[0]["target"]
            .as_str()
            .unwrap()
            .ends_with("other.p7s")
    );
    let (code, _, out) = plan(&[d]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("[skipped]") && out.contains("link.p7s"),
        "{out}"
    );
}
