//! The routes of `kenpo-sign serve`: the page, `POST /api/v1/verify` and the OpenAPI
//! description, behind an optional bearer token.
//!
//! | request | answer |
//! |---|---|
//! | `GET /` (`?lang=ja\|en`, else `Accept-Language`) | 200, the verification page |
//! | `POST /api/v1/verify`, `multipart/form-data` | 200, the `verify --format json` report |
//! | `GET /api/v1/openapi.json` | 200, the OpenAPI 3.0 description |
//! | a bad form or field | 400 `{"error": …}` |
//! | no or another bearer token, when one is set | 401 `{"error": …}` |
//! | a body over `--max-upload` | 413 `{"error": …}` |
//! | a body slower than the body timeout | 408 `{"error": …}`, connection closed |
//! | another media type | 415 `{"error": …}` |
//! | another method / path | 405 / 404 `{"error": …}` |
//!
//! Uploads stay in memory and are dropped with the answer; nothing about them (names,
//! contents) is logged.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use kenpo_verify::policy::{Policy, PolicyName};
use kenpo_verify::validate::{Detached, Verifier, verify_pdf_under};
use tokio::sync::Semaphore;

use super::multipart::{self, Part};
use super::page::Pages;

/// The path of the verification API.
pub const VERIFY_PATH: &str = "/api/v1/verify";
/// The path of the OpenAPI description.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
/// Every path served, in the order of the OpenAPI description.
pub const ROUTES: [&str; 3] = ["/", VERIFY_PATH, OPENAPI_PATH];
/// The OpenAPI description, served as is.
pub const OPENAPI: &str = include_str!("openapi.json");

/// What every request shares.
#[derive(Debug)]
pub struct Service {
    /// The verification context, reused by every request.
    pub verifier: Arc<Verifier>,
    /// Verifications running at once at most (each holds one blocking thread).
    pub permits: Semaphore,
    /// The bearer token every request must carry, when set.
    pub token: Option<String>,
    /// Largest request body.
    pub max_upload: usize,
    /// Time allowed for a request's body once its header is in.
    pub body_timeout: Duration,
    /// The page in each language.
    pub pages: Pages,
    /// The validation policy of a request that names none (`--policy`).
    pub policy: Policy,
}

/// The routes over `service`.
pub fn router(service: Arc<Service>) -> Router {
    let not_allowed = |m: MethodRouter<Arc<Service>>| m.fallback(method_not_allowed);
    Router::new()
        .route(ROUTES[0], not_allowed(get(page)))
        .route(VERIFY_PATH, not_allowed(post(verify)))
        .route(OPENAPI_PATH, not_allowed(get(openapi)))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(service.max_upload))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&service),
            authorize,
        ))
        .with_state(service)
}

/// An error answer: `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string();
        let mut r = json_response(self.status, body);
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0
}

async fn authorize(State(s): State<Arc<Service>>, request: Request, next: Next) -> Response {
    if let Some(token) = &s.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
        if !given.is_some_and(|g| same(g, token.as_bytes())) {
            let why = if given.is_some() {
                "wrong bearer token"
            } else {
                "this server needs an Authorization: Bearer TOKEN header"
            };
            return ApiError::new(StatusCode::UNAUTHORIZED, why).into_response();
        }
    }
    next.run(request).await
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed here (see /api/v1/openapi.json)",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such path (see /api/v1/openapi.json)",
    )
}

async fn page(State(s): State<Arc<Service>>, request: Request) -> Response {
    s.pages.answer(request.uri().query(), request.headers())
}

async fn openapi() -> Response {
    json_response(StatusCode::OK, OPENAPI)
}

/// The fields of a verification form.
#[derive(Debug, Default)]
struct Form {
    signature: Option<Bytes>,
    content: Option<Bytes>,
    /// A built-in policy the request names (none: the server's).
    policy: Option<Policy>,
}

impl Form {
    /// The form of `parts`; `server` is the server's policy, which a request may also name.
    fn from_parts(parts: Vec<Part>, server: &Policy) -> Result<Self, ApiError> {
        let mut form = Self::default();
        for p in parts {
            let text = || {
                std::str::from_utf8(&p.data)
                    .map(|t| t.trim().to_owned())
                    .map_err(|_| ApiError::bad(format!("field {} is not UTF-8 text", p.name)))
            };
            match p.name.as_str() {
                "signature" if form.signature.is_none() => form.signature = Some(p.data.clone()),
                "content" if form.content.is_none() => form.content = Some(p.data.clone()),
                "policy" => {
                    // Only built-in names: a request never names a file on the server.
                    let name = text()?;
                    if name.is_empty() || name == server.name {
                        continue;
                    }
                    form.policy = Some(PolicyName::from_arg(&name).map(PolicyName::policy).ok_or_else(|| {
                        ApiError::bad(format!(
                            "unknown policy {name:?}: use default, rule27-sign, rule27-archive or \"{}\" (the server's)",
                            server.name
                        ))
                    })?);
                }
                "lang" => {
                    let lang = text()?;
                    if !matches!(lang.as_str(), "" | "ja" | "en") {
                        return Err(ApiError::bad(format!(
                            "unknown lang {lang:?}: use \"ja\" or \"en\""
                        )));
                    }
                }
                "signature" | "content" => {
                    return Err(ApiError::bad(format!("field {} given twice", p.name)));
                }
                other => {
                    return Err(ApiError::bad(format!(
                        "unknown field {other:?}: the fields are signature, content, policy, lang"
                    )));
                }
            }
        }
        Ok(form)
    }
}

/// Whether the body is a form; its boundary.
fn form_boundary(headers: &HeaderMap) -> Result<String, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match multipart::boundary(ct) {
        None => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send multipart/form-data with a file field \"signature\"",
        )),
        Some(b) => b.map_err(|e| ApiError::bad(e.to_string())),
    }
}

async fn verify(State(s): State<Arc<Service>>, request: Request) -> Result<Response, ApiError> {
    let boundary = form_boundary(request.headers())?;
    let body = match tokio::time::timeout(s.body_timeout, Bytes::from_request(request, &())).await {
        Err(_elapsed) => {
            let mut r = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "request body not received within {} s",
                    s.body_timeout.as_secs()
                ),
            )
            .into_response();
            // The rest of the body may still come: do not read it as a next request.
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return Ok(r);
        }
        Ok(Ok(b)) => b,
        Ok(Err(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "upload larger than {} bytes (the server's --max-upload)",
                    s.max_upload
                ),
            ));
        }
        Ok(Err(e)) => {
            return Err(ApiError::bad(format!(
                "cannot read the request body: {}",
                e.body_text()
            )));
        }
    };
    let parts = multipart::parse(&body, &boundary).map_err(|e| ApiError::bad(e.to_string()))?;
    let form = Form::from_parts(parts, &s.policy)?;
    drop(body);
    let signature = form
        .signature
        .ok_or_else(|| ApiError::bad("the form has no file field \"signature\""))?;
    let content = form.content;
    let policy = form.policy.unwrap_or_else(|| s.policy.clone());
    let _permit = s
        .permits
        .acquire()
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
    let verifier = Arc::clone(&s.verifier);
    let report = tokio::task::spawn_blocking(move || {
        // A PDF is PAdES: its JSON adds covers, modified_after_signing and the document
        // time-stamps, as `verify FILE.pdf --format json` does.
        if kenpo_verify::validate::is_pdf_file(&signature) {
            return verify_pdf_under(&verifier, &signature, &policy).map(|v| v.to_json());
        }
        verifier
            .verify_detached_under(&signature, content.as_deref().map(Detached::Bytes), &policy)
            .map(|r| r.to_json())
    })
    .await;
    let report = match report {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("verification failed: {e}"),
            ));
        }
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the verification stopped unexpectedly",
            ));
        }
    };
    let json = serde_json::to_vec(&report).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("report encoding: {e}"),
        )
    })?;
    Ok(json_response(StatusCode::OK, json))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
        assert!(!same(b"secret", b"secre"));
        assert!(!same(b"", b"x"));
        assert!(same(b"", b""));
    }

    #[test]
    fn openapi_lists_exactly_the_served_paths() {
        let v: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3."));
        let paths: Vec<&str> = v["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut served = ROUTES.to_vec();
        served.sort_unstable();
        let mut described = paths.clone();
        described.sort_unstable();
        assert_eq!(described, served);
        let fields = &v["paths"][VERIFY_PATH]["post"]["requestBody"]["content"]["multipart/form-data"]
            ["schema"]["properties"];
        for f in ["signature", "content", "policy", "lang"] {
            assert!(fields.get(f).is_some(), "field {f} not described");
        }
        for code in ["200", "400", "401", "405", "408", "413", "415"] {
            assert!(
                v["paths"][VERIFY_PATH]["post"]["responses"]
                    .get(code)
                    .is_some(),
                "status {code} not described"
            );
        }
    }
}
