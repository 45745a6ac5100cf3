//! A simple TSA-certificate chain check for callers without kenpo-verify.
//!
//! [`AnchorChain`] builds a path from the TSA certificate to one of the caller's trust
//! anchors through the token's embedded certificates, checking each signature, issuer and
//! subject names, CA basicConstraints and validity at genTime. It does **not** check
//! revocation, name constraints or policies: that is full RFC 5280 path validation, which
//! `kenpo-verify` provides through the same [`TsaCertValidator`] hook.

use der::Decode;
use kenpo_core::alg::SignatureAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{CryptoBackend, default_backend};
use time::OffsetDateTime;
use x509_cert::ext::pkix::BasicConstraints;

use crate::token::TsaCertValidator;

/// Longest path tried (TSA certificate to anchor).
pub const MAX_DEPTH: usize = 8;

/// Trust anchors (DER certificates) and a backend for signature checks.
#[derive(Debug, Clone)]
pub struct AnchorChain {
    anchors: Vec<Vec<u8>>,
    backend: &'static dyn CryptoBackend,
}

impl AnchorChain {
    /// A checker trusting `anchors`.
    pub fn new(anchors: Vec<Vec<u8>>) -> Self {
        Self {
            anchors,
            backend: default_backend(),
        }
    }

    /// Uses another crypto backend.
    pub fn with_backend(mut self, backend: &'static dyn CryptoBackend) -> Self {
        self.backend = backend;
        self
    }

    fn signed_by(&self, child: &CertRef<'_>, issuer: &CertRef<'_>) -> bool {
        if child.issuer != issuer.subject {
            return false;
        }
        let Ok(alg) =
            SignatureAlgorithm::from_algorithm_identifier(&child.signature_algorithm, None)
        else {
            return false;
        };
        self.backend
            .verify(issuer.spki, alg, child.tbs, child.signature)
            .is_ok()
    }
}

fn is_ca(cert: &CertRef<'_>) -> bool {
    cert.extension(const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS)
        .and_then(|e| BasicConstraints::from_der(e.value).ok())
        .is_some_and(|bc| bc.ca)
}

fn fmt_validity(c: &CertRef<'_>) -> String {
    let f = kenpo_core::timefmt::rfc3339;
    format!(
        "{} ({} … {})",
        c.subject_string(),
        f(c.not_before()),
        f(c.not_after())
    )
}

impl TsaCertValidator for AnchorChain {
    fn validate(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        at: OffsetDateTime,
    ) -> Result<Vec<Vec<u8>>, String> {
        let anchors: Vec<CertRef<'_>> = self
            .anchors
            .iter()
            .filter_map(|a| CertRef::parse(a).ok())
            .collect();
        if anchors.is_empty() {
            return Err("no usable trust anchor was given".into());
        }
        let inter: Vec<CertRef<'_>> = candidates
            .iter()
            .filter_map(|c| CertRef::parse(c).ok())
            .filter(is_ca)
            .collect();
        let mut current = CertRef::parse(tsa_cert).map_err(|e| e.to_string())?;
        let mut path = vec![tsa_cert.to_vec()];
        for _ in 0..MAX_DEPTH {
            if !current.valid_at(at) {
                return Err(format!(
                    "{} is not valid at {}",
                    fmt_validity(&current),
                    kenpo_core::timefmt::rfc3339(at)
                ));
            }
            if anchors.iter().any(|a| a.raw == current.raw) {
                return Ok(path);
            }
            if let Some(anchor) = anchors.iter().find(|a| self.signed_by(&current, a)) {
                path.push(anchor.raw.to_vec());
                return Ok(path);
            }
            let next = inter
                .iter()
                .find(|c| {
                    !path.iter().any(|p| p.as_slice() == c.raw) && self.signed_by(&current, c)
                })
                .ok_or_else(|| {
                    format!("no trusted issuer found for {}", current.subject_string())
                })?;
            path.push(next.raw.to_vec());
            current = next.clone();
        }
        Err(format!(
            "no path to a trust anchor within {MAX_DEPTH} certificates"
        ))
    }
}
