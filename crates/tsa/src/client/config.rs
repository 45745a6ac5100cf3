//! Client settings.

use std::sync::Arc;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::crypto::{CryptoBackend, default_backend};

use crate::token::TsaCertValidator;

/// Default for [`ClientConfig::timeout`]: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default for [`ClientConfig::connect_timeout`]: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for [`ClientConfig::max_response_bytes`]: 1 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1 << 20;

/// HTTP basic-authentication credentials (RFC 7617), as commercial TSAs require.
///
/// `Debug` does not print the password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl BasicAuth {
    /// Credentials from a user name and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// What a [`TsaClient`](super::TsaClient) or [`BlockingTsaClient`](super::BlockingTsaClient)
/// asks for and accepts.
///
/// Build it with [`ClientConfig::new`] and struct update syntax:
///
/// ```
/// # use kenpo_tsa::client::ClientConfig;
/// # use kenpo_core::alg::DigestAlgorithm;
/// let config = ClientConfig::new(["https://tsa.invalid/tsa", "https://backup.invalid/tsa"])
///     .with_digest(DigestAlgorithm::Sha384);
/// assert_eq!(config.urls.len(), 2);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// TSA URLs (`http` or `https`), tried in order until one issues a valid token.
    /// Redirects are never followed, as for every POST of this project (see
    /// `kenpo_revocation::fetch`): a 3xx answer fails the attempt with its status, and the
    /// request is neither re-sent elsewhere nor turned into a GET.
    ///
    /// Credentials in a URL (`https://user:pass@host/`) are sent as basic authentication
    /// to that URL unless [`basic_auth`](Self::basic_auth) is set; error reports show
    /// such URLs with the password replaced.
    pub urls: Vec<String>,
    /// Digest used by the `timestamp_data`/`_reader`/`_file` methods (default SHA-256).
    /// SHA-1 is refused.
    pub digest: DigestAlgorithm,
    /// reqPolicy to send; when set, the token must carry exactly this policy.
    pub policy: Option<Oid>,
    /// certReq: ask the TSA to embed its certificate (default `true`).
    pub cert_req: bool,
    /// Time limit for one attempt, from connecting to the last byte of the body
    /// (default 30 s).
    pub timeout: Duration,
    /// Time limit for establishing the connection, TLS included (default 10 s).
    pub connect_timeout: Duration,
    /// Largest response body accepted (default 1 MiB). The body is read incrementally and
    /// the attempt stops as soon as the limit is passed, whatever Content-Length says.
    pub max_response_bytes: usize,
    /// Basic-authentication credentials sent to every URL.
    pub basic_auth: Option<BasicAuth>,
    /// Certificates (DER) searched for the TSA certificate when a token does not embed it
    /// (needed with `cert_req = false`).
    pub extra_certs: Vec<Vec<u8>>,
    /// Chain and revocation check of the TSA certificate at genTime; `None` checks only
    /// what the token proves by itself (see [`crate::verify_token`]).
    pub validator: Option<Arc<dyn TsaCertValidator>>,
    /// Crypto backend verifying the TSA signature (default [`default_backend`]).
    pub backend: &'static dyn CryptoBackend,
    /// Additional trust anchors (DER) for HTTPS connections to TSAs, on top of the
    /// platform's roots (e.g. an in-house TSA under a private CA).
    pub tls_extra_roots: Vec<Vec<u8>>,
    /// User-Agent header (default `kenpo-sign/<version>`).
    pub user_agent: String,
}

impl ClientConfig {
    /// Default settings for the given URLs.
    pub fn new<I, S>(urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            urls: urls.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

impl Default for ClientConfig {
    /// No URL, SHA-256, no policy, certReq, 30 s / 10 s timeouts, 1 MiB, default backend.
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            digest: DigestAlgorithm::Sha256,
            policy: None,
            cert_req: true,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            basic_auth: None,
            extra_certs: Vec::new(),
            validator: None,
            backend: default_backend(),
            tls_extra_roots: Vec::new(),
            user_agent: concat!("kenpo-sign/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let urls: Vec<String> = self.urls.iter().map(|u| super::redact_url_str(u)).collect();
        f.debug_struct("ClientConfig")
            .field("urls", &urls)
            .field("digest", &self.digest)
            .field("policy", &self.policy)
            .field("cert_req", &self.cert_req)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("basic_auth", &self.basic_auth)
            .field("extra_certs", &self.extra_certs.len())
            .field("validator", &self.validator.is_some())
            .field("backend", &self.backend.name())
            .field("tls_extra_roots", &self.tls_extra_roots.len())
            .field("user_agent", &self.user_agent)
            .finish()
    }
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

impl ClientConfig {
    setters! {
        with_urls => urls: Vec<String>,
        with_digest => digest: DigestAlgorithm,
        with_policy => policy: Option<Oid>,
        with_cert_req => cert_req: bool,
        with_timeout => timeout: Duration,
        with_connect_timeout => connect_timeout: Duration,
        with_max_response_bytes => max_response_bytes: usize,
        with_basic_auth => basic_auth: Option<BasicAuth>,
        with_extra_certs => extra_certs: Vec<Vec<u8>>,
        with_validator => validator: Option<Arc<dyn TsaCertValidator>>,
        with_backend => backend: &'static dyn CryptoBackend,
        with_tls_extra_roots => tls_extra_roots: Vec<Vec<u8>>,
        with_user_agent => user_agent: String,
    }
}
