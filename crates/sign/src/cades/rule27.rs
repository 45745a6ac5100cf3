//! Rule 27-1(3) (健康保険法施行規則第27条): the signer certificate must be valid at the
//! time-stamp's genTime, and not revoked then where revocation data can be had.
//!
//! Validity is checked against the certificate itself. Revocation is asked of the caller's
//! [`RevocationCheck`] (CRL distribution points, OCSP in AIA, or supplied CRLs/responses —
//! the checker decides where it looks):
//!
//! | status at genTime | result |
//! |---|---|
//! | `Good` | proceed |
//! | `Revoked` at or before genTime | [`SignError::RevokedAtGenTime`], nothing written |
//! | `Revoked` after genTime | proceed (the signature predates the revocation); reported |
//! | `Unknown` (no data could be had) | proceed; reported in the outcome |

use kenpo_core::cert::CertRef;
use kenpo_revocation::{RevocationCheck, RevocationStatus};
use time::OffsetDateTime;

use super::error::SignError;

/// Checks the validity period at genTime.
pub fn check_validity_at_gen_time(
    cert: &CertRef<'_>,
    gen_time: OffsetDateTime,
) -> Result<(), SignError> {
    if cert.valid_at(gen_time) {
        Ok(())
    } else {
        Err(SignError::NotValidAtGenTime {
            gen_time,
            not_before: cert.not_before(),
            not_after: cert.not_after(),
        })
    }
}

/// The issuer of `cert` among `chain` (matched by name; the first match), if present.
pub fn find_issuer<'c>(cert: &CertRef<'_>, chain: &'c [Vec<u8>]) -> Option<&'c [u8]> {
    chain
        .iter()
        .map(Vec::as_slice)
        .find(|c| CertRef::parse(c).is_ok_and(|i| i.subject == cert.issuer && i.raw != cert.raw))
}

/// Asks `checker` for the status of `cert` at `at`. Without the issuer certificate no
/// revocation data can be checked: the status is `Unknown`.
pub fn status_at(
    checker: &dyn RevocationCheck,
    cert: &CertRef<'_>,
    chain: &[Vec<u8>],
    at: OffsetDateTime,
) -> RevocationStatus {
    match find_issuer(cert, chain) {
        Some(issuer) => checker.status_at(cert.raw, issuer, at),
        None => RevocationStatus::Unknown {
            reason: "the issuer certificate is not in the signer's chain".into(),
        },
    }
}

/// Rule 27-1(3) on the revocation status at genTime (see the module table).
pub fn check_status_at_gen_time(
    status: &RevocationStatus,
    gen_time: OffsetDateTime,
) -> Result<(), SignError> {
    match status {
        RevocationStatus::Revoked {
            time,
            reason,
            source,
        } if *time <= gen_time => Err(SignError::RevokedAtGenTime {
            gen_time,
            revoked_at: *time,
            reason: *reason,
            origin: source.clone(),
        }),
        _ => Ok(()),
    }
}

/// One line describing a status, for reports and the audit log.
pub fn describe_status(status: &RevocationStatus) -> String {
    match status {
        RevocationStatus::Good { source } => format!("good ({source})"),
        RevocationStatus::Revoked {
            time,
            reason,
            source,
        } => format!(
            "revoked at {}{} ({source})",
            kenpo_core::timefmt::rfc3339(*time),
            reason
                .map(|r| format!(", reason {}", super::error::crl_reason_name(r)))
                .unwrap_or_default()
        ),
        RevocationStatus::Unknown { reason } => format!("unknown: {reason}"),
    }
}
