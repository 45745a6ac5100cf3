//! Test support shared by the kenpo-verify integration tests: a signer that skips the
//! signing-time checks (to make deliberately bad signatures) and a std-only HTTP TSA.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod conformance;
pub mod net;
pub mod openssl;
pub mod peers;
pub mod verdicts;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, OnceLock};

use kenpo_core::crypto::{SigningKey, default_backend};
use kenpo_sign::Signer;
use kenpo_testpki::{Config, TestPki};
use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};

/// The test PKI, generated once per test binary.
pub fn test_pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

/// A test PKI whose certificates point at a revocation service (OCSP, CRLs, caIssuers)
/// started for it on 127.0.0.1; the service runs while the returned handle lives.
pub fn served_pki() -> (TestPki, kenpo_testpki::service::RevocationService) {
    let bound = kenpo_testpki::service::RevocationService::bind("127.0.0.1:0").unwrap();
    let mut cfg = Config::default();
    bound.config_urls(&mut cfg);
    let pki = kenpo_testpki::generate(&cfg).unwrap();
    let service = bound.start(pki.clone()).unwrap();
    (pki, service)
}

#[derive(Debug)]
pub struct TestSigner {
    pub key: Arc<dyn SigningKey>,
    pub cert: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
}

impl Signer for TestSigner {
    fn key(&self) -> &dyn SigningKey {
        self.key.as_ref()
    }
    fn certificate(&self) -> &[u8] {
        &self.cert
    }
    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
}

/// A signer for entity `name` with its chain (anchor excluded).
pub fn signer(name: &str) -> TestSigner {
    signer_of(test_pki(), name)
}

/// A signer for entity `name` of `p` with its chain (anchor excluded).
pub fn signer_of(p: &TestPki, name: &str) -> TestSigner {
    let e = p.entity(name).unwrap();
    let mut chain = Vec::new();
    let mut cur = e.issuer.clone();
    while let Some(n) = cur {
        let i = p.entity(&n).unwrap();
        if i.issuer.is_none() {
            break;
        }
        chain.push(i.cert_der.clone());
        cur = i.issuer.clone();
    }
    TestSigner {
        key: default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap(),
        cert: e.cert_der.clone(),
        chain,
    }
}

/// A minimal std-only HTTP TSA answering with `Tsa::respond` (entity `tsa` of [`test_pki`]).
pub fn start_tsa() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| serve_tsa(test_pki(), "tsa")).clone()
}

/// Serves TSA entity `name` of `pki` on 127.0.0.1 (a thread per server); returns its URL.
pub fn serve_tsa(pki: &TestPki, name: &str) -> String {
    let e = pki.entity(name).unwrap();
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let policy = const_oid::ObjectIdentifier::new_unwrap("1.2.392.200001.27.1");
    let tsa = Tsa::new(
        TsaConfig::new(e.cert_der.clone(), key, policy),
        SerialStore::in_memory(),
        None,
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let der = tsa.respond(&body).response_der;
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                der.len()
            )
            .into_bytes();
            r.extend_from_slice(&der);
            let _ = conn.write_all(&r);
        }
    });
    format!("http://{addr}/")
}
