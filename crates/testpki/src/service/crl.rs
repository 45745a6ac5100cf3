//! CRLs issued on request: thisUpdate = the service clock, nextUpdate seven days later,
//! increasing cRLNumbers, the current revocations of the CA (the crate's CRL profile, so an
//! ARL keeps its critical issuingDistributionPoint).

use time::{Duration, OffsetDateTime};

use super::authority::Authority;
use crate::crl::{CrlTimes, issue_crl_at};
use crate::{Config, Error, Revocation};

/// nextUpdate of a CRL issued by the service is this long after its thisUpdate.
pub(super) const NEXT_UPDATE_AFTER: Duration = Duration::days(7);

/// A fresh CRL of `ca` at `now` listing the entries of `revoked` issued by it, or `None`
/// if `ca` publishes no CRL.
pub(super) fn issue(
    ca: &Authority,
    config: &Config,
    revoked: &[Revocation],
    now: OffsetDateTime,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(arl) = ca.crl else {
        return Ok(None);
    };
    let entries: Vec<&Revocation> = revoked
        .iter()
        .filter(|r| r.issuer == ca.issued.name)
        .collect();
    let times = CrlTimes {
        this_update: now,
        next_update: now + NEXT_UPDATE_AFTER,
        number: ca.next_crl_number(now),
    };
    issue_crl_at(&ca.issued, config, &times, &entries, arl).map(Some)
}
