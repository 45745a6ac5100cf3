//! The time-independent part of CRL processing (RFC 5280 §6.3.3) for one certificate over
//! one list of CRLs: the certificate's distribution points and, per point, the complete
//! CRLs issued by the issuer the point expects, each with its scope. It is the same at any
//! time, so over the supplied CRLs (fixed for a checker's life) it is worked out once per
//! certificate and kept in a [`ScopeMemo`].

use std::sync::Arc;

use kenpo_core::cert::CertRef;
use kenpo_core::memo::DerMemo;

use super::crls::{Sourced, names_the_issuer};
use crate::crl::effective_distribution_points;
use crate::names::{DistributionPoint, ReasonMask};

/// Certificates whose scope a memo keeps, at most (it then starts again).
const MAX_CERTS: usize = 4096;

/// A complete CRL issued by the issuer a distribution point expects.
#[derive(Debug)]
pub(super) struct Candidate {
    /// Index of the distribution point in [`Scope::dps`].
    pub(super) dp: usize,
    /// Index of the CRL in the list the scope was worked out over.
    pub(super) crl: usize,
    /// The reasons it covers for the certificate, or why it is not in scope.
    pub(super) reasons: Result<ReasonMask, String>,
}

/// The distribution points of one certificate and the complete CRLs that may answer for
/// each, in the order §6.3.3 tries them (point by point, CRLs in list order).
#[derive(Debug)]
pub(super) struct Scope {
    /// The certificate's distribution points (or the DistributionPoint-less default), or
    /// why they cannot be read.
    pub(super) dps: Result<Vec<DistributionPoint>, String>,
    /// The candidates, distribution point by distribution point.
    pub(super) candidates: Vec<Candidate>,
}

impl Scope {
    /// The scope of `cert` over `crls` (delta CRLs are not candidates).
    pub(super) fn of(cert: &CertRef<'_>, crls: &[Sourced]) -> Self {
        let dps = match effective_distribution_points(cert) {
            Ok(d) => d,
            Err(e) => {
                return Self {
                    dps: Err(e.to_string()),
                    candidates: Vec::new(),
                };
            }
        };
        let mut candidates = Vec::new();
        for (d, dp) in dps.iter().enumerate() {
            for (i, c) in crls.iter().enumerate() {
                if c.crl().is_delta() || !names_the_issuer(c.crl(), cert, dp) {
                    continue;
                }
                candidates.push(Candidate {
                    dp: d,
                    crl: i,
                    reasons: c
                        .crl()
                        .distribution_point_scope(cert, dp)
                        .map_err(|e| e.to_string()),
                });
            }
        }
        Self {
            dps: Ok(dps),
            candidates,
        }
    }
}

/// Scopes over one fixed list of CRLs, per certificate.
#[derive(Debug)]
pub(super) struct ScopeMemo {
    scopes: DerMemo<Arc<Scope>>,
}

impl Default for ScopeMemo {
    fn default() -> Self {
        Self {
            scopes: DerMemo::new(MAX_CERTS),
        }
    }
}

impl ScopeMemo {
    /// The scope of `cert` over `crls`, which must be the list every call of this memo
    /// passes.
    pub(super) fn scope(&self, cert: &CertRef<'_>, crls: &[Sourced]) -> Arc<Scope> {
        if let Some(s) = self.scopes.get(cert.raw, |_| true) {
            return s;
        }
        let scope = Arc::new(Scope::of(cert, crls));
        self.scopes.insert(cert.raw, Arc::clone(&scope), |_| true);
        scope
    }
}
