//! [`Checker`]: the [`RevocationCheck`] implementation.
//!
//! Sources, in order, the first definite answer (good or revoked) winning:
//!
//! 1. supplied OCSP responses (full `OCSPResponse` or bare `BasicOCSPResponse`);
//! 2. supplied CRLs (parsed once when supplied);
//! 3. OCSP via the certificate's authorityInfoAccess: the cache directory's copy if
//!    current, else fetched (unless offline);
//! 4. CRLs from the certificate's http(s) cRLDistributionPoints: likewise.
//!
//! CRLs are processed as RFC 5280 §6.3.3 says: for each distribution point of the
//! certificate, the complete CRLs in scope (direct, or indirect CRLs of the distribution
//! point's cRLIssuer with certificateIssuer entries), each combined with the newest delta
//! CRL that applies to it, until one lists the certificate or the CRLs used cover every
//! revocation reason (reason-partitioned CRLs). Each CRL must verify with the issuer's key
//! or an authorized CRL signer's (see [`Checker::with_crl_signer_candidates`]);
//! each OCSP response must come from an authorized responder and carry the certificate's
//! CertID. Fetched CRLs are cached per URL and OCSP answers per (issuer key, serial) for
//! the lifetime of the `Checker`, failures included, so one slow server costs its timeout
//! once per run.
//!
//! With a cache directory ([`Checker::with_cache_dir`]) fetched CRLs and OCSP responses
//! are also kept on disk — only verified data: an OCSP response once it verifies, a CRL
//! once an answer rests on it — and read back before fetching (offline too) while they are
//! current for the time asked: a CRL whose nextUpdate is at or after it, an OCSP response
//! that verifies and whose nextUpdate is at or after it (responses without nextUpdate are
//! not reused). Cached data goes through every check fetched data goes through, except the
//! OCSP nonce: like a supplied response, a cached one is not checked against a nonce. The
//! sources of answers from the cache say `from cache <path>`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use time::OffsetDateTime;

use crate::LinkCache;
use crate::asn1;
use crate::crl::{Crl, CrlError};
use crate::fetch::{FetchConfig, Fetcher};
use crate::names;

mod answers;
mod crls;
mod ocsp_answers;
mod scope;
mod signer;
use crate::ocsp::{self, OcspResponse};
use crate::{DEFAULT_CLOCK_SKEW, RevocationCheck, RevocationStatus};
use ocsp_answers::{IssuerSerial, OcspAnswer};

/// The revocation data an answer was based on (to embed for long-term validation).
#[derive(Debug, Clone)]
pub enum Evidence {
    /// A CRL.
    Crl {
        /// The CRL (its encoding: [`Crl::der`]).
        crl: Arc<Crl>,
        /// Where it came from.
        source: String,
    },
    /// An OCSP response.
    Ocsp {
        /// The response (its encoding: [`OcspResponse::der`], [`OcspResponse::basic_der`]).
        response: Arc<OcspResponse>,
        /// Where it came from.
        source: String,
        /// The delegated responder's certificate, when not the CA itself.
        responder_cert: Option<Vec<u8>>,
    },
}

/// A status with the data behind it.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The status.
    pub status: RevocationStatus,
    /// The CRL or OCSP response that gave a Good/Revoked answer.
    pub evidence: Option<Evidence>,
    /// Further CRLs the answer rests on: the delta CRL combined with the complete CRL,
    /// CRLs for the other revocation reasons of a partitioned CRL (RFC 5280 §6.3.3).
    pub more_evidence: Vec<Evidence>,
    /// Remarks: sources tried before the one that answered, responder caveats.
    pub notes: Vec<String>,
}

impl CheckReport {
    fn unknown(reason: String) -> Self {
        Self {
            status: RevocationStatus::Unknown { reason },
            evidence: None,
            more_evidence: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// How deep CRL-signer certificates are themselves checked for revocation (a CRL signer's
/// CRL signed by yet another key …) before giving up.
const MAX_CRL_SIGNER_DEPTH: usize = 3;

/// Decides whether a certificate other than the certificate's issuer may sign CRLs for it
/// (RFC 5280 §6.3.3 (f): the CRL issuer's certification path must be validated, ending at
/// the same trust anchor as the certificate's): a separate CRL-signing key, or the issuer of
/// an indirect CRL.
///
/// Implemented, e.g., by a path validator: return true only if `signer_cert` has a valid
/// certification path (revocation included) at `at` to the trust anchor of the path being
/// validated. The [`Checker`] has already checked that the signer's subject is the CRL
/// issuer, that its keyUsage asserts cRLSign and that the CRL signature verifies with its
/// key.
pub trait CrlSignerValidator: Send + Sync {
    /// Whether `signer_cert` (DER) is a validated CRL signer at `at`.
    fn validate_crl_signer(&self, signer_cert: &[u8], at: OffsetDateTime) -> bool;

    /// As [`CrlSignerValidator::validate_crl_signer`] for a certificate whose path ends at
    /// `anchor` (DER, when known): the signer's path must end there too; `revocation` is
    /// the checker asking, to check the revocation of the signer's path with (so the
    /// validator need not hold it); `budget` is the enclosing validation's, to spend from
    /// and to nest in ([`crate::Budget`]). Says why not. The default ignores `anchor`,
    /// `revocation` and `budget`.
    fn validate_crl_signer_on_path(
        &self,
        signer_cert: &[u8],
        anchor: Option<&[u8]>,
        at: OffsetDateTime,
        revocation: &dyn RevocationCheck,
        budget: &mut crate::Budget,
    ) -> Result<(), String> {
        let _ = (anchor, revocation, budget);
        if self.validate_crl_signer(signer_cert, at) {
            Ok(())
        } else {
            Err("rejected by the CRL signer validator".into())
        }
    }
}

/// Where a check stands: the trust anchor of the path, how deep in CRL-signer checks, the
/// CRL signers being authorized further up (a CRL may cover its own signer), and the
/// enclosing path validation's budget, if any.
#[derive(Clone, Copy, Default)]
pub(crate) struct Ctx<'a> {
    anchor: Option<&'a [u8]>,
    depth: usize,
    signer: Option<&'a [u8]>,
    up: Option<&'a Ctx<'a>>,
    budget: Option<&'a std::cell::RefCell<crate::Budget>>,
}

impl<'a> Ctx<'a> {
    /// Whether `signer` is being authorized further up.
    fn authorizing(&self, signer: &[u8]) -> bool {
        self.signer == Some(signer) || self.up.is_some_and(|u| u.authorizing(signer))
    }

    /// The context for checking `signer`'s own status.
    fn for_signer(&'a self, signer: &'a [u8]) -> Ctx<'a> {
        Ctx {
            anchor: self.anchor,
            depth: self.depth + 1,
            signer: Some(signer),
            up: Some(self),
            budget: self.budget,
        }
    }
}

/// One source of answers: records what it tried, returns a definite answer if it has one.
type Source<'a> = &'a dyn Fn(&mut Vec<String>) -> Option<CheckReport>;

/// A CRL signature check: the key's SPKI, whether as a separate CRL signer, the answer.
type CrlSignatureAnswer = (Vec<u8>, bool, Result<(), CrlError>);

#[derive(Default)]
struct Cache {
    crls: HashMap<String, crls::HeldCrl>,
    /// CRL signature answers by the CRL's address: the CRL (held so the address stays
    /// its own) and per (issuer SPKI, checked as a separate CRL signer) the answer.
    crl_signatures: HashMap<usize, (Arc<Crl>, Vec<CrlSignatureAnswer>)>,
    ocsp: HashMap<IssuerSerial, Arc<OcspAnswer>>,
    ocsp_failures: HashMap<(String, Vec<u8>, Vec<u8>), String>,
}

/// Revocation checker over supplied and fetched CRLs and OCSP responses.
///
/// ```no_run
/// use std::time::Duration;
/// use kenpo_revocation::{Checker, RevocationCheck};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let (cert, issuer) = (Vec::new(), Vec::new());
/// let checker = Checker::new()
///     .with_crls(vec![std::fs::read("ca.crl")?])
///     .with_ocsp_responses(vec![std::fs::read("signer.ocsp")?])
///     .offline(false)
///     .with_timeout(Duration::from_secs(10));
/// let status = checker.status_at(&cert, &issuer, time::OffsetDateTime::now_utc());
/// # Ok(()) }
/// ```
pub struct Checker {
    supplied_crls: Vec<Result<Arc<Crl>, CrlError>>,
    /// The readable supplied CRLs named for reports, and notes on the unreadable ones
    /// (built once, as CRLs are added).
    supplied_named: (Vec<crls::Sourced>, Vec<String>),
    /// The time-independent part of CRL processing over `supplied_named`, per certificate.
    supplied_scopes: scope::ScopeMemo,
    /// Answers the supplied CRLs gave, remembered (see [`answers`]).
    answers: answers::AnswerMemo,
    supplied_ocsp: Vec<Result<Arc<OcspResponse>, ocsp::OcspError>>,
    responder_certs: Vec<Vec<u8>>,
    crl_signer_candidates: Vec<Vec<u8>>,
    trust_anchors: Vec<Vec<u8>>,
    crl_signer_validator: Option<Arc<dyn CrlSignerValidator>>,
    fetch_config: FetchConfig,
    fetcher: Fetcher,
    skew: time::Duration,
    ocsp_nonce: bool,
    ocsp_hash: DigestAlgorithm,
    cache: Mutex<Cache>,
    /// Certificate→issuer links whose signature verified (path validation has usually
    /// checked them already, and a batch asks about the same CA certificates every file).
    links: Arc<LinkCache>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("supplied_crls", &self.supplied_crls.len())
            .field("supplied_ocsp", &self.supplied_ocsp.len())
            .field("crl_signer_candidates", &self.crl_signer_candidates.len())
            .field("trust_anchors", &self.trust_anchors.len())
            .field("crl_signer_validator", &self.crl_signer_validator.is_some())
            .field("fetch", &self.fetch_config)
            .field("skew", &self.skew)
            .field("ocsp_nonce", &self.ocsp_nonce)
            .field("ocsp_hash", &self.ocsp_hash)
            .finish()
    }
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

fn to_time_duration(d: std::time::Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

impl Checker {
    /// A checker with no supplied data, online, default limits ([`FetchConfig`]), SHA-1
    /// CertIDs with a nonce, 5 minutes of clock skew.
    pub fn new() -> Self {
        let fetch_config = FetchConfig::default();
        Self {
            supplied_crls: Vec::new(),
            supplied_named: (Vec::new(), Vec::new()),
            supplied_scopes: scope::ScopeMemo::default(),
            answers: answers::AnswerMemo::default(),
            supplied_ocsp: Vec::new(),
            responder_certs: Vec::new(),
            crl_signer_candidates: Vec::new(),
            trust_anchors: Vec::new(),
            crl_signer_validator: None,
            fetcher: Fetcher::new(fetch_config.clone()),
            fetch_config,
            skew: DEFAULT_CLOCK_SKEW,
            ocsp_nonce: true,
            ocsp_hash: DigestAlgorithm::Sha1,
            cache: Mutex::new(Cache::default()),
            links: Arc::new(LinkCache::new()),
        }
    }

    /// Shares `links` (verified certificate signatures) with the path validators of the
    /// run, so a link verified by one is not verified again by the other.
    pub fn with_link_cache(mut self, links: Arc<LinkCache>) -> Self {
        self.links = links;
        self
    }

    /// Adds CRLs (DER or PEM each); each is parsed once, here. Unreadable ones are reported
    /// in the reasons of [`RevocationStatus::Unknown`] answers.
    pub fn with_crls(self, crls: Vec<Vec<u8>>) -> Self {
        self.add_crls(crls.into_iter().map(|c| {
            if c.first() == Some(&0x30) {
                Crl::from_der(c)
            } else {
                Crl::from_pem_or_der(&c)
            }
            .map(Arc::new)
        }))
    }

    /// Adds already parsed CRLs (shared, e.g. between checkers).
    pub fn with_parsed_crls(self, crls: Vec<Arc<Crl>>) -> Self {
        self.add_crls(crls.into_iter().map(Ok))
    }

    fn add_crls(mut self, crls: impl Iterator<Item = Result<Arc<Crl>, CrlError>>) -> Self {
        let mut crls = crls.peekable();
        if crls.peek().is_none() {
            return self;
        }
        self.supplied_crls.extend(crls);
        self.supplied_named = crls::named(&self.supplied_crls);
        self.supplied_scopes = scope::ScopeMemo::default();
        self.answers = answers::AnswerMemo::default();
        self
    }

    /// Adds pre-fetched OCSP responses (DER `OCSPResponse` or `BasicOCSPResponse`).
    pub fn with_ocsp_responses(mut self, responses: Vec<Vec<u8>>) -> Self {
        self.supplied_ocsp.extend(
            responses
                .into_iter()
                .map(|r| OcspResponse::from_der(r).map(Arc::new)),
        );
        self
    }

    /// Adds certificates (DER) in which to look for delegated OCSP responders whose
    /// responses do not carry their certificate.
    pub fn with_responder_certs(mut self, certs: Vec<Vec<u8>>) -> Self {
        self.responder_certs.extend(certs);
        self
    }

    /// Adds certificates (DER) that may have signed CRLs in place of the certificate's
    /// issuer certificate: a separate CRL-signing key, the other key of a self-issued key
    /// rollover, the issuer of an indirect CRL (RFC 5280 §6.3.3 (f)).
    ///
    /// A candidate is used only if its subject is the CRL issuer, it is a CA with cRLSign,
    /// the CRL verifies with its key, and it is authorized:
    ///
    /// * with a [`CrlSignerValidator`] ([`Checker::with_crl_signer_validator`]): if the
    ///   validator accepts it;
    /// * without: if it is valid at the time asked and either its key signed the issuer
    ///   certificate (a self-issued rollover certificate: the key is on the validated path),
    ///   or it was signed by the issuer's key or by one of the trust anchors given to
    ///   [`Checker::with_trust_anchors`] and its own revocation status is good (checked
    ///   with this checker).
    pub fn with_crl_signer_candidates(mut self, certs: Vec<Vec<u8>>) -> Self {
        self.crl_signer_candidates.extend(certs);
        self
    }

    /// Adds trust anchor certificates (DER) whose direct subordinates may sign CRLs (see
    /// [`Checker::with_crl_signer_candidates`]). Use the anchors of the path validation.
    pub fn with_trust_anchors(mut self, anchors: Vec<Vec<u8>>) -> Self {
        self.trust_anchors.extend(anchors);
        self
    }

    /// Decides which CRL-signer candidates are authorized (replacing the built-in rules of
    /// [`Checker::with_crl_signer_candidates`]); e.g. kenpo-verify's path validator, which
    /// validates the signer's full certification path with this checker.
    pub fn with_crl_signer_validator(mut self, validator: Arc<dyn CrlSignerValidator>) -> Self {
        self.crl_signer_validator = Some(validator);
        self
    }

    /// Forbids (true) or allows (false) every network fetch.
    pub fn offline(self, offline: bool) -> Self {
        self.with_fetch(|c| c.offline = offline)
    }

    /// Total time for one fetch (the connect timeout is capped by it).
    pub fn with_timeout(self, timeout: std::time::Duration) -> Self {
        self.with_fetch(|c| {
            c.timeout = timeout;
            c.connect_timeout = c.connect_timeout.min(timeout);
        })
    }

    /// Largest CRL accepted from the network, in bytes.
    pub fn with_max_crl_bytes(self, limit: u64) -> Self {
        self.with_fetch(|c| c.max_crl_bytes = limit)
    }

    /// Largest OCSP response accepted from the network, in bytes.
    pub fn with_max_ocsp_bytes(self, limit: u64) -> Self {
        self.with_fetch(|c| c.max_ocsp_bytes = limit)
    }

    /// Whether to use the environment's HTTP proxies (default true).
    pub fn with_system_proxy(self, on: bool) -> Self {
        self.with_fetch(|c| c.use_system_proxy = on)
    }

    /// Keeps fetched CRLs and OCSP responses in `dir` (created when missing) between runs,
    /// and uses them while current for the time asked, before fetching and when offline
    /// (see the module documentation and [`FetchConfig::cache_dir`]). Corrupt,
    /// unreadable or oversized files are ignored; a failure to write is a note in the
    /// report, not an error.
    pub fn with_cache_dir(self, dir: std::path::PathBuf) -> Self {
        self.with_fetch(|c| c.cache_dir = Some(dir))
    }

    /// Fetches only from these hosts and ports when the list is not empty (see
    /// [`FetchConfig::allow`] and the network policy of [`crate::fetch`]).
    pub fn with_fetch_allow(self, allow: Vec<crate::fetch::AllowedOrigin>) -> Self {
        self.with_fetch(|c| c.allow = allow)
    }

    fn with_fetch(self, change: impl FnOnce(&mut FetchConfig)) -> Self {
        let mut c = self.fetch_config.clone();
        change(&mut c);
        self.with_fetch_config(c)
    }

    /// Replaces all HTTP settings (the offline flag included).
    pub fn with_fetch_config(mut self, config: FetchConfig) -> Self {
        self.fetcher = Fetcher::new(config.clone());
        self.fetch_config = config;
        self
    }

    /// Clock skew tolerated when comparing other parties' times (default 5 minutes).
    pub fn with_clock_skew(mut self, skew: std::time::Duration) -> Self {
        self.skew = to_time_duration(skew);
        self
    }

    /// Whether OCSP requests carry a nonce (default true).
    pub fn with_ocsp_nonce(mut self, on: bool) -> Self {
        self.ocsp_nonce = on;
        self
    }

    /// Hash of the CertID in OCSP requests (default SHA-1, what responders expect).
    pub fn with_ocsp_hash(mut self, hash: DigestAlgorithm) -> Self {
        self.ocsp_hash = hash;
        self
    }

    /// The HTTP settings in use.
    pub fn fetch_config(&self) -> &FetchConfig {
        &self.fetch_config
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The status of `cert` (DER) issued by `issuer` (DER) at `at`, with the evidence.
    pub fn check(&self, cert: &[u8], issuer: &[u8], at: OffsetDateTime) -> CheckReport {
        self.check_ctx(cert, issuer, at, &Ctx::default())
    }

    /// As [`Checker::check`] for a certificate on a path ending at `anchor` (DER): a CRL
    /// signed by another key than the issuer's is accepted only if its signer chains to
    /// that anchor.
    pub fn check_on_path(
        &self,
        cert: &[u8],
        issuer: &[u8],
        anchor: &[u8],
        at: OffsetDateTime,
    ) -> CheckReport {
        let ctx = Ctx {
            anchor: Some(anchor),
            ..Ctx::default()
        };
        self.check_ctx(cert, issuer, at, &ctx)
    }

    fn check_ctx(
        &self,
        cert: &[u8],
        issuer: &[u8],
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
    ) -> CheckReport {
        let cert = match CertRef::parse(cert) {
            Ok(c) => c,
            Err(e) => return CheckReport::unknown(format!("certificate unreadable: {e}")),
        };
        let issuer = match CertRef::parse(issuer) {
            Ok(c) => c,
            Err(e) => return CheckReport::unknown(format!("issuer certificate unreadable: {e}")),
        };
        self.check_parsed(&cert, &issuer, at, ctx)
    }

    /// A remembered answer for `cert` at `at` (see [`answers`]); never while supplied OCSP
    /// responses, which are tried first, exist.
    fn remembered(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
    ) -> Option<answers::Remembered> {
        if !self.supplied_ocsp.is_empty() {
            return None;
        }
        self.answers.get(cert, issuer, at, self.skew)
    }

    /// The status alone of [`Checker::check_parsed`].
    fn status_parsed(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
    ) -> RevocationStatus {
        match self.remembered(cert, issuer, at) {
            Some(r) => r.report().status.clone(),
            None => self.check_parsed(cert, issuer, at, ctx).status,
        }
    }

    fn check_parsed(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        ctx: &Ctx<'_>,
    ) -> CheckReport {
        if let Some(r) = self.remembered(cert, issuer, at) {
            return r.report().clone();
        }
        if !names::names_equal(cert.issuer, issuer.subject) {
            return CheckReport::unknown(format!(
                "the issuer certificate's subject \"{}\" is not the certificate's issuer \"{}\"",
                kenpo_core::asn1::name::name_string(issuer.subject),
                kenpo_core::asn1::name::name_string(cert.issuer)
            ));
        }
        if !self.links.contains(cert.raw, issuer.spki) {
            if asn1::cert_signed_by(cert, issuer).is_err() {
                return CheckReport::unknown(
                    "the certificate's signature does not verify with the issuer's key".into(),
                );
            }
            self.links.insert(cert.raw, issuer.spki);
        }
        let mut tried = Vec::new();
        let sources: [Source<'_>; 4] = [
            &|t| self.try_supplied_ocsp(cert, issuer, at, t),
            &|t| self.try_supplied_crls(cert, issuer, at, ctx, t),
            &|t| self.try_aia_ocsp(cert, issuer, at, t),
            &|t| self.try_crl_dps(cert, issuer, at, ctx, t),
        ];
        for source in sources {
            if let Some(mut report) = source(&mut tried) {
                tried.append(&mut report.notes);
                report.notes = tried;
                return report;
            }
        }
        if self.fetch_config.offline {
            tried.push("offline: OCSP and CRL downloads disabled".into());
        }
        if tried.is_empty() {
            tried.push("no revocation data supplied or referenced".into());
        }
        CheckReport::unknown(tried.join("; "))
    }
}

impl RevocationCheck for Checker {
    fn status_at(&self, cert: &[u8], issuer: &[u8], at: OffsetDateTime) -> RevocationStatus {
        self.check(cert, issuer, at).status
    }

    fn status_on_path(
        &self,
        cert: &[u8],
        issuer: &[u8],
        anchor: &[u8],
        at: OffsetDateTime,
    ) -> RevocationStatus {
        self.check_on_path(cert, issuer, anchor, at).status
    }

    fn status_at_parsed(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
    ) -> RevocationStatus {
        self.status_parsed(cert, issuer, at, &Ctx::default())
    }

    fn status_on_path_parsed(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        anchor: &[u8],
        at: OffsetDateTime,
        budget: &mut crate::Budget,
    ) -> RevocationStatus {
        let cell = std::cell::RefCell::new(std::mem::take(budget));
        let ctx = Ctx {
            anchor: Some(anchor),
            budget: Some(&cell),
            ..Ctx::default()
        };
        let status = self.status_parsed(cert, issuer, at, &ctx);
        *budget = cell.into_inner();
        status
    }
}
