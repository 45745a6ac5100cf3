//! Delta CRLs (RFC 5280 §5.2.4, §6.3.3 (c), (i)–(k)): when a delta CRL may be combined
//! with a complete CRL, and the status of a certificate from the pair.

use kenpo_core::cert::CertRef;
use time::{Duration, OffsetDateTime};

use super::{Crl, CrlEntry, CrlError, REASON_CERTIFICATE_HOLD, REASON_REMOVE_FROM_CRL};
use crate::Finding;
use crate::asn1;
use crate::names;

/// Why a delta CRL cannot be combined with a complete CRL (RFC 5280 §5.2.4, §6.3.3 (c)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaMismatch {
    /// The CRL offered as delta has no deltaCRLIndicator.
    #[error("not a delta CRL")]
    NotDelta,
    /// The CRL offered as complete CRL is itself a delta CRL.
    #[error("the base is itself a delta CRL")]
    BaseIsDelta,
    /// The issuers differ.
    #[error("issuer differs from the complete CRL's")]
    Issuer,
    /// The issuingDistributionPoint extensions are not identical.
    #[error("issuingDistributionPoint differs from the complete CRL's")]
    Scope,
    /// The complete CRL has an authorityKeyIdentifier the delta does not repeat.
    #[error("authorityKeyIdentifier differs from the complete CRL's")]
    AuthorityKeyId,
    /// The complete CRL has no cRLNumber (or the delta CRL none).
    #[error("cRLNumber missing")]
    NoCrlNumber,
    /// The complete CRL is older than the delta's BaseCRLNumber.
    #[error("complete CRL number {complete} is below the delta's BaseCRLNumber {base}")]
    BaseTooOld {
        /// The complete CRL's number (hex).
        complete: String,
        /// The delta's BaseCRLNumber (hex).
        base: String,
    },
    /// The delta CRL is not newer than the complete CRL.
    #[error("delta CRL number {delta} is not above the complete CRL number {complete}")]
    NotNewer {
        /// The complete CRL's number (hex).
        complete: String,
        /// The delta CRL's number (hex).
        delta: String,
    },
}

/// Compares two non-negative INTEGER contents by value.
fn cmp_numbers(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (a, b) = (asn1::canonical_int(a), asn1::canonical_int(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Crl {
    /// Whether this delta CRL may be combined with `complete` (RFC 5280 §5.2.4): both from
    /// the same issuer, with identical issuingDistributionPoint, the complete CRL's
    /// authorityKeyIdentifier repeated, and BaseCRLNumber ≤ complete cRLNumber < delta
    /// cRLNumber. The signatures are not checked here.
    pub fn delta_applies_to(&self, complete: &Crl) -> Result<(), DeltaMismatch> {
        if !self.delta {
            return Err(DeltaMismatch::NotDelta);
        }
        if complete.delta {
            return Err(DeltaMismatch::BaseIsDelta);
        }
        if !names::names_equal(self.issuer(), complete.issuer()) {
            return Err(DeltaMismatch::Issuer);
        }
        if self.idp != complete.idp {
            return Err(DeltaMismatch::Scope);
        }
        if complete.authority_key_id.is_some() && self.authority_key_id != complete.authority_key_id
        {
            return Err(DeltaMismatch::AuthorityKeyId);
        }
        let (Some(number), Some(base), Some(delta_number)) = (
            complete.crl_number(),
            self.base_crl_number(),
            self.crl_number(),
        ) else {
            return Err(DeltaMismatch::NoCrlNumber);
        };
        if cmp_numbers(number, base).is_lt() {
            return Err(DeltaMismatch::BaseTooOld {
                complete: hex::encode_upper(number),
                base: hex::encode_upper(base),
            });
        }
        if cmp_numbers(number, delta_number).is_ge() {
            return Err(DeltaMismatch::NotNewer {
                complete: hex::encode_upper(number),
                delta: hex::encode_upper(delta_number),
            });
        }
        Ok(())
    }

    /// Whether this CRL is current for `at`: `at` ≤ nextUpdate, or without nextUpdate
    /// `at` ≤ thisUpdate + `skew`.
    fn current_for(&self, at: OffsetDateTime, skew: Duration) -> bool {
        match self.next_update {
            Some(next) => at <= next,
            None => at <= self.this_update + skew,
        }
    }

    fn not_current(&self, at: OffsetDateTime) -> CrlError {
        match self.next_update {
            Some(next_update) => CrlError::Stale { at, next_update },
            None => CrlError::NoNextUpdate {
                at,
                this_update: self.this_update,
            },
        }
    }

    /// [`Crl::finding_at`] for this complete CRL combined with `delta` (RFC 5280 §6.3.3
    /// (i)–(k)): the delta's entry wins (removeFromCRL undoing a hold on the complete
    /// CRL); the pair is current for `at` when either CRL is. Fails when the delta does not
    /// apply to this CRL ([`Crl::delta_applies_to`]).
    pub fn finding_with_delta(
        &self,
        delta: &Crl,
        cert: &CertRef<'_>,
        at: OffsetDateTime,
        skew: Duration,
    ) -> Result<Finding, CrlError> {
        delta.delta_applies_to(self).map_err(CrlError::Delta)?;
        self.finding_with(Some(delta), cert, at, skew)
    }

    pub(super) fn finding_with(
        &self,
        delta: Option<&Crl>,
        cert: &CertRef<'_>,
        at: OffsetDateTime,
        skew: Duration,
    ) -> Result<Finding, CrlError> {
        self.issued_by_now(delta, skew)?;
        let mut listed: Option<CrlEntry> = None;
        let mut removed = false;
        if let Some(d) = delta
            && let Some(e) = d.entry_for(cert.issuer, cert.serial)?
        {
            if e.reason != Some(REASON_REMOVE_FROM_CRL) {
                listed = Some(e);
            } else if e.revocation_date <= at {
                removed = true;
            }
        }
        if listed.is_none() && !removed {
            listed = self.listing(cert)?;
        }
        self.decide(delta, listed, cert, at, skew)
    }

    /// The entry of `cert` on this CRL (removeFromCRL entries aside): what
    /// [`Crl::finding_at`] looks up before it looks at the time.
    pub(crate) fn listing(&self, cert: &CertRef<'_>) -> Result<Option<CrlEntry>, CrlError> {
        Ok(self
            .entry_for(cert.issuer, cert.serial)?
            .filter(|e| e.reason != Some(REASON_REMOVE_FROM_CRL)))
    }

    /// [`Crl::finding_at`] with the entry [`Crl::listing`] gave for `cert` (the same
    /// steps, without looking it up again).
    pub(crate) fn finding_listed(
        &self,
        listed: Option<CrlEntry>,
        cert: &CertRef<'_>,
        at: OffsetDateTime,
        skew: Duration,
    ) -> Result<Finding, CrlError> {
        self.issued_by_now(None, skew)?;
        self.decide(None, listed, cert, at, skew)
    }

    /// Refuses CRLs issued after now (with the skew).
    fn issued_by_now(&self, delta: Option<&Crl>, skew: Duration) -> Result<(), CrlError> {
        let now = OffsetDateTime::now_utc();
        for crl in std::iter::once(self).chain(delta) {
            if crl.this_update > now + skew {
                return Err(CrlError::NotYetIssued(crl.this_update));
            }
        }
        Ok(())
    }

    /// The finding at `at` from the entry `listed` (if any) and the CRLs' dates.
    fn decide(
        &self,
        delta: Option<&Crl>,
        listed: Option<CrlEntry>,
        cert: &CertRef<'_>,
        at: OffsetDateTime,
        skew: Duration,
    ) -> Result<Finding, CrlError> {
        let current = self.current_for(at, skew) || delta.is_some_and(|d| d.current_for(at, skew));
        if let Some(entry) = listed {
            if entry.revocation_date > at {
                return Ok(Finding::NotRevoked);
            }
            if entry.reason == Some(REASON_CERTIFICATE_HOLD) && !current {
                return Err(CrlError::OnHoldStale {
                    since: entry.revocation_date,
                    at,
                });
            }
            return Ok(Finding::Revoked {
                time: entry.revocation_date,
                reason: entry.reason,
            });
        }
        if !current {
            let latest = delta
                .filter(|d| d.next_update > self.next_update)
                .unwrap_or(self);
            return Err(latest.not_current(at));
        }
        for crl in std::iter::once(self).chain(delta) {
            if cert.not_after < crl.this_update
                && crl
                    .expired_certs_on_crl
                    .is_none_or(|since| cert.not_after < since)
            {
                return Err(CrlError::CertificateExpired {
                    not_after: cert.not_after,
                    this_update: crl.this_update,
                });
            }
        }
        Ok(Finding::NotRevoked)
    }
}
