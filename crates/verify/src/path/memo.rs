//! [`PathMemo`]: paths that validated before, checked again at another time.
//!
//! A batch meets the same signer and TSA paths in file after file. Building (parsing the
//! pool, matching names, trying issuers) and the time-independent part of RFC 5280
//! validation (extensions, name chaining, name constraints, policies, basicConstraints,
//! key usage) give the same answer every time; only validity periods, algorithm sunsets
//! and revocation depend on the time. An entry keeps a path that validated, the facts the
//! time-dependent checks need and the checks it passed. A later validation of the same
//! leaf with the same options except the time, whose candidates still hold every
//! intermediate of that path, runs only the time-dependent checks and revocation on it.
//! Anything that fails falls back to building and validating afresh, so a failure is
//! always reported exactly as a fresh validation reports it.

use std::sync::Arc;

use kenpo_core::alg::{DigestAlgorithm, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::memo::DerMemo;
use kenpo_core::shared_cert::SharedCert;
use kenpo_revocation::{Budget, RevocationCheck};
use time::OffsetDateTime;

use super::validate::{check_key, check_revocation, sha1_refused, whole_seconds};
use super::{Check, Found, ValidatedPath, ValidationOptions};
use crate::Context;
use crate::report::CheckReport;

/// Paths kept at most (then the memo starts afresh): bounded memory whatever the input.
const MAX_PATHS: usize = 4096;

/// Validated paths shared by the path validators of a run, kept by its [`Context`] (see
/// the module docs and [`super::PathValidator::with_context`]).
#[derive(Debug)]
pub struct PathMemo {
    /// The paths that validated, by leaf.
    paths: DerMemo<Arc<Entry>>,
}

impl Default for PathMemo {
    fn default() -> Self {
        Self {
            paths: DerMemo::new(MAX_PATHS),
        }
    }
}

/// Validity period of one certificate.
#[derive(Debug, Clone, Copy)]
struct Period {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Period {
    fn of(c: &CertRef<'_>) -> Self {
        Self {
            not_before: c.not_before,
            not_after: c.not_after,
        }
    }

    fn contains(&self, time: OffsetDateTime) -> bool {
        let t = whole_seconds(time);
        self.not_before <= t && t <= self.not_after
    }
}

/// What the time-dependent checks need of one non-anchor certificate.
#[derive(Debug)]
struct Link {
    period: Period,
    /// Digest of its signature algorithm (SHA-1 sunset).
    digest: DigestAlgorithm,
    /// Its issuer's key (weak-RSA sunset).
    issuer_key: PublicKeyKind,
}

/// One path that validated.
#[derive(Debug)]
struct Entry {
    /// The options it validated with; their time is ignored.
    opts: ValidationOptions,
    /// The path and the checks it passed, revocation excluded.
    path: Arc<ValidatedPath>,
    /// Those checks as report checks, their texts shared by every replay.
    reported: Arc<[CheckReport]>,
    /// Per certificate, leaf first, without the anchor.
    links: Vec<Link>,
    anchor: Period,
    anchor_key: PublicKeyKind,
    leaf_key: PublicKeyKind,
    /// The path's certificates after the leaf, parsed (for revocation on replay); the
    /// anchor last.
    parsed: Vec<Arc<SharedCert>>,
    /// The anchor's subject as text (reported with every replay).
    anchor_subject: Arc<str>,
}

/// Whether `a` and `b` are the same options but for their time (every field is named, so
/// a new option cannot be forgotten here).
fn same_but_time(a: &ValidationOptions, b: &ValidationOptions) -> bool {
    let ValidationOptions {
        time: _,
        max_depth,
        max_signature_checks,
        required_eku,
        eku_must_be_present,
        ca_eku_nesting,
        required_key_usage,
        initial_policy_set,
        explicit_policy,
        inhibit_policy_mapping,
        inhibit_any_policy,
        leaf_policy_prefixes,
        forbidden_leaf_policy_prefixes,
        algorithms,
        revocation_mode,
        check_anchor_validity,
        strict_conformance,
    } = a;
    *max_depth == b.max_depth
        && *max_signature_checks == b.max_signature_checks
        && *required_eku == b.required_eku
        && *eku_must_be_present == b.eku_must_be_present
        && *ca_eku_nesting == b.ca_eku_nesting
        && *required_key_usage == b.required_key_usage
        && *initial_policy_set == b.initial_policy_set
        && *explicit_policy == b.explicit_policy
        && *inhibit_policy_mapping == b.inhibit_policy_mapping
        && *inhibit_any_policy == b.inhibit_any_policy
        && *leaf_policy_prefixes == b.leaf_policy_prefixes
        && *forbidden_leaf_policy_prefixes == b.forbidden_leaf_policy_prefixes
        && *algorithms == b.algorithms
        && *revocation_mode == b.revocation_mode
        && *check_anchor_validity == b.check_anchor_validity
        && *strict_conformance == b.strict_conformance
}

impl Entry {
    /// The time-dependent checks of `validate_path`, in its order, at `opts.time`.
    fn holds_at(&self, opts: &ValidationOptions) -> bool {
        if opts.check_anchor_validity && !self.anchor.contains(opts.time) {
            return false;
        }
        if check_key(opts, self.anchor_key).is_err() {
            return false;
        }
        let links_hold = self.links.iter().all(|l| {
            !sha1_refused(opts, l.digest)
                && check_key(opts, l.issuer_key).is_ok()
                && l.period.contains(opts.time)
        });
        links_hold && check_key(opts, self.leaf_key).is_ok()
    }
}

impl PathMemo {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Paths remembered.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// A remembered path for `leaf` that holds at `opts.time` with `opts`, whose
    /// intermediates are all among `candidates` and whose anchor is among `anchors`, with
    /// its revocation checked now; `None` when there is none or anything fails (the caller
    /// then builds and validates afresh).
    pub(super) fn replay(
        &self,
        opts: &ValidationOptions,
        leaf_cert: &CertRef<'_>,
        anchors: &[Vec<u8>],
        candidates: &mut dyn Iterator<Item = &[u8]>,
        revocation: Option<&dyn RevocationCheck>,
        budget: &mut Budget,
    ) -> Option<Found> {
        let leaf = leaf_cert.raw;
        let entry = self.paths.get(leaf, |e| same_but_time(&e.opts, opts))?;
        let certs = &entry.path.certs;
        let (anchor, chain) = certs.split_last()?;
        if !anchors.iter().any(|a| a == anchor) {
            return None;
        }
        let candidates: Vec<&[u8]> = candidates.collect();
        let present = chain
            .iter()
            .skip(1)
            .all(|c| candidates.contains(&c.as_slice()));
        if !present || !entry.holds_at(opts) {
            return None;
        }
        // The leaf is parsed already; the entry holds the others parsed.
        let (parsed_anchor, after_leaf) = entry.parsed.split_last()?;
        let refs: Vec<&CertRef<'_>> = std::iter::once(leaf_cert)
            .chain(after_leaf.iter().map(|c| c.cert()))
            .collect();
        let mut checks = Vec::new();
        check_revocation(
            opts,
            &refs,
            parsed_anchor.cert(),
            revocation,
            budget,
            &mut checks,
        )
        .ok()?;
        Some(Found::Replayed {
            base: entry.path.clone(),
            reported: entry.reported.clone(),
            revocation: checks,
            anchor_subject: entry.anchor_subject.clone(),
        })
    }

    /// Remembers `path` (validated with `opts`, revocation excluded) built of `certs`
    /// (leaf first) under `anchor`.
    pub(super) fn remember(
        &self,
        ctx: &Context,
        opts: &ValidationOptions,
        path: &ValidatedPath,
        certs: &[&CertRef<'_>],
        anchor: &CertRef<'_>,
    ) {
        let Some(entry) = entry(ctx, opts, path, certs, anchor) else {
            return;
        };
        let Some(leaf) = path.certs.first() else {
            return;
        };
        self.paths
            .insert(leaf, Arc::new(entry), |e| same_but_time(&e.opts, opts));
    }
}

fn entry(
    ctx: &Context,
    opts: &ValidationOptions,
    path: &ValidatedPath,
    certs: &[&CertRef<'_>],
    anchor: &CertRef<'_>,
) -> Option<Entry> {
    let leaf = certs.first()?;
    let mut links = Vec::with_capacity(certs.len());
    for (k, c) in certs.iter().enumerate() {
        let issuer = certs.get(k + 1).copied().unwrap_or(anchor);
        let alg =
            SignatureAlgorithm::from_algorithm_identifier(&c.signature_algorithm, None).ok()?;
        links.push(Link {
            period: Period::of(c),
            digest: alg.digest(),
            issuer_key: PublicKeyKind::from_spki_der(issuer.spki).ok()?,
        });
    }
    let parsed = certs
        .iter()
        .skip(1)
        .chain(std::iter::once(&anchor))
        .map(|c| ctx.cert(c.raw).ok())
        .collect::<Option<Vec<_>>>()?;
    Some(Entry {
        parsed,
        opts: opts.clone(),
        path: Arc::new(path.clone()),
        reported: path.checks.iter().map(Check::shared_report).collect(),
        links,
        anchor_subject: super::found::subject_text(anchor.raw).into(),
        anchor: Period::of(anchor),
        anchor_key: PublicKeyKind::from_spki_der(anchor.spki).ok()?,
        leaf_key: PublicKeyKind::from_spki_der(leaf.spki).ok()?,
    })
}
