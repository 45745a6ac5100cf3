//! Declared validation policies (`--policy default|rule27-sign|rule27-archive|FILE`): what a
//! signature must show on top of its EN 319 102-1 verdict, the verdict of a signature that
//! does not show it, and the policy files that declare them (`docs/POLICY.md`, schema
//! `docs/schemas/policy.schema.json`).
//!
//! [`Policy`] is the model, read from JSON or TOML ([`PolicyError`] when it cannot be); [`evaluate`]
//! judges a [`crate::report::SignatureReport`] on its typed fields (indication, level,
//! time-stamps, the profiles the signer met, the time its path validated), never on check
//! texts, and names each unmet [`Requirement`] in English and Japanese.
//!
//! A signature that misses a requirement is never TOTAL_PASSED: a passed one becomes
//! INDETERMINATE / SIG_CONSTRAINTS_FAILURE (EN 319 102-1 §5.2.8, signature acceptance
//! validation: the signature does not meet the constraints of the validation policy); a
//! verdict that is already INDETERMINATE or TOTAL_FAILED stands.

pub(crate) mod evaluate;
pub(crate) mod model;
pub(crate) mod parse;
pub(crate) mod texts;

pub use evaluate::{Requirement, apply, evaluate};
pub use model::{BaselineLevel, Policy, PolicyName};
pub use parse::PolicyError;
