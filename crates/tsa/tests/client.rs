//! The RFC 3161 HTTP client against an `openssl ts -reply` TSA and hand-written bad
//! servers, all on 127.0.0.1 with OS-chosen ports and stopped by the tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "client_support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::crypto::backends;
use kenpo_tsa::client::{
    AttemptError, BasicAuth, BlockingTsaClient, ClientConfig, ClientError, TimeStamp, TsaClient,
};
use kenpo_tsa::encode_response;
use kenpo_tsa::{
    FailInfo, PkiStatus, StatusInfo, TimeStampResponse, TokenError, TsaCertValidator,
    VerifyOptions, verify_token,
};
use support::{
    Conn, DEFAULT_POLICY, OTHER_POLICY, OpensslTsa, Request, Server, TlsFront, closed_port_url,
};
use time::OffsetDateTime;

const DATA: &[u8] = "健康保険 レセプト 2024-04".as_bytes();

/// The openssl TSA, or `None` (test skipped) without the openssl CLI.
fn openssl_tsa() -> Option<OpensslTsa> {
    common::openssl_available().then(|| OpensslTsa::start(common::pki()))
}

/// Short timeouts for tests.
fn config(urls: &[String]) -> ClientConfig {
    ClientConfig::new(urls)
        .with_timeout(Duration::from_secs(5))
        .with_connect_timeout(Duration::from_secs(2))
}

fn blocking(urls: &[String]) -> BlockingTsaClient {
    BlockingTsaClient::new(config(urls)).unwrap()
}

/// The single attempt's error.
fn only_error(r: Result<TimeStamp, ClientError>) -> AttemptError {
    match r {
        Err(ClientError::AllFailed { mut attempts }) if attempts.len() == 1 => {
            attempts.remove(0).error
        }
        Err(e) => panic!("expected one failed attempt, got {e:?}"),
        Ok(ts) => panic!("expected failure, got a time-stamp from {}", ts.url),
    }
}

/// A server that always answers with `status`, `content_type` and `body`.
fn fixed(status: u16, content_type: Option<&'static str>, body: Vec<u8>) -> Server {
    Server::start(move |_, conn| conn.respond(status, content_type, &body))
}

fn reply_server(body: Vec<u8>) -> Server {
    fixed(200, Some("application/timestamp-reply"), body)
}

fn assert_sane_token(ts: &TimeStamp, alg: DigestAlgorithm, data: &[u8]) {
    let ti = &ts.token.tst_info;
    assert_eq!(ti.imprint, alg.digest(data));
    assert!(
        ti.nonce.as_ref().is_some_and(|n| n.len() >= 8),
        "nonce of at least 64 bits"
    );
    let skew = (OffsetDateTime::now_utc() - ts.gen_time()).abs();
    assert!(
        skew < time::Duration::minutes(5),
        "genTime {} too far from now",
        ts.gen_time()
    );
    assert_eq!(ts.status.status, Ok(PkiStatus::Granted));
    assert_eq!(ts.token.tsa_cert, common::pki().cert("tsa"));
    // response_der is the whole TimeStampResp; token_der is its token, byte for byte.
    let parsed = TimeStampResponse::parse(&ts.response_der).unwrap();
    assert_eq!(parsed.token, Some(ts.token_der.as_slice()));
}

// ---------------------------------------------------------------- openssl interop

#[test]
fn blocking_client_against_openssl_tsa() {
    let Some(tsa) = openssl_tsa() else { return };
    let client = blocking(&[tsa.url()]);
    let ts = client.timestamp_data(DATA).unwrap();
    assert_eq!(ts.url, tsa.url());
    assert_sane_token(&ts, DigestAlgorithm::Sha256, DATA);
    assert_eq!(ts.token.policy().to_string(), DEFAULT_POLICY);
    assert_eq!(
        ts.token.embedded_certs.first(),
        Some(&common::pki().cert("tsa")),
        "certReq honoured"
    );

    // The stored token verifies for the data with every backend, and fails for other data.
    assert!(backends().len() >= 2, "tests run with both crypto backends");
    for backend in backends() {
        let right = DigestAlgorithm::Sha256.digest(DATA);
        let opts = VerifyOptions::default()
            .with_expected_imprint(Some(&right))
            .with_backend(backend);
        verify_token(&ts.token_der, &opts).unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
        let other = DigestAlgorithm::Sha256.digest(b"other data");
        let opts = VerifyOptions::default()
            .with_expected_imprint(Some(&other))
            .with_backend(backend);
        assert!(
            matches!(
                verify_token(&ts.token_der, &opts),
                Err(TokenError::ImprintMismatch { .. })
            ),
            "{}",
            backend.name()
        );
    }

    // A second request gets a new serial and a new nonce.
    let ts2 = client.timestamp_data(DATA).unwrap();
    assert_ne!(ts2.token.serial_hex(), ts.token.serial_hex());
    assert_ne!(ts2.token.tst_info.nonce, ts.token.tst_info.nonce);
}

#[tokio::test]
async fn async_client_sha384_sha512_and_both_backends() {
    let Some(tsa) = openssl_tsa() else { return };
    for alg in [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ] {
        let client = TsaClient::new(config(&[tsa.url()]).with_digest(alg)).unwrap();
        let ts = client.timestamp_data(DATA).await.unwrap();
        assert_sane_token(&ts, alg, DATA);
    }
    for backend in backends() {
        let client = TsaClient::new(config(&[tsa.url()]).with_backend(backend)).unwrap();
        let ts = client
            .timestamp_data(DATA)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
        assert_sane_token(&ts, DigestAlgorithm::Sha256, DATA);
    }
    // Streaming variants hash the same bytes.
    let client = TsaClient::new(config(&[tsa.url()]).with_digest(DigestAlgorithm::Sha512)).unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let ts = client.timestamp_reader(big.as_slice()).await.unwrap();
    assert_sane_token(&ts, DigestAlgorithm::Sha512, &big);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&big).unwrap();
    let ts = client.timestamp_file(file.path()).await.unwrap();
    assert_sane_token(&ts, DigestAlgorithm::Sha512, &big);
    let missing = client
        .timestamp_file(file.path().with_extension("missing"))
        .await;
    assert!(matches!(missing, Err(ClientError::Io(_))));
}

#[test]
fn blocking_reader_file_and_precomputed_digest() {
    let Some(tsa) = openssl_tsa() else { return };
    let client = blocking(&[tsa.url()]);
    let ts = client.timestamp_reader(DATA).unwrap();
    assert_sane_token(&ts, DigestAlgorithm::Sha256, DATA);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(DATA).unwrap();
    let ts = client.timestamp_file(file.path()).unwrap();
    assert_sane_token(&ts, DigestAlgorithm::Sha256, DATA);
    // A precomputed digest keeps its own algorithm.
    let ts = client
        .timestamp_digest(&DigestAlgorithm::Sha384.digest(DATA))
        .unwrap();
    assert_sane_token(&ts, DigestAlgorithm::Sha384, DATA);
}

#[test]
fn requested_policy_granted_or_rejected_with_unaccepted_policy() {
    let Some(tsa) = openssl_tsa() else { return };
    let other = Oid::new_unwrap(OTHER_POLICY);
    let client = BlockingTsaClient::new(config(&[tsa.url()]).with_policy(Some(other))).unwrap();
    let ts = client.timestamp_data(DATA).unwrap();
    assert_eq!(ts.token.policy(), other);

    let unknown = Oid::new_unwrap("1.2.3.9.9");
    let client = BlockingTsaClient::new(config(&[tsa.url()]).with_policy(Some(unknown))).unwrap();
    let err = client.timestamp_data(DATA).unwrap_err();
    assert_eq!(err.fail_info(), vec![FailInfo::UnacceptedPolicy]);
    assert!(err.to_string().contains("unacceptedPolicy"), "{err}");
    let e = only_error(Err(err));
    assert_eq!(e.pki_status(), Some(Ok(PkiStatus::Rejection)));
    assert_eq!(e.fail_info(), &[FailInfo::UnacceptedPolicy]);
}

#[test]
fn without_cert_req_the_tsa_certificate_must_be_supplied() {
    let Some(tsa) = openssl_tsa() else { return };
    let client = BlockingTsaClient::new(config(&[tsa.url()]).with_cert_req(false)).unwrap();
    let e = only_error(client.timestamp_data(DATA));
    assert_eq!(e, AttemptError::Token(TokenError::TsaCertNotFound));

    let pki = common::pki();
    let client = BlockingTsaClient::new(
        config(&[tsa.url()])
            .with_cert_req(false)
            .with_extra_certs(vec![pki.cert("tsa-ca"), pki.cert("tsa")]),
    )
    .unwrap();
    let ts = client.timestamp_data(DATA).unwrap();
    assert!(ts.token.embedded_certs.is_empty());
    assert_eq!(ts.token.tsa_cert, pki.cert("tsa"));
}

struct Validator(bool);

impl TsaCertValidator for Validator {
    fn validate(
        &self,
        tsa_cert: &[u8],
        _: &[&[u8]],
        _: OffsetDateTime,
    ) -> Result<Vec<Vec<u8>>, String> {
        if self.0 {
            Ok(vec![tsa_cert.to_vec(), common::pki().cert("tsa-ca")])
        } else {
            Err("revoked at genTime".into())
        }
    }
}

#[test]
fn validator_hook_is_applied() {
    let Some(tsa) = openssl_tsa() else { return };
    let client = BlockingTsaClient::new(
        config(&[tsa.url()]).with_validator(Some(Arc::new(Validator(true)))),
    )
    .unwrap();
    assert_eq!(client.timestamp_data(DATA).unwrap().token.path.len(), 2);
    let client = BlockingTsaClient::new(
        config(&[tsa.url()]).with_validator(Some(Arc::new(Validator(false)))),
    )
    .unwrap();
    let e = only_error(client.timestamp_data(DATA));
    assert!(
        matches!(&e, AttemptError::Token(TokenError::Untrusted { reason, tsa_cert })
            if reason == "revoked at genTime" && !tsa_cert.is_empty()),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_client_inside_async_context_and_across_threads() {
    let Some(tsa) = openssl_tsa() else { return };
    let client = blocking(&[tsa.url()]);
    assert_sane_token(
        &client.timestamp_data(DATA).unwrap(),
        DigestAlgorithm::Sha256,
        DATA,
    );
    let serials: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| client.timestamp_data(DATA).unwrap().token.serial_hex()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(serials.len(), 3);
    assert!(serials[0] != serials[1] && serials[1] != serials[2] && serials[0] != serials[2]);
    drop(client); // must not panic inside the runtime
}

/// HTTPS through rustls: a private root given in the configuration is trusted, and
/// without it the handshake fails with a connection error naming the certificate.
#[test]
fn https_with_a_private_root() {
    let Some(tsa) = openssl_tsa() else { return };
    let front = TlsFront::start(&tsa);
    let url = front.url.clone();
    let e = only_error(blocking(std::slice::from_ref(&url)).timestamp_data(DATA));
    assert!(
        matches!(&e, AttemptError::Connect(m) if m.contains("certificate")),
        "{e:?}"
    );
    let client = BlockingTsaClient::new(
        config(std::slice::from_ref(&url)).with_tls_extra_roots(vec![front.ca_der.clone()]),
    )
    .unwrap();
    let ts = client.timestamp_data(DATA).unwrap();
    assert_eq!(ts.url, url);
    assert_sane_token(&ts, DigestAlgorithm::Sha256, DATA);
}

// ---------------------------------------------------------------- bad servers

#[test]
fn wrong_or_missing_content_type() {
    let html = fixed(
        200,
        Some("text/html; charset=utf-8"),
        b"<html>busy</html>".to_vec(),
    );
    let e = only_error(blocking(&[html.url()]).timestamp_data(DATA));
    assert_eq!(
        e,
        AttemptError::WrongContentType("text/html; charset=utf-8".into())
    );
    assert!(e.to_string().contains("text/html"), "{e}");
    let none = fixed(200, None, b"x".to_vec());
    assert_eq!(
        only_error(blocking(&[none.url()]).timestamp_data(DATA)),
        AttemptError::WrongContentType(String::new())
    );
}

#[test]
fn garbage_and_truncated_bodies_are_malformed() {
    for body in [
        b"garbage".to_vec(),
        vec![],
        vec![0x30, 0x82, 0x01, 0x00, 0x02],
        vec![0x30, 0x03, 0x02, 0x01, 0x00],
    ] {
        let s = reply_server(body.clone());
        let e = only_error(blocking(&[s.url()]).timestamp_data(DATA));
        assert!(
            matches!(e, AttemptError::Malformed(_)),
            "{body:02x?}: {e:?}"
        );
    }
}

#[test]
fn http_error_statuses_and_redirects() {
    let s500 = fixed(500, Some("text/plain"), b"internal error".to_vec());
    assert_eq!(
        only_error(blocking(&[s500.url()]).timestamp_data(DATA)),
        AttemptError::HttpStatus(500)
    );
    let target = closed_port_url();
    let redirect = Server::start(move |_, conn| {
        let head = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n"
        );
        conn.write_raw(head.as_bytes());
    });
    assert_eq!(
        only_error(blocking(&[redirect.url()]).timestamp_data(DATA)),
        AttemptError::HttpStatus(307)
    );
}

fn limited(urls: &[String]) -> BlockingTsaClient {
    BlockingTsaClient::new(config(urls).with_max_response_bytes(1 << 20)).unwrap()
}

/// Sends `head`, then 64 KiB blocks (chunk-framed if asked) until the client goes away
/// or `max` bytes were sent; returns nothing, the handler just stops.
fn stream_body(conn: &mut Conn<'_>, head: &str, chunked: bool, max: usize) {
    if !conn.write_raw(head.as_bytes()) {
        return;
    }
    let block = vec![0x42u8; 64 * 1024];
    let mut sent = 0;
    while sent < max && !conn.stopped() {
        let ok = if chunked {
            conn.write_raw(format!("{:x}\r\n", block.len()).as_bytes())
                && conn.write_raw(&block)
                && conn.write_raw(b"\r\n")
        } else {
            conn.write_raw(&block)
        };
        if !ok {
            return;
        }
        sent += block.len();
    }
}

#[test]
fn oversize_responses_stop_at_the_limit() {
    const TSR: &str = "Content-Type: application/timestamp-reply\r\n";
    let limit = AttemptError::TooLarge { limit: 1 << 20 };

    // Honest Content-Length above the limit: refused before any body byte (none is sent).
    let declared = Server::start(|_, conn| {
        conn.write_raw(
            format!(
                "HTTP/1.1 200 OK\r\n{TSR}Content-Length: {}\r\n\r\n",
                5 << 20
            )
            .as_bytes(),
        );
        conn.hang();
    });
    let t = Instant::now();
    assert_eq!(
        only_error(limited(&[declared.url()]).timestamp_data(DATA)),
        limit
    );
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "refused without waiting for the body"
    );

    // Chunked and close-delimited streams that never end: stopped once past the limit.
    let chunked = Server::start(|_, conn| {
        stream_body(
            conn,
            &format!("HTTP/1.1 200 OK\r\n{TSR}Transfer-Encoding: chunked\r\n\r\n"),
            true,
            usize::MAX,
        )
    });
    assert_eq!(
        only_error(limited(&[chunked.url()]).timestamp_data(DATA)),
        limit
    );
    let eof = Server::start(|_, conn| {
        stream_body(
            conn,
            &format!("HTTP/1.1 200 OK\r\n{TSR}Connection: close\r\n\r\n"),
            false,
            usize::MAX,
        )
    });
    assert_eq!(
        only_error(limited(&[eof.url()]).timestamp_data(DATA)),
        limit
    );

    // 5 MiB behind a lying small Content-Length: only the declared bytes are read.
    let lying = Server::start(|_, conn| {
        stream_body(
            conn,
            &format!("HTTP/1.1 200 OK\r\n{TSR}Content-Length: 100\r\n\r\n"),
            false,
            5 << 20,
        )
    });
    assert!(matches!(
        only_error(limited(&[lying.url()]).timestamp_data(DATA)),
        AttemptError::Malformed(_)
    ));

    // A Content-Length larger than what is sent before closing: a transport error.
    let short = Server::start(|_, conn| {
        conn.write_raw(
            format!("HTTP/1.1 200 OK\r\n{TSR}Content-Length: 1000\r\n\r\n0123").as_bytes(),
        );
    });
    assert!(matches!(
        only_error(limited(&[short.url()]).timestamp_data(DATA)),
        AttemptError::Transport(_)
    ));
}

#[tokio::test]
async fn async_oversize_chunked_stream() {
    let chunked = Server::start(|_, conn| {
        stream_body(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nTransfer-Encoding: chunked\r\n\r\n",
            true,
            usize::MAX,
        )
    });
    let client = TsaClient::new(config(&[chunked.url()]).with_max_response_bytes(100_000)).unwrap();
    assert_eq!(
        only_error(client.timestamp_data(DATA).await),
        AttemptError::TooLarge { limit: 100_000 }
    );
}

fn hanging() -> Server {
    Server::start(|_, conn| conn.hang())
}

/// Headers, then one body byte every 200 ms: each read is quick, the whole is not.
fn trickling() -> Server {
    Server::start(|_, conn| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: 1000\r\n\r\n";
        conn.write_raw(head.as_bytes());
        for _ in 0..1000 {
            if conn.stopped() || !conn.write_raw(&[0x30]) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}

#[test]
fn timeouts_cover_the_whole_request() {
    for server in [hanging(), trickling()] {
        let client =
            BlockingTsaClient::new(config(&[server.url()]).with_timeout(Duration::from_secs(1)))
                .unwrap();
        let t = Instant::now();
        let err = client.timestamp_data(DATA).unwrap_err();
        let elapsed = t.elapsed();
        assert!(err.is_unreachable());
        assert_eq!(only_error(Err(err)), AttemptError::Timeout);
        assert!(
            elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(2500),
            "{elapsed:?}"
        );
    }
}

#[tokio::test]
async fn async_timeouts_cover_the_whole_request() {
    for server in [hanging(), trickling()] {
        let client =
            TsaClient::new(config(&[server.url()]).with_timeout(Duration::from_secs(1))).unwrap();
        let t = Instant::now();
        assert_eq!(
            only_error(client.timestamp_data(DATA).await),
            AttemptError::Timeout
        );
        assert!(
            t.elapsed() < Duration::from_millis(2500),
            "{:?}",
            t.elapsed()
        );
    }
}

#[test]
fn closed_port_is_a_connect_error() {
    let url = closed_port_url();
    let err = blocking(std::slice::from_ref(&url))
        .timestamp_data(DATA)
        .unwrap_err();
    assert!(err.is_unreachable() && !err.is_config());
    assert_eq!(err.attempts()[0].url, url);
    let e = only_error(Err(err));
    assert!(
        matches!(&e, AttemptError::Connect(msg) if !msg.is_empty()),
        "{e:?}"
    );
}

#[test]
fn rejections_and_missing_tokens() {
    let bad_alg = reply_server(encode_response(
        &StatusInfo::rejection(FailInfo::BadAlg, "x"),
        None,
    ));
    let e = only_error(blocking(&[bad_alg.url()]).timestamp_data(DATA));
    assert_eq!(e.fail_info(), &[FailInfo::BadAlg]);
    assert_eq!(e.pki_status(), Some(Ok(PkiStatus::Rejection)));
    let text = e.to_string();
    assert!(
        text.contains("badAlg") && text.contains("rejection"),
        "{text}"
    );

    let waiting = StatusInfo {
        status: Ok(PkiStatus::Waiting),
        ..StatusInfo::granted()
    };
    let s = reply_server(encode_response(&waiting, None));
    assert_eq!(
        only_error(blocking(&[s.url()]).timestamp_data(DATA)).pki_status(),
        Some(Ok(PkiStatus::Waiting))
    );

    let unknown = StatusInfo {
        status: Err(9),
        ..StatusInfo::granted()
    };
    let s = reply_server(encode_response(&unknown, None));
    assert_eq!(
        only_error(blocking(&[s.url()]).timestamp_data(DATA)).pki_status(),
        Some(Err(9))
    );

    let s = reply_server(encode_response(&StatusInfo::granted(), None));
    assert_eq!(
        only_error(blocking(&[s.url()]).timestamp_data(DATA)),
        AttemptError::NoToken
    );

    // Granted with something that is not a token.
    let s = reply_server(encode_response(
        &StatusInfo::granted(),
        Some(&[0x30, 0x03, 0x02, 0x01, 0x05]),
    ));
    let e = only_error(blocking(&[s.url()]).timestamp_data(DATA));
    assert!(
        matches!(e, AttemptError::Token(TokenError::Structure(_))),
        "{e:?}"
    );
}

#[test]
fn replayed_responses_fail_on_nonce_or_imprint() {
    let Some(tsa) = openssl_tsa() else { return };
    let earlier = blocking(&[tsa.url()]).timestamp_data(DATA).unwrap();

    // Same data, old nonce.
    let replay = reply_server(earlier.response_der.clone());
    let e = only_error(blocking(&[replay.url()]).timestamp_data(DATA));
    let Some(TokenError::NonceMismatch { sent, received }) = e.token_error() else {
        panic!("{e:?}")
    };
    assert_eq!(
        *received,
        hex::encode(earlier.token.tst_info.nonce.as_ref().unwrap())
    );
    assert_ne!(sent, received);

    // Other data: the token covers something else.
    let e = only_error(blocking(&[replay.url()]).timestamp_data(b"another claim"));
    assert!(
        matches!(e, AttemptError::Token(TokenError::ImprintMismatch { .. })),
        "{e:?}"
    );

    // A granted response for the requested policy is still checked against it.
    let client = BlockingTsaClient::new(
        config(&[tsa.url()]).with_policy(Some(Oid::new_unwrap(OTHER_POLICY))),
    )
    .unwrap();
    let with_policy = client.timestamp_data(DATA).unwrap();
    assert_eq!(with_policy.token.policy().to_string(), OTHER_POLICY);
}

// ---------------------------------------------------------------- failover

#[test]
fn failover_tries_urls_in_order() {
    let Some(tsa) = openssl_tsa() else { return };
    let closed = closed_port_url();
    let html = fixed(200, Some("text/html"), b"<html/>".to_vec());
    let client = blocking(&[closed.clone(), html.url(), tsa.url()]);
    let ts = client.timestamp_data(DATA).unwrap();
    assert_eq!(ts.url, tsa.url());
    assert_eq!(html.request_count(), 1);
    assert_eq!(tsa.server.request_count(), 1);

    // When every URL fails, each is listed with its own cause, in order.
    let s500 = fixed(500, Some("text/plain"), Vec::new());
    let client = blocking(&[closed.clone(), html.url(), s500.url()]);
    let err = client.timestamp_data(DATA).unwrap_err();
    let a = err.attempts();
    assert_eq!(a.len(), 3);
    assert_eq!(
        [a[0].url.clone(), a[1].url.clone(), a[2].url.clone()],
        [closed.clone(), html.url(), s500.url()]
    );
    assert!(matches!(a[0].error, AttemptError::Connect(_)));
    assert_eq!(
        a[1].error,
        AttemptError::WrongContentType("text/html".into())
    );
    assert_eq!(a[2].error, AttemptError::HttpStatus(500));
    assert!(!err.is_unreachable());
    let text = err.to_string();
    for needle in [
        closed.as_str(),
        &html.url(),
        &s500.url(),
        "cannot connect",
        "wrong content type",
        "HTTP status 500",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {text}");
    }

    // Only connection-level failures: unreachable.
    let hang = hanging();
    let client =
        BlockingTsaClient::new(config(&[closed, hang.url()]).with_timeout(Duration::from_secs(1)))
            .unwrap();
    let err = client.timestamp_data(DATA).unwrap_err();
    assert!(err.is_unreachable(), "{err}");
}

// ---------------------------------------------------------------- basic auth

#[test]
fn basic_auth() {
    let Some(tsa) = openssl_tsa() else { return };
    // base64("alice:s3cret")
    let tsa_auth = OpensslTsa::start_with_auth(common::pki(), Some("Basic YWxpY2U6czNjcmV0"));
    let url = tsa_auth.url();
    drop(tsa);

    let with = |auth: Option<BasicAuth>| {
        BlockingTsaClient::new(config(std::slice::from_ref(&url)).with_basic_auth(auth)).unwrap()
    };
    let ts = with(Some(BasicAuth::new("alice", "s3cret")))
        .timestamp_data(DATA)
        .unwrap();
    assert_sane_token(&ts, DigestAlgorithm::Sha256, DATA);
    assert_eq!(
        only_error(with(None).timestamp_data(DATA)),
        AttemptError::HttpStatus(401)
    );
    assert_eq!(
        only_error(with(Some(BasicAuth::new("alice", "wrong"))).timestamp_data(DATA)),
        AttemptError::HttpStatus(401)
    );

    // Credentials in the URL work too, and never show in reports.
    let in_url = url.replacen("http://", "http://alice:s3cret@", 1);
    let ts = blocking(&[in_url]).timestamp_data(DATA).unwrap();
    assert!(!ts.url.contains("s3cret"), "{}", ts.url);
    let wrong = url.replacen("http://", "http://alice:hunter2@", 1);
    let client = blocking(std::slice::from_ref(&wrong));
    assert!(!format!("{client:?}").contains("hunter2"));
    let err = client.timestamp_data(DATA).unwrap_err();
    assert!(
        !err.to_string().contains("hunter2") && err.to_string().contains("alice:***@"),
        "{err}"
    );
    assert!(!format!("{:?}", with(Some(BasicAuth::new("alice", "s3cret")))).contains("s3cret"));
}

// ---------------------------------------------------------------- configuration

#[test]
fn configuration_errors() {
    assert!(matches!(
        TsaClient::new(ClientConfig::default()),
        Err(ClientError::NoUrls)
    ));
    let sha1 = ClientConfig::new(["http://127.0.0.1:1/"]).with_digest(DigestAlgorithm::Sha1);
    assert!(matches!(
        BlockingTsaClient::new(sha1),
        Err(ClientError::Sha1Refused)
    ));
    for bad in ["ftp://tsa.example/", "tsa.example", ""] {
        let e = TsaClient::new(ClientConfig::new([bad])).unwrap_err();
        assert!(
            matches!(e, ClientError::BadUrl { .. }) && e.is_config(),
            "{bad:?}: {e:?}"
        );
    }
    let client = blocking(&["http://127.0.0.1:1/".into()]);
    let e = client
        .timestamp_digest(&DigestAlgorithm::Sha1.digest(DATA))
        .unwrap_err();
    assert!(matches!(e, ClientError::Sha1Refused));
    // An unusable TLS root is a setup error (the https test covers a good one).
    let garbage_root =
        ClientConfig::new(["https://tsa.example/"]).with_tls_extra_roots(vec![b"junk".to_vec()]);
    let e = TsaClient::new(garbage_root).unwrap_err();
    assert!(matches!(e, ClientError::Setup(_)) && e.is_config(), "{e:?}");
}

/// Requests carry the RFC 3161 media type, a DER TimeStampReq with nonce and certReq.
#[test]
fn request_format_on_the_wire() {
    let seen: Arc<std::sync::Mutex<Option<Request>>> = Arc::default();
    let s = {
        let seen = seen.clone();
        Server::start(move |req, conn| {
            *seen.lock().unwrap() = Some(req.clone());
            conn.respond(500, None, b"");
        })
    };
    let policy = Oid::new_unwrap(OTHER_POLICY);
    let client = BlockingTsaClient::new(config(&[s.url()]).with_policy(Some(policy))).unwrap();
    let _ = client.timestamp_data(DATA);
    let req = seen.lock().unwrap().clone().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.header("content-type"),
        Some("application/timestamp-query")
    );
    let tsq = kenpo_tsa::TimeStampRequest::parse(&req.body).unwrap();
    assert_eq!(tsq.imprint, DigestAlgorithm::Sha256.digest(DATA));
    assert!(tsq.cert_req);
    assert_eq!(tsq.policy, Some(policy));
    assert!(tsq.nonce.as_ref().is_some_and(|n| n.len() >= 8));
}
