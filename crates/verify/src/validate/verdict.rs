//! Per-signature verdict: the building blocks of EN 319 102-1 applied to one SignerInfo.

use std::sync::Arc;

use kenpo_core::shared_cert::SharedCert;
use kenpo_core::timefmt::rfc3339;
use kenpo_revocation::RevocationCheck;
use kenpo_sign::Profile;
use kenpo_sign::profile::check_profile;
use time::OffsetDateTime;

use super::profiles::summary_report;
use super::{RevocationMode, VerifyOptions, path_options};
use crate::path::{self, Found, PathError, PathValidator, ValidatedPath};
use crate::report::{CheckReport, SignatureReport, SignerReport, TimestampReport};
use crate::signature::{SignerCheck, TimestampKind};
use crate::{Indication, SubIndication};

/// A finding of one building block: its verdict and sub-indication.
type Finding = (Indication, SubIndication);

fn pick(findings: &[Finding]) -> (Indication, Option<SubIndication>) {
    findings
        .iter()
        .find(|f| f.0 == Indication::TotalFailed)
        .or_else(|| findings.iter().find(|f| f.0 == Indication::Indeterminate))
        .map_or((Indication::TotalPassed, None), |f| (f.0, Some(f.1)))
}

/// Maps a path failure of the signing certificate to a finding (validation with time).
fn path_finding(e: &PathError, signing_time: Option<OffsetDateTime>, poe: bool) -> Finding {
    use Indication::{Indeterminate as I, TotalFailed as F};
    use SubIndication as S;
    match e {
        PathError::NoChain { .. } | PathError::Budget { .. } => (I, S::NO_CERTIFICATE_CHAIN_FOUND),
        PathError::Malformed { .. } | PathError::BadSignature { .. } => {
            (I, S::CERTIFICATE_CHAIN_GENERAL_FAILURE)
        }
        PathError::Expired { .. } => (I, S::OUT_OF_BOUNDS_NO_POE),
        // Not yet valid at a time the signature provably existed: made before notBefore.
        PathError::NotYetValid { .. } if poe => (F, S::NOT_YET_VALID),
        PathError::NotYetValid { .. } => (I, S::OUT_OF_BOUNDS_NO_POE),
        PathError::Algorithm { .. } => (I, S::CRYPTO_CONSTRAINTS_FAILURE_NO_POE),
        PathError::Constraint { .. } => (I, S::CHAIN_CONSTRAINTS_FAILURE),
        PathError::LeafUsage { .. } => (I, S::SIG_CONSTRAINTS_FAILURE),
        PathError::Revoked { index: 0, time, .. } => {
            // The signature claims to be made after the revocation: TOTAL_FAILED; otherwise
            // no proof that it existed before the revocation.
            if signing_time.is_some_and(|s| s >= *time) {
                (F, S::REVOKED)
            } else {
                (I, S::REVOKED_NO_POE)
            }
        }
        PathError::Revoked { .. } => (I, S::REVOKED_CA_NO_POE),
        PathError::RevocationUnknown { .. } => (I, S::TRY_LATER),
    }
}

/// The checks of a validated path, as report checks named `path:…`.
pub(super) fn path_checks(p: ValidatedPath, out: &mut Vec<CheckReport>) {
    out.extend(p.checks.into_iter().map(path::Check::into_report));
}

/// [`path_checks`] of a path built afresh or replayed from the memo (whose remembered
/// checks are shared, not copied).
fn found_checks(p: Found, out: &mut Vec<CheckReport>) {
    match p {
        Found::Fresh(p) => path_checks(p, out),
        Found::Replayed {
            reported,
            revocation,
            ..
        } => {
            out.extend(reported.iter().cloned());
            out.extend(revocation.into_iter().map(path::Check::into_report));
        }
    }
}

pub(super) fn subjects(certs: &[Vec<u8>]) -> Vec<String> {
    certs.iter().map(|c| subject(c)).collect()
}

/// A certificate's subject as text (empty when unreadable).
fn subject(cert: &[u8]) -> String {
    kenpo_core::cert::CertRef::subject_of(cert)
        .map(kenpo_core::cert::name_string)
        .unwrap_or_default()
}

pub(super) fn signer_report(cert: Option<&[u8]>) -> SignerReport {
    cert.and_then(|c| check_profile(Profile::Any, c).ok())
        .map(summary_report)
        .unwrap_or_default()
}

fn ts_kind(k: TimestampKind) -> &'static str {
    match k {
        TimestampKind::Signature => "signature",
        TimestampKind::Content => "content",
        TimestampKind::ArchiveV2 | TimestampKind::ArchiveV3 => "archive",
    }
}

pub(super) struct SigCtx<'a> {
    pub(super) opts: &'a VerifyOptions,
    pub(super) at: OffsetDateTime,
    pub(super) anchors: &'a Arc<Vec<Vec<u8>>>,
    /// The caller's certificate store (shared, never copied).
    pub(super) store: &'a Arc<Vec<Vec<u8>>>,
    /// The certificates the signature carries (borrowed), candidates after the store.
    pub(super) carried: &'a [&'a [u8]],
    pub(super) checker: &'a Arc<dyn RevocationCheck>,
    pub(super) mode: path::RevocationMode,
    pub(super) no_source: bool,
    pub(super) content_available: bool,
    /// The verification context (parsed certificates, verified links, remembered paths,
    /// profile answers).
    pub(super) ctx: &'a Arc<crate::Context>,
}

impl SigCtx<'_> {
    /// The report of one SignerInfo (its check details move into the report).
    pub(super) fn signature(&self, mut s: SignerCheck, lt_data: bool) -> SignatureReport {
        use Indication::{Indeterminate as I, TotalFailed as F};
        use SubIndication as S;
        // Structure of the SignerInfo (attributes and algorithms).
        let malformed = s.checks.iter().filter(|c| !c.passed).any(|c| match c.name {
            "content-type" | "signing-time" => true,
            // An algorithm this build does not implement is not a format error (see
            // `unsupported_algorithm` below); malformed parameters are.
            "digest-algorithm" | "signature-algorithm" => s.malformed_algorithm,
            // Absent or not an OCTET STRING (a mismatch sets data_intact).
            "message-digest" => s.data_intact.is_none(),
            _ => false,
        });
        let checkable = !s.checks.iter().any(|c| {
            c.name == "signature" && !c.passed && c.detail.starts_with("cannot be checked")
        });
        // Room for what follows (profile, time-stamps, sunset, path and its checks: about
        // thirty for a B-T signature), so the list is not copied as it grows.
        let mut checks: Vec<CheckReport> = Vec::with_capacity(s.checks.len() + 32);
        checks.extend(
            std::mem::take(&mut s.checks)
                .into_iter()
                .map(|c| CheckReport::new(c.name, c.passed, c.detail)),
        );
        let mut findings: Vec<Finding> = Vec::new();

        // Identification of the signing certificate.
        if s.signer_cert.is_none() || s.signing_cert_bound == Some(false) {
            findings.push((I, S::NO_SIGNING_CERTIFICATE_FOUND));
        }
        // A plain CMS signature (e.g. `openssl cms -sign` without `-cades`) has no
        // signing-certificate attribute: that is a warning, not a verdict. An attribute that
        // is present but names another certificate (substitution) is caught above.
        if s.signer_cert.is_some() && s.signing_cert_bound.is_none() {
            checks.push(CheckReport::new(
                "signing-certificate-binding",
                false,
                "warning: no signing-certificate(-v2) attribute (plain CMS, not CAdES); the certificate is identified by the SignerInfo's issuer and serial only",
            ));
        }
        if malformed {
            findings.push((F, S::FORMAT_FAILURE));
        }
        // Cryptographic verification. An algorithm that cannot be checked here leaves the
        // signature unchecked, neither intact nor broken: INDETERMINATE with
        // CRYPTO_CONSTRAINTS_FAILURE_NO_POE, as DSS reports an algorithm its validation
        // policy does not cover (EN 319 102-1 §5.2.8: the algorithm cannot be shown to be
        // reliable, and no proof of existence helps).
        if let Some(what) = &s.unsupported_algorithm {
            checks.push(CheckReport::new(
                "algorithm-support",
                false,
                format!("not checked, this build cannot verify it: {what}"),
            ));
            findings.push((I, S::CRYPTO_CONSTRAINTS_FAILURE_NO_POE));
        }
        // Without signed attributes the signature value is computed over the content
        // itself: a mismatch is the signature's (SIG_CRYPTO_FAILURE below), there is no
        // message-digest attribute to fail.
        let data_intact = match s.data_intact {
            Some(_) if !s.signed_attributes => Some(true),
            d => d,
        };
        match data_intact {
            Some(false) => findings.push((F, S::HASH_FAILURE)),
            Some(true) => {}
            None if !self.content_available => {
                checks.push(CheckReport::new(
                    "signed-data",
                    false,
                    "detached content not given",
                ));
                findings.push((I, S::SIGNED_DATA_NOT_FOUND));
            }
            None if malformed || s.unsupported_algorithm.is_some() => {}
            None => findings.push((F, S::HASH_FAILURE)),
        }
        if s.signer_cert.is_some()
            && !s.signature_intact
            && checkable
            && s.unsupported_algorithm.is_none()
        {
            findings.push((F, S::SIG_CRYPTO_FAILURE));
        }
        // Signature acceptance: profile.
        let mut summary = None;
        if let Some(cert) = &s.signer_cert {
            match self.ctx.profiles.check(self.opts.profile, cert) {
                Ok(sum) => {
                    summary = Some(sum);
                    checks.push(CheckReport::new(
                        "profile",
                        true,
                        kenpo_sign::profile::profile_name(self.opts.profile),
                    ));
                }
                Err(e) => {
                    checks.push(CheckReport::new("profile", false, e.to_string()));
                    findings.push((I, S::SIG_CONSTRAINTS_FAILURE));
                }
            }
        }

        // Time-stamps and best-signature-time.
        let mut timestamps = Vec::new();
        let mut poe: Option<OffsetDateTime> = None;
        for ts in &mut s.timestamps {
            timestamps.push(TimestampReport {
                kind: ts_kind(ts.kind),
                gen_time: ts.gen_time,
                valid: ts.intact,
            });
            let name = ["timestamp:", ts.kind.name()].concat();
            let detail = std::mem::take(&mut ts.detail);
            // A failed time-stamp is named: which one, then why.
            let detail = if ts.intact {
                detail
            } else {
                let when = ts
                    .gen_time
                    .map_or_else(|| "unknown time".to_owned(), rfc3339);
                [
                    ts_kind(ts.kind),
                    " time-stamp of ",
                    &when,
                    " is not valid: ",
                    &detail,
                ]
                .concat()
            };
            checks.push(CheckReport::new(name, ts.intact, detail));
            if ts.kind == TimestampKind::Signature
                && ts.intact
                && let Some(g) = ts.gen_time
            {
                poe = Some(poe.map_or(g, |p: OffsetDateTime| p.min(g)));
            }
        }
        self.control_time_checks(&s, &mut checks);
        if let Some(detail) = timestamp_order(&s) {
            checks.push(CheckReport::new("timestamp-order", false, detail));
            findings.push((I, S::TIMESTAMP_ORDER_FAILURE));
        }
        let best = poe.unwrap_or(self.at);
        // Written once for the checks below that name it.
        let best_text = rfc3339(best);
        // Algorithm sunset of the signer's key at the best-signature-time.
        if let Some(cert) = &s.signer_cert
            && let Some((size, Some(sunset))) = crate::sunset::key_sunset_of_spki(cert.cert().spki)
        {
            if best >= sunset {
                checks.push(CheckReport::new(
                    "algorithm-sunset",
                    false,
                    format!(
                        "{} sunset {} ({}); no proof of existence before it",
                        size.name(),
                        kenpo_core::timefmt::rfc3339(sunset),
                        crate::sunset::SUNSET_POLICY
                    ),
                ));
                findings.push((I, S::CRYPTO_CONSTRAINTS_FAILURE_NO_POE));
            } else {
                checks.push(CheckReport::new(
                    "algorithm-sunset",
                    true,
                    [
                        &size.name(),
                        " sunset ",
                        &rfc3339(sunset),
                        ": proof of existence ",
                        &best_text,
                        " is before it",
                    ]
                    .concat(),
                ));
            }
        }
        checks.push(CheckReport::new(
            "best-signature-time",
            true,
            match poe {
                Some(_) => [&best_text, " (earliest valid signature time-stamp)"].concat(),
                None => [
                    &best_text,
                    " (validation time: no valid signature time-stamp)",
                ]
                .concat(),
            },
        ));

        // X.509 validation of the signer at best-signature-time.
        if self.opts.revocation == RevocationMode::Require && self.no_source {
            checks.push(CheckReport::new(
                "revocation-data",
                false,
                "--revocation require: no CRL or OCSP response supplied or embedded, no cache directory, and offline",
            ));
            findings.push((I, S::TRY_LATER));
        } else if let Some(cert) = &s.signer_cert {
            let v = PathValidator::with_shared_anchors(
                self.anchors.clone(),
                path_options(self.opts.profile, best, self.mode),
            )
            .with_shared_intermediates(self.store.clone())
            .with_revocation(self.checker.clone())
            .with_context(self.ctx.clone());
            let v = super::online(v, self.opts.offline, &self.opts.fetch_allow);
            match v.validate_found(cert.der(), self.carried) {
                Ok(p) => {
                    checks.push(CheckReport::new(
                        "path",
                        true,
                        [
                            "validated at ",
                            &best_text,
                            " to ",
                            &p.certs().last().map(|a| subject(a)).unwrap_or_default(),
                        ]
                        .concat(),
                    ));
                    found_checks(p, &mut checks);
                }
                Err(e) => {
                    checks.push(CheckReport::new(
                        "path",
                        false,
                        format!("at {best_text}: {e}"),
                    ));
                    findings.push(path_finding(&e, s.signing_time, poe.is_some()));
                }
            }
        }

        let (indication, sub_indication) = pick(&findings);
        let level = level_of(&s, lt_data, poe.is_some(), &mut checks);
        SignatureReport {
            indication,
            sub_indication,
            level,
            signer: summary
                .unwrap_or_else(|| signer_report(s.signer_cert.as_deref().map(SharedCert::der))),
            signing_time: s.signing_time,
            best_signature_time: best,
            timestamps,
            checks,
        }
    }
}

/// The baseline level the valid evidence supports, each level needing the one below:
/// B-T a valid signature time-stamp (`t_valid`), B-LT validation data on top of B-T, B-LTA
/// a valid archive time-stamp on top of B-LT. When a time-stamp that was present but failed
/// keeps the signature below the level its attributes claim, a failed `level` check says so.
fn level_of(
    s: &SignerCheck,
    lt_data: bool,
    t_valid: bool,
    checks: &mut Vec<CheckReport>,
) -> &'static str {
    let archive = |t: &&crate::signature::TimestampCheck| {
        matches!(t.kind, TimestampKind::ArchiveV2 | TimestampKind::ArchiveV3)
    };
    let has_signature_ts = s
        .timestamps
        .iter()
        .any(|t| t.kind == TimestampKind::Signature);
    let has_archive = s.timestamps.iter().any(|t| archive(&t));
    let archive_valid = s.timestamps.iter().filter(archive).any(|t| t.intact);
    let lt_valid = t_valid && lt_data;
    let level = if lt_valid && archive_valid {
        "B-LTA"
    } else if lt_valid {
        "B-LT"
    } else if t_valid {
        "B-T"
    } else {
        "B-B"
    };
    let limited = if has_signature_ts && !t_valid {
        Some("no signature time-stamp is valid, so neither B-T nor any level above it")
    } else if lt_valid && has_archive && !archive_valid {
        Some("no archive time-stamp is valid, so not B-LTA")
    } else {
        None
    };
    if let Some(why) = limited {
        checks.push(CheckReport::new(
            "level",
            false,
            [level, ": ", why].concat(),
        ));
    }
    level
}

impl SigCtx<'_> {
    /// One check per TSA path validation: genTime, control time, outcome.
    fn control_time_checks(&self, s: &SignerCheck, checks: &mut Vec<CheckReport>) {
        for (t, v) in s
            .timestamps
            .iter()
            .filter_map(|t| Some((t.gen_time?, t.tsa_path?)))
        {
            checks.push(CheckReport::new(
                "timestamp:tsa-control-time",
                v.passed,
                [
                    "TSA path for the token of ",
                    &rfc3339(t),
                    " checked up to ",
                    &rfc3339(v.checked_until),
                    if v.checked_until == self.at {
                        " (validation time)"
                    } else {
                        " (next archive time-stamp)"
                    },
                ]
                .concat(),
            ));
        }
    }
}

/// EN 319 102-1 §5.6.2.4 (b): content time-stamps before signature time-stamps before
/// archive time-stamps (valid ones only). Returns what is out of order.
fn timestamp_order(s: &SignerCheck) -> Option<String> {
    let latest = |kinds: &[TimestampKind]| {
        s.timestamps
            .iter()
            .filter(|t| t.intact && kinds.contains(&t.kind))
            .filter_map(|t| t.gen_time)
            .max()
    };
    let earliest = |kinds: &[TimestampKind]| {
        s.timestamps
            .iter()
            .filter(|t| t.intact && kinds.contains(&t.kind))
            .filter_map(|t| t.gen_time)
            .min()
    };
    let archive = [TimestampKind::ArchiveV2, TimestampKind::ArchiveV3];
    let content = latest(&[TimestampKind::Content]);
    let signature_first = earliest(&[TimestampKind::Signature]);
    let signature_last = latest(&[TimestampKind::Signature]);
    let archive_first = earliest(&archive);
    let fmt = kenpo_core::timefmt::rfc3339;
    if let (Some(c), Some(sig)) = (content, signature_first)
        && c > sig
    {
        return Some(format!(
            "content time-stamp {} is later than the signature time-stamp {}",
            fmt(c),
            fmt(sig)
        ));
    }
    if let (Some(sig), Some(a)) = (signature_last, archive_first)
        && sig > a
    {
        return Some(format!(
            "signature time-stamp {} is later than the archive time-stamp {}",
            fmt(sig),
            fmt(a)
        ));
    }
    None
}
