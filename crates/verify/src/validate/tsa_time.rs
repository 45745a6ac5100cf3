//! Validation of time-stamp (TSA) certificates with time: a token is trusted when its TSA
//! path was valid and unrevoked at its genTime **and** is still valid at the *control time*
//! — the genTime of the first archive time-stamp that covers the token (the next one in the
//! SignerInfo's unsigned attributes), else the validation time (EN 319 102-1 §5.6.2: a proof
//! of existence before the TSA certificate expired or was revoked). So a B-T signature loses
//! its time-stamp when the TSA certificate expires, and a B-LTA signature renewed in time
//! keeps it.
//!
//! The validator hook only sees the TSA certificate and the genTime, so tokens are told
//! apart by (genTime, signer); two tokens of one TSA with the same genTime get the later of
//! their control times (stricter, never laxer). The control time is returned with each
//! token's check ([`TsaCertValidator::checked_until`],
//! [`crate::signature::TimestampCheck::tsa_path`]).

use std::sync::Arc;

use kenpo_core::timefmt::rfc3339;
use kenpo_revocation::{RevocationCheck, RevocationStatus};
use kenpo_tsa::TsaCertValidator;
use time::OffsetDateTime;

use super::embedded::TokenEntry;
use crate::path::{Found, PathValidator};

/// A [`TsaCertValidator`] applying the control-time rule (see the module docs).
pub(super) struct ControlTimeValidator<'a> {
    inner: PathValidator,
    /// Certificates the signature carries (candidates besides the token's own).
    carried: &'a [&'a [u8]],
    checker: Arc<dyn RevocationCheck>,
    validation_time: OffsetDateTime,
    /// Per token: (genTime, signer, control time; `None` = validation time).
    controls: Vec<(&'a TokenEntry<'a>, Option<OffsetDateTime>)>,
    /// genTimes of the archive time-stamps that count, for tokens not listed (content
    /// time-stamps, tokens inside tokens).
    archive_times: Vec<OffsetDateTime>,
    /// Sunset dates of the validation policy.
    sunset: crate::sunset::SunsetOverrides,
}

impl<'a> ControlTimeValidator<'a> {
    /// `order`: per SignerInfo, its tokens in attribute order; archive time-stamps whose
    /// genTime is in `excluded` (found invalid) protect nothing; `carried`: certificates
    /// the signature carries, path candidates besides each token's own.
    pub(super) fn new(
        inner: PathValidator,
        carried: &'a [&'a [u8]],
        checker: Arc<dyn RevocationCheck>,
        validation_time: OffsetDateTime,
        order: &'a [Vec<TokenEntry<'a>>],
        excluded: &[OffsetDateTime],
    ) -> Self {
        let counts = |t: &TokenEntry| t.archive && !excluded.contains(&t.gen_time);
        let mut controls = Vec::new();
        for tokens in order {
            for (i, t) in tokens.iter().enumerate() {
                let next = tokens
                    .iter()
                    .skip(i + 1)
                    .find(|n| counts(n))
                    .map(|n| n.gen_time);
                controls.push((t, next));
            }
        }
        let mut archive_times: Vec<OffsetDateTime> = order
            .iter()
            .flatten()
            .filter(|t| counts(t))
            .map(|t| t.gen_time)
            .collect();
        archive_times.sort();
        Self {
            inner,
            carried,
            checker,
            validation_time,
            controls,
            archive_times,
            sunset: crate::sunset::SunsetOverrides::default(),
        }
    }

    /// The validator with the sunset dates of a validation policy.
    pub(super) fn with_sunset(mut self, sunset: &crate::sunset::SunsetOverrides) -> Self {
        sunset.clone_into(&mut self.sunset);
        self
    }

    /// The control time of the token of `tsa_cert` made at `gen_time` (see the module docs).
    pub(super) fn control_time(&self, tsa_cert: &[u8], gen_time: OffsetDateTime) -> OffsetDateTime {
        let mut listed = self
            .controls
            .iter()
            .filter(|(t, _)| t.gen_time == gen_time && t.names(tsa_cert))
            .map(|(_, c)| c.unwrap_or(self.validation_time))
            .peekable();
        let control = if listed.peek().is_some() {
            listed.max().unwrap_or(self.validation_time)
        } else {
            self.archive_times
                .iter()
                .copied()
                .find(|t| *t > gen_time)
                .unwrap_or(self.validation_time)
        };
        control.max(gen_time)
    }

    fn check_until(
        &self,
        path: &[Vec<u8>],
        gen_time: OffsetDateTime,
        control: OffsetDateTime,
    ) -> Result<(), String> {
        // Algorithm sunset (ETSI TS 119 312, VALIDATION-POLICY.md): the TSA key must still
        // be strong enough at the control time, or a later archive time-stamp (with a
        // stronger key) must exist before its sunset.
        if let Some(tsa) = path.first()
            && let Some((size, Some(sunset))) = self.sunset.key_sunset_of_cert(tsa)
            && control >= sunset
        {
            return Err(format!(
                "{} sunset {} ({}) passed before the time-stamp's proof of existence {} (renew with a stronger TSA key before the sunset)",
                size.name(),
                rfc3339(sunset),
                crate::sunset::SUNSET_POLICY,
                rfc3339(control)
            ));
        }
        // The anchor is the last element; its own validity is the trust store's business.
        let non_anchor = path.len().saturating_sub(1);
        let shared = |der: &[u8]| self.inner.context().cert(der);
        for (i, der) in path.iter().take(non_anchor).enumerate() {
            let shared_cert =
                shared(der).map_err(|e| format!("path certificate unreadable: {e}"))?;
            let cert = shared_cert.cert();
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
                && let Ok(issuer) = shared(issuer)
                && let RevocationStatus::Revoked { time, .. } =
                    self.checker.status_at_parsed(cert, issuer.cert(), control)
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

impl ControlTimeValidator<'_> {
    /// The TSA path at `gen_time`, checked up to the control time (see the module docs).
    fn found(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        gen_time: OffsetDateTime,
    ) -> Result<Found, String> {
        let control = self.control_time(tsa_cert, gen_time);
        // In the order of a store holding the carried certificates: before the token's.
        let mut all = self.carried.to_vec();
        all.extend(candidates);
        self.inner
            .tsa_found(tsa_cert, &all, gen_time)
            .and_then(|found| {
                self.check_until(found.certs(), gen_time, control)
                    .map(|()| found)
            })
    }
}

impl TsaCertValidator for ControlTimeValidator<'_> {
    fn validate(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        gen_time: OffsetDateTime,
    ) -> Result<Vec<Vec<u8>>, String> {
        self.found(tsa_cert, candidates, gen_time)
            .map(Found::into_certs)
    }

    fn accepts(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        gen_time: OffsetDateTime,
    ) -> Result<(), String> {
        self.found(tsa_cert, candidates, gen_time).map(drop)
    }

    fn checked_until(&self, tsa_cert: &[u8], gen_time: OffsetDateTime) -> Option<OffsetDateTime> {
        Some(self.control_time(tsa_cert, gen_time))
    }
}
