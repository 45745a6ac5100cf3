//! The OCSP sources of the [`Checker`]: supplied responses, and the responders named by
//! the certificate's authorityInfoAccess (the cache directory's copy while current, else
//! a request with a nonce; verified answers are kept in memory and, with a cache
//! directory, on disk).

use std::sync::Arc;

use kenpo_core::cert::CertRef;
use time::OffsetDateTime;

use super::{CheckReport, Checker, Evidence};
use crate::ocsp::{self, OcspRequest, OcspResponse, Responder, VerifiedOcsp, VerifyOptions};
use crate::{Finding, RevocationStatus, asn1, cache, names};

/// A verified OCSP answer and where it came from.
pub(super) struct OcspAnswer {
    response: Arc<OcspResponse>,
    verified: VerifiedOcsp,
    source: String,
    /// Read from the cache directory (then reused only while current).
    from_disk: bool,
}

pub(super) type IssuerSerial = (Vec<u8>, Vec<u8>);

impl Checker {
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
            more_evidence: Vec::new(),
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
                .map(|c| kenpo_core::asn1::name::name_string(c.subject))
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

    pub(super) fn try_supplied_ocsp(
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
                from_disk: false,
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

    pub(super) fn try_aia_ocsp(
        &self,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        tried: &mut Vec<String>,
    ) -> Option<CheckReport> {
        let disk = self.fetch_config.cache_dir.as_deref();
        if self.fetch_config.offline && disk.is_none() {
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
                if answer.from_disk {
                    if current(&answer.verified, at)
                        && let Ok(r) = Self::ocsp_report(&answer, at, self.skew)
                    {
                        return Some(r);
                    }
                } else {
                    match Self::ocsp_report(&answer, at, self.skew) {
                        Ok(r) => return Some(r),
                        Err(e) => {
                            tried.push(e);
                            return None;
                        }
                    }
                }
            }
        }
        for url in urls {
            if !names::is_http(&url) {
                tried.push(format!("OCSP {url}: not an http(s) URL, not fetched"));
                continue;
            }
            let path = disk.and_then(|d| ocsp_cache_path(d, &url, cert, issuer));
            if let Some(path) = &path
                && let Some(answer) = self.cached_ocsp(path, &url, cert, issuer, at, tried)
            {
                let answer = Arc::new(answer);
                match Self::ocsp_report(&answer, at, self.skew) {
                    Ok(r) => {
                        self.cache().ocsp.insert(key.clone(), answer);
                        return Some(r);
                    }
                    Err(e) => tried.push(e),
                }
            }
            if self.fetch_config.offline {
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
                    if let Some(path) = &path
                        && answer.verified.next_update.is_some()
                        && let Err(e) = cache::write_atomic(path, answer.response.der())
                    {
                        tried.push(e);
                    }
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

    /// The response of responder `url` in the cache file `path`, if there is one that
    /// verifies (without a nonce) and is current for `at`; corrupt files are noted.
    fn cached_ocsp(
        &self,
        path: &std::path::Path,
        url: &str,
        cert: &CertRef<'_>,
        issuer: &CertRef<'_>,
        at: OffsetDateTime,
        tried: &mut Vec<String>,
    ) -> Option<OcspAnswer> {
        let der = match cache::read(path, self.fetch_config.max_ocsp_bytes) {
            Ok(Some(d)) => d,
            Ok(None) => return None,
            Err(e) => {
                tried.push(e);
                return None;
            }
        };
        let checked = OcspResponse::from_der(der).and_then(|response| {
            let verified = response.verify(cert, issuer, &self.verify_options(None))?;
            Ok((response, verified))
        });
        match checked {
            Ok((response, verified)) if current(&verified, at) => Some(OcspAnswer {
                response: Arc::new(response),
                verified,
                source: format!("OCSP {url} from cache {}", path.display()),
                from_disk: true,
            }),
            Ok(_) => None,
            Err(e) => {
                tried.push(format!("cache {}: ignored: {e}", path.display()));
                None
            }
        }
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
            from_disk: false,
        })
    }
}

/// Whether a verified OCSP answer may be reused from the cache for `at`: its nextUpdate
/// is at or after `at`.
fn current(verified: &VerifiedOcsp, at: OffsetDateTime) -> bool {
    verified.next_update.is_some_and(|n| n >= at)
}

/// The cache file for the answer of responder `url` about `cert` (`None` if the issuer's
/// key cannot be read, in which case nothing will verify anyway).
fn ocsp_cache_path(
    dir: &std::path::Path,
    url: &str,
    cert: &CertRef<'_>,
    issuer: &CertRef<'_>,
) -> Option<std::path::PathBuf> {
    let key = asn1::public_key_bits(issuer.spki).ok()?;
    Some(cache::ocsp_path(
        dir,
        url,
        cert.issuer,
        key,
        asn1::canonical_int(cert.serial),
    ))
}
