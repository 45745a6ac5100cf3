//! Shared support for the kenpo-sign CAdES tests: one test PKI per test binary, a test-only
//! `Signer`, a local TSA on an OS-chosen loopback port, and the `openssl` CLI as an
//! independent peer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::crypto::{SigningKey, default_backend};
use kenpo_sign::Signer;
use kenpo_testpki::{Config, TestPki};
use kenpo_tsa::AnchorChain;
use kenpo_tsa::client::ClientConfig;
use kenpo_tsa::server::http::{HttpOptions, LocalServer};
use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};

/// TSA policy used by the local TSA.
pub const TSA_POLICY: Oid = Oid::new_unwrap("1.2.392.200001.27.1");

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

    /// The intermediates of an entity: issuer first, the self-signed root excluded.
    pub fn chain(&self, name: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cur = self.pki.entity(name).unwrap().issuer.clone();
        while let Some(n) = cur {
            let e = self.pki.entity(&n).unwrap();
            if e.issuer.is_none() {
                break;
            }
            out.push(e.cert_der.clone());
            cur = e.issuer.clone();
        }
        out
    }

    /// Name of the self-signed root above an entity.
    pub fn root_of(&self, name: &str) -> String {
        let mut cur = name.to_owned();
        while let Some(i) = self.pki.entity(&cur).unwrap().issuer.clone() {
            cur = i;
        }
        cur
    }

    /// A test signer for an entity (aws-lc key, chain to below the root).
    pub fn signer(&self, name: &str) -> TestSigner {
        let e = self.pki.entity(name).unwrap();
        TestSigner {
            key: default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap(),
            cert: e.cert_der.clone(),
            chain: self.chain(name),
        }
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

/// A test-only signer: a key, its certificate and the chain.
#[derive(Debug, Clone)]
pub struct TestSigner {
    /// The private key.
    pub key: Arc<dyn SigningKey>,
    /// Certificate (DER).
    pub cert: Vec<u8>,
    /// Intermediates (DER).
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

/// A TSA served on 127.0.0.1 (OS-chosen port) by its own runtime; stopped on drop.
pub struct LocalTsa {
    runtime: tokio::runtime::Runtime,
    server: Option<LocalServer>,
    /// The TSA itself (for `issued()`).
    pub tsa: Arc<Tsa>,
}

impl LocalTsa {
    /// Starts the test PKI's `tsa` entity (or another TSA entity).
    pub fn start(entity: &str) -> Self {
        let p = pki();
        let e = p.pki.entity(entity).unwrap();
        let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
        let tsa = Arc::new(
            Tsa::new(
                TsaConfig::new(e.cert_der.clone(), key, TSA_POLICY),
                SerialStore::in_memory(),
                None,
            )
            .unwrap(),
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime
            .block_on(LocalServer::start(tsa.clone(), HttpOptions::default()))
            .unwrap();
        Self {
            runtime,
            server: Some(server),
            tsa,
        }
    }

    /// The time-stamping URL.
    pub fn url(&self) -> String {
        self.server.as_ref().unwrap().url()
    }

    /// A client configuration for this TSA, validating its certificate up to `tsa-ca`.
    pub fn client_config(&self) -> ClientConfig {
        client_config(vec![self.url()])
    }
}

/// A client configuration for `urls`, validating the TSA certificate up to `tsa-ca`.
pub fn client_config(urls: Vec<String>) -> ClientConfig {
    let anchors = vec![pki().cert(&pki().root_of("tsa"))];
    ClientConfig::new(urls)
        .with_validator(Some(Arc::new(AnchorChain::new(anchors))))
        .with_timeout(std::time::Duration::from_secs(20))
}

impl Drop for LocalTsa {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            let _ = self.runtime.block_on(s.shutdown());
        }
    }
}

/// A loopback URL where nothing listens (a port bound and released again).
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/")
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

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A minimal HTTP/1.1 TSA on 127.0.0.1 (std only) that records every response it sends,
/// so tests can compare embedded tokens with the bytes that went over the wire. With
/// `fail_status` set it answers every request with that HTTP status instead.
pub struct RecordingTsa {
    addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Every DER TimeStampResp sent, in order.
    pub responses: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl RecordingTsa {
    /// Serves the test PKI's `tsa` entity.
    pub fn start(fail_status: Option<u16>) -> Self {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::atomic::Ordering;
        let p = pki();
        let e = p.pki.entity("tsa").unwrap();
        let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
        let tsa = Tsa::new(
            TsaConfig::new(e.cert_der.clone(), key, TSA_POLICY),
            SerialStore::in_memory(),
            None,
        )
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let responses = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop2, responses2) = (stop.clone(), responses.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
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
                let reply = match fail_status {
                    Some(code) => format!(
                        "HTTP/1.1 {code} Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .into_bytes(),
                    None => {
                        let der = tsa.respond(&body).response_der;
                        responses2.lock().unwrap().push(der.clone());
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            der.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&der);
                        r
                    }
                };
                let _ = conn.write_all(&reply);
                let _ = conn.flush();
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
            responses,
        }
    }

    /// The time-stamping URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The token inside the `i`-th response sent (TimeStampResp's second element).
    pub fn token(&self, i: usize) -> Vec<u8> {
        use kenpo_core::der_span::{parse_one, tag};
        let responses = self.responses.lock().unwrap();
        let resp = parse_one(&responses[i])
            .unwrap()
            .expect(tag::SEQUENCE)
            .unwrap();
        let mut r = resp.reader();
        r.read().unwrap();
        r.read().unwrap().raw.to_vec()
    }
}

impl Drop for RecordingTsa {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A key wrapper counting how often it signs (to prove refusals come before key use).
#[derive(Debug)]
pub struct CountingKey {
    /// The real key.
    pub inner: Arc<dyn SigningKey>,
    /// Number of `sign_digest` calls.
    pub uses: std::sync::atomic::AtomicUsize,
}

impl SigningKey for CountingKey {
    fn public_key_spki(&self) -> &[u8] {
        self.inner.public_key_spki()
    }
    fn kind(&self) -> kenpo_core::alg::PublicKeyKind {
        self.inner.kind()
    }
    fn sign_digest(
        &self,
        alg: kenpo_core::alg::SignatureAlgorithm,
        digest: &kenpo_core::alg::Digest,
    ) -> Result<Vec<u8>, kenpo_core::crypto::CryptoError> {
        self.uses.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.sign_digest(alg, digest)
    }
}

/// A signer for `entity` whose key counts its uses.
pub fn counting_signer(entity: &str) -> (TestSigner, Arc<CountingKey>) {
    let base = pki().signer(entity);
    let key = Arc::new(CountingKey {
        inner: base.key.clone(),
        uses: std::sync::atomic::AtomicUsize::new(0),
    });
    (
        TestSigner {
            key: key.clone(),
            ..base
        },
        key,
    )
}

impl CountingKey {
    /// How many signatures were made.
    pub fn count(&self) -> usize {
        self.uses.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The files in `dir` (names), sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
