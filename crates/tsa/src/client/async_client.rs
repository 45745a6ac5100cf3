//! The async client.

use std::path::Path;
use std::sync::Arc;

use kenpo_core::alg::Digest;
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{
    Attempt, AttemptError, CONTENT_TYPE_QUERY, CONTENT_TYPE_REPLY, ClientConfig, ClientError,
    TimeStamp, check_content_type, check_digest_alg, describe_chain, new_request, parse_urls,
    process_reply, redact_url, transport_error,
};

struct Inner {
    config: ClientConfig,
    urls: Vec<Url>,
    http: reqwest::Client,
}

/// Async RFC 3161 client (tokio). Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct TsaClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TsaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsaClient")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl TsaClient {
    /// Checks `config` (URLs, no SHA-1) and builds the HTTP client.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        check_digest_alg(config.digest)?;
        let urls = parse_urls(&config.urls)?;
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent.clone());
        let any_https = urls.iter().any(|u| u.scheme() == "https");
        if !any_https {
            // Plain HTTP only (the usual case for TSAs on a LAN): skip loading the
            // platform's root store, which costs tens of milliseconds per client.
            builder = builder.tls_certs_only(std::iter::empty());
        } else if !config.tls_extra_roots.is_empty() {
            let roots = config
                .tls_extra_roots
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ClientError::Setup(format!("TLS root certificate: {e}")))?;
            builder = builder.tls_certs_merge(roots);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Setup(describe_chain(&e)))?;
        Ok(Self {
            inner: Arc::new(Inner { config, urls, http }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Time-stamps a precomputed digest (its own algorithm is used; SHA-1 is refused).
    pub async fn timestamp_digest(&self, imprint: &Digest) -> Result<TimeStamp, ClientError> {
        check_digest_alg(imprint.algorithm())?;
        let mut attempts = Vec::with_capacity(self.inner.urls.len());
        for url in &self.inner.urls {
            match self.attempt(url, imprint).await {
                Ok(ts) => return Ok(ts),
                Err(error) => attempts.push(Attempt {
                    url: redact_url(url),
                    error,
                }),
            }
        }
        Err(ClientError::AllFailed { attempts })
    }

    /// Time-stamps `data`, hashed with the configured digest.
    pub async fn timestamp_data(&self, data: &[u8]) -> Result<TimeStamp, ClientError> {
        let imprint = self.inner.config.digest.digest(data);
        self.timestamp_digest(&imprint).await
    }

    /// Time-stamps everything `reader` yields, hashed while streaming.
    pub async fn timestamp_reader<R: AsyncRead + Unpin>(
        &self,
        mut reader: R,
    ) -> Result<TimeStamp, ClientError> {
        let mut hasher = self.inner.config.digest.hasher();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        self.timestamp_digest(&hasher.finalize()).await
    }

    /// Time-stamps the contents of a file, hashed while streaming.
    pub async fn timestamp_file(&self, path: impl AsRef<Path>) -> Result<TimeStamp, ClientError> {
        let file = tokio::fs::File::open(path.as_ref()).await?;
        self.timestamp_reader(file).await
    }

    /// One URL: POST, HTTP checks, bounded read, verification.
    async fn attempt(&self, url: &Url, imprint: &Digest) -> Result<TimeStamp, AttemptError> {
        let config = &self.inner.config;
        let request = new_request(config, imprint);
        let mut post = self
            .inner
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, CONTENT_TYPE_QUERY)
            .header(ACCEPT, CONTENT_TYPE_REPLY)
            .body(request.to_der());
        if let Some(auth) = &config.basic_auth {
            post = post.basic_auth(&auth.username, Some(&auth.password));
        }
        let mut resp = post.send().await.map_err(transport_error)?;
        if !resp.status().is_success() {
            return Err(AttemptError::HttpStatus(resp.status().as_u16()));
        }
        check_content_type(resp.headers())?;
        let limit = config.max_response_bytes;
        let too_large = AttemptError::TooLarge { limit };
        if resp.content_length().is_some_and(|len| len > limit as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            if chunk.len() > limit - body.len() {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        process_reply(config, url, &request, body)
    }
}
