//! `--revocation-cache DIR` (and `KENPO_REVOCATION_CACHE`) on `verify`, `verify-cert` and
//! `batch`: an online run keeps the CRLs it fetched from a real revocation service on
//! 127.0.0.1; once the service is gone, offline runs pass from the cache alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, Server, served_pki, text};

fn run_env(args: &[&str], cache_env: Option<&Path>) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("KENPO_REVOCATION_CACHE");
    if let Some(dir) = cache_env {
        c.env("KENPO_REVOCATION_CACHE", dir);
    }
    c.output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(o)))
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |r| r.count())
}

#[test]
fn cached_revocation_data_serves_later_offline_runs() {
    let (keys, service) = served_pki();
    let f = |n: &str| keys.path().join(n).to_str().unwrap().to_owned();

    let work = tempfile::tempdir().unwrap();
    let inbox = work.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let doc = inbox.join("application.csv");
    std::fs::write(&doc, "資格喪失届,87654321\n").unwrap();
    let sig = inbox.join("application.csv.p7s");
    let (doc_s, sig_s) = (doc.to_str().unwrap(), sig.to_str().unwrap());
    let tsa = Server::start_with(keys.path(), "tsa", &work.path().join("tsa-state"));
    let signed = run_env(
        &[
            "sign",
            doc_s,
            "--cert",
            &f("hpki-signer.pem"),
            "--key",
            &f("hpki-signer.key.pem"),
            "--chain",
            &f("hpki-sign-ca.pem"),
            "--tsa",
            &tsa.url,
            "--yes",
            "-o",
            sig_s,
        ],
        None,
    );
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
    drop(tsa);

    let cache = work.path().join("revocation-cache");
    let cache_s = cache.to_str().unwrap();
    let (root, tsa_ca) = (f("root-ca.pem"), f("tsa-ca.pem"));
    let verify = |extra: &[&str], env: Option<&Path>| {
        let mut args = vec![
            "verify",
            sig_s,
            "--content",
            doc_s,
            "--trust",
            &root,
            "--trust",
            &tsa_ca,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        run_env(&args, env)
    };

    // Online with the cache: passes and keeps the CRLs it fetched.
    let o = verify(&["--revocation-cache", cache_s], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let fetched = service.hits().crl;
    assert!(fetched >= 2, "signer and TSA CRLs fetched: {fetched}");
    assert!(count(&cache.join("crl")) >= 2, "CRLs kept in {cache_s}");
    service.shutdown();

    // Service gone. Offline without the cache: no revocation data, not passed.
    let o = verify(&["--offline"], None);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_eq!(json(&o)["sub_indication"], "TRY_LATER");

    // Offline with the cache (flag, then environment): passed, from the cache.
    let o = verify(&["--offline", "--revocation-cache", cache_s], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("from cache"),
        "the report names the cache as the source: {}",
        text(&o)
    );
    let o = verify(&["--offline"], Some(&cache));
    assert_eq!(
        o.status.code(),
        Some(0),
        "KENPO_REVOCATION_CACHE: {}",
        text(&o)
    );

    // verify-cert, offline, from the cache.
    let cert_args = [
        "verify-cert",
        &f("hpki-signer.pem"),
        "--chain",
        &f("hpki-sign-ca.pem"),
        "--trust",
        &f("root-ca.pem"),
        "--offline",
        "--format",
        "json",
    ];
    let o = run_env(&cert_args, None);
    assert_eq!(o.status.code(), Some(3), "no data: {}", text(&o));
    let o = run_env(&cert_args, Some(&cache));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(json(&o)["indication"], "PASSED");

    // batch, offline, from the cache.
    let report = work.path().join("report.jsonl");
    let o = run_env(
        &[
            "batch",
            inbox.to_str().unwrap(),
            "--trust",
            &f("root-ca.pem"),
            "--trust",
            &f("tsa-ca.pem"),
            "--report",
            report.to_str().unwrap(),
            "--offline",
            "--revocation-cache",
            cache_s,
            "--progress",
            "never",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&report)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(line["indication"], "TOTAL_PASSED", "{line:#}");
}
