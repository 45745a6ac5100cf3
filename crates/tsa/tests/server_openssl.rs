//! Interop: `openssl ts -query` → our server (HTTP on 127.0.0.1) → `openssl ts -reply` and
//! `openssl ts -verify`. Skipped when the openssl CLI is absent (outside CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::crypto::default_backend;
use kenpo_tsa::server::http::{HttpOptions, LocalServer, QUERY_CONTENT_TYPE};
use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};

const POLICY: &str = "1.2.392.200081.99.1";

/// Runs `f` with a loopback server for `entity` and a scratch directory holding `doc.txt`,
/// `other.txt` and the PKI files, then stops the server.
fn with_server(entity: &str, f: impl FnOnce(&Path, &dyn Fn(&str, &str))) {
    let pki = common::pki();
    let key = default_backend().load_pkcs8(&pki.key(entity)).unwrap();
    let mut config = TsaConfig::new(pki.cert(entity), key, Oid::new_unwrap(POLICY))
        .with_accuracy(Some(Duration::from_millis(100)));
    config.accepted_policies = vec![Oid::new_unwrap("1.2.392.200081.99.2")];
    let tsa = Arc::new(Tsa::new(config, SerialStore::in_memory(), None).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(LocalServer::start(tsa, HttpOptions::default()))
        .unwrap();
    let url = server.url();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("doc.txt"),
        "健康保険 被保険者資格 2026-05\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("other.txt"), "something else\n").unwrap();
    for file in ["tsa.pem", "tsa-ecdsa.pem", "tsa-ca.pem"] {
        std::fs::copy(pki.path(file), dir.path().join(file)).unwrap();
    }
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    // POSTs the query file `tsq` and stores the reply as `tsr`.
    let post = |tsq: &str, tsr: &str| {
        let body = std::fs::read(dir.path().join(tsq)).unwrap();
        let resp = client
            .post(&url)
            .header("Content-Type", QUERY_CONTENT_TYPE)
            .body(body)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        std::fs::write(dir.path().join(tsr), resp.bytes().unwrap()).unwrap();
    };
    f(dir.path(), &post);
    rt.block_on(server.shutdown()).unwrap();
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out) = common::openssl(dir, args);
    assert!(success, "openssl {args:?} failed:\n{out}");
    out
}

fn verify(dir: &Path, tsr: &str, data: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec![
        "ts",
        "-verify",
        "-in",
        tsr,
        "-data",
        data,
        "-CAfile",
        "tsa-ca.pem",
    ];
    args.extend_from_slice(extra);
    let (success, out) = common::openssl(dir, &args);
    (success && out.contains("Verification: OK"), out)
}

#[test]
fn openssl_query_with_cert_verifies_and_other_data_fails() {
    if !common::openssl_available() {
        return;
    }
    for entity in ["tsa", "tsa-ecdsa"] {
        with_server(entity, |dir, post| {
            ok(
                dir,
                &[
                    "ts", "-query", "-data", "doc.txt", "-sha256", "-cert", "-out", "req.tsq",
                ],
            );
            post("req.tsq", "resp.tsr");
            let text = ok(dir, &["ts", "-reply", "-in", "resp.tsr", "-text"]);
            assert!(text.contains("Status: Granted."), "{text}");
            assert!(text.contains(&format!("Policy OID: {POLICY}")), "{text}");
            assert!(
                text.contains("Accuracy: unspecified seconds, 0x64 millis"),
                "{text}"
            );
            assert!(text.contains("Nonce: 0x"), "{text}");
            let (good, out) = verify(dir, "resp.tsr", "doc.txt", &[]);
            assert!(good, "{entity}: {out}");
            // Against the query: imprint and nonce.
            let (success, out) = common::openssl(
                dir,
                &[
                    "ts",
                    "-verify",
                    "-in",
                    "resp.tsr",
                    "-queryfile",
                    "req.tsq",
                    "-CAfile",
                    "tsa-ca.pem",
                ],
            );
            assert!(
                success && out.contains("Verification: OK"),
                "{entity}: {out}"
            );
            let (bad, out) = verify(dir, "resp.tsr", "other.txt", &[]);
            assert!(!bad, "{entity}: other data must not verify:\n{out}");
            assert!(out.contains("message imprint mismatch"), "{out}");
        });
    }
}

#[test]
fn openssl_query_without_nonce_or_cert_and_with_sha512() {
    if !common::openssl_available() {
        return;
    }
    with_server("tsa", |dir, post| {
        // No nonce, no certReq: the token carries no certificate, so the TSA certificate
        // comes from -untrusted.
        ok(
            dir,
            &[
                "ts",
                "-query",
                "-data",
                "doc.txt",
                "-sha256",
                "-no_nonce",
                "-out",
                "plain.tsq",
            ],
        );
        post("plain.tsq", "plain.tsr");
        let text = ok(dir, &["ts", "-reply", "-in", "plain.tsr", "-text"]);
        assert!(text.contains("Nonce: unspecified"), "{text}");
        let (good, out) = verify(dir, "plain.tsr", "doc.txt", &["-untrusted", "tsa.pem"]);
        assert!(good, "{out}");
        let (good, out) = verify(dir, "plain.tsr", "doc.txt", &[]);
        assert!(
            !good,
            "without -untrusted the TSA certificate is missing:\n{out}"
        );

        ok(
            dir,
            &[
                "ts",
                "-query",
                "-data",
                "doc.txt",
                "-sha512",
                "-cert",
                "-out",
                "sha512.tsq",
            ],
        );
        post("sha512.tsq", "sha512.tsr");
        let text = ok(dir, &["ts", "-reply", "-in", "sha512.tsr", "-text"]);
        assert!(text.contains("Hash Algorithm: sha512"), "{text}");
        let (good, out) = verify(dir, "sha512.tsr", "doc.txt", &[]);
        assert!(good, "{out}");

        // An accepted non-default policy.
        ok(
            dir,
            &[
                "ts",
                "-query",
                "-data",
                "doc.txt",
                "-cert",
                "-tspolicy",
                "1.2.392.200081.99.2",
                "-out",
                "p2.tsq",
            ],
        );
        post("p2.tsq", "p2.tsr");
        let text = ok(dir, &["ts", "-reply", "-in", "p2.tsr", "-text"]);
        assert!(text.contains("Policy OID: 1.2.392.200081.99.2"), "{text}");
    });
}

#[test]
fn openssl_reads_our_rejections() {
    if !common::openssl_available() {
        return;
    }
    with_server("tsa", |dir, post| {
        ok(
            dir,
            &[
                "ts",
                "-query",
                "-data",
                "doc.txt",
                "-cert",
                "-tspolicy",
                "1.2.3.9",
                "-out",
                "bad.tsq",
            ],
        );
        post("bad.tsq", "bad.tsr");
        let text = ok(dir, &["ts", "-reply", "-in", "bad.tsr", "-text"]);
        assert!(text.contains("Status: Rejected"), "{text}");
        assert!(text.contains("policy is not supported"), "{text}");
        assert!(
            text.contains("1.2.3.9"),
            "statusString names the policy: {text}"
        );

        ok(
            dir,
            &[
                "ts", "-query", "-data", "doc.txt", "-sha1", "-out", "sha1.tsq",
            ],
        );
        post("sha1.tsq", "sha1.tsr");
        let text = ok(dir, &["ts", "-reply", "-in", "sha1.tsr", "-text"]);
        assert!(text.contains("unsupported algorithm"), "{text}");
    });
}
