//! [`Policy`]: what a validation policy requires.

use kenpo_sign::Profile;

use crate::sunset::SunsetOverrides;
use crate::validate::{POLICY_NAME, RevocationMode};

/// A baseline level (ETSI EN 319 122-1), in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BaselineLevel {
    /// B-B: the signature alone.
    BB,
    /// B-T: a valid signature time-stamp.
    BT,
    /// B-LT: B-T with validation data.
    BLt,
    /// B-LTA: B-LT with a valid archive time-stamp.
    BLta,
}

impl BaselineLevel {
    /// `B-B`, `B-T`, `B-LT` or `B-LTA`, as reports write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::BB => "B-B",
            Self::BT => "B-T",
            Self::BLt => "B-LT",
            Self::BLta => "B-LTA",
        }
    }

    /// The level named `name` (`B-T`, `b-t`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::BB, Self::BT, Self::BLt, Self::BLta]
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(name))
    }
}

/// The built-in policies, by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyName {
    /// `default`: EN 319 102-1 as without a policy.
    Default,
    /// `rule27-sign`.
    Rule27Sign,
    /// `rule27-archive`.
    Rule27Archive,
}

impl PolicyName {
    /// The built-in named `name` on the command line, if any.
    pub fn from_arg(name: &str) -> Option<Self> {
        match name {
            "default" => Some(Self::Default),
            "rule27-sign" => Some(Self::Rule27Sign),
            "rule27-archive" => Some(Self::Rule27Archive),
            _ => None,
        }
    }

    /// The policy.
    pub fn policy(self) -> Policy {
        match self {
            Self::Default => Policy::default(),
            Self::Rule27Sign => Policy::rule27_sign(),
            Self::Rule27Archive => Policy::rule27_archive(),
        }
    }
}

/// A validation policy: the requirements a signature must meet beyond its EN 319 102-1
/// verdict, and the options it sets for the verification.
///
/// Requirements by level: `B-T` and above need a valid signature time-stamp (from an
/// accepted TSA) and the signer's path validated at its genTime; `B-LTA` needs every
/// archive time-stamp valid, the last one up to the validation time (its TSA certificate
/// unexpired, unrevoked and its key before its sunset then: the control-time rule).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// The name reported (`policy` of the JSON report).
    pub name: String,
    /// The lowest baseline level accepted (the level whose evidence is valid).
    pub level: BaselineLevel,
    /// The signer certificate must meet one of these profiles ([`Profile::Any`]: any).
    pub profiles: Vec<Profile>,
    /// Revocation mode the policy sets (`None`: the caller's, `hard` by default). An
    /// explicit `--revocation` wins over it.
    pub revocation: Option<RevocationMode>,
    /// SHA-256 fingerprints of the trust anchors a time-stamp's TSA path may end at
    /// (empty: any anchor of the verification).
    pub tsa_anchors: Vec<[u8; 32]>,
    /// Algorithm sunset dates replacing the table's.
    pub sunset: SunsetOverrides,
}

impl Default for Policy {
    /// `default`: EN 319 102-1 as without a policy; the report names it as before
    /// ([`POLICY_NAME`]).
    fn default() -> Self {
        Self {
            name: POLICY_NAME.into(),
            level: BaselineLevel::BB,
            profiles: vec![Profile::Any],
            revocation: None,
            tsa_anchors: Vec::new(),
            sunset: SunsetOverrides::default(),
        }
    }
}

impl Policy {
    /// `rule27-sign`: an HPKI signature or accredited signer certificate, a valid signature
    /// time-stamp, the certificate valid and unrevoked at its genTime (hard revocation).
    pub fn rule27_sign() -> Self {
        Self {
            name: "rule27-sign".into(),
            level: BaselineLevel::BT,
            profiles: vec![Profile::Hpki, Profile::Accredited],
            revocation: Some(RevocationMode::Hard),
            ..Self::default()
        }
    }

    /// `rule27-archive`: `rule27-sign` plus a valid B-LTA whose archive time-stamps are
    /// unbroken up to the validation time.
    pub fn rule27_archive() -> Self {
        Self {
            name: "rule27-archive".into(),
            level: BaselineLevel::BLta,
            ..Self::rule27_sign()
        }
    }

    /// A policy named `name` requiring nothing (as [`Policy::default`] under another
    /// name); set the public fields to require more.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// The built-in policy `default`, `rule27-sign` or `rule27-archive`, else the policy
    /// file at `arg` ([`Policy::from_file`]).
    pub fn from_arg(arg: &str) -> Result<Self, super::PolicyError> {
        match PolicyName::from_arg(arg) {
            Some(n) => Ok(n.policy()),
            None => Self::from_file(std::path::Path::new(arg)),
        }
    }

    /// Whether any signer certificate is accepted.
    pub fn any_profile(&self) -> bool {
        self.profiles.is_empty() || self.profiles.contains(&Profile::Any)
    }
}
