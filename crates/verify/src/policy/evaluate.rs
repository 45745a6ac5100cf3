//! [`evaluate`]: the requirements of a [`Policy`] a signature does not meet, from the typed
//! fields of its [`SignatureReport`]; [`apply`]: the report under the policy.

use kenpo_sign::Profile;
use time::OffsetDateTime;

use super::model::{BaselineLevel, Policy};
use crate::report::{Lang, Report, SignatureReport, TimestampReport};
use crate::{Indication, SubIndication};

/// A requirement of a policy that a signature does not meet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// The level whose evidence is valid is below the required one.
    Level {
        /// Required.
        required: BaselineLevel,
        /// Found.
        found: BaselineLevel,
    },
    /// The signer certificate meets none of the accepted profiles.
    Profile {
        /// The accepted profiles.
        accepted: Vec<Profile>,
    },
    /// No valid signature time-stamp (from an accepted TSA) covers the signature.
    SignatureTimestamp,
    /// The signer's path did not validate (valid, unrevoked) at the signature
    /// time-stamp's genTime.
    ValidAtTimestamp {
        /// genTime of the earliest valid signature time-stamp.
        gen_time: OffsetDateTime,
    },
    /// No valid archive time-stamp.
    ArchiveTimestamp,
    /// An archive time-stamp of the chain is not valid, so the chain is broken.
    ArchiveChain {
        /// Its genTime, when readable.
        gen_time: Option<OffsetDateTime>,
    },
    /// A valid time-stamp whose TSA path ends at an anchor the policy does not accept.
    TsaAnchor {
        /// `signature`, `archive` or `content`.
        kind: &'static str,
        /// Its genTime, when readable.
        gen_time: Option<OffsetDateTime>,
    },
}

impl Requirement {
    /// Short stable name (`level`, `profile`, `signature-timestamp`,
    /// `valid-at-timestamp`, `archive-timestamp`, `archive-chain`, `tsa-anchor`), the
    /// `requirement` of the JSON report.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Level { .. } => "level",
            Self::Profile { .. } => "profile",
            Self::SignatureTimestamp => "signature-timestamp",
            Self::ValidAtTimestamp { .. } => "valid-at-timestamp",
            Self::ArchiveTimestamp => "archive-timestamp",
            Self::ArchiveChain { .. } => "archive-chain",
            Self::TsaAnchor { .. } => "tsa-anchor",
        }
    }

    /// What is missing, in `lang` (see the `texts` module).
    pub fn text(&self, lang: Lang) -> String {
        super::texts::text(self, lang)
    }
}

fn accepted_ts(policy: &Policy, t: &TimestampReport) -> bool {
    t.valid
        && (policy.tsa_anchors.is_empty()
            || t.tsa_anchor_sha256
                .is_some_and(|a| policy.tsa_anchors.contains(&a)))
}

/// The requirements of `policy` that signature `s` does not meet (empty: it meets the
/// policy). Reads only typed fields: level, timestamps, signer profiles, the time the
/// signer's path validated.
pub fn evaluate(policy: &Policy, s: &SignatureReport) -> Vec<Requirement> {
    let mut unmet = Vec::new();
    let found = BaselineLevel::from_name(s.level).unwrap_or(BaselineLevel::BB);
    if found < policy.level {
        unmet.push(Requirement::Level {
            required: policy.level,
            found,
        });
    }
    if !policy.any_profile()
        && !policy
            .profiles
            .iter()
            .any(|p| s.signer_profiles.contains(p))
    {
        unmet.push(Requirement::Profile {
            accepted: policy.profiles.clone(),
        });
    }
    if policy.level >= BaselineLevel::BT {
        let earliest = s
            .timestamps
            .iter()
            .filter(|t| t.kind == "signature" && accepted_ts(policy, t))
            .filter_map(|t| t.gen_time)
            .min();
        // The signer's path is validated at the best-signature-time, the genTime of the
        // earliest valid signature time-stamp.
        let validated_at_a_timestamp = s.signer_validated_at.is_some_and(|v| {
            s.timestamps
                .iter()
                .any(|t| t.kind == "signature" && t.valid && t.gen_time == Some(v))
        });
        match earliest {
            None => unmet.push(Requirement::SignatureTimestamp),
            Some(g) if !validated_at_a_timestamp => {
                unmet.push(Requirement::ValidAtTimestamp { gen_time: g });
            }
            Some(_) => {}
        }
    }
    if policy.level >= BaselineLevel::BLta {
        let archives: Vec<&TimestampReport> = s
            .timestamps
            .iter()
            // A PDF's document time-stamps over the signature are its archive layer.
            .filter(|t| matches!(t.kind, "archive" | "document"))
            .collect();
        if !archives.iter().any(|t| t.valid) {
            unmet.push(Requirement::ArchiveTimestamp);
        }
        if let Some(broken) = archives.iter().find(|t| !t.valid) {
            unmet.push(Requirement::ArchiveChain {
                gen_time: broken.gen_time,
            });
        }
    }
    if !policy.tsa_anchors.is_empty() {
        for t in s
            .timestamps
            .iter()
            .filter(|t| t.valid && !accepted_ts(policy, t))
        {
            unmet.push(Requirement::TsaAnchor {
                kind: t.kind,
                gen_time: t.gen_time,
            });
        }
    }
    unmet
}

/// `report` under `policy`: the policy's name, each signature's unmet requirements
/// ([`SignatureReport::policy_unmet`]), and a signature that misses any requirement never
/// TOTAL_PASSED (INDETERMINATE / SIG_CONSTRAINTS_FAILURE; a worse verdict stands). The
/// report's own indication is then the worst again.
pub fn apply(policy: &Policy, report: &mut Report) {
    policy.name.clone_into(&mut report.policy);
    let mut changed = false;
    for s in &mut report.signatures {
        s.policy_unmet = evaluate(policy, s);
        if !s.policy_unmet.is_empty() && s.indication == Indication::TotalPassed {
            s.indication = Indication::Indeterminate;
            s.sub_indication = Some(SubIndication::SIG_CONSTRAINTS_FAILURE);
            changed = true;
        }
    }
    if changed
        && let Some(worst) = report
            .signatures
            .iter()
            .max_by_key(|s| s.indication.severity())
        && worst.indication.severity() > report.indication.severity()
    {
        report.indication = worst.indication;
        report.sub_indication = worst.sub_indication;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::SignerReport;

    fn sig(indication: Indication, level: &'static str) -> SignatureReport {
        SignatureReport {
            indication,
            sub_indication: (indication != Indication::TotalPassed)
                .then_some(SubIndication::HASH_FAILURE),
            level,
            format: "CAdES",
            signer: SignerReport::default(),
            signing_time: None,
            best_signature_time: OffsetDateTime::UNIX_EPOCH,
            timestamps: Vec::new(),
            checks: Vec::new(),
            signer_profiles: vec![Profile::Hpki],
            signer_validated_at: Some(OffsetDateTime::UNIX_EPOCH),
            policy_unmet: Vec::new(),
        }
    }

    fn report(signatures: Vec<SignatureReport>) -> Report {
        Report {
            indication: Indication::TotalPassed,
            sub_indication: None,
            signatures,
            policy: String::new(),
            validation_time: OffsetDateTime::UNIX_EPOCH,
            schema_version: crate::report::SCHEMA_VERSION,
        }
    }

    #[test]
    fn unmet_never_passes_and_a_worse_verdict_stands() {
        let mut r = report(vec![sig(Indication::TotalPassed, "B-B")]);
        apply(&Policy::rule27_sign(), &mut r);
        assert_eq!(r.policy, "rule27-sign");
        assert_eq!(r.indication, Indication::Indeterminate);
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::SIG_CONSTRAINTS_FAILURE)
        );
        assert_eq!(r.exit_code(), 3);

        let mut r = report(vec![
            sig(Indication::TotalPassed, "B-B"),
            sig(Indication::TotalFailed, "B-B"),
        ]);
        r.indication = Indication::TotalFailed;
        r.sub_indication = Some(SubIndication::HASH_FAILURE);
        apply(&Policy::rule27_sign(), &mut r);
        assert_eq!(r.indication, Indication::TotalFailed);
        assert_eq!(r.sub_indication, Some(SubIndication::HASH_FAILURE));
        assert_eq!(r.signatures[1].indication, Indication::TotalFailed);
        assert!(!r.signatures[1].policy_unmet.is_empty());

        // The default policy changes nothing.
        let mut r = report(vec![sig(Indication::TotalPassed, "B-B")]);
        apply(&Policy::default(), &mut r);
        assert_eq!(r.indication, Indication::TotalPassed);
        assert!(r.signatures[0].policy_unmet.is_empty());
    }

    #[test]
    fn archive_chain_and_tsa_anchors_are_read_from_the_time_stamps() {
        let t = |s: i64| Some(OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s));
        let ts = |kind, gen_time, valid, anchor: u8| TimestampReport {
            kind,
            gen_time,
            valid,
            tsa_anchor_sha256: valid.then_some([anchor; 32]),
        };
        let mut s = sig(Indication::TotalPassed, "B-LTA");
        s.signer_validated_at = t(1);
        s.timestamps = vec![
            ts("signature", t(1), true, 1),
            ts("archive", t(2), false, 1),
            ts("archive", t(3), true, 2),
        ];
        let unmet = evaluate(&Policy::rule27_archive(), &s);
        assert_eq!(unmet, vec![Requirement::ArchiveChain { gen_time: t(2) }]);
        let mut p = Policy::rule27_sign();
        p.tsa_anchors = vec![[1; 32]];
        assert_eq!(
            evaluate(&p, &s),
            vec![Requirement::TsaAnchor {
                kind: "archive",
                gen_time: t(3)
            }]
        );
        for r in evaluate(&p, &s) {
            assert!(!r.text(Lang::Ja).is_empty() && !r.text(Lang::En).is_empty());
        }
    }
}
