//! Validation of time-stamp (TSA) certificates with time: a token is trusted when its TSA
//! path was valid and unrevoked at its genTime **and** is still valid at the *control time*
//! — the genTime of the next archive time-stamp that covers the token, else the validation
//! time (EN 319 102-1 §5.6.2: a proof of existence before the TSA certificate expired or was
//! revoked). So a B-T signature loses its time-stamp when the TSA certificate expires, and a
//! B-LTA signature renewed in time keeps it.

use std::sync::{Arc, Mutex, PoisonError};

use kenpo_core::cert::CertRef;
use kenpo_core::timefmt::rfc3339;
use kenpo_revocation::{RevocationCheck, RevocationStatus};
use kenpo_tsa::token::TsaCertValidator;
use time::OffsetDateTime;

use crate::path::PathValidator;

/// One TSA path validation: for which genTime, at which control time, with what outcome.
#[derive(Debug, Clone)]
pub(super) struct TsaValidation {
    /// The token's genTime.
    pub(super) gen_time: OffsetDateTime,
    /// When the path had to be still valid.
    pub(super) control_time: OffsetDateTime,
    /// Whether it was.
    pub(super) ok: bool,
}

/// A [`TsaCertValidator`] applying the control-time rule (see the module docs).
pub(super) struct ControlTimeValidator {
    inner: PathValidator,
    checker: Arc<dyn RevocationCheck>,
    validation_time: OffsetDateTime,
    archive_times: Vec<OffsetDateTime>,
    log: Mutex<Vec<TsaValidation>>,
}

impl ControlTimeValidator {
    /// `archive_times`: genTimes of the archive time-stamps (sorted).
    pub(super) fn new(
        inner: PathValidator,
        checker: Arc<dyn RevocationCheck>,
        validation_time: OffsetDateTime,
        archive_times: &[OffsetDateTime],
    ) -> Self {
        Self {
            inner,
            checker,
            validation_time,
            archive_times: archive_times.to_vec(),
            log: Mutex::new(Vec::new()),
        }
    }

    /// The control time of a token made at `gen_time`: the earliest archive genTime after
    /// it, else the validation time.
    pub(super) fn control_time(&self, gen_time: OffsetDateTime) -> OffsetDateTime {
        self.archive_times
            .iter()
            .copied()
            .find(|t| *t > gen_time)
            .unwrap_or(self.validation_time)
            .max(gen_time)
    }

    /// Every validation made so far.
    pub(super) fn validations(&self) -> Vec<TsaValidation> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn check_until(
        &self,
        path: &[Vec<u8>],
        gen_time: OffsetDateTime,
        control: OffsetDateTime,
    ) -> Result<(), String> {
        // The anchor is the last element; its own validity is the trust store's business.
        let non_anchor = path.len().saturating_sub(1);
        for (i, der) in path.iter().take(non_anchor).enumerate() {
            let cert =
                CertRef::parse(der).map_err(|e| format!("path certificate unreadable: {e}"))?;
            if cert.not_after < control {
                return Err(format!(
                    "{} expired {}, before the time-stamp's proof of existence {} (no archive time-stamp made while it was valid)",
                    cert.subject_string(),
                    rfc3339(cert.not_after),
                    rfc3339(control)
                ));
            }
            // Revocation after genTime but before the control time: the key may have been
            // compromised while no proof of existence protected the token.
            if let Some(issuer) = path.get(i + 1)
                && let RevocationStatus::Revoked { time, .. } =
                    self.checker.status_at(der, issuer, control)
                && time > gen_time
                && time <= control
            {
                return Err(format!(
                    "{} revoked {}, after genTime {} but before any later proof of existence ({})",
                    cert.subject_string(),
                    rfc3339(time),
                    rfc3339(gen_time),
                    rfc3339(control)
                ));
            }
        }
        Ok(())
    }
}

impl TsaCertValidator for ControlTimeValidator {
    fn validate(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        gen_time: OffsetDateTime,
    ) -> Result<Vec<Vec<u8>>, String> {
        let control = self.control_time(gen_time);
        let result = TsaCertValidator::validate(&self.inner, tsa_cert, candidates, gen_time)
            .and_then(|path| self.check_until(&path, gen_time, control).map(|()| path));
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(TsaValidation {
                gen_time,
                control_time: control,
                ok: result.is_ok(),
            });
        result
    }
}
