//! A local revocation service for a [`TestPki`]: an OCSP responder, CRLs issued on request
//! and the CA certificates, over plain HTTP on 127.0.0.1 (tests only).
//!
//! B-LT extension needs revocation data issued *after* a signature's time-stamp; the
//! static CRLs of [`crate::generate`] are older than any signature made with the PKI. The
//! service answers with fresh data:
//!
//! * `POST /ocsp` (and `GET /ocsp/<url-encoded base64 request>`, RFC 6960 appendix A):
//!   good / revoked / unknown for every CertID of one CA of the PKI, signed by the CA's
//!   delegated responder (`hpki-ocsp-responder` for `hpki-sign-ca`, `ocsp-responder` for
//!   `accredited-ca`) or else the CA key, ResponderID byKey, producedAt = thisUpdate = the
//!   service clock, nextUpdate one day later, the nonce echoed, the signer's certificate
//!   included; `malformedRequest` for an unreadable request, `unauthorized` for a CA the
//!   service does not know;
//! * `GET /crl/<issuer>.crl`: a CRL issued now (thisUpdate = clock, nextUpdate + 7 days,
//!   increasing cRLNumbers above the static CRL's) listing the current revocations;
//! * `GET /ca/<issuer>.der`: the CA certificate (AIA caIssuers).
//!
//! Bind first, generate the PKI with the service's URLs, then start:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kenpo_testpki::service::RevocationService;
//! let bound = RevocationService::bind("127.0.0.1:0")?;
//! let mut config = kenpo_testpki::Config::default();
//! bound.config_urls(&mut config);
//! let service = bound.start(kenpo_testpki::generate(&config)?)?;
//! service.revoke("accredited-signer", time::OffsetDateTime::now_utc(), Some(1))?;
//! // … fetch http://127.0.0.1:PORT/ocsp, /crl/accredited-ca.crl …
//! service.shutdown();
//! # Ok(()) }
//! ```

mod authority;
mod crl;
mod http;
mod ocsp;
mod route;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use time::{OffsetDateTime, UtcOffset};

use crate::{Config, Revocation, TestPki};
use authority::Authority;

pub use http::{MAX_BODY, MAX_CONNECTIONS, MAX_HEAD};

/// The service clock: gives thisUpdate / producedAt.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Why the service cannot start or do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The bound socket cannot be configured or the server thread cannot be started.
    #[error("cannot start the revocation service: {0}")]
    Start(std::io::Error),
    /// No entity with this name in the served PKI.
    #[error("unknown test PKI entity `{0}`")]
    UnknownEntity(String),
    /// The entity is a self-signed root: no CA can revoke it.
    #[error("`{0}` is self-signed: there is no issuer to revoke it")]
    NotRevocable(String),
    /// Not a CRLReason code of RFC 5280 §5.3.1 (0–6, 8–10).
    #[error("{0} is not a CRLReason code")]
    InvalidReason(u8),
    /// Reading the PKI (certificates, keys) failed.
    #[error(transparent)]
    Pki(#[from] crate::Error),
}

/// Requests answered, per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hits {
    /// OCSP requests (any response status).
    pub ocsp: usize,
    /// CRLs served.
    pub crl: usize,
    /// CA certificates served.
    pub ca: usize,
    /// Requests for unknown paths (404).
    pub other: usize,
}

#[derive(Default)]
struct HitCounters {
    ocsp: AtomicUsize,
    crl: AtomicUsize,
    ca: AtomicUsize,
    other: AtomicUsize,
}

/// What the connection threads share.
struct Shared {
    pki: TestPki,
    authorities: Vec<Authority>,
    revoked: Mutex<Vec<Revocation>>,
    clock: RwLock<Clock>,
    hits: HitCounters,
}

impl Shared {
    /// The clock, in UTC, truncated to the second.
    fn now(&self) -> OffsetDateTime {
        let clock = Arc::clone(&self.clock.read().unwrap_or_else(PoisonError::into_inner));
        let t = clock().to_offset(UtcOffset::UTC);
        t.replace_nanosecond(0).unwrap_or(t)
    }

    fn revocations(&self) -> Vec<Revocation> {
        self.revoked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn real_time() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}

/// `http://ADDR`, with 127.0.0.1 / ::1 for an unspecified address.
fn url_of(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// A local HTTP service for one [`TestPki`]: OCSP (RFC 6960, POST and GET at `/ocsp`),
/// CRLs issued on request (`GET /crl/<issuer>.crl`, thisUpdate = clock now, nextUpdate =
/// +7 days, increasing CRL numbers) and CA certificates (`GET /ca/<issuer>.der`).
///
/// Stopped by [`RevocationService::shutdown`] or when dropped.
pub struct RevocationService {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: http::Server,
}

/// A bound but not yet serving [`RevocationService`] (its URLs are known).
#[derive(Debug)]
pub struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
}

impl RevocationService {
    /// Binds `addr` (e.g. `127.0.0.1:0` for a free port) first, so the PKI can be generated
    /// with its URLs.
    pub fn bind(addr: &str) -> Result<Bound, Error> {
        let bind_error = |source| Error::Bind {
            addr: addr.to_owned(),
            source,
        };
        let listener = TcpListener::bind(addr).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        Ok(Bound { listener, addr })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        url_of(self.addr)
    }

    /// The socket address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PKI served.
    pub fn pki(&self) -> &TestPki {
        &self.shared.pki
    }

    /// The revocations currently reported (initially [`TestPki::revoked`]).
    pub fn revocations(&self) -> Vec<Revocation> {
        self.shared.revocations()
    }

    /// Revokes entity `name` at `time` with CRLReason `reason` from now on: later OCSP
    /// answers and CRLs report it. Revoking an entity again replaces its revocation.
    pub fn revoke(
        &self,
        name: &str,
        time: OffsetDateTime,
        reason: Option<u8>,
    ) -> Result<(), Error> {
        let entity = self
            .shared
            .pki
            .entity(name)
            .map_err(|_| Error::UnknownEntity(name.to_owned()))?;
        let issuer = entity
            .issuer
            .clone()
            .ok_or_else(|| Error::NotRevocable(name.to_owned()))?;
        if let Some(code) = reason.filter(|c| ocsp::crl_reason(*c).is_none()) {
            return Err(Error::InvalidReason(code));
        }
        let serial = entity
            .certificate()?
            .tbs_certificate
            .serial_number
            .as_bytes()
            .to_vec();
        let time = time.to_offset(UtcOffset::UTC);
        let revocation = Revocation {
            issuer,
            subject: name.to_owned(),
            serial,
            time: time.replace_nanosecond(0).unwrap_or(time),
            reason,
        };
        let mut list = self
            .shared
            .revoked
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        list.retain(|r| r.subject != name);
        list.push(revocation);
        Ok(())
    }

    /// Replaces the clock used for thisUpdate / producedAt (tests); default: real time.
    pub fn set_clock(&self, clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>) {
        *self
            .shared
            .clock
            .write()
            .unwrap_or_else(PoisonError::into_inner) = clock;
    }

    /// Number of requests answered per kind (to check that fetching happened).
    pub fn hits(&self) -> Hits {
        let h = &self.shared.hits;
        Hits {
            ocsp: h.ocsp.load(Ordering::SeqCst),
            crl: h.crl.load(Ordering::SeqCst),
            ca: h.ca.load(Ordering::SeqCst),
            other: h.other.load(Ordering::SeqCst),
        }
    }

    /// Stops accepting connections, finishes the requests in progress and joins the
    /// threads.
    pub fn shutdown(mut self) {
        self.server.stop();
    }
}

impl std::fmt::Debug for RevocationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationService")
            .field("addr", &self.addr)
            .field("hits", &self.hits())
            .finish_non_exhaustive()
    }
}

impl Bound {
    /// `http://127.0.0.1:PORT` — use [`Bound::config_urls`] to point a [`Config`] at it.
    pub fn base_url(&self) -> String {
        url_of(self.addr)
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sets `crl_base_url`, `ocsp_url` and `ca_issuers_base_url` of `config` to this
    /// service.
    pub fn config_urls(&self, config: &mut Config) {
        let base = self.base_url();
        config.crl_base_url = format!("{base}/crl/");
        config.ocsp_url = format!("{base}/ocsp");
        config.ca_issuers_base_url = format!("{base}/ca/");
    }

    /// Starts serving `pki` (a thread per connection) and returns the running service.
    pub fn start(self, pki: TestPki) -> Result<RevocationService, Error> {
        let shared = Arc::new(Shared {
            authorities: authority::authorities(&pki)?,
            revoked: Mutex::new(pki.revoked().to_vec()),
            pki,
            clock: RwLock::new(real_time()),
            hits: HitCounters::default(),
        });
        let handler: http::Handler = {
            let shared = Arc::clone(&shared);
            Arc::new(move |req: &http::Request| route::route(&shared, req))
        };
        let server = http::spawn(self.listener, handler).map_err(Error::Start)?;
        Ok(RevocationService {
            shared,
            addr: self.addr,
            server,
        })
    }
}
