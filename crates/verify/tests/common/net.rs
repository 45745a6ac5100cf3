//! Loopback network support for verify-level tests: a tiny HTTP/1.1 server on 127.0.0.1
//! (CRL distribution points, OCSP, a TSA, or a hostile peer that hangs or sends garbage)
//! and test PKIs whose certificates point at it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kenpo_core::crypto::default_backend;
use kenpo_testpki::{Config, TestPki};
use kenpo_tsa::server::{SerialStore, Tsa, TsaConfig};

/// What the server answers.
pub enum Reply {
    /// 200 with a body and a content type.
    Ok(Vec<u8>, &'static str),
    /// A bare status.
    Status(u16),
    /// Read the request, then never answer (until the server stops, at most 60 s).
    Hang,
}

type Handler = Arc<dyn Fn(&str, &[u8]) -> Reply + Send + Sync>;

/// A loopback HTTP server (one thread per connection), stopped on drop. The handler gets
/// the request path and body.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handler: Arc<RwLock<Handler>>,
    paths: Arc<Mutex<Vec<String>>>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1 on an OS-chosen port and serves with `handler`.
    pub fn start(handler: impl Fn(&str, &[u8]) -> Reply + Send + Sync + 'static) -> Self {
        let s = Self::bind();
        s.set(handler);
        s
    }

    /// Binds 127.0.0.1 on an OS-chosen port; answers 404 until [`Server::set`].
    pub fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let not_found: Handler = Arc::new(|_: &str, _: &[u8]| Reply::Status(404));
        let handler = Arc::new(RwLock::new(not_found));
        let accept = {
            let (stop, paths, handler) = (stop.clone(), paths.clone(), handler.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (stop, paths) = (stop.clone(), paths.clone());
                    let handler = handler.read().unwrap().clone();
                    std::thread::spawn(move || serve(conn, &stop, &paths, &handler));
                }
            })
        };
        Self {
            addr,
            stop,
            handler,
            paths,
            accept: Some(accept),
        }
    }

    /// Installs the handler (for the connections accepted from now on).
    pub fn set(&self, handler: impl Fn(&str, &[u8]) -> Reply + Send + Sync + 'static) {
        *self.handler.write().unwrap() = Arc::new(handler);
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests asked for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.paths
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(conn: TcpStream, stop: &AtomicBool, paths: &Mutex<Vec<String>>, handler: &Handler) {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    paths.lock().unwrap().push(path.clone());
    let head = |status: &str, ct: &str, n: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
        )
    };
    let _ = match handler(&path, &body) {
        Reply::Ok(b, ct) => writer
            .write_all(head("200 OK", ct, b.len()).as_bytes())
            .and_then(|()| writer.write_all(&b)),
        Reply::Status(code) => {
            writer.write_all(head(&format!("{code} X"), "text/plain", 0).as_bytes())
        }
        Reply::Hang => {
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(())
        }
    };
    let _ = writer.flush();
}

/// A test PKI whose CRL DPs are `<crl_base>/crl/<issuer>.crl`, whose OCSP URL (AIA of the
/// accredited signers) is `ocsp_url` and whose caIssuers URLs are under `<crl_base>/ca/`.
pub fn pki_with(crl_base: &str, ocsp_url: &str) -> TestPki {
    kenpo_testpki::generate(&Config {
        crl_base_url: format!("{crl_base}/crl/"),
        ocsp_url: ocsp_url.to_owned(),
        ca_issuers_base_url: format!("{crl_base}/ca/"),
        ..Config::default()
    })
    .unwrap()
}

/// The CRLs of `pki` as `(/crl/<issuer>.crl, DER)`, leaving out the issuers in `except`.
pub fn crl_paths(pki: &TestPki, except: &[&str]) -> Vec<(String, Vec<u8>)> {
    pki.crls()
        .iter()
        .filter(|c| !except.contains(&c.issuer.as_str()))
        .map(|c| (format!("/crl/{}.crl", c.issuer), c.der.clone()))
        .collect()
}

/// A handler serving `crls` (from [`crl_paths`]) and answering time-stamp requests on
/// `/tsa` with the TSA entity `tsa-rsa3072` of `pki`; 404 otherwise.
pub fn crl_and_tsa_handler(
    pki: &TestPki,
    crls: Vec<(String, Vec<u8>)>,
) -> impl Fn(&str, &[u8]) -> Reply + Send + Sync + 'static + use<> {
    // RSA-3072: tests that validate years ahead must not run into the RSA-2048 sunset
    // (2029-01-01), after which an RSA-2048 time-stamp proves nothing on its own.
    let e = pki.entity("tsa-rsa3072").unwrap();
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let policy = const_oid::ObjectIdentifier::new_unwrap("1.2.392.200001.27.1");
    let tsa = Tsa::new(
        TsaConfig::new(e.cert_der.clone(), key, policy),
        SerialStore::in_memory(),
        None,
    )
    .unwrap();
    move |path: &str, body: &[u8]| {
        if path == "/tsa" {
            return Reply::Ok(
                tsa.respond(body).response_der,
                "application/timestamp-reply",
            );
        }
        crls.iter()
            .find(|(p, _)| p == path)
            .map_or(Reply::Status(404), |(_, der)| {
                Reply::Ok(der.clone(), "application/pkix-crl")
            })
    }
}

/// A free TCP port on 127.0.0.1 (for programs that need a fixed port number).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A signer for entity `name` of `pki` (not the shared [`super::test_pki`]), chain without
/// the anchor.
pub fn pki_signer(pki: &TestPki, name: &str) -> super::TestSigner {
    super::signer_of(pki, name)
}
