//! [`Checker`]: the [`RevocationCheck`] implementation.
//!
//! Sources, in order, the first definite answer (good or revoked) winning:
//!
//! 1. supplied OCSP responses (full `OCSPResponse` or bare `BasicOCSPResponse`);
//! 2. supplied CRLs (parsed once when supplied);
//! 3. OCSP via the certificate's authorityInfoAccess (unless offline);
//! 4. CRLs from the certificate's http(s) cRLDistributionPoints (unless offline).
//!
//! Each CRL must verify with the issuer's key and cover the certificate (RFC 5280 §6.3.3);
//! each OCSP response must come from an authorized responder and carry the certificate's
//! CertID. Fetched CRLs are cached per URL and OCSP answers per (issuer key, serial) for
//! the lifetime of the `Checker`, failures included, so one slow server costs its timeout
//! once per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::timefmt::rfc3339;
use time::OffsetDateTime;

use crate::asn1;
use crate::crl::{Crl, CrlError};
use crate::fetch::{FetchConfig, Fetcher};
use crate::names::{self, GeneralName};
use crate::ocsp::{self, OcspRequest, OcspResponse, Responder, VerifiedOcsp, VerifyOptions};
use crate::{DEFAULT_CLOCK_SKEW, Finding, RevocationCheck, RevocationStatus};

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
    /// Remarks: sources tried before the one that answered, responder caveats.
    pub notes: Vec<String>,
}

impl CheckReport {
    fn unknown(reason: String) -> Self {
        Self {
            status: RevocationStatus::Unknown { reason },
            evidence: None,
            notes: Vec::new(),
        }
    }
}

struct OcspAnswer {
    response: Arc<OcspResponse>,
    verified: VerifiedOcsp,
    source: String,
}

type IssuerSerial = (Vec<u8>, Vec<u8>);

/// How deep CRL-signer certificates are themselves checked for revocation (a CRL signer's
/// CRL signed by yet another key …) before giving up.
const MAX_CRL_SIGNER_DEPTH: usize = 3;

/// Decides whether a certificate other than the certificate's issuer may sign CRLs for it
/// (RFC 5280 §6.3.3 (f): the CRL issuer's certification path must be validated, ending at
/// the same trust anchor as the certificate's).
///
/// Implemented, e.g., by a path validator: return true only if `signer_cert` has a valid
/// certification path (revocation included) at `at` to the trust anchor of the path being
/// validated. The [`Checker`] has already checked that the signer's subject is the CRL
/// issuer, that it is a CA with cRLSign and that the CRL signature verifies with its key.
pub trait CrlSignerValidator: Send + Sync {
    /// Whether `signer_cert` (DER) is a validated CRL signer at `at`.
    fn validate_crl_signer(&self, signer_cert: &[u8], at: OffsetDateTime) -> bool;
}

/// One source of answers: records what it tried, returns a definite answer if it has one.
type Source<'a> = &'a dyn Fn(&mut Vec<String>) -> Option<CheckReport>;

#[derive(Default)]
struct Cache {
    crls: HashMap<String, Result<Arc<Crl>, String>>,
    crl_signatures: HashMap<(usize, Vec<u8>, bool), Result<(), CrlError>>,
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
        }
    }

    /// Adds CRLs (DER or PEM each); each is parsed once, here. Unreadable ones are reported
    /// in the reasons of [`RevocationStatus::Unknown`] answers.
    pub fn with_crls(mut self, crls: Vec<Vec<u8>>) -> Self {
        self.supplied_crls.extend(crls.into_iter().map(|c| {
            if c.first() == Some(&0x30) {
                Crl::from_der(c)
            } else {
                Crl::from_pem_or_der(&c)
            }
            .map(Arc::new)
        }));
        self
    }

    /// Adds already parsed CRLs (shared, e.g. between checkers).
    pub fn with_parsed_crls(mut self, crls: Vec<Arc<Crl>>) -> Self {
        self.supplied_crls.extend(crls.into_iter().map(Ok));
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
    /// issuer certificate: a separate CRL-signing key, or the other key of a self-issued key
    /// rollover (RFC 5280 §6.3.3 (f)).
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
    /// [`Checker::with_crl_signer_candidates`]).
    pub fn with_crl_signer_validator(mut self, validator: Arc<dyn CrlSignerValidator>) -> Self {
        self.crl_signer_validator = Some(validator);
        self
    }

    /// Forbids (true) or allows (false) every network fetch.
    pub fn offline(self, offline: bool) -> Self {
        let mut c = self.fetch_config.clone();
        c.offline = offline;
        self.with_fetch_config(c)
    }

    /// Total time for one fetch (the connect timeout is capped by it).
    pub fn with_timeout(self, timeout: std::time::Duration) -> Self {
        let mut c = self.fetch_config.clone();
        c.timeout = timeout;
        c.connect_timeout = c.connect_timeout.min(timeout);
        self.with_fetch_config(c)
    }

    /// Largest CRL accepted from the network, in bytes.
    pub fn with_max_crl_bytes(self, limit: u64) -> Self {
        let mut c = self.fetch_config.clone();
        c.max_crl_bytes = limit;
        self.with_fetch_config(c)
    }

    /// Largest OCSP response accepted from the network, in bytes.
    pub fn with_max_ocsp_bytes(self, limit: u64) -> Self {
        let mut c = self.fetch_config.clone();
        c.max_ocsp_bytes = limit;
        self.with_fetch_config(c)
    }

    /// Whether to use the environment's HTTP proxies (default true).
    pub fn with_system_proxy(self, on: bool) -> Self {
        let mut c = self.fetch_config.clone();
        c.use_system_proxy = on;
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
        self.check_depth(cert, issuer, at, 0)
    }

    fn check_depth(
        &self,
        cert: &[u8],
        issuer: &[u8],
        at: OffsetDateTime,
        depth: usize,
    ) -> CheckReport {
        let cert = match CertRef::parse(cert) {
            Ok(c) => c,
            Err(e) => return CheckReport::unknown(format!("certificate unreadable: {e}")),
        };
        let issuer = match CertRef::parse(issuer) {
            Ok(c) => c,
            Err(e) => return CheckReport::unknown(format!("issuer certificate unreadable: {e}")),
        };
        if !names::names_equal(cert.issuer, issuer.subject) {
            return CheckReport::unknown(format!(
                "the issuer certificate's subject \"{}\" is not the certificate's issuer \"{}\"",
                asn1::name_string(issuer.subject),
                asn1::name_string(cert.issuer)
            ));
        }
        if asn1::cert_signed_by(&cert, &issuer).is_err() {
            return CheckReport::unknown(
                "the certificate's signature does not verify with the issuer's key".into(),
            );
        }
        let mut tried = Vec::new();
        let sources: [Source<'_>; 4] = [
            &|t| self.try_supplied_ocsp(&cert, &issuer, at, t),
            &|t| self.try_supplied_crls(&cert, &issuer, at, depth, t),
            &|t| self.try_aia_ocsp(&cert, &issuer, at, t),
            &|t| self.try_crl_dps(&cert, &issuer, at, depth, t),
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

    fn report_finding(finding: Finding, source: String, evidence: Evidence) -> CheckReport {
        let status = match finding {
            Finding::NotRevoked => RevocationStatus::Good { source },
            Finding::Revoked { time, reason } => RevocationStatus::Revoked {
                time,
                reason,
                source,
            },
        };
        CheckReport {
            status,
            evidence: Some(evidence),
            notes: Vec::new(),
        }
    }

    fn ocsp_report(
        answer: &OcspAnswer,
        at: OffsetDateTime,
        skew: time::Duration,
    ) -> Result<CheckReport, String> {
        let finding = answer
            .verified
            .finding_at(at, skew)
            .map_err(|e| format!("{}: {e}", answer.source))?;
        let responder_cert = match &answer.verified.responder {
            Responder::Issuer => None,
            Responder::Delegated { cert_der, .. } => Some(cert_der.clone()),
        };
        let mut report = Self::report_finding(
            finding,
            answer.source.clone(),
            Evidence::Ocsp {
                response: answer.response.clone(),
                source: answer.source.clone(),
                responder_cert,
            },
        );
        if let Responder::Delegated {
            cert_der,
            ocsp_nocheck: false,
        } = &answer.verified.responder
        {
            let subject = CertRef::parse(cert_der)
                .map(|c| asn1::name_string(c.subject))
                .unwrap_or_default();
            report.notes.push(format!(
                "OCSP responder \"{subject}\" has no id-pkix-ocsp-nocheck; its own revocation status was not checked"
            ));
        }
        Ok(report)
    }

    fn verify_options<'s>(&'s self, nonce: Option<&'s [u8]>) -> VerifyOptions<'s> {
        VerifyOptions {
            expected_nonce: nonce,
            extra_certs: &self.responder_certs,
            now: OffsetDateTime::now_utc(),
            skew: self.skew,
        }
    }

    fn try_supplied_ocsp(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        tried: &mut Vec<String>,
    ) -> Option<CheckReport> {
        if self.supplied_ocsp.is_empty() {
            return None;
        }
        let mut relevant = false;
        for (i, resp) in self.supplied_ocsp.iter().enumerate() {
            let source = format!("supplied OCSP response #{}", i + 1);
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    tried.push(format!("{source} unreadable: {e}"));
                    continue;
                }
            };
            let verified = match resp.verify(cert, issuer, &self.verify_options(None)) {
                Ok(v) => v,
                Err(ocsp::OcspError::NoMatchingResponse { .. }) => continue,
                Err(e) => {
                    relevant = true;
                    tried.push(format!("{source}: {e}"));
                    continue;
                }
            };
            relevant = true;
            let answer = OcspAnswer {
                response: Arc::clone(resp),
                verified,
                source,
            };
            match Self::ocsp_report(&answer, at, self.skew) {
                Ok(r) => return Some(r),
                Err(e) => tried.push(e),
            }
        }
        if !relevant {
            tried.push("supplied OCSP responses: none for this certificate".into());
        }
        None
    }

    /// Signature of `crl` checked with `issuer`, cached per (CRL, issuer key).
    /// With `crl_signer`, as a separate CRL signer ([`Crl::verify_signature_by_crl_signer`]).
    fn crl_signature(
        &self,
        crl: &Arc<Crl>,
        issuer: &CertRef<'_>,
        crl_signer: bool,
    ) -> Result<(), CrlError> {
        let key = (Arc::as_ptr(crl) as usize, issuer.spki.to_vec(), crl_signer);
        if let Some(r) = self.cache().crl_signatures.get(&key) {
            return r.clone();
        }
        let r = if crl_signer {
            crl.verify_signature_by_crl_signer(issuer)
        } else {
            crl.verify_signature(issuer)
        };
        self.cache().crl_signatures.insert(key, r.clone());
        r
    }

    /// Whether `signer` (not the issuer certificate) may sign CRLs for `cert`.
    fn crl_signer_authorized(
        &self,
        signer: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        depth: usize,
    ) -> Result<(), String> {
        if let Some(v) = &self.crl_signer_validator {
            return if v.validate_crl_signer(signer.raw, at) {
                Ok(())
            } else {
                Err("rejected by the CRL signer validator".into())
            };
        }
        if at < signer.not_before || at > signer.not_after {
            return Err(format!("not valid at {}", rfc3339(at)));
        }
        // Its key signed the issuer certificate: a self-issued rollover certificate, the key
        // being the one the path used for the issuer.
        if names::names_equal(issuer.issuer, signer.subject)
            && asn1::cert_signed_by(issuer, signer).is_ok()
        {
            return Ok(());
        }
        if depth >= MAX_CRL_SIGNER_DEPTH {
            return Err("CRL signer chain too deep".into());
        }
        let mut parents: Vec<&[u8]> = vec![issuer.raw];
        parents.extend(self.trust_anchors.iter().map(Vec::as_slice));
        for parent_der in parents {
            let Ok(parent) = CertRef::parse(parent_der) else {
                continue;
            };
            if !names::names_equal(signer.issuer, parent.subject)
                || asn1::cert_signed_by(signer, &parent).is_err()
            {
                continue;
            }
            return match self
                .check_depth(signer.raw, parent.raw, at, depth + 1)
                .status
            {
                RevocationStatus::Good { .. } => Ok(()),
                RevocationStatus::Revoked { time, .. } => {
                    Err(format!("revoked at {}", rfc3339(time)))
                }
                RevocationStatus::Unknown { reason } => {
                    Err(format!("its revocation status is unknown: {reason}"))
                }
            };
        }
        Err("not signed by the issuer or a trust anchor, nor the key that signed the issuer".into())
    }

    /// Checks the CRL's signature with the issuer certificate or, failing that, with an
    /// authorized CRL-signer candidate.
    fn crl_signed(
        &self,
        crl: &Arc<Crl>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        depth: usize,
    ) -> Result<(), String> {
        let first = match self.crl_signature(crl, issuer, false) {
            Ok(()) => return Ok(()),
            Err(e) => e.to_string(),
        };
        let mut why = Vec::new();
        for der in &self.crl_signer_candidates {
            if der.as_slice() == issuer.raw {
                continue;
            }
            let Ok(signer) = CertRef::parse(der) else {
                continue;
            };
            if !names::names_equal(crl.issuer(), signer.subject)
                || self.crl_signature(crl, &signer, true).is_err()
            {
                continue;
            }
            match self.crl_signer_authorized(&signer, issuer, at, depth) {
                Ok(()) => return Ok(()),
                Err(e) => why.push(format!(
                    "CRL signer \"{}\" (serial {}) {e}",
                    asn1::name_string(signer.subject),
                    asn1::hex_upper(asn1::canonical_int(signer.serial))
                )),
            }
        }
        if why.is_empty() {
            Err(first)
        } else {
            Err(format!("{first}; {}", why.join("; ")))
        }
    }

    fn use_crl(
        &self,
        crl: &Arc<Crl>,
        source: String,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        depth: usize,
    ) -> Result<CheckReport, String> {
        let fail = |e: CrlError| format!("{source}: {e}");
        self.crl_signed(crl, issuer, at, depth)
            .map_err(|e| format!("{source}: {e}"))?;
        crl.check_scope(cert).map_err(fail)?;
        let finding = crl.finding_at(cert, at, self.skew).map_err(fail)?;
        let described = format!(
            "{source} (thisUpdate {}{})",
            rfc3339(crl.this_update()),
            crl.next_update()
                .map(|n| format!(", nextUpdate {}", rfc3339(n)))
                .unwrap_or_default()
        );
        Ok(Self::report_finding(
            finding,
            described,
            Evidence::Crl {
                crl: Arc::clone(crl),
                source,
            },
        ))
    }

    fn try_supplied_crls(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        depth: usize,
        tried: &mut Vec<String>,
    ) -> Option<CheckReport> {
        if self.supplied_crls.is_empty() {
            return None;
        }
        let mut from_issuer = false;
        for (i, crl) in self.supplied_crls.iter().enumerate() {
            let source = format!("supplied CRL #{}", i + 1);
            let crl = match crl {
                Ok(c) => c,
                Err(e) => {
                    tried.push(format!("{source} unreadable: {e}"));
                    continue;
                }
            };
            if !names::names_equal(crl.issuer(), cert.issuer) {
                continue;
            }
            from_issuer = true;
            match self.use_crl(crl, source, cert, issuer, at, depth) {
                Ok(r) => return Some(r),
                Err(e) => tried.push(e),
            }
        }
        if !from_issuer {
            tried.push(format!(
                "supplied CRLs: none issued by \"{}\"",
                asn1::name_string(cert.issuer)
            ));
        }
        None
    }

    fn try_aia_ocsp(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        tried: &mut Vec<String>,
    ) -> Option<CheckReport> {
        if self.fetch_config.offline {
            return None;
        }
        let urls = match names::ocsp_urls(cert) {
            Ok(u) => u,
            Err(e) => {
                tried.push(format!("authorityInfoAccess unreadable: {e}"));
                return None;
            }
        };
        let key: IssuerSerial = (
            issuer.spki.to_vec(),
            asn1::canonical_int(cert.serial).to_vec(),
        );
        if !urls.is_empty() {
            let cached = self.cache().ocsp.get(&key).cloned();
            if let Some(answer) = cached {
                match Self::ocsp_report(&answer, at, self.skew) {
                    Ok(r) => return Some(r),
                    Err(e) => {
                        tried.push(e);
                        return None;
                    }
                }
            }
        }
        for url in urls {
            if !names::is_http(&url) {
                tried.push(format!("OCSP {url}: not an http(s) URL, not fetched"));
                continue;
            }
            let fkey = (url.clone(), key.0.clone(), key.1.clone());
            let failed = self.cache().ocsp_failures.get(&fkey).cloned();
            if let Some(e) = failed {
                tried.push(e);
                continue;
            }
            match self.query_ocsp(&url, cert, issuer) {
                Ok(answer) => {
                    let answer = Arc::new(answer);
                    self.cache().ocsp.insert(key.clone(), Arc::clone(&answer));
                    match Self::ocsp_report(&answer, at, self.skew) {
                        Ok(r) => return Some(r),
                        Err(e) => tried.push(e),
                    }
                }
                Err(e) => {
                    let msg = format!("OCSP {url}: {e}");
                    self.cache().ocsp_failures.insert(fkey, msg.clone());
                    tried.push(msg);
                }
            }
        }
        None
    }

    fn query_ocsp(
        &self,
        url: &str,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
    ) -> Result<OcspAnswer, ocsp::OcspError> {
        let nonce = if self.ocsp_nonce {
            Some(ocsp::random_nonce()?)
        } else {
            None
        };
        let request = OcspRequest::new(cert, issuer, self.ocsp_hash, nonce)?;
        let response = request.send(&self.fetcher, url)?;
        let verified = response.verify(cert, issuer, &self.verify_options(request.nonce()))?;
        Ok(OcspAnswer {
            response: Arc::new(response),
            verified,
            source: format!("OCSP {url}"),
        })
    }

    fn fetch_crl(&self, url: &str) -> Result<Arc<Crl>, String> {
        let cached = self.cache().crls.get(url).cloned();
        if let Some(r) = cached {
            return r;
        }
        let r = self
            .fetcher
            .get(url, self.fetch_config.max_crl_bytes)
            .map_err(|e| e.to_string())
            .and_then(|body| {
                if body.first() == Some(&0x30) {
                    Crl::from_der(body)
                } else {
                    Crl::from_pem_or_der(&body)
                }
                .map_err(|e| e.to_string())
            })
            .map(Arc::new)
            .map_err(|e| format!("CRL {url}: {e}"));
        self.cache().crls.insert(url.to_owned(), r.clone());
        r
    }

    fn try_crl_dps(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        depth: usize,
        tried: &mut Vec<String>,
    ) -> Option<CheckReport> {
        let dps = match names::crl_distribution_points(cert) {
            Ok(d) => d,
            Err(e) => {
                tried.push(format!("cRLDistributionPoints unreadable: {e}"));
                return None;
            }
        };
        if dps.is_empty() {
            if names::ocsp_urls(cert).map_or(true, |u| u.is_empty()) {
                tried.push(
                    "the certificate names no CRL distribution point and no OCSP responder".into(),
                );
            }
            return None;
        }
        if self.fetch_config.offline {
            return None;
        }
        for dp in &dps {
            let names = match &dp.name {
                Some(n) => n.resolve(cert.issuer),
                None => Vec::new(),
            };
            for name in &names {
                match name {
                    GeneralName::Uri(url) if names::is_http(url) => {
                        let crl = match self.fetch_crl(url) {
                            Ok(c) => c,
                            Err(e) => {
                                tried.push(e);
                                continue;
                            }
                        };
                        match self.use_crl(&crl, format!("CRL {url}"), cert, issuer, at, depth) {
                            Ok(r) => return Some(r),
                            Err(e) => tried.push(e),
                        }
                    }
                    other => tried.push(format!(
                        "CRL distribution point {other} cannot be fetched (only http/https); supply that CRL"
                    )),
                }
            }
        }
        None
    }
}

impl RevocationCheck for Checker {
    fn status_at(&self, cert: &[u8], issuer: &[u8], at: OffsetDateTime) -> RevocationStatus {
        self.check(cert, issuer, at).status
    }
}
