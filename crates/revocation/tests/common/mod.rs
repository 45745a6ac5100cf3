//! Shared support for kenpo-revocation integration tests: a tiny HTTP server on 127.0.0.1,
//! test PKIs pointing at it, OCSP responses and CRLs built independently of the crate
//! (x509-ocsp types, the testpki keys), and the real HPKI files.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bigcrl;
pub mod crlgen;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use kenpo_core::crypto::default_backend;
use kenpo_testpki::{Config, TestPki};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    ResponderId, ResponseData, RevokedInfo, SingleResponse, Version,
};

// ---- HTTP server --------------------------------------------------------------------

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET / POST.
    pub method: String,
    /// Path.
    pub path: String,
    /// Content-Type header.
    pub content_type: Option<String>,
    /// Body.
    pub body: Vec<u8>,
}

/// What the server answers.
pub enum Reply {
    /// 200 with a body and content type.
    Ok(Vec<u8>, &'static str),
    /// A bare status.
    Status(u16),
    /// Accept, read the request, then never answer (until the server stops).
    Hang,
    /// 200 without Content-Length, then `chunk` every `interval`, forever.
    Drip(Vec<u8>, Duration),
    /// 200 announcing this Content-Length, then a few bytes and hang.
    Announce(u64),
}

type Handler = Box<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A loopback HTTP/1.1 server (one thread per connection), stopped on drop.
pub struct TestServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handler: Arc<RwLock<Handler>>,
    hits: Arc<Mutex<Vec<Request>>>,
    accept: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds 127.0.0.1 on an OS-chosen port; answers 404 until [`TestServer::set`].
    pub fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<RwLock<Handler>> =
            Arc::new(RwLock::new(Box::new(|_: &Request| Reply::Status(404))));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (stop, handler, hits) = (stop.clone(), handler.clone(), hits.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (stop, handler, hits) = (stop.clone(), handler.clone(), hits.clone());
                    std::thread::spawn(move || serve(conn, &stop, &handler, &hits));
                }
            })
        };
        Self {
            addr,
            stop,
            handler,
            hits,
            accept: Some(accept),
        }
    }

    /// Installs the handler.
    pub fn set(&self, f: impl Fn(&Request) -> Reply + Send + Sync + 'static) {
        *self.handler.write().unwrap() = Box::new(f);
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests seen so far whose path is `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// All requests seen so far.
    pub fn requests(&self) -> Vec<Request> {
        self.hits.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn wait_for_stop(stop: &AtomicBool, max: Duration) {
    let start = Instant::now();
    while !stop.load(Ordering::SeqCst) && start.elapsed() < max {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn serve(
    mut conn: TcpStream,
    stop: &AtomicBool,
    handler: &RwLock<Handler>,
    hits: &Mutex<Vec<Request>>,
) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut len = 0usize;
    let mut content_type = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("content-type:") {
            content_type = Some(h[13..].trim().to_owned());
        }
    }
    let mut body = vec![0u8; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let req = Request {
        method,
        path,
        content_type,
        body,
    };
    hits.lock().unwrap().push(req.clone());
    let reply = (handler.read().unwrap())(&req);
    let _ = match reply {
        Reply::Ok(body, ct) => conn
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|()| conn.write_all(&body)),
        Reply::Status(code) => conn.write_all(
            format!(
                "HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        ),
        Reply::Hang => {
            wait_for_stop(stop, Duration::from_secs(30));
            Ok(())
        }
        Reply::Drip(chunk, interval) => {
            let mut r = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nConnection: close\r\n\r\n",
            );
            let start = Instant::now();
            while r.is_ok() && !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(30)
            {
                r = conn.write_all(&chunk);
                std::thread::sleep(interval);
            }
            r
        }
        Reply::Announce(n) => {
            let r = conn.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n0123")
                    .as_bytes(),
            );
            wait_for_stop(stop, Duration::from_secs(30));
            r
        }
    };
    let _ = conn.flush();
}

// ---- test PKI ---------------------------------------------------------------------

/// A test PKI whose CRL DPs are `<base>/crl/<issuer>.crl` and OCSP URL `<base>/ocsp`.
pub fn pki_for(base: &str) -> TestPki {
    kenpo_testpki::generate(&Config {
        crl_base_url: format!("{base}/crl/"),
        ocsp_url: format!("{base}/ocsp"),
        ca_issuers_base_url: format!("{base}/ca/"),
        ..Config::default()
    })
    .expect("generate test PKI")
}

/// A handler serving every CRL of `pki` at `/crl/<issuer>.crl`, 404 otherwise.
pub fn crl_handler(pki: &TestPki) -> impl Fn(&Request) -> Reply + Send + Sync + 'static + use<> {
    let crls: Vec<(String, Vec<u8>)> = pki
        .crls()
        .iter()
        .map(|c| (format!("/crl/{}.crl", c.issuer), c.der.clone()))
        .collect();
    move |req: &Request| {
        crls.iter()
            .find(|(p, _)| *p == req.path)
            .map_or(Reply::Status(404), |(_, der)| {
                Reply::Ok(der.clone(), "application/pkix-crl")
            })
    }
}

/// Certificate DER of an entity.
pub fn cert(pki: &TestPki, name: &str) -> Vec<u8> {
    pki.entity(name).unwrap().cert_der.clone()
}

/// Signs `tbs` with the PKCS#8 key of entity `signer`; returns (AlgorithmIdentifier, sig).
pub fn sign(pki: &TestPki, signer: &str, tbs: &[u8]) -> (spki::AlgorithmIdentifierOwned, Vec<u8>) {
    let key = default_backend()
        .load_pkcs8(&pki.entity(signer).unwrap().key_pkcs8_der)
        .unwrap();
    let alg = key.default_algorithm();
    let sig = key.sign_digest(alg, &alg.digest().digest(tbs)).unwrap();
    (alg.algorithm_identifier().unwrap(), sig)
}

// ---- OCSP responses -----------------------------------------------------------------

/// How the test responder misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspMode {
    /// Delegated responder `ocsp-responder`, correct answers.
    Normal,
    /// Signed by the CA (`accredited-ca`) itself, no certificates.
    ByCa,
    /// Signed by `accredited-signer` (no OCSPSigning EKU), its certificate included.
    NoEku,
    /// Answers for another serial number.
    WrongCertId,
    /// nextUpdate in the past.
    Stale,
    /// A nonce different from the request's.
    WrongNonce,
    /// Signature bytes altered.
    BadSignature,
}

/// `t` as an OCSP GeneralizedTime.
pub fn gt(t: OffsetDateTime) -> OcspGeneralizedTime {
    let d =
        der::DateTime::from_unix_duration(Duration::from_secs(t.unix_timestamp() as u64)).unwrap();
    OcspGeneralizedTime::from(d)
}

/// Builds a signed OCSP response for `ids` (the request's CertIDs) of the accredited-ca
/// hierarchy, answering from `pki.revoked()`; `nonce` is echoed.
pub fn ocsp_response(
    pki: &TestPki,
    ids: &[CertId],
    nonce: Option<Vec<u8>>,
    mode: OcspMode,
) -> Vec<u8> {
    let now = OffsetDateTime::now_utc();
    let (signer, include_cert) = match mode {
        OcspMode::ByCa => ("accredited-ca", false),
        OcspMode::NoEku => ("accredited-signer", true),
        _ => ("ocsp-responder", true),
    };
    let signer_cert = Certificate::from_der(&cert(pki, signer)).unwrap();
    let mut responses = Vec::new();
    for id in ids {
        let mut id = id.clone();
        let serial = id.serial_number.as_bytes().to_vec();
        let status = match pki.revoked().iter().find(|r| r.serial == serial) {
            Some(r) => CertStatus::Revoked(RevokedInfo {
                revocation_time: gt(r.time),
                revocation_reason: Some(CrlReason::KeyCompromise),
            }),
            None => CertStatus::Good(der::asn1::Null),
        };
        if mode == OcspMode::WrongCertId {
            let mut s = serial.clone();
            *s.last_mut().unwrap() ^= 1;
            id.serial_number = x509_cert::serial_number::SerialNumber::new(&s).unwrap();
        }
        let (this_update, next_update) = if mode == OcspMode::Stale {
            (now - time::Duration::days(3), now - time::Duration::days(2))
        } else {
            (
                now - time::Duration::minutes(1),
                now + time::Duration::days(1),
            )
        };
        responses.push(SingleResponse {
            cert_id: id,
            cert_status: status,
            this_update: gt(this_update),
            next_update: Some(gt(next_update)),
            single_extensions: None,
        });
    }
    let nonce = match (mode, nonce) {
        (OcspMode::WrongNonce, _) => Some(vec![0x42; 32]),
        (_, n) => n,
    };
    let response_extensions = nonce.map(|n| {
        vec![Extension {
            extn_id: const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE,
            critical: false,
            extn_value: OctetString::new(OctetString::new(n).unwrap().to_der().unwrap()).unwrap(),
        }]
    });
    let tbs = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByName(signer_cert.tbs_certificate.subject.clone()),
        produced_at: gt(now),
        responses,
        response_extensions,
    };
    let tbs_der = tbs.to_der().unwrap();
    let (alg, mut sig) = sign(pki, signer, &tbs_der);
    if mode == OcspMode::BadSignature {
        sig[10] ^= 0x01;
    }
    let basic = BasicOcspResponse {
        tbs_response_data: tbs,
        signature_algorithm: alg,
        signature: BitString::from_bytes(&sig).unwrap(),
        certs: include_cert.then(|| vec![signer_cert]),
    };
    OcspResponse::successful(basic).unwrap().to_der().unwrap()
}

/// The CertIDs and nonce of a DER OCSPRequest.
pub fn parse_request(body: &[u8]) -> (Vec<CertId>, Option<Vec<u8>>) {
    let req = OcspRequest::from_der(body).unwrap();
    let ids = req
        .tbs_request
        .request_list
        .iter()
        .map(|r| r.req_cert.clone())
        .collect();
    let nonce = req.nonce().map(|n| n.0.as_bytes().to_vec());
    (ids, nonce)
}

/// A handler answering POST /ocsp in `mode` and serving the CRLs only when `with_crls`.
pub fn ocsp_handler(
    pki: &TestPki,
    mode: Arc<Mutex<OcspMode>>,
    with_crls: bool,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static + use<> {
    let pki = pki.clone();
    let crls = crl_handler(&pki);
    move |req: &Request| {
        if req.path == "/ocsp" && req.method == "POST" {
            let (ids, nonce) = parse_request(&req.body);
            let m = *mode.lock().unwrap();
            Reply::Ok(
                ocsp_response(&pki, &ids, nonce, m),
                "application/ocsp-response",
            )
        } else if with_crls {
            crls(req)
        } else {
            Reply::Status(404)
        }
    }
}

// ---- real HPKI files ------------------------------------------------------------------

/// `../../../shared/hpki-real` from the crate, or `None` (skip) — a failure under CI.
pub fn hpki_real() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hpki-real");
    if dir.join("medis-sign-ca2.cer").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "real HPKI files missing at {} (required under CI)",
        dir.display()
    );
    eprintln!("SKIP: real HPKI files not found at {}", dir.display());
    None
}

/// Parses RFC 3339.
pub fn t(s: &str) -> OffsetDateTime {
    kenpo_core::timefmt::parse_rfc3339(s).unwrap()
}

// ---- NIST PKITS -----------------------------------------------------------------------

/// NIST PKITS files from `../../../shared/conformance/pkits`.
pub mod pkits {
    use std::path::PathBuf;

    /// The PKITS directory.
    pub struct Data(pub PathBuf);

    /// The data, or `None` (skip) — a failure under CI.
    pub fn data() -> Option<Data> {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/pkits");
        if d.join("certs").is_dir() {
            return Some(Data(d));
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "PKITS data missing at {} (required under CI)",
            d.display()
        );
        eprintln!("SKIP: PKITS data not found at {}", d.display());
        None
    }

    impl Data {
        /// `certs/<n>.crt`.
        pub fn cert(&self, n: &str) -> Vec<u8> {
            std::fs::read(self.0.join("certs").join(format!("{n}.crt"))).unwrap()
        }
        /// `crls/<n>.crl`.
        pub fn crl(&self, n: &str) -> Vec<u8> {
            std::fs::read(self.0.join("crls").join(format!("{n}.crl"))).unwrap()
        }
        /// The trust anchor certificate.
        pub fn anchor(&self) -> Vec<u8> {
            self.cert("TrustAnchorRootCertificate")
        }
    }
}
