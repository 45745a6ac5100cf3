//! RFC 3161 time-stamping over HTTP (§3.4): blocking and async clients.
//!
//! A request is POSTed as `application/timestamp-query` with a fresh 128-bit nonce,
//! certReq (configurable) and the optional reqPolicy; the answer must be
//! `application/timestamp-reply` (the non-standard `application/timestamp-response` is
//! tolerated), no larger than the configured limit, and carry a token that
//! [`verify_token`] accepts for the sent imprint, nonce and policy. The configured URLs
//! are tried in order with a new nonce each; the first valid token wins, and when all
//! fail [`ClientError::AllFailed`] lists every URL with its typed cause.
//!
//! HTTP is reqwest with rustls (platform roots, no OpenSSL); redirects are not followed.
//! [`BlockingTsaClient`] drives the same async code on its own small runtime and may be
//! used from any thread, inside an async context included.
//!
//! ```no_run
//! use kenpo_tsa::client::{BlockingTsaClient, ClientConfig};
//! let client = BlockingTsaClient::new(ClientConfig::new(["http://127.0.0.1:3180/"]))?;
//! let ts = client.timestamp_data(b"document")?;
//! println!("{} from {}", ts.token.gen_time(), ts.url);
//! std::fs::write("document.tsr", &ts.response_der)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod async_client;
mod blocking;
mod config;
mod error;

pub use async_client::TsaClient;
pub use blocking::BlockingTsaClient;
pub use config::{
    BasicAuth, ClientConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use error::{Attempt, AttemptError, ClientError};

use std::io::Read;

use kenpo_core::alg::{Digest, DigestAlgorithm};
use reqwest::Url;
use time::OffsetDateTime;

use crate::request::TimeStampRequest;
use crate::response::TimeStampResponse;
use crate::status::StatusInfo;
use crate::token::{VerifiedToken, VerifyOptions, verify_token};

/// MIME type of a request (RFC 3161 §3.4).
pub const CONTENT_TYPE_QUERY: &str = "application/timestamp-query";
/// MIME type of a response (RFC 3161 §3.4).
pub const CONTENT_TYPE_REPLY: &str = "application/timestamp-reply";
/// Non-standard response type some TSAs send; accepted.
pub const CONTENT_TYPE_REPLY_ALT: &str = "application/timestamp-response";

/// A time-stamp obtained and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStamp {
    /// The URL that issued it (any password replaced by `***`).
    pub url: String,
    /// The whole DER TimeStampResp exactly as received (what `openssl ts -reply` writes).
    pub response_der: Vec<u8>,
    /// The TimeStampToken: the exact span of `response_der`, to embed into signatures.
    pub token_der: Vec<u8>,
    /// The PKIStatusInfo of the response (granted or grantedWithMods).
    pub status: StatusInfo,
    /// The verification result: TSTInfo, TSA certificate, validated path.
    pub token: VerifiedToken,
}

impl TimeStamp {
    /// genTime of the token.
    pub fn gen_time(&self) -> OffsetDateTime {
        self.token.gen_time()
    }
}

/// Hashes everything `reader` yields with `alg`, in 64 KiB blocks.
pub fn digest_reader<R: Read>(alg: DigestAlgorithm, mut reader: R) -> std::io::Result<Digest> {
    let mut hasher = alg.hasher();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.finalize()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Refuses SHA-1 for new time-stamps.
fn check_digest_alg(alg: DigestAlgorithm) -> Result<(), ClientError> {
    if alg == DigestAlgorithm::Sha1 {
        Err(ClientError::Sha1Refused)
    } else {
        Ok(())
    }
}

/// Parses and checks the configured URLs.
fn parse_urls(urls: &[String]) -> Result<Vec<Url>, ClientError> {
    if urls.is_empty() {
        return Err(ClientError::NoUrls);
    }
    urls.iter()
        .map(|u| {
            let bad = |reason: String| ClientError::BadUrl {
                url: redact_url_str(u),
                reason,
            };
            let url = Url::parse(u.trim()).map_err(|e| bad(e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(bad(format!(
                    "scheme {:?} is not http or https",
                    url.scheme()
                )));
            }
            if url.host_str().is_none_or(str::is_empty) {
                return Err(bad("no host".into()));
            }
            Ok(url)
        })
        .collect()
}

/// `url` with any password replaced by `***`, for reports.
fn redact_url(url: &Url) -> String {
    if url.password().is_some() {
        let mut u = url.clone();
        if u.set_password(Some("***")).is_ok() {
            return u.to_string();
        }
    }
    url.to_string()
}

/// [`redact_url`] for a string that may not parse (returned unchanged then).
pub(crate) fn redact_url_str(url: &str) -> String {
    Url::parse(url.trim())
        .map(|u| redact_url(&u))
        .unwrap_or_else(|_| url.to_owned())
}

/// The request for one attempt: a fresh nonce each time.
fn new_request(config: &ClientConfig, imprint: &Digest) -> TimeStampRequest {
    TimeStampRequest::new(*imprint)
        .with_policy(config.policy)
        .with_cert_req(config.cert_req)
}

/// Checks the Content-Type of a response.
fn check_content_type(headers: &reqwest::header::HeaderMap) -> Result<(), AttemptError> {
    let raw = headers
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let raw = raw.unwrap_or_default();
    let essence = raw
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == CONTENT_TYPE_REPLY || essence == CONTENT_TYPE_REPLY_ALT {
        Ok(())
    } else {
        Err(AttemptError::WrongContentType(raw))
    }
}

/// An error and its causes, joined with ": " (repeated messages skipped).
fn describe_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let msg = err.to_string();
        if !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// Classifies a reqwest error; the message is the error's cause chain without the URL.
fn transport_error(e: reqwest::Error) -> AttemptError {
    if e.is_timeout() {
        return AttemptError::Timeout;
    }
    let is_connect = e.is_connect();
    let full = describe_chain(&e.without_url());
    // Drop reqwest's and hyper-util's generic wrappers when a specific cause follows.
    let mut msg = full.as_str();
    for prefix in [
        "error sending request: ",
        "client error (Connect): ",
        "client error (SendRequest): ",
    ] {
        msg = msg.strip_prefix(prefix).unwrap_or(msg);
    }
    let msg = msg.to_owned();
    if is_connect {
        AttemptError::Connect(msg)
    } else {
        AttemptError::Transport(msg)
    }
}

/// Parses a received body and verifies its token against the request.
fn process_reply(
    config: &ClientConfig,
    url: &Url,
    request: &TimeStampRequest,
    body: Vec<u8>,
) -> Result<TimeStamp, AttemptError> {
    let resp = TimeStampResponse::parse(&body).map_err(AttemptError::Malformed)?;
    if !matches!(resp.status.status, Ok(s) if s.is_granted()) {
        return Err(AttemptError::Rejected {
            status: resp.status,
        });
    }
    let token_der = resp.token.ok_or(AttemptError::NoToken)?.to_vec();
    let status = resp.status;
    let opts = VerifyOptions {
        expected_imprint: Some(&request.imprint),
        expected_nonce: request.nonce.as_deref(),
        required_policy: config.policy,
        extra_certs: &config.extra_certs,
        more_certs: &[],
        validator: config.validator.as_deref(),
        keep_path: true,
        backend: config.backend,
        cert_cache: None,
    };
    let token = verify_token(&token_der, &opts).map_err(AttemptError::Token)?;
    Ok(TimeStamp {
        url: redact_url(url),
        response_der: body,
        token_der,
        status,
        token,
    })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

    fn ct(v: Option<&'static str>) -> Result<(), AttemptError> {
        let mut h = HeaderMap::new();
        if let Some(v) = v {
            h.insert(CONTENT_TYPE, HeaderValue::from_static(v));
        }
        check_content_type(&h)
    }

    #[test]
    fn content_types() {
        assert_eq!(ct(Some("application/timestamp-reply")), Ok(()));
        assert_eq!(
            ct(Some("Application/TimeStamp-Reply; charset=binary")),
            Ok(())
        );
        assert_eq!(ct(Some("application/timestamp-response")), Ok(()));
        assert_eq!(
            ct(Some("text/html")),
            Err(AttemptError::WrongContentType("text/html".into()))
        );
        assert_eq!(ct(None), Err(AttemptError::WrongContentType(String::new())));
    }

    #[test]
    fn urls_are_checked_and_redacted() {
        assert!(matches!(parse_urls(&[]), Err(ClientError::NoUrls)));
        for bad in ["ftp://x/", "not a url", "http://"] {
            assert!(
                matches!(parse_urls(&[bad.into()]), Err(ClientError::BadUrl { .. })),
                "{bad}"
            );
        }
        let ok = parse_urls(&["https://u:secret@tsa.example/x".into()]).unwrap_or_default();
        assert_eq!(ok.len(), 1);
        let shown = ok.first().map(redact_url).unwrap_or_default();
        assert!(
            !shown.contains("secret") && shown.contains("u:***@tsa.example"),
            "{shown}"
        );
        assert!(!redact_url_str("https://u:secret@tsa.example/x").contains("secret"));
    }

    #[test]
    fn streaming_digest_matches_one_shot() {
        let data = vec![7u8; 200_000];
        let d = digest_reader(DigestAlgorithm::Sha384, data.as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d, DigestAlgorithm::Sha384.digest(&data));
    }
}
