//! RFC 5280 certification path building and validation.
//!
//! [`PathValidator`] builds candidate paths from a leaf certificate to one of the
//! caller's trust anchors (depth-first, over a local store of intermediates plus the
//! certificates found with the signature), with loop detection, a depth limit and a budget
//! on signature verifications, and validates each candidate per RFC 5280 §6.1 at a given
//! time: signatures, validity, name chaining, basicConstraints and pathLen, keyUsage,
//! unknown critical extensions, name constraints and certificate policies, plus an
//! algorithm policy (sunset dates) and revocation of every non-anchor certificate.
//!
//! Revocation is asked of the checker with the path's trust anchor
//! ([`kenpo_revocation::RevocationCheck::status_on_path`]). With
//! [`PathValidator::with_checker`], a CRL signed by another key than the issuer's (a
//! separate CRL-signing certificate, an indirect CRL's issuer) is used only once the
//! signer's own path validates to that same anchor, revocation included (RFC 5280 §6.3.3
//! (f)); such nested validations are depth-limited and share the signature-check budget.
//!
//! Trust comes only from the anchors given to [`PathValidator::new`]: a self-signed
//! certificate found among the candidates is never trusted.
//!
//! HPKI: the real sub-CA does not assert the end-entity's policy, so explicit-policy mode is
//! off by default; the EE's own policy is checked against the trust profile with
//! [`ValidationOptions::leaf_policy_prefixes`] (see [`ValidationOptions::hpki_signature`]).

mod aia;
mod build;
mod crl_signer;
mod error;
mod found;
mod memo;
mod names;
mod policy;
mod validate;

use std::sync::Arc;

pub use kenpo_revocation::{Budget, LinkCache};

use const_oid::ObjectIdentifier as Oid;
use kenpo_revocation::RevocationCheck;
use time::OffsetDateTime;
use time::macros::datetime;

use std::borrow::Cow;

use crate::Context;
pub use crate::report::PathStep;
use crate::report::{CheckKind, CheckReport, Outcome, Text};
pub use x509_cert::ext::pkix::KeyUsages;

pub use crl_signer::MAX_NESTING as MAX_CRL_SIGNER_NESTING;
pub use error::PathError;
pub(crate) use found::{Found, subject_text};
pub use memo::PathMemo;
pub use policy::ANY_POLICY;

/// How revocation is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationMode {
    /// Not checked.
    Off,
    /// Checked; an unknown status is recorded as a failed [`Check`] but does not fail the
    /// path. A revoked certificate always fails it.
    #[default]
    Soft,
    /// Checked; an unknown status fails the path ([`PathError::RevocationUnknown`]).
    Hard,
}

/// Algorithm policy: what is acceptable at the validation time.
///
/// MD5 (and any algorithm the crypto backends do not know) is always rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmPolicy {
    /// SHA-1 signatures on certificates are accepted only before this time
    /// (`None`: always accepted). Default 2012-08-01 (ETSI TS 119 312).
    pub sha1_sunset: Option<OffsetDateTime>,
    /// RSA keys shorter than [`AlgorithmPolicy::min_rsa_bits`] are accepted only before
    /// this time. Default 2019-10-01.
    pub weak_rsa_sunset: Option<OffsetDateTime>,
    /// RSA key size below which [`AlgorithmPolicy::weak_rsa_sunset`] applies (default 1900,
    /// so RSA-2048 is not weak).
    pub min_rsa_bits: usize,
    /// RSA keys shorter than this are never accepted (default 1024).
    pub floor_rsa_bits: usize,
}

impl Default for AlgorithmPolicy {
    fn default() -> Self {
        Self {
            sha1_sunset: Some(datetime!(2012-08-01 00:00 UTC)),
            weak_rsa_sunset: Some(datetime!(2019-10-01 00:00 UTC)),
            min_rsa_bits: 1900,
            floor_rsa_bits: 1024,
        }
    }
}

/// What to check and how hard to try.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// Validation time.
    pub time: OffsetDateTime,
    /// Maximum number of intermediate CA certificates between the leaf and the anchor
    /// (default 10).
    pub max_depth: usize,
    /// Maximum number of certificate signature verifications while building (default 64).
    pub max_signature_checks: usize,
    /// Extended key usage the leaf must allow.
    pub required_eku: Option<Oid>,
    /// When set with [`ValidationOptions::required_eku`], the leaf must carry the
    /// extendedKeyUsage extension (RFC 3161 TSA certificates); otherwise an absent
    /// extension allows any use.
    pub eku_must_be_present: bool,
    /// When set with [`ValidationOptions::required_eku`], intermediate CAs that carry an
    /// extendedKeyUsage extension must allow that purpose too (common practice, not in
    /// RFC 5280; default off).
    pub ca_eku_nesting: bool,
    /// keyUsage bits the leaf must have when it carries the extension.
    pub required_key_usage: Vec<KeyUsages>,
    /// user-initial-policy-set (`None`: anyPolicy).
    pub initial_policy_set: Option<Vec<Oid>>,
    /// initial-explicit-policy (default off: HPKI sub-CAs do not assert the EE policy).
    pub explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub inhibit_policy_mapping: bool,
    /// initial-any-policy-inhibit.
    pub inhibit_any_policy: bool,
    /// Trust profile: when not empty, the leaf's certificatePolicies must contain an OID
    /// equal to one of these, or under one of them when the entry ends with `.`.
    pub leaf_policy_prefixes: Vec<String>,
    /// Trust profile: leaf policy OIDs (or arcs ending with `.`) that are refused.
    pub forbidden_leaf_policy_prefixes: Vec<String>,
    /// Algorithm policy.
    pub algorithms: AlgorithmPolicy,
    /// Revocation handling (needs a checker, see [`PathValidator::with_revocation`]).
    pub revocation_mode: RevocationMode,
    /// Check the trust anchor's own validity period too (default true).
    pub check_anchor_validity: bool,
    /// Also enforce RFC 5280 §4 rules for *conforming CAs* that §6 path processing does
    /// not: basicConstraints and policyConstraints critical in CA certificates, and a
    /// trust anchor that is itself a conforming CA certificate (critical basicConstraints
    /// cA, subjectKeyIdentifier, authorityKeyIdentifier when cross-signed). Default off:
    /// NIST PKITS expects non-critical ones to be accepted, and some real anchors (such as
    /// the e-prescription test TSA CA) carry no basicConstraints.
    pub strict_conformance: bool,
}

impl ValidationOptions {
    /// Defaults at `time`.
    pub fn at(time: OffsetDateTime) -> Self {
        Self {
            time,
            max_depth: 10,
            max_signature_checks: 64,
            required_eku: None,
            eku_must_be_present: false,
            ca_eku_nesting: false,
            required_key_usage: Vec::new(),
            initial_policy_set: None,
            explicit_policy: false,
            inhibit_policy_mapping: false,
            inhibit_any_policy: false,
            leaf_policy_prefixes: Vec::new(),
            forbidden_leaf_policy_prefixes: Vec::new(),
            algorithms: AlgorithmPolicy::default(),
            revocation_mode: RevocationMode::Soft,
            check_anchor_validity: true,
            strict_conformance: false,
        }
    }

    /// HPKI signature profile at `time`: leaf policy under the HPKI signature arc, never
    /// the authentication arc, keyUsage nonRepudiation, hard revocation (so a checker must
    /// be set with [`PathValidator::with_revocation`], else every path fails with
    /// [`PathError::RevocationUnknown`]).
    pub fn hpki_signature(time: OffsetDateTime) -> Self {
        Self {
            required_key_usage: vec![KeyUsages::NonRepudiation],
            leaf_policy_prefixes: vec![kenpo_core::oid::HPKI_SIGNATURE_POLICY_ARC.into()],
            forbidden_leaf_policy_prefixes: vec![kenpo_core::oid::HPKI_AUTH_POLICY_ARC.into()],
            revocation_mode: RevocationMode::Hard,
            ..Self::at(time)
        }
    }
}

/// One check done on the path, for reports (typed: its text is written at output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which step (`signature[1]`, `validity[0]`, `revocation[0]` …; index 0 = leaf).
    pub step: PathStep,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub outcome: Outcome,
}

impl Check {
    /// A check.
    pub(crate) fn new(step: PathStep, passed: bool, outcome: Outcome) -> Self {
        Self {
            step,
            passed,
            outcome,
        }
    }

    /// Short name (`signature[1]`, `validity[0]`, `revocation[0]` …).
    pub fn name(&self) -> Cow<'static, str> {
        self.step.name()
    }

    /// What was found, in English.
    pub fn detail(&self) -> Cow<'_, str> {
        self.outcome.text()
    }

    /// This check in a signature report, named `path:<name>`.
    pub(crate) fn into_report(self) -> CheckReport {
        CheckReport::new(CheckKind::PathStep(self.step), self.passed, self.outcome)
    }

    /// As [`Check::into_report`], with texts that clone without copying (for checks
    /// reported again and again).
    pub(crate) fn shared_report(&self) -> CheckReport {
        let mut r = self.clone().into_report();
        if let Outcome::Text(t) | Outcome::RevocationGood(t) | Outcome::RevocationUnknownSoft(t) =
            &mut r.outcome
        {
            *t = std::mem::replace(t, Text::fixed("")).into_shared();
        }
        r
    }
}

/// A validated path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedPath {
    /// DER certificates, leaf first, trust anchor last.
    pub certs: Vec<Vec<u8>>,
    /// Authorities-constrained policies of the leaf (empty when the tree is null;
    /// [`ANY_POLICY`] when any policy is acceptable).
    pub policies: Vec<Oid>,
    /// Every check made, in order.
    pub checks: Vec<Check>,
}

/// RFC 5280 path builder and validator.
///
/// It is also a [`kenpo_revocation::CrlSignerValidator`]: see
/// [`PathValidator::with_checker`].
#[derive(Clone)]
pub struct PathValidator {
    /// Shared, not copied, between the validators of a run.
    anchors: Arc<Vec<Vec<u8>>>,
    intermediates: Arc<Vec<Vec<u8>>>,
    options: ValidationOptions,
    revocation: Option<Arc<dyn RevocationCheck>>,
    ca_issuers: Option<Arc<kenpo_revocation::fetch::Fetcher>>,
    /// Parsed certificates and keys, verified links, remembered paths, fetched issuers.
    ctx: Arc<Context>,
}

impl std::fmt::Debug for PathValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathValidator")
            .field("anchors", &self.anchors.len())
            .field("intermediates", &self.intermediates.len())
            .field("options", &self.options)
            .field("revocation", &self.revocation.is_some())
            .finish()
    }
}

impl PathValidator {
    /// A validator trusting exactly `anchors` (DER certificates), with `options`.
    pub fn new(anchors: Vec<Vec<u8>>, options: ValidationOptions) -> Self {
        Self::with_shared_anchors(Arc::new(anchors), options)
    }

    /// [`PathValidator::new`] with an anchor list shared with other validators (no copy).
    pub fn with_shared_anchors(anchors: Arc<Vec<Vec<u8>>>, options: ValidationOptions) -> Self {
        Self {
            anchors,
            intermediates: Arc::default(),
            options,
            revocation: None,
            ca_issuers: None,
            ctx: Arc::new(Context::one_shot()),
        }
    }

    /// Works in `ctx` (by default a fresh one-shot [`Context`]): certificates parsed and
    /// signatures verified there are not parsed or verified again, and when it remembers
    /// paths ([`Context::new`]), a leaf met again with the same options but another time
    /// has only the time-dependent checks (validity, algorithm sunsets) and revocation
    /// re-run on the remembered path before building afresh (see [`PathMemo`]). Share one
    /// context between the validators of a run.
    ///
    /// A remembered path is used only when its intermediates are among this
    /// validation's candidates and its anchor among this validator's anchors; when it no
    /// longer holds, the path is built and validated afresh, so failures are reported as
    /// without the memo. When several paths would validate, the remembered one is
    /// reported, not necessarily the first a fresh search would find.
    pub fn with_context(mut self, ctx: Arc<Context>) -> Self {
        self.ctx = ctx;
        self
    }

    /// The context this validator works in.
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// Online mode: fetch missing issuer certificates from authorityInfoAccess caIssuers
    /// URLs with `fetcher` (its limits and offline switch apply).
    pub fn with_ca_issuers_fetch(mut self, fetcher: Arc<kenpo_revocation::fetch::Fetcher>) -> Self {
        self.ca_issuers = Some(fetcher);
        self
    }

    /// Adds a local store of intermediate certificates (DER; never trusted).
    pub fn with_intermediates(mut self, certs: Vec<Vec<u8>>) -> Self {
        Arc::make_mut(&mut self.intermediates).extend(certs);
        self
    }

    /// [`PathValidator::with_intermediates`] with a store shared with other validators
    /// (no copy while this validator has no intermediates of its own).
    pub fn with_shared_intermediates(mut self, certs: Arc<Vec<Vec<u8>>>) -> Self {
        if self.intermediates.is_empty() {
            self.intermediates = certs;
        } else {
            Arc::make_mut(&mut self.intermediates).extend(certs.iter().cloned());
        }
        self
    }

    /// Uses `checker` for the revocation of every non-anchor certificate on the path.
    pub fn with_revocation(mut self, checker: Arc<dyn RevocationCheck>) -> Self {
        self.revocation = Some(checker);
        self
    }

    /// The options.
    pub fn options(&self) -> &ValidationOptions {
        &self.options
    }

    /// Mutable options.
    pub fn options_mut(&mut self) -> &mut ValidationOptions {
        &mut self.options
    }

    /// Builds and validates a path for `leaf` (DER) at the configured time;
    /// `extra_candidates` are certificates from the signature or its long-term values
    /// (used as intermediates only).
    pub fn validate(
        &self,
        leaf: &[u8],
        extra_candidates: &[&[u8]],
    ) -> Result<ValidatedPath, PathError> {
        self.validate_with(&self.options, leaf, extra_candidates)
    }

    /// As [`PathValidator::validate`] with other options (e.g. another time).
    pub fn validate_with(
        &self,
        options: &ValidationOptions,
        leaf: &[u8],
        extra_candidates: &[&[u8]],
    ) -> Result<ValidatedPath, PathError> {
        let mut budget = Budget::new(options.max_signature_checks);
        self.validate_within(options, leaf, extra_candidates, &mut budget)
    }

    /// As [`PathValidator::validate_with`], spending from `budget` (an enclosing
    /// validation's) instead of [`ValidationOptions::max_signature_checks`].
    pub fn validate_within(
        &self,
        options: &ValidationOptions,
        leaf: &[u8],
        extra_candidates: &[&[u8]],
        budget: &mut Budget,
    ) -> Result<ValidatedPath, PathError> {
        let revocation = self.revocation.as_deref();
        build::build_and_validate(self, options, leaf, extra_candidates, revocation, budget)
            .map(Found::into_path)
    }

    /// As [`PathValidator::validate`], without copying a path replayed from the memo.
    pub(crate) fn validate_found(
        &self,
        leaf: &[u8],
        extra_candidates: &[&[u8]],
    ) -> Result<Found, PathError> {
        let mut budget = Budget::new(self.options.max_signature_checks);
        let revocation = self.revocation.as_deref();
        build::build_and_validate(
            self,
            &self.options,
            leaf,
            extra_candidates,
            revocation,
            &mut budget,
        )
    }
}

impl PathValidator {
    /// The TSA certificate's path at `at` (the [`kenpo_tsa::TsaCertValidator`]
    /// rules: id-kp-timeStamping required, no signer policy or key usage), not copied
    /// when replayed; the error as the token reports it.
    pub(crate) fn tsa_found(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        at: OffsetDateTime,
    ) -> Result<Found, String> {
        let mut opts = self.options.clone();
        opts.time = at;
        opts.required_eku = Some(kenpo_core::oid::KP_TIME_STAMPING);
        opts.eku_must_be_present = true;
        opts.leaf_policy_prefixes.clear();
        opts.forbidden_leaf_policy_prefixes.clear();
        opts.required_key_usage.clear();
        let mut budget = Budget::new(opts.max_signature_checks);
        let revocation = self.revocation.as_deref();
        build::build_and_validate(self, &opts, tsa_cert, candidates, revocation, &mut budget)
            .map_err(|e| format!("{} ({})", e, e.sub_indication()))
    }
}

impl kenpo_tsa::TsaCertValidator for PathValidator {
    fn validate(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        at: OffsetDateTime,
    ) -> Result<Vec<Vec<u8>>, String> {
        self.tsa_found(tsa_cert, candidates, at)
            .map(Found::into_certs)
    }

    fn accepts(
        &self,
        tsa_cert: &[u8],
        candidates: &[&[u8]],
        at: OffsetDateTime,
    ) -> Result<(), String> {
        self.tsa_found(tsa_cert, candidates, at).map(drop)
    }
}
