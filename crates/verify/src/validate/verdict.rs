//! Per-signature verdict: the building blocks of EN 319 102-1 applied to the
//! [`SignatureEvidence`] of one signature (whatever its format, see [`super::evidence`]).

use std::sync::Arc;

use kenpo_core::shared_cert::SharedCert;
use kenpo_revocation::RevocationCheck;
use kenpo_sign::Profile;
use kenpo_sign::profile::check_profile;
use time::OffsetDateTime;

use super::evidence::{DataIntegrity, SignatureEvidence, SignatureValue, TimestampKind};
use super::profiles::summary_report;
use super::{RevocationMode, VerifyOptions, path_options};
use crate::path::{self, Found, PathError, PathValidator, ValidatedPath};
use crate::report::{
    CheckKind, CheckReport, ImprintScope, LevelLimit, OrderFailure, Outcome, SignatureReport,
    SignerReport, TimestampFinding, TimestampOutcome, TimestampReport, TokenOutcome,
};
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

/// The certificates' subjects as text (empty when unreadable).
pub(super) fn subjects(certs: &[Vec<u8>]) -> Vec<String> {
    certs.iter().map(|c| path::subject_text(c)).collect()
}

/// The signer fields of `cert`: its profile summary, else only the subjectAltName
/// directoryNames (the kanji name of HPKI signers).
pub(super) fn signer_report(cert: Option<&[u8]>) -> SignerReport {
    let Some(c) = cert else {
        return SignerReport::default();
    };
    match check_profile(Profile::Any, c) {
        Ok(s) => summary_report(s, c),
        Err(_) => SignerReport {
            alt_names: crate::report::alt_names(c),
            ..SignerReport::default()
        },
    }
}

pub(super) struct SigCtx<'a> {
    pub(super) opts: &'a VerifyOptions,
    pub(super) at: OffsetDateTime,
    pub(super) anchors: &'a Arc<Vec<Vec<u8>>>,
    /// The caller's certificate store (shared, never copied).
    pub(super) store: &'a Arc<Vec<Vec<u8>>>,
    pub(super) checker: &'a Arc<dyn RevocationCheck>,
    pub(super) mode: path::RevocationMode,
    pub(super) no_source: bool,
    /// The verification context (parsed certificates, verified links, remembered paths,
    /// profile answers).
    pub(super) ctx: &'a Arc<crate::Context>,
}

impl SigCtx<'_> {
    /// The report of one signature (its findings move into the report).
    pub(super) fn signature(&self, mut s: SignatureEvidence<'_>) -> SignatureReport {
        use Indication::{Indeterminate as I, TotalFailed as F};
        use SubIndication as S;
        // Room for what follows (profile, time-stamps, sunset, path and its checks: about
        // thirty for a B-T signature), so the list is not copied as it grows.
        let mut checks: Vec<CheckReport> = std::mem::take(&mut s.findings);
        checks.reserve(32);
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
                CheckKind::SigningCertificateBinding,
                false,
                Outcome::NoSigningCertificateAttribute,
            ));
        }
        if s.format_failure {
            findings.push((F, S::FORMAT_FAILURE));
        }
        // Cryptographic verification. An algorithm that cannot be checked here leaves the
        // signature unchecked, neither intact nor broken: INDETERMINATE with
        // CRYPTO_CONSTRAINTS_FAILURE_NO_POE, as DSS reports an algorithm its validation
        // policy does not cover (EN 319 102-1 §5.2.8: the algorithm cannot be shown to be
        // reliable, and no proof of existence helps).
        if let Some(what) = &s.unsupported_algorithm {
            checks.push(CheckReport::new(
                CheckKind::AlgorithmSupport,
                false,
                Outcome::UnsupportedAlgorithm(what.clone()),
            ));
            findings.push((I, S::CRYPTO_CONSTRAINTS_FAILURE_NO_POE));
        }
        match s.data {
            DataIntegrity::Broken => findings.push((F, S::HASH_FAILURE)),
            DataIntegrity::Intact => {}
            DataIntegrity::ContentMissing => {
                checks.push(CheckReport::new(
                    CheckKind::SignedData,
                    false,
                    Outcome::ContentNotGiven,
                ));
                findings.push((I, S::SIGNED_DATA_NOT_FOUND));
            }
            DataIntegrity::NotCheckable
                if s.format_failure || s.unsupported_algorithm.is_some() => {}
            DataIntegrity::NotCheckable => findings.push((F, S::HASH_FAILURE)),
        }
        if s.signer_cert.is_some()
            && s.signature_value == SignatureValue::Broken
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
                        CheckKind::Profile,
                        true,
                        Outcome::ProfileMet(self.opts.profile),
                    ));
                }
                Err(e) => {
                    checks.push(CheckReport::new(
                        CheckKind::Profile,
                        false,
                        Outcome::ProfileRefused(e.to_string()),
                    ));
                    findings.push((I, S::SIG_CONSTRAINTS_FAILURE));
                }
            }
        }

        // The profiles the signer meets, for the validation policy.
        let signer_profiles: Vec<Profile> = s.signer_cert.as_ref().map_or_else(Vec::new, |c| {
            [Profile::Hpki, Profile::Accredited]
                .into_iter()
                .filter(|p| self.ctx.profiles.check(*p, c).is_ok())
                .collect()
        });

        // Time-stamps and best-signature-time.
        let mut timestamps = Vec::new();
        let mut poe: Option<OffsetDateTime> = None;
        for ts in &mut s.timestamps {
            timestamps.push(TimestampReport {
                kind: ts.kind.role(),
                gen_time: ts.gen_time,
                valid: ts.intact,
                tsa_anchor_sha256: ts.tsa_anchor_sha256.filter(|_| ts.intact),
            });
            // A failed time-stamp is named at output: which one, then why.
            checks.push(CheckReport::new(
                CheckKind::Timestamp(ts.kind),
                ts.intact,
                Outcome::Timestamp(Box::new(TimestampOutcome {
                    kind: ts.kind,
                    gen_time: ts.gen_time,
                    intact: ts.intact,
                    finding: take_finding(&mut ts.detail),
                })),
            ));
            if ts.kind == TimestampKind::Signature
                && ts.intact
                && let Some(g) = ts.gen_time
            {
                poe = Some(poe.map_or(g, |p: OffsetDateTime| p.min(g)));
            }
        }
        self.control_time_checks(&s, &mut checks);
        if let Some(order) = timestamp_order(&s) {
            checks.push(CheckReport::new(
                CheckKind::TimestampOrder,
                false,
                Outcome::TimestampOrder(order),
            ));
            findings.push((I, S::TIMESTAMP_ORDER_FAILURE));
        }
        let best = poe.unwrap_or(self.at);
        // Algorithm sunset of the signer's key at the best-signature-time.
        if let Some(cert) = &s.signer_cert
            && let Some((key, Some(sunset))) =
                self.opts.policy.sunset.key_sunset_of_spki(cert.cert().spki)
        {
            if best >= sunset {
                checks.push(CheckReport::new(
                    CheckKind::AlgorithmSunset,
                    false,
                    Outcome::SunsetReached { key, sunset },
                ));
                findings.push((I, S::CRYPTO_CONSTRAINTS_FAILURE_NO_POE));
            } else {
                checks.push(CheckReport::new(
                    CheckKind::AlgorithmSunset,
                    true,
                    Outcome::BeforeSunset {
                        key,
                        sunset,
                        poe: best,
                    },
                ));
            }
        }
        checks.push(CheckReport::new(
            CheckKind::BestSignatureTime,
            true,
            Outcome::BestSignatureTime {
                time: best,
                from_timestamp: poe.is_some(),
            },
        ));

        // X.509 validation of the signer at best-signature-time.
        let mut signer_validated_at = None;
        if self.opts.revocation == RevocationMode::Require && self.no_source {
            checks.push(CheckReport::new(
                CheckKind::RevocationData,
                false,
                Outcome::NoRevocationSource,
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
            match v.validate_found(cert.der(), s.embedded.certificates) {
                Ok(p) => {
                    signer_validated_at = Some(best);
                    checks.push(CheckReport::new(
                        CheckKind::Path,
                        true,
                        Outcome::PathValidated {
                            at: best,
                            anchor: Some(p.anchor_subject()),
                        },
                    ));
                    found_checks(p, &mut checks);
                }
                Err(e) => {
                    findings.push(path_finding(&e, s.signing_time, poe.is_some()));
                    checks.push(CheckReport::new(
                        CheckKind::Path,
                        false,
                        Outcome::PathFailed {
                            at: best,
                            error: Box::new(e),
                        },
                    ));
                }
            }
        }

        let (indication, sub_indication) = pick(&findings);
        let level = level_of(&s, poe.is_some(), &mut checks);
        SignatureReport {
            indication,
            sub_indication,
            level,
            format: "CAdES",
            signer: summary
                .unwrap_or_else(|| signer_report(s.signer_cert.as_deref().map(SharedCert::der))),
            signing_time: s.signing_time,
            best_signature_time: best,
            timestamps,
            checks,
            signer_profiles,
            signer_validated_at,
            policy_unmet: Vec::new(),
        }
    }
}

/// A time-stamp's findings, moved into its report check (only its kind, time and validity
/// are read afterwards); what is left behind allocates nothing.
fn take_finding(f: &mut TimestampFinding) -> TimestampFinding {
    let moved = TimestampFinding {
        token: TokenOutcome::Fails(String::new()),
        tst_readable: false,
        imprint: None,
        scope: ImprintScope::Direct,
    };
    std::mem::replace(f, moved)
}

/// The baseline level the valid evidence supports, each level needing the one below:
/// B-T a valid signature time-stamp (`t_valid`), B-LT validation data on top of B-T, B-LTA
/// a valid archive time-stamp on top of B-LT. When a time-stamp that was present but failed
/// keeps the signature below the level its attributes claim, a failed `level` check says so.
fn level_of(
    s: &SignatureEvidence<'_>,
    t_valid: bool,
    checks: &mut Vec<CheckReport>,
) -> &'static str {
    let archive = |t: &&crate::validate::evidence::TimestampEvidence| t.kind.is_archive();
    let has_signature_ts = s
        .timestamps
        .iter()
        .any(|t| t.kind == TimestampKind::Signature);
    let has_archive = s.timestamps.iter().any(|t| archive(&t));
    let archive_valid = s.timestamps.iter().filter(archive).any(|t| t.intact);
    let lt_valid = t_valid && s.embedded.validation_data;
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
        Some(LevelLimit::NoValidSignatureTimestamp)
    } else if lt_valid && has_archive && !archive_valid {
        Some(LevelLimit::NoValidArchiveTimestamp)
    } else {
        None
    };
    if let Some(why) = limited {
        checks.push(CheckReport::new(
            CheckKind::Level,
            false,
            Outcome::LevelLimited { level, why },
        ));
    }
    level
}

impl SigCtx<'_> {
    /// One check per TSA path validation: genTime, control time, outcome.
    fn control_time_checks(&self, s: &SignatureEvidence<'_>, checks: &mut Vec<CheckReport>) {
        for (t, v) in s
            .timestamps
            .iter()
            .filter_map(|t| Some((t.gen_time?, t.tsa_path?)))
        {
            checks.push(CheckReport::new(
                CheckKind::TsaControlTime,
                v.passed,
                Outcome::TsaControlTime {
                    gen_time: t,
                    control_time: v.checked_until,
                    validation_time: v.checked_until == self.at,
                },
            ));
        }
    }
}

/// EN 319 102-1 §5.6.2.4 (b): content time-stamps before signature time-stamps before
/// archive time-stamps (valid ones only). Returns what is out of order.
fn timestamp_order(s: &SignatureEvidence<'_>) -> Option<OrderFailure> {
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
    let archive = [
        TimestampKind::ArchiveV2,
        TimestampKind::ArchiveV3,
        TimestampKind::Archive,
    ];
    let content = latest(&[TimestampKind::Content]);
    let signature_first = earliest(&[TimestampKind::Signature]);
    let signature_last = latest(&[TimestampKind::Signature]);
    let archive_first = earliest(&archive);
    if let (Some(c), Some(sig)) = (content, signature_first)
        && c > sig
    {
        return Some(OrderFailure::ContentAfterSignature {
            content: c,
            signature: sig,
        });
    }
    if let (Some(sig), Some(a)) = (signature_last, archive_first)
        && sig > a
    {
        return Some(OrderFailure::SignatureAfterArchive {
            signature: sig,
            archive: a,
        });
    }
    None
}
