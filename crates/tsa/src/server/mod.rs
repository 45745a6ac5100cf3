//! An RFC 3161 time-stamping authority: token issuance ([`Tsa::respond`]), serial numbers
//! that stay unique and increasing across restarts ([`serial`]), a JSON-lines audit log
//! ([`audit`]) and an HTTP front ([`http`]) that limits what hostile clients can hold.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use kenpo_tsa::server::{Tsa, TsaConfig, http};
//!
//! let policy = "1.2.392.200081.1.1".parse()?;
//! let config = TsaConfig::from_files(
//!     "tsa.pem".as_ref(), "tsa.key.pem".as_ref(), &[], policy,
//!     kenpo_core::crypto::default_backend(),
//! )?;
//! let tsa = Arc::new(Tsa::open(config, "state".as_ref())?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3180").await?;
//! http::serve(listener, tsa, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! The fixed parts of every token (the ESSCertIDv2 and content-type attributes, the
//! signature algorithm, the certificate's validity) are prepared once, when the [`Tsa`] is
//! built; per token there is one RSA/ECDSA signature and a few small encodings (the
//! `benches/server.rs` benchmark measures a token within a few per cent of a bare signature).

pub mod audit;
mod conn;
pub mod http;
pub mod issue;
pub mod serial;

pub use audit::{AuditError, AuditLog};
pub use issue::{Issued, Outcome};
pub use serial::{SerialError, SerialStore};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::{CertError, CertRef, certificates_from_pem_or_der, pkcs8_from_pem_or_der};
use kenpo_core::cms::{CmsError, attribute};
use kenpo_core::crypto::{CryptoBackend, CryptoError, SigningKey};
use kenpo_core::ess::{EssError, SigningCertificateV2};
use kenpo_core::oid;
use time::OffsetDateTime;

use crate::token::{TokenError, check_tsa_eku};

/// Name of the audit log inside a state directory (see [`Tsa::open`]).
pub const AUDIT_FILE: &str = "audit.jsonl";

/// Why a TSA could not be set up. Each variant names one cause.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A certificate or key file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A certificate could not be decoded.
    #[error("certificate {what}: {source}")]
    Certificate {
        /// Which certificate (a path or "TSA certificate").
        what: String,
        /// The decoding error.
        #[source]
        source: CertError,
    },
    /// The private key could not be decoded or loaded.
    #[error("private key {what}: {detail}")]
    Key {
        /// Which key (a path or "TSA key").
        what: String,
        /// The problem.
        detail: String,
    },
    /// The private key does not belong to the TSA certificate.
    #[error("the private key does not match the TSA certificate's public key")]
    KeyMismatch,
    /// The TSA certificate is not fit for time-stamping (RFC 3161 §2.3).
    #[error("TSA certificate: {0}")]
    NotTsaCertificate(#[source] TokenError),
    /// The TSA certificate is not valid now.
    #[error("TSA certificate is not valid now ({now}); validity {not_before} … {not_after}")]
    CertificateNotValid {
        /// The current time.
        now: String,
        /// notBefore.
        not_before: String,
        /// notAfter.
        not_after: String,
    },
    /// The signature algorithm does not fit the key or is not acceptable.
    #[error("signature algorithm {0}")]
    Algorithm(String),
    /// A fixed part of the token could not be encoded.
    #[error("cannot prepare token attributes: {0}")]
    Prepare(String),
    /// The serial number store failed.
    #[error(transparent)]
    Serial(#[from] SerialError),
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl From<CmsError> for ServerError {
    fn from(e: CmsError) -> Self {
        Self::Prepare(e.to_string())
    }
}

impl From<EssError> for ServerError {
    fn from(e: EssError) -> Self {
        Self::Prepare(e.to_string())
    }
}

/// What the TSA signs with and what it puts into tokens.
#[derive(Clone)]
#[non_exhaustive]
pub struct TsaConfig {
    /// The TSA certificate (DER), with a critical id-kp-timeStamping-only EKU.
    pub cert_der: Vec<u8>,
    /// Further certificates (DER, intermediates first) sent when a request sets certReq
    /// and [`include_chain`](Self::include_chain) is on.
    pub chain: Vec<Vec<u8>>,
    /// The TSA's private key.
    pub key: Arc<dyn SigningKey>,
    /// Signature algorithm; `None` means the key's default (RSA: PKCS#1 v1.5 SHA-256,
    /// P-256: ECDSA SHA-256, P-384: ECDSA SHA-384).
    pub signature_algorithm: Option<SignatureAlgorithm>,
    /// The TSA policy put into tokens when the request names none.
    pub policy: Oid,
    /// Further policies a request may ask for (besides [`policy`](Self::policy)).
    pub accepted_policies: Vec<Oid>,
    /// The accuracy claimed for genTime (`None`: no accuracy field).
    pub accuracy: Option<Duration>,
    /// Fractional-second digits of genTime (0–6); [`with_accuracy`](Self::with_accuracy)
    /// picks 3 for sub-second accuracy and 0 otherwise.
    pub frac_digits: u8,
    /// Whether `chain` accompanies the TSA certificate when certReq is set.
    pub include_chain: bool,
}

impl std::fmt::Debug for TsaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsaConfig")
            .field("cert_der", &format_args!("{} bytes", self.cert_der.len()))
            .field("chain", &self.chain.len())
            .field("key", &self.key.kind())
            .field("signature_algorithm", &self.signature_algorithm)
            .field("policy", &self.policy)
            .field("accepted_policies", &self.accepted_policies)
            .field("accuracy", &self.accuracy)
            .field("frac_digits", &self.frac_digits)
            .field("include_chain", &self.include_chain)
            .finish()
    }
}

impl TsaConfig {
    /// The default accuracy: one second.
    pub const DEFAULT_ACCURACY: Duration = Duration::from_secs(1);

    /// A configuration with the key's default algorithm, no extra policies, an accuracy of
    /// one second (genTime in whole seconds) and no chain.
    pub fn new(cert_der: Vec<u8>, key: Arc<dyn SigningKey>, policy: Oid) -> Self {
        Self {
            cert_der,
            chain: Vec::new(),
            key,
            signature_algorithm: None,
            policy,
            accepted_policies: Vec::new(),
            accuracy: Some(Self::DEFAULT_ACCURACY),
            frac_digits: 0,
            include_chain: true,
        }
    }

    /// Sets the accuracy and the matching genTime precision: milliseconds when the
    /// accuracy is below one second, whole seconds otherwise.
    pub fn with_accuracy(mut self, accuracy: Option<Duration>) -> Self {
        self.accuracy = accuracy;
        self.frac_digits = match accuracy {
            Some(a) if a < Duration::from_secs(1) => 3,
            _ => 0,
        };
        self
    }

    /// Loads the TSA certificate, key and chain from DER or PEM files.
    ///
    /// Further certificates in the certificate file are appended to the chain, before those
    /// of `chain`. The key is a PKCS#8 private key loaded with `backend`.
    pub fn from_files(
        cert: &Path,
        key: &Path,
        chain: &[PathBuf],
        policy: Oid,
        backend: &dyn CryptoBackend,
    ) -> Result<Self, ServerError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| ServerError::Read {
                path: p.to_path_buf(),
                source,
            })
        };
        let certs = |p: &Path| {
            certificates_from_pem_or_der(&read(p)?).map_err(|source| ServerError::Certificate {
                what: p.display().to_string(),
                source,
            })
        };
        let mut all = certs(cert)?.into_iter();
        let cert_der = all.next().ok_or_else(|| ServerError::Certificate {
            what: cert.display().to_string(),
            source: CertError::Empty("certificate"),
        })?;
        let mut extra: Vec<Vec<u8>> = all.collect();
        for c in chain {
            extra.extend(certs(c)?);
        }
        let key_what = key.display().to_string();
        let pkcs8 = pkcs8_from_pem_or_der(&read(key)?).map_err(|e| ServerError::Key {
            what: key_what.clone(),
            detail: e.to_string(),
        })?;
        let key = backend
            .load_pkcs8(&pkcs8)
            .map_err(|e: CryptoError| ServerError::Key {
                what: key_what,
                detail: e.to_string(),
            })?;
        let mut config = Self::new(cert_der, key, policy);
        config.chain = extra;
        Ok(config)
    }
}

/// The parts of every token fixed by the configuration, computed once.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) alg: SignatureAlgorithm,
    pub(crate) digest_alg: DigestAlgorithm,
    /// content-type = id-ct-TSTInfo.
    pub(crate) content_type_attr: Vec<u8>,
    /// signing-certificate-v2 naming the TSA certificate.
    pub(crate) signing_cert_attr: Vec<u8>,
    pub(crate) subject: String,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
}

/// A time-stamping authority: configuration, serial numbers and optional audit log.
///
/// `Tsa` is `Send + Sync`; share it with an [`Arc`] between request handlers.
#[derive(Debug)]
pub struct Tsa {
    pub(crate) config: TsaConfig,
    pub(crate) prepared: Prepared,
    pub(crate) serials: SerialStore,
    pub(crate) audit: Option<AuditLog>,
    pub(crate) issued: AtomicU64,
}

fn same_public_key(a: &[u8], b: &[u8]) -> bool {
    match (
        spki::SubjectPublicKeyInfoRef::from_der(a),
        spki::SubjectPublicKeyInfoRef::from_der(b),
    ) {
        (Ok(a), Ok(b)) => a.subject_public_key == b.subject_public_key,
        _ => false,
    }
}

impl Tsa {
    /// Checks the configuration (key matches the certificate, critical timeStamping-only
    /// EKU, certificate valid now, algorithm fits the key) and prepares the fixed parts of
    /// the token.
    pub fn new(
        config: TsaConfig,
        serials: SerialStore,
        audit: Option<AuditLog>,
    ) -> Result<Self, ServerError> {
        let cert = CertRef::parse(&config.cert_der).map_err(|source| ServerError::Certificate {
            what: "TSA certificate".into(),
            source,
        })?;
        if !same_public_key(config.key.public_key_spki(), cert.spki) {
            return Err(ServerError::KeyMismatch);
        }
        check_tsa_eku(&cert).map_err(ServerError::NotTsaCertificate)?;
        let now = OffsetDateTime::now_utc();
        if !cert.valid_at(now) {
            let f = kenpo_core::timefmt::rfc3339;
            return Err(ServerError::CertificateNotValid {
                now: f(now),
                not_before: f(cert.not_before()),
                not_after: f(cert.not_after()),
            });
        }
        for (i, c) in config.chain.iter().enumerate() {
            CertRef::parse(c).map_err(|source| ServerError::Certificate {
                what: format!("chain certificate {}", i + 1),
                source,
            })?;
        }
        let alg = config
            .signature_algorithm
            .unwrap_or_else(|| config.key.default_algorithm());
        if !config.key.kind().fits(&alg) {
            return Err(ServerError::Algorithm(format!(
                "{} does not fit a {} key",
                alg.name(),
                config.key.kind().name()
            )));
        }
        if alg.digest() == DigestAlgorithm::Sha1 {
            return Err(ServerError::Algorithm(format!("{} uses SHA-1", alg.name())));
        }
        if config.frac_digits > 6 {
            return Err(ServerError::Prepare(format!(
                "{} fractional digits (at most 6)",
                config.frac_digits
            )));
        }
        let ess = SigningCertificateV2::for_cert(&cert, DigestAlgorithm::Sha256)?.to_der_bytes()?;
        let prepared = Prepared {
            alg,
            digest_alg: alg.digest(),
            content_type_attr: attribute(
                oid::ATTR_CONTENT_TYPE,
                &[&crate::asn1::oid(oid::ID_CT_TST_INFO)],
            )?,
            signing_cert_attr: attribute(oid::ATTR_SIGNING_CERTIFICATE_V2, &[&ess])?,
            subject: cert.subject_string(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
        };
        Ok(Self {
            config,
            prepared,
            serials,
            audit,
            issued: AtomicU64::new(0),
        })
    }

    /// A TSA keeping its state in `state_dir` (created if missing): serial numbers
    /// ([`SerialStore::open`]) and the audit log [`AUDIT_FILE`].
    pub fn open(config: TsaConfig, state_dir: &Path) -> Result<Self, ServerError> {
        let serials = SerialStore::open(state_dir)?;
        let audit = AuditLog::open(&state_dir.join(AUDIT_FILE))?;
        Self::new(config, serials, Some(audit))
    }

    /// The configuration.
    pub fn config(&self) -> &TsaConfig {
        &self.config
    }

    /// The signature algorithm of the tokens.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.prepared.alg
    }

    /// Subject of the TSA certificate (RFC 4514).
    pub fn subject(&self) -> &str {
        &self.prepared.subject
    }

    /// notAfter of the TSA certificate.
    pub fn not_after(&self) -> OffsetDateTime {
        self.prepared.not_after
    }

    /// Number of tokens granted since this `Tsa` was built.
    pub fn issued(&self) -> u64 {
        self.issued.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The serial number store.
    pub fn serials(&self) -> &SerialStore {
        &self.serials
    }

    /// The audit log, if any.
    pub fn audit_log(&self) -> Option<&AuditLog> {
        self.audit.as_ref()
    }
}
