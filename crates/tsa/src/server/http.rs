//! The HTTP front of the TSA (RFC 3161 §3.4) on axum.
//!
//! | request | answer |
//! |---|---|
//! | `POST /`, `Content-Type: application/timestamp-query` | 200, `application/timestamp-reply`: the `TimeStampResp` (rejections included) |
//! | `POST /` with another or no content type | 415, a `TimeStampResp` rejection (badRequest) |
//! | `POST /` with a body over the limit | 413, a `TimeStampResp` rejection (badRequest) |
//! | `GET /health` | 200, `{"status":"ok","policy":…,"tsa":…,"not_after":…,"issued":N}` |
//!
//! Other methods on `/` get 405, other paths 404. Shutdown is graceful: the listener
//! closes, requests in progress are answered, idle connections are closed.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Issued, Tsa};
use crate::status::FailInfo;

/// Media type of requests.
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
/// Media type of responses.
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";
/// Default request size limit: 64 KiB (a request is ~100 bytes).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 64 * 1024;

/// HTTP settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// Largest accepted request body in bytes.
    pub max_request_bytes: usize,
    /// Sign on tokio's blocking thread pool instead of the worker thread that received the
    /// request. Worth it for slow keys (PKCS#11, remote); for software keys signing inline
    /// is faster (see `benches/server.rs`).
    pub sign_on_blocking_pool: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            sign_on_blocking_pool: false,
        }
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
    let listener = listener.tap_io(|tcp| {
        // Small request/response exchanges: do not wait for Nagle.
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router_with(tsa, options))
        .with_graceful_shutdown(shutdown)
        .await
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
    let body = match Bytes::from_request(request, &()).await {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let detail = format!("request larger than {} bytes", st.options.max_request_bytes);
            return reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                st.tsa.reject(FailInfo::BadRequest, detail, None),
            );
        }
        Err(e) => {
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
