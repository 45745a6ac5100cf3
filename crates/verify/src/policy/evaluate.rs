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

    /// What is missing, in `lang` (see [`super::texts`]).
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
        match earliest {
            None => unmet.push(Requirement::SignatureTimestamp),
            Some(g) if s.signer_validated_at != Some(g) => {
                unmet.push(Requirement::ValidAtTimestamp { gen_time: g });
            }
            Some(_) => {}
        }
    }
    if policy.level >= BaselineLevel::BLta {
        let archives: Vec<&TimestampReport> = s
            .timestamps
            .iter()
            .filter(|t| t.kind == "archive")
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
