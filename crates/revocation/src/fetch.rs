//! HTTP for revocation data and issuer certificates: GET of CRLs and caIssuers
//! certificates, POST of OCSP requests, to URLs taken from certificates.
//!
//! # Network policy
//!
//! The URLs come from certificates, so from whoever made them: the policy keeps a
//! certificate from steering the verifier at other services.
//!
//! * Only `http` and `https` URLs are fetched. Other distribution points and responders
//!   (`ldap:`, `file:`, `ftp:`, DirName…) are skipped by the callers with a note saying
//!   so, and the other URLs of the certificate are still tried; [`Fetcher`] itself
//!   refuses them with [`FetchError::UnsupportedScheme`].
//! * A redirect of a GET is followed only within the origin (scheme, host and port) of
//!   the URL first asked, at most [`MAX_REDIRECTS`] times; a redirect elsewhere is
//!   [`FetchError::CrossOriginRedirect`], naming both URLs, and nothing is sent there.
//! * A POST (OCSP) is never redirected: a 3xx answer is [`FetchError::PostRedirect`]
//!   (following it would re-send the request, or turn it into a GET as browsers do).
//! * With an allow-list ([`FetchConfig::allow`], `--fetch-allow HOST[:PORT]` on the
//!   command line), only the listed hosts and ports are contacted: any other URL is
//!   [`FetchError::NotAllowed`] before a connection is made.
//! * [`FetchConfig::offline`] refuses every fetch ([`FetchError::Offline`]).
//! * Every fetch has a connect timeout, a total deadline and a response-size limit checked
//!   against Content-Length and while reading: the body is read in chunks and the read
//!   stops at the first byte past the limit, so memory stays within about the limit
//!   whatever the server sends (chunked, close-delimited or with a false length).
//!
//! Each request runs on a short-lived helper thread with reqwest's blocking client, so a
//! [`Fetcher`] may be used from any thread, inside an async runtime included (where the
//! blocking client must not run directly).

mod body;
mod origin;

pub use origin::{AllowedOrigin, AllowedOriginError};

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
/// Most redirects followed for one GET (all within the origin first asked).
pub const MAX_REDIRECTS: usize = 3;

/// HTTP settings for fetching revocation data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The only hosts and ports contacted, when not empty (see the
    /// [module documentation](self)); default empty: any http(s) URL. Redirects must stay
    /// within the origin first asked either way.
    pub allow: Vec<AllowedOrigin>,
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
            allow: Vec::new(),
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
    /// The URL's host and port are not in the allow-list; nothing was sent.
    #[error(
        "{url}: not fetched, its host and port are not in the fetch allow-list (add it with --fetch-allow HOST[:PORT] to fetch from it)"
    )]
    NotAllowed {
        /// The URL.
        url: String,
    },
    /// A redirect to another origin (scheme, host or port); nothing was sent there.
    #[error(
        "redirect from {from} to {to} refused: another origin (scheme, host or port); only redirects within the origin first asked are followed"
    )]
    CrossOriginRedirect {
        /// The URL that answered with the redirect.
        from: String,
        /// Where it pointed.
        to: String,
    },
    /// A POST answered with a redirect, which is never followed.
    #[error(
        "HTTP {status} redirect of a POST from {from} to {to} refused: a POST is never re-sent elsewhere nor turned into a GET; configure the URL it points to"
    )]
    PostRedirect {
        /// The status (301, 302, 303, 307, 308…).
        status: u16,
        /// The URL POSTed to.
        from: String,
        /// Where it pointed (as the Location header says).
        to: String,
    },
    /// More redirects than [`MAX_REDIRECTS`].
    #[error("more than {max} redirects, starting at {url}")]
    TooManyRedirects {
        /// The URL first asked.
        url: String,
        /// The limit.
        max: usize,
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

    /// Whether `url` may be fetched at all under the configuration: not offline, an
    /// http(s) URL, on the allow-list when there is one. Answers kept from earlier fetches
    /// should be reused only when this is `Ok`.
    pub fn permits(&self, url: &str) -> Result<(), FetchError> {
        self.permitted(url).map(|_| ())
    }

    fn permitted(&self, url: &str) -> Result<Url, FetchError> {
        if self.config.offline {
            return Err(FetchError::Offline);
        }
        let url = parse_url(url)?;
        self.check_allowed(&url)?;
        Ok(url)
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
        let url = self.permitted(url)?;
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
                    // Redirects are followed by `fetch`, under the policy of the module.
                    .redirect(reqwest::redirect::Policy::none())
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
        let first = url.clone();
        let mut url = url;
        let mut redirects = 0;
        let resp = loop {
            self.check_allowed(&url)?;
            let request = match post {
                None => client.get(url.clone()),
                Some((ct, body)) => client
                    .post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, ct)
                    .body(body.to_vec()),
            };
            let resp = request.send().map_err(|e| self.transport(e))?;
            let status = resp.status();
            if !status.is_redirection() {
                break resp;
            }
            let to = redirect_target(&url, &resp);
            if post.is_some() {
                return Err(FetchError::PostRedirect {
                    status: status.as_u16(),
                    from: url.to_string(),
                    to: to.map_or_else(|s| s, |u| u.to_string()),
                });
            }
            let to = to.map_err(|location| FetchError::BadUrl {
                url: location,
                reason: format!("unusable redirect Location from {url}"),
            })?;
            if !origin::same_origin(&first, &to) {
                return Err(FetchError::CrossOriginRedirect {
                    from: url.to_string(),
                    to: to.to_string(),
                });
            }
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects {
                    url: first.to_string(),
                    max: MAX_REDIRECTS,
                });
            }
            url = to;
        };
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::HttpStatus(status.as_u16()));
        }
        let announced = resp.content_length();
        if announced.is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let mut resp = resp;
        body::read_limited(
            &mut resp,
            limit,
            announced,
            || {
                if started.elapsed() > timeout {
                    Err(FetchError::Timeout(timeout))
                } else {
                    Ok(())
                }
            },
            |e| {
                if e.kind() == std::io::ErrorKind::TimedOut
                    || started.elapsed() >= timeout
                    || describe_chain(&e).contains("timed out")
                {
                    FetchError::Timeout(timeout)
                } else {
                    FetchError::Transport(describe_chain(&e))
                }
            },
        )
    }

    /// [`FetchError::NotAllowed`] when there is an allow-list and `url` is not on it.
    fn check_allowed(&self, url: &Url) -> Result<(), FetchError> {
        let allow = &self.config.allow;
        if allow.is_empty() || allow.iter().any(|a| a.allows(url)) {
            Ok(())
        } else {
            Err(FetchError::NotAllowed {
                url: url.to_string(),
            })
        }
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

/// Where a redirect points: the Location resolved against `from`, or the raw Location
/// (or a note) when it is missing or does not resolve to an http(s) URL.
fn redirect_target(from: &Url, resp: &reqwest::blocking::Response) -> Result<Url, String> {
    let Some(location) = resp.headers().get(reqwest::header::LOCATION) else {
        return Err("(no Location header)".to_owned());
    };
    let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
    from.join(location.trim()).map_err(|_| location)
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

/// `with_FIELD(value)` setters for the public fields of an options struct, so callers
/// outside the crate build it with a constructor and chained setters (the struct is
/// `#[non_exhaustive]`).
macro_rules! setters {
    ($($with:ident => $field:ident: $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
            #[must_use]
            pub fn $with(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            }
        )*
    };
}

impl FetchConfig {
    setters! {
        with_timeout => timeout: Duration,
        with_connect_timeout => connect_timeout: Duration,
        with_max_crl_bytes => max_crl_bytes: u64,
        with_max_ocsp_bytes => max_ocsp_bytes: u64,
        with_use_system_proxy => use_system_proxy: bool,
        with_user_agent => user_agent: String,
        with_offline => offline: bool,
        with_cache_dir => cache_dir: Option<PathBuf>,
        with_allow => allow: Vec<AllowedOrigin>,
    }
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
