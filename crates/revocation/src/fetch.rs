//! HTTP for revocation data: GET of CRLs, POST of OCSP requests.
//!
//! Only `http` and `https` URLs are fetched (LDAP and DirName distribution points cannot
//! be: supply those CRLs). Every fetch has a connect timeout, a total deadline and a
//! response-size limit checked both against Content-Length and while reading, so a hostile
//! or hanging server costs bounded time and memory.
//!
//! Each request runs on a short-lived helper thread with reqwest's blocking client, so a
//! [`Fetcher`] may be used from any thread, inside an async runtime included (where the
//! blocking client must not run directly).

use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::Url;

/// Default total time for one fetch (connect, request, whole body): 15 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default connect timeout: 5 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit on an OCSP response: 1 MiB.
pub const DEFAULT_MAX_OCSP_BYTES: u64 = 1024 * 1024;

/// HTTP settings for fetching revocation data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Total time for one fetch: connecting, sending, and reading the whole body.
    pub timeout: Duration,
    /// Time to establish the connection (bounded by `timeout` too).
    pub connect_timeout: Duration,
    /// Largest CRL accepted, in bytes ([`crate::crl::DEFAULT_MAX_CRL_BYTES`]).
    pub max_crl_bytes: u64,
    /// Largest OCSP response accepted, in bytes ([`DEFAULT_MAX_OCSP_BYTES`]).
    pub max_ocsp_bytes: u64,
    /// Use the proxies of the environment (`HTTP_PROXY`, …). Default true.
    pub use_system_proxy: bool,
    /// User-Agent header.
    pub user_agent: String,
    /// Refuse every fetch with [`FetchError::Offline`]. Default false.
    pub offline: bool,
    /// A directory where the [`crate::Checker`] keeps fetched CRLs and OCSP responses
    /// between runs and reads them back while they are current (offline too: the cache
    /// is local data). Default none: fetched data lives only as long as the checker.
    pub cache_dir: Option<PathBuf>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_crl_bytes: crate::crl::DEFAULT_MAX_CRL_BYTES,
            max_ocsp_bytes: DEFAULT_MAX_OCSP_BYTES,
            use_system_proxy: true,
            user_agent: concat!("kenpo-sign/", env!("CARGO_PKG_VERSION")).to_owned(),
            offline: false,
            cache_dir: None,
        }
    }
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Network access is disabled (offline mode).
    #[error("offline: network access disabled")]
    Offline,
    /// The URL does not parse.
    #[error("bad URL {url}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Not an http(s) URL.
    #[error("unsupported URL scheme {scheme:?} (only http and https are fetched)")]
    UnsupportedScheme {
        /// The scheme.
        scheme: String,
    },
    /// The connection could not be established.
    #[error("connect: {0}")]
    Connect(String),
    /// The deadline passed.
    #[error("timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    /// A non-2xx HTTP status.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The response is larger than the limit.
    #[error("response larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Any other transport error.
    #[error("HTTP: {0}")]
    Transport(String),
    /// The HTTP client could not be set up.
    #[error("HTTP client setup: {0}")]
    Setup(String),
}

/// Fetches revocation data over HTTP with the limits of a [`FetchConfig`].
pub struct Fetcher {
    config: FetchConfig,
    client: OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("config", &self.config)
            .finish()
    }
}

/// An error and its causes joined with ": ", repeated messages skipped.
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

impl Fetcher {
    /// A fetcher with `config`; the HTTP client is built on first use.
    pub fn new(config: FetchConfig) -> Self {
        Self {
            config,
            client: OnceLock::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// GETs `url`, accepting at most `limit` bytes.
    pub fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        self.on_helper_thread(url, None, limit)
    }

    /// POSTs `body` as `content_type` to `url`, accepting at most `limit` bytes back.
    pub fn post(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        limit: u64,
    ) -> Result<Vec<u8>, FetchError> {
        self.on_helper_thread(url, Some((content_type, body)), limit)
    }

    fn on_helper_thread(
        &self,
        url: &str,
        post: Option<(&str, &[u8])>,
        limit: u64,
    ) -> Result<Vec<u8>, FetchError> {
        if self.config.offline {
            return Err(FetchError::Offline);
        }
        let url = parse_url(url)?;
        std::thread::scope(|s| {
            let worker = std::thread::Builder::new()
                .name("kenpo-revocation-http".into())
                .spawn_scoped(s, || self.fetch(url, post, limit))
                .map_err(|e| FetchError::Setup(format!("thread: {e}")))?;
            worker
                .join()
                .unwrap_or_else(|_| Err(FetchError::Transport("HTTP worker panicked".into())))
        })
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, FetchError> {
        self.client
            .get_or_init(|| {
                let mut b = reqwest::blocking::Client::builder()
                    .timeout(self.config.timeout)
                    .connect_timeout(self.config.connect_timeout.min(self.config.timeout))
                    .redirect(reqwest::redirect::Policy::limited(3))
                    .user_agent(self.config.user_agent.clone())
                    .pool_max_idle_per_host(2);
                if !self.config.use_system_proxy {
                    b = b.no_proxy();
                }
                b.build().map_err(|e| describe_chain(&e))
            })
            .as_ref()
            .map_err(|e| FetchError::Setup(e.clone()))
    }

    fn fetch(
        &self,
        url: Url,
        post: Option<(&str, &[u8])>,
        limit: u64,
    ) -> Result<Vec<u8>, FetchError> {
        let started = Instant::now();
        let timeout = self.config.timeout;
        let client = self.client()?;
        let request = match post {
            None => client.get(url),
            Some((ct, body)) => client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, ct)
                .body(body.to_vec()),
        };
        let mut resp = request.send().map_err(|e| self.transport(e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::HttpStatus(status.as_u16()));
        }
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let cap = resp
            .content_length()
            .unwrap_or(64 * 1024)
            .min(limit)
            .min(16 * 1024 * 1024);
        let mut body = Vec::with_capacity(usize::try_from(cap).unwrap_or(0));
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if started.elapsed() > timeout {
                return Err(FetchError::Timeout(timeout));
            }
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if e.kind() == std::io::ErrorKind::TimedOut
                        || started.elapsed() >= timeout
                        || describe_chain(&e).contains("timed out")
                    {
                        return Err(FetchError::Timeout(timeout));
                    }
                    return Err(FetchError::Transport(describe_chain(&e)));
                }
            };
            let total = body.len() as u64 + n as u64;
            if total > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&buf[..n]);
        }
        Ok(body)
    }

    fn transport(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout(self.config.timeout);
        }
        let msg = describe_chain(&e.without_url());
        let mut m = msg.as_str();
        for prefix in [
            "error sending request: ",
            "client error (Connect): ",
            "client error (SendRequest): ",
        ] {
            m = m.strip_prefix(prefix).unwrap_or(m);
        }
        if msg.contains("timed out") {
            FetchError::Timeout(self.config.timeout)
        } else if msg.contains("Connect") || msg.contains("connect") {
            FetchError::Connect(m.to_owned())
        } else {
            FetchError::Transport(m.to_owned())
        }
    }
}

/// Parses an http(s) URL.
pub fn parse_url(url: &str) -> Result<Url, FetchError> {
    let u = Url::parse(url.trim()).map_err(|e| FetchError::BadUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(FetchError::UnsupportedScheme {
            scheme: u.scheme().to_owned(),
        });
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::BadUrl {
            url: url.to_owned(),
            reason: "no host".into(),
        });
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_refuses_before_anything_else() {
        let f = Fetcher::new(FetchConfig {
            offline: true,
            ..FetchConfig::default()
        });
        assert_eq!(
            f.get("http://127.0.0.1:9/x.crl", 10),
            Err(FetchError::Offline)
        );
        assert_eq!(f.post("ldap://x", "a/b", b"", 10), Err(FetchError::Offline));
    }

    #[test]
    fn only_http_urls() {
        assert!(parse_url("http://example.invalid/a.crl").is_ok());
        assert!(parse_url("https://example.invalid/a.crl").is_ok());
        assert!(matches!(
            parse_url("ldap://example.invalid/cn=x?certificateRevocationList"),
            Err(FetchError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            parse_url("not a url"),
            Err(FetchError::BadUrl { .. })
        ));
    }
}
