//! The HTTP front: real HTTP on 127.0.0.1 with an OS-chosen port (reqwest, and raw TCP for
//! malformed HTTP). Every server is stopped by its test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_tsa::server::http::{HttpOptions, LocalServer, QUERY_CONTENT_TYPE, REPLY_CONTENT_TYPE};
use kenpo_tsa::server::{AuditLog, Tsa};
use kenpo_tsa::{
    FailInfo, PkiStatus, TimeStampRequest, TimeStampResponse, VerifyOptions, verify_token,
};
use reqwest::blocking::Client;
use reqwest::header::CONTENT_TYPE;

const POLICY: Oid = Oid::new_unwrap("1.2.392.200081.99.1");

/// A running server with its runtime; `stop` shuts it down and checks that it stopped.
struct Running {
    rt: tokio::runtime::Runtime,
    server: Option<LocalServer>,
    tsa: Arc<Tsa>,
    client: Client,
}

impl Running {
    fn start(options: HttpOptions) -> Self {
        Self::start_with(options, None)
    }

    fn start_with(options: HttpOptions, audit: Option<AuditLog>) -> Self {
        let (rt, server, tsa) = common::serve_local(POLICY, options, audit);
        let client = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            rt,
            server: Some(server),
            tsa,
            client,
        }
    }

    fn url(&self) -> String {
        self.server.as_ref().unwrap().url()
    }

    fn post(&self, content_type: Option<&str>, body: Vec<u8>) -> (u16, Option<String>, Vec<u8>) {
        let mut req = self.client.post(self.url()).body(body);
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        let resp = req.send().unwrap();
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        (status, ct, resp.bytes().unwrap().to_vec())
    }

    /// Posts a fresh request and checks the granted token.
    fn timestamp(&self, data: &[u8]) -> kenpo_tsa::VerifiedToken {
        let req = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(data));
        let (status, ct, body) = self.post(Some(QUERY_CONTENT_TYPE), req.to_der());
        assert_eq!(status, 200);
        assert_eq!(ct.as_deref(), Some(REPLY_CONTENT_TYPE));
        let resp = TimeStampResponse::parse(&body).unwrap();
        assert_eq!(
            resp.status.status,
            Ok(PkiStatus::Granted),
            "{}",
            resp.status
        );
        let opts = VerifyOptions::default()
            .with_expected_imprint(Some(&req.imprint))
            .with_expected_nonce(req.nonce.as_deref())
            .with_required_policy(Some(POLICY));
        verify_token(resp.token.unwrap(), &opts).unwrap()
    }

    fn stop(mut self) {
        let server = self.server.take().unwrap();
        let addr = server.addr();
        self.rt
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(10), server.shutdown()).await
            })
            .unwrap()
            .unwrap();
        assert!(
            TcpStream::connect(addr).is_err(),
            "listener closed after shutdown"
        );
    }
}

/// The rejection in a response body.
fn rejection(body: &[u8]) -> Vec<FailInfo> {
    let resp = TimeStampResponse::parse(body).unwrap();
    assert_eq!(resp.status.status, Ok(PkiStatus::Rejection));
    assert_eq!(resp.token, None);
    resp.status.fail_info
}

/// Sends raw bytes on a fresh connection (then half-closes it when `eof`) and returns
/// whatever comes back until the server closes.
fn raw(addr: std::net::SocketAddr, bytes: &[u8], eof: bool) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    if eof {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn granted_round_trip_and_health() {
    let srv = Running::start(HttpOptions::default());
    let a = srv.timestamp(b"first");
    let b = srv.timestamp(b"second");
    assert!(b.tst_info.serial > a.tst_info.serial);

    let health = srv
        .client
        .get(format!("{}health", srv.url()))
        .send()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(
        health.headers().get(CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let json: serde_json::Value = serde_json::from_slice(&health.bytes().unwrap()).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["policy"], POLICY.to_string());
    assert_eq!(json["issued"], 2);
    assert_eq!(json["tsa"], srv.tsa.subject());
    let not_after =
        kenpo_core::timefmt::parse_rfc3339(json["not_after"].as_str().unwrap()).unwrap();
    assert_eq!(not_after, srv.tsa.not_after());
    srv.stop();
}

#[test]
fn content_type_is_checked_with_a_timestamp_resp_body() {
    let srv = Running::start(HttpOptions::default());
    let der = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(b"ct")).to_der();
    for ct in [
        None,
        Some("application/octet-stream"),
        Some("text/plain"),
        Some("application/timestamp-reply"),
    ] {
        let (status, reply_ct, body) = srv.post(ct, der.clone());
        assert_eq!(status, 415, "{ct:?}");
        assert_eq!(reply_ct.as_deref(), Some(REPLY_CONTENT_TYPE));
        assert_eq!(rejection(&body), vec![FailInfo::BadRequest]);
    }
    // Parameters and case do not matter.
    let (status, _, body) = srv.post(Some("Application/TimeStamp-Query; charset=binary"), der);
    assert_eq!(status, 200);
    assert!(
        TimeStampResponse::parse(&body)
            .unwrap()
            .status
            .status
            .unwrap()
            .is_granted()
    );
    srv.stop();
}

#[test]
fn malformed_requests_get_200_rejections_and_the_server_keeps_serving() {
    let srv = Running::start(HttpOptions::default());
    let sha1 = TimeStampRequest::new(DigestAlgorithm::Sha1.digest(b"x"));
    let policy = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(b"x"))
        .with_policy(Some(Oid::new_unwrap("1.2.3.4.5")));
    for (body, fail) in [
        (b"garbage".to_vec(), FailInfo::BadDataFormat),
        (Vec::new(), FailInfo::BadDataFormat),
        (sha1.to_der(), FailInfo::BadAlg),
        (policy.to_der(), FailInfo::UnacceptedPolicy),
    ] {
        let (status, ct, reply) = srv.post(Some(QUERY_CONTENT_TYPE), body);
        assert_eq!(status, 200, "RFC 3161: rejections are TimeStampResps too");
        assert_eq!(ct.as_deref(), Some(REPLY_CONTENT_TYPE));
        assert_eq!(rejection(&reply), vec![fail]);
        srv.timestamp(b"still serving");
    }
    srv.stop();
}

#[test]
fn oversize_bodies_get_413_and_the_server_keeps_serving() {
    let srv = Running::start(HttpOptions::default().with_max_request_bytes(1024));
    let (status, ct, body) = srv.post(Some(QUERY_CONTENT_TYPE), vec![0x30; 1025]);
    assert_eq!(status, 413);
    assert_eq!(ct.as_deref(), Some(REPLY_CONTENT_TYPE));
    assert_eq!(rejection(&body), vec![FailInfo::BadRequest]);
    let detail = TimeStampResponse::parse(&body)
        .unwrap()
        .status
        .text
        .join(" ");
    assert!(detail.contains("1024"), "{detail}");
    srv.timestamp(b"after 413");
    // Exactly at the limit is read (and rejected as DER, not as size).
    let (status, _, body) = srv.post(Some(QUERY_CONTENT_TYPE), vec![0x30; 1024]);
    assert_eq!(status, 200);
    assert_eq!(rejection(&body), vec![FailInfo::BadDataFormat]);

    // Chunked (no Content-Length) bodies are limited too.
    let addr = srv.server.as_ref().unwrap().addr();
    let chunk = "a".repeat(800);
    let req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {QUERY_CONTENT_TYPE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         320\r\n{chunk}\r\n320\r\n{chunk}\r\n0\r\n\r\n"
    );
    assert!(raw(addr, req.as_bytes(), false).starts_with("HTTP/1.1 413"));
    srv.timestamp(b"after chunked 413");
    srv.stop();

    // The default limit is 64 KiB.
    let srv = Running::start(HttpOptions::default());
    assert_eq!(
        srv.post(Some(QUERY_CONTENT_TYPE), vec![0; 64 * 1024 + 1]).0,
        413
    );
    srv.timestamp(b"after 64 KiB");
    srv.stop();
}

#[test]
fn malformed_http_does_not_disturb_the_server() {
    let srv = Running::start(HttpOptions::default());
    let addr = srv.server.as_ref().unwrap().addr();
    assert!(raw(addr, b"THIS IS NOT HTTP\r\n\r\n", false).starts_with("HTTP/1.1 400"));
    // TLS on the plain-HTTP port.
    let tls = raw(addr, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", true);
    assert!(tls.is_empty() || tls.starts_with("HTTP/1.1 400"), "{tls}");
    // A body cut short: 400 with a badRequest TimeStampResp naming the cause, nothing issued.
    let short = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {QUERY_CONTENT_TYPE}\r\nContent-Length: 100\r\n\r\n0123"
    );
    let answer = raw(addr, short.as_bytes(), true);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("cannot read the request body"), "{answer}");
    assert!(
        raw(
            addr,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            false
        )
        .starts_with("HTTP/1.1 405")
    );
    assert!(
        raw(
            addr,
            b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            false
        )
        .starts_with("HTTP/1.1 404")
    );
    let before = srv.tsa.issued();
    srv.timestamp(b"after malformed HTTP");
    assert_eq!(srv.tsa.issued(), before + 1);
    srv.stop();
}

#[test]
fn concurrent_clients_get_unique_serials() {
    let srv = Arc::new(Running::start(HttpOptions::default()));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let srv = Arc::clone(&srv);
            std::thread::spawn(move || {
                (0..15)
                    .map(|i| srv.timestamp(format!("{t}/{i}").as_bytes()).serial_hex())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 90);
    Arc::into_inner(srv).unwrap().stop();
}

#[test]
fn blocking_pool_mode_serves_too() {
    let srv = Running::start(HttpOptions::default().with_sign_on_blocking_pool(true));
    srv.timestamp(b"blocking pool");
    assert_eq!(
        rejection(&srv.post(Some(QUERY_CONTENT_TYPE), b"x".to_vec()).2),
        vec![FailInfo::BadDataFormat]
    );
    srv.stop();
}

#[test]
fn graceful_shutdown_with_idle_keep_alive_and_in_flight_requests() {
    let srv = Running::start(HttpOptions::default());
    // The pooled client keeps an idle keep-alive connection open across shutdown.
    srv.timestamp(b"before shutdown");
    // Requests in flight while shutdown starts are either answered completely or refused
    // at connect; none is cut off half-way with a broken response.
    let url = srv.url();
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let client = Client::builder().no_proxy().build().unwrap();
                let mut answered = 0;
                for j in 0..200 {
                    let req = TimeStampRequest::new(
                        DigestAlgorithm::Sha256.digest(format!("{i}/{j}").as_bytes()),
                    );
                    match client
                        .post(&url)
                        .header(CONTENT_TYPE, QUERY_CONTENT_TYPE)
                        .body(req.to_der())
                        .send()
                    {
                        Ok(resp) => {
                            let body = resp.bytes().unwrap();
                            let parsed = TimeStampResponse::parse(&body).unwrap();
                            assert!(parsed.status.status.unwrap().is_granted());
                            answered += 1;
                        }
                        Err(_) => break,
                    }
                }
                answered
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    let issued_at_stop = srv.tsa.issued();
    srv.stop();
    let answered: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(
        answered > 0 && issued_at_stop > 0,
        "requests were in flight: {answered}"
    );
}

#[test]
fn audit_log_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let srv = Running::start_with(HttpOptions::default(), Some(AuditLog::open(&path).unwrap()));
    let v = srv.timestamp(b"audited");
    assert_eq!(srv.post(Some("text/plain"), b"x".to_vec()).0, 415);
    srv.stop();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["serial"], v.serial_hex());
    assert_eq!(lines[0]["imprint"], v.tst_info.imprint.to_hex());
    assert_eq!(lines[0]["policy"], POLICY.to_string());
    assert_eq!(lines[1]["outcome"], "rejected");
    assert_eq!(lines[1]["fail_info"], "badRequest");
}
