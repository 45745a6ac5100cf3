//! Interop: `openssl ocsp` as an independent responder (OpenSSL CA database `index.txt`,
//! delegated responder `ocsp-responder`) answering our client. Skipped without the
//! openssl CLI, a failure under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_revocation::fetch::{FetchConfig, Fetcher};
use kenpo_revocation::ocsp::OcspRequest;
use kenpo_revocation::{Checker, Evidence, RevocationCheck, RevocationStatus};
use kenpo_testpki::{Config, TestPki};
use time::OffsetDateTime;

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl CLI is required under CI"
        );
        eprintln!("SKIP: openssl CLI not found");
    }
    ok
}

/// `YYMMDDHHMMSSZ` as in OpenSSL's index.txt.
fn index_time(t: OffsetDateTime) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The openssl responder process, killed on drop.
struct OpensslResponder(Child);

impl Drop for OpensslResponder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn index_line(pki: &TestPki, name: &str) -> String {
    let der = pki.entity(name).unwrap().cert_der.clone();
    let c = CertRef::parse(&der).unwrap();
    let subject = format!("/CN={name}");
    match pki.revoked().iter().find(|r| r.subject == name) {
        Some(r) => format!(
            "R\t{}\t{},keyCompromise\t{}\tunknown\t{subject}\n",
            index_time(c.not_after),
            index_time(r.time),
            c.serial_hex()
        ),
        None => format!(
            "V\t{}\t\t{}\tunknown\t{subject}\n",
            index_time(c.not_after),
            c.serial_hex()
        ),
    }
}

#[test]
fn openssl_ocsp_responder_interop() {
    if !openssl_available() {
        return;
    }
    // openssl ocsp needs a fixed port: take a free one from the OS.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let pki = kenpo_testpki::generate(&Config {
        ocsp_url: url.clone(),
        // CRLs are not served: every answer must come from OCSP.
        crl_base_url: format!("http://127.0.0.1:{port}/crl/"),
        ..Config::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write_to(dir.path()).unwrap();
    let index: String = ["accredited-signer", "accredited-signer-revoked"]
        .iter()
        .map(|n| index_line(&pki, n))
        .collect();
    std::fs::write(dir.path().join("index.txt"), index).unwrap();

    let child = Command::new("openssl")
        .args([
            "ocsp",
            "-index",
            "index.txt",
            // OpenSSL 3.0's -port takes only a number (it listens on every interface);
            // the client talks to 127.0.0.1.
            "-port",
            &port.to_string(),
            "-ignore_err",
            "-rsigner",
            "ocsp-responder.pem",
            "-rkey",
            "ocsp-responder.key.pem",
            "-CA",
            "accredited-ca.pem",
            "-ndays",
            "1",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _responder = OpensslResponder(child);

    let (ee, ca) = (
        pki.entity("accredited-signer").unwrap().cert_der.clone(),
        pki.entity("accredited-ca").unwrap().cert_der.clone(),
    );
    let revoked_der = pki
        .entity("accredited-signer-revoked")
        .unwrap()
        .cert_der
        .clone();

    // Wait until it answers (a real request, so that no probe connection blocks it).
    let fetcher = Fetcher::new(
        FetchConfig::default()
            .with_use_system_proxy(false)
            .with_timeout(Duration::from_secs(2)),
    );
    let (eer, car) = (CertRef::parse(&ee).unwrap(), CertRef::parse(&ca).unwrap());
    let probe = OcspRequest::new(&eer, &car, DigestAlgorithm::Sha1, None).unwrap();
    let start = Instant::now();
    loop {
        match probe.send(&fetcher, &url) {
            Ok(_) => break,
            Err(e) if start.elapsed() > Duration::from_secs(10) => {
                panic!("openssl ocsp did not come up: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }

    for hash in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
        let checker = Checker::new()
            .with_system_proxy(false)
            .with_timeout(Duration::from_secs(5))
            .with_ocsp_hash(hash);
        let report = checker.check(&ee, &ca, pki.now());
        match &report.status {
            RevocationStatus::Good { source } => assert_eq!(source, &format!("OCSP {url}")),
            other => panic!("{hash:?}: expected Good, got {other:?}"),
        }
        match &report.evidence {
            Some(Evidence::Ocsp {
                responder_cert: Some(rc),
                ..
            }) => assert_eq!(rc, &pki.entity("ocsp-responder").unwrap().cert_der),
            other => panic!("expected delegated-responder evidence, got {other:?}"),
        }
        let revoked = pki
            .revoked()
            .iter()
            .find(|r| r.subject == "accredited-signer-revoked")
            .unwrap();
        match checker.status_at(&revoked_der, &ca, pki.now()) {
            RevocationStatus::Revoked { time, reason, .. } => {
                assert_eq!(time, revoked.time);
                assert_eq!(reason, Some(1), "keyCompromise");
            }
            other => panic!("{hash:?}: expected Revoked, got {other:?}"),
        }
        // Good before the revocation.
        assert!(matches!(
            checker.status_at(&revoked_der, &ca, revoked.time - time::Duration::hours(1)),
            RevocationStatus::Good { .. }
        ));
    }
}
