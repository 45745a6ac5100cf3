//! Shared support for kenpo-tsa integration tests: one test PKI per test binary and the
//! `openssl` CLI as an independent peer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kenpo_testpki::{Config, TestPki};

/// The generated test PKI and the directory it was written to (kept for the whole run).
pub struct Pki {
    /// Files: `<name>.pem`, `<name>.der`, `<name>.key.pem`, `<issuer>.crl`.
    pub dir: tempfile::TempDir,
    /// The PKI itself.
    pub pki: TestPki,
}

impl Pki {
    /// Path of a file in the PKI directory.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// DER certificate of an entity.
    pub fn cert(&self, name: &str) -> Vec<u8> {
        self.pki.entity(name).unwrap().cert_der.clone()
    }

    /// PKCS#8 DER key of an entity.
    pub fn key(&self, name: &str) -> Vec<u8> {
        self.pki.entity(name).unwrap().key_pkcs8_der.clone()
    }
}

/// The test PKI (default config: seed 27, now), generated once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let pki = kenpo_testpki::generate(&Config::default()).expect("generate test PKI");
        let dir = tempfile::tempdir().unwrap();
        pki.write_to(dir.path()).expect("write test PKI");
        Pki { dir, pki }
    })
}

/// Whether the `openssl` CLI can be used. Under CI (`CI` set) its absence is a failure,
/// elsewhere the caller skips with a message.
pub fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl CLI is required under CI (.ci/run installs it)"
        );
        eprintln!("SKIP: openssl CLI not found");
    }
    ok
}

/// Runs openssl with `args` in `dir`, returning (success, stdout+stderr).
pub fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A TSA for the test PKI's entity `tsa` (policy `policy`, serials in memory, `audit`) served
/// on 127.0.0.1 with `options` by a two-thread runtime: the runtime, the server, the TSA.
pub fn serve_local(
    policy: const_oid::ObjectIdentifier,
    options: kenpo_tsa::server::http::HttpOptions,
    audit: Option<kenpo_tsa::server::AuditLog>,
) -> (
    tokio::runtime::Runtime,
    kenpo_tsa::server::http::LocalServer,
    std::sync::Arc<kenpo_tsa::server::Tsa>,
) {
    use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};
    let pki = pki();
    let key = kenpo_core::crypto::default_backend()
        .load_pkcs8(&pki.key("tsa"))
        .unwrap();
    let tsa = std::sync::Arc::new(
        Tsa::new(
            TsaConfig::new(pki.cert("tsa"), key, policy),
            SerialStore::in_memory(),
            audit,
        )
        .unwrap(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(kenpo_tsa::server::http::LocalServer::start(
            std::sync::Arc::clone(&tsa),
            options,
        ))
        .unwrap();
    assert!(server.addr().ip().is_loopback());
    (rt, server, tsa)
}
