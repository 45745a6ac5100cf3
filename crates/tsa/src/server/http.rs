//! The HTTP front of the TSA (RFC 3161 §3.4): axum routes served on hyper.
//!
//! | request | answer |
//! |---|---|
//! | `POST /`, `Content-Type: application/timestamp-query` | 200, `application/timestamp-reply`: the `TimeStampResp` (rejections included) |
//! | `POST /` with another or no content type | 415, a `TimeStampResp` rejection (badRequest) |
//! | `POST /` with a body over the limit | 413, a `TimeStampResp` rejection (badRequest) |
//! | `POST /` whose body does not arrive within the body timeout | 408, a `TimeStampResp` rejection (badRequest); the connection is closed |
//! | `GET /health` | 200, `{"status":"ok","policy":…,"tsa":…,"not_after":…,"issued":N}` |
//!
//! Other methods on `/` get 405, other paths 404.
//!
//! Connections are limited (see [`HttpOptions`]): at most
//! [`max_connections`](HttpOptions::max_connections) are open at once (more are answered
//! 503 and closed at once, never queued); a header must arrive within the header timeout,
//! a body within the body timeout, and an idle keep-alive connection is closed after the
//! idle timeout; a connection serves at most
//! [`max_requests_per_connection`](HttpOptions::max_requests_per_connection) requests. So
//! clients that open connections and send nothing, or send a byte at a time (slowloris),
//! are cut off, and real requests keep being answered.
//!
//! Shutdown is graceful: the listener closes, requests in progress are answered, idle
//! connections and those still sending a header are closed.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::conn::{self, Limits};
use super::{Issued, Tsa};
use crate::status::FailInfo;

/// Media type of requests.
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
/// Media type of responses.
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";
/// Default request size limit: 64 KiB (a request is ~100 bytes).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Default time allowed for a request's header: 10 s. A time-stamp client sends its
/// ~200-octet header in one segment; ten seconds leave room for a slow link while a
/// connection that trickles or sends nothing is dropped soon.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a request's body once its header is in (and for sending the
/// answer): 10 s, for a body of ~100 octets (at most [`DEFAULT_MAX_REQUEST_BYTES`]).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time an idle keep-alive connection is kept between requests: 30 s, enough for
/// a client that time-stamps a batch of files one after the other to reuse its connection.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on open connections: 512. Each connection holds a file descriptor, and
/// services often run with a soft limit of 1,024 descriptors: at 512 the cap is reached
/// long before the process runs out of descriptors (which would stall `accept`), and is
/// still far beyond what a TSA answering in about a millisecond needs.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default number of requests served on one connection before it is closed (with
/// `Connection: close` on the last answer): 1,000.
pub const DEFAULT_MAX_REQUESTS_PER_CONNECTION: u64 = 1_000;

/// HTTP settings. Start from [`HttpOptions::default`] and change what you need with the
/// `with_…` setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Largest accepted request body in bytes.
    pub max_request_bytes: usize,
    /// Sign on tokio's blocking thread pool instead of the worker thread that received the
    /// request. Worth it for slow keys (PKCS#11, remote); for software keys signing inline
    /// is faster (see `benches/server.rs`).
    pub sign_on_blocking_pool: bool,
    /// Time allowed for a request's header, from the connection's opening or the first
    /// octet of a further request on a kept-alive connection; then the connection is closed.
    pub header_timeout: Duration,
    /// Time allowed for the whole body once the header is in (a slower body is answered
    /// with 408 and a badRequest rejection), and for sending an answer.
    pub body_timeout: Duration,
    /// Time an idle keep-alive connection is kept open between requests.
    pub idle_timeout: Duration,
    /// Open connections at most; further connections are answered with 503 and closed at
    /// once (at least 1).
    pub max_connections: usize,
    /// Requests served on one connection before it is closed (at least 1).
    pub max_requests_per_connection: u64,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            sign_on_blocking_pool: false,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_requests_per_connection: DEFAULT_MAX_REQUESTS_PER_CONNECTION,
        }
    }
}

impl HttpOptions {
    /// Sets [`max_request_bytes`](Self::max_request_bytes).
    pub fn with_max_request_bytes(mut self, bytes: usize) -> Self {
        self.max_request_bytes = bytes;
        self
    }

    /// Sets [`sign_on_blocking_pool`](Self::sign_on_blocking_pool).
    pub fn with_sign_on_blocking_pool(mut self, on: bool) -> Self {
        self.sign_on_blocking_pool = on;
        self
    }

    /// Sets [`header_timeout`](Self::header_timeout).
    pub fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Sets [`body_timeout`](Self::body_timeout).
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`max_connections`](Self::max_connections).
    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// Sets [`max_requests_per_connection`](Self::max_requests_per_connection).
    pub fn with_max_requests_per_connection(mut self, requests: u64) -> Self {
        self.max_requests_per_connection = requests;
        self
    }
}

#[derive(Clone)]
struct AppState {
    tsa: Arc<Tsa>,
    options: HttpOptions,
}

/// The routes, with default [`HttpOptions`].
pub fn router(tsa: Arc<Tsa>) -> Router {
    router_with(tsa, HttpOptions::default())
}

/// The routes, with `options`.
pub fn router_with(tsa: Arc<Tsa>, options: HttpOptions) -> Router {
    Router::new()
        .route("/", post(timestamp))
        .route("/health", get(health))
        .layer(DefaultBodyLimit::max(options.max_request_bytes))
        .with_state(AppState { tsa, options })
}

/// Serves `tsa` on `listener` with default options until `shutdown` completes, then shuts
/// down gracefully.
pub async fn serve(
    listener: TcpListener,
    tsa: Arc<Tsa>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, tsa, HttpOptions::default(), shutdown).await
}

/// Serves `tsa` on `listener` with `options` until `shutdown` completes, then shuts down
/// gracefully.
pub async fn serve_with(
    listener: TcpListener,
    tsa: Arc<Tsa>,
    options: HttpOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = Limits::from(&options);
    conn::serve(listener, router_with(tsa, options), limits, shutdown).await
}

/// Serves any axum `router` on `listener` with the connection limits of `options` (header,
/// body and idle timeouts, connection cap, requests per connection; `max_request_bytes`
/// and `sign_on_blocking_pool` are the router's business) until `shutdown` completes, then
/// shuts down gracefully. The routes must bound the time they take to read a body.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    options: &HttpOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    conn::serve(listener, router, Limits::from(options), shutdown).await
}

fn reply(status: StatusCode, issued: Issued) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(REPLY_CONTENT_TYPE),
        )],
        issued.response_der,
    )
        .into_response()
}

/// Whether the request's media type is `application/timestamp-query` (parameters and case
/// ignored).
fn is_query(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(QUERY_CONTENT_TYPE))
}

async fn timestamp(State(st): State<AppState>, request: Request) -> Response {
    if !is_query(request.headers()) {
        let got = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let detail = format!(
            "Content-Type must be {QUERY_CONTENT_TYPE}, got {}",
            got.as_deref().unwrap_or("none")
        );
        return reply(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            st.tsa.reject(FailInfo::BadRequest, detail, None),
        );
    }
    let body = match tokio::time::timeout(
        st.options.body_timeout,
        Bytes::from_request(request, &()),
    )
    .await
    {
        Err(_elapsed) => {
            let detail = format!(
                "request body not received within {} ms; send the whole request at once",
                st.options.body_timeout.as_millis()
            );
            let mut response = reply(
                StatusCode::REQUEST_TIMEOUT,
                st.tsa.reject(FailInfo::BadRequest, detail, None),
            );
            // The rest of the body may still come: do not read it as a next request.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Ok(Ok(b)) => b,
        Ok(Err(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let detail = format!("request larger than {} bytes", st.options.max_request_bytes);
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                st.tsa.reject(FailInfo::BadRequest, detail, None),
            );
        }
        Ok(Err(e)) => {
            let detail = format!("cannot read the request body: {}", e.body_text());
            return reply(
                e.status(),
                st.tsa.reject(FailInfo::BadRequest, detail, None),
            );
        }
    };
    let issued = if st.options.sign_on_blocking_pool {
        let tsa = Arc::clone(&st.tsa);
        match tokio::task::spawn_blocking(move || tsa.respond(&body)).await {
            Ok(issued) => issued,
            Err(e) => st
                .tsa
                .reject(FailInfo::SystemFailure, format!("signing task: {e}"), None),
        }
    } else {
        st.tsa.respond(&body)
    };
    reply(StatusCode::OK, issued)
}

async fn health(State(st): State<AppState>) -> Response {
    let tsa = &st.tsa;
    let body = serde_json::json!({
        "status": "ok",
        "policy": tsa.config().policy.to_string(),
        "tsa": tsa.subject(),
        "not_after": kenpo_core::timefmt::rfc3339(tsa.not_after()),
        "issued": tsa.issued(),
    });
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// A server on an OS-chosen loopback port, for tests and embedding.
#[derive(Debug)]
pub struct LocalServer {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl LocalServer {
    /// Binds `127.0.0.1:0` and serves `tsa` on the current tokio runtime.
    pub async fn start(tsa: Arc<Tsa>, options: HttpOptions) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_with(listener, tsa, options, async move {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            shutdown,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`, the time-stamping URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Triggers graceful shutdown and waits until the server has stopped.
    pub async fn shutdown(self) -> io::Result<()> {
        let _ = self.shutdown.send(());
        self.task.await.map_err(io::Error::other)?
    }
}
