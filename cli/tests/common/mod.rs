//! Shared support for the CLI contract tests: the binary, one test PKI per test binary,
//! and a `kenpo-sign tsa serve` child process on 127.0.0.1.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

pub const BIN: &str = env!("CARGO_BIN_EXE_kenpo-sign");

/// A Python peer (`$KENPO_PEER_PYTHON`, else `python3`) that imports `modules` (e.g.
/// `"pyhanko, pyhanko_certvalidator"`); `.ci/run` makes a pinned venv. Skipped with a
/// message when there is none, a failure under CI.
pub fn peer_python(modules: &str) -> Option<String> {
    let py = std::env::var("KENPO_PEER_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI: a python with {modules} is required (.ci/run makes one: KENPO_PEER_PYTHON)"
    );
    if !ok {
        eprintln!("SKIP: no python with {modules} (set KENPO_PEER_PYTHON)");
    }
    ok.then_some(py)
}

/// A one-page PDF with a classic cross-reference table (the smallest input to sign).
pub const MINIMAL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n\
xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n\
trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n";

pub fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// One test PKI for the whole binary, written by the binary itself.
pub fn pki() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let o = run(&["testpki", d.path().to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        d
    })
    .path()
}

pub fn p(name: &str) -> String {
    pki().join(name).to_str().unwrap().to_owned()
}

pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub fn start(state: &Path) -> Self {
        Self::start_with(pki(), "tsa", state)
    }

    /// `kenpo-sign tsa serve` for TSA entity `name` of the test PKI written in `dir`.
    pub fn start_with(dir: &Path, name: &str, state: &Path) -> Self {
        Self::start_with_args(dir, name, state, &[])
    }

    /// [`Server::start_with`] with `extra` arguments for `tsa serve`.
    pub fn start_with_args(dir: &Path, name: &str, state: &Path, extra: &[&str]) -> Self {
        let f = |n: &str| dir.join(n).to_str().unwrap().to_owned();
        let mut child = Command::new(BIN)
            .args([
                "tsa",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--cert",
                &f(&format!("{name}.pem")),
                "--key",
                &f(&format!("{name}.key.pem")),
            ])
            .args([
                "--chain",
                &f("tsa-ca.pem"),
                "--policy",
                "1.3.6.1.4.1.32473.27.3.1",
                "--accuracy-ms",
                "500",
            ])
            .args(["--state", state.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("listening line")
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        Self { child, url }
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> Option<i32> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap().code()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Runs the binary with extra environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Whether the openssl CLI is there (required under CI).
pub fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "openssl is required under CI"
    );
    if !ok {
        eprintln!("SKIP: openssl CLI not found");
    }
    ok
}

/// A fresh test PKI whose certificates point at a revocation service (OCSP, CRLs,
/// caIssuers) running on 127.0.0.1, written to a new directory.
pub fn served_pki() -> (tempfile::TempDir, kenpo_testpki::service::RevocationService) {
    let bound = kenpo_testpki::service::RevocationService::bind("127.0.0.1:0").unwrap();
    let mut cfg = kenpo_testpki::Config::default();
    bound.config_urls(&mut cfg);
    let pki = kenpo_testpki::generate(&cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write_to(dir.path()).unwrap();
    (dir, bound.start(pki).unwrap())
}

/// A PKI pointed at a running revocation service, written to a directory, and a TSA
/// (`kenpo-sign tsa serve`) over it: one per test binary.
pub struct Env {
    pub dir: tempfile::TempDir,
    _service: kenpo_testpki::service::RevocationService,
    pub tsa: Server,
    _state: tempfile::TempDir,
}

/// This test binary's [`Env`].
pub fn env() -> &'static Env {
    static E: OnceLock<Env> = OnceLock::new();
    E.get_or_init(|| {
        let (dir, service) = served_pki();
        let state = tempfile::tempdir().unwrap();
        let tsa = Server::start_with(dir.path(), "tsa", state.path());
        Env {
            dir,
            _service: service,
            tsa,
            _state: state,
        }
    })
}

/// The path of `name` in [`env`]'s PKI directory.
pub fn f(name: &str) -> String {
    env().dir.path().join(name).to_str().unwrap().to_owned()
}

/// Whether the `xmlsec1` peer is installed (required under CI; otherwise a test that needs
/// it is skipped with a message).
pub fn xmlsec1() -> bool {
    let ok = Command::new("xmlsec1")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "xmlsec1 is required under CI"
    );
    if !ok {
        eprintln!("SKIP: xmlsec1 not found");
    }
    ok
}
