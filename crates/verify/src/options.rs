//! Constructors and chained `with_*` setters of the options structs, which are
//! `#[non_exhaustive]`: callers outside the crate start from `default()`/`new(…)` and set
//! what they need.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use kenpo_revocation::fetch::AllowedOrigin;
use kenpo_sign::Profile;
use kenpo_tsa::client::ClientConfig;
use time::OffsetDateTime;

use crate::batch::{ArchiveConfig, BatchConfig, ResumeIndex, SignatureVerifier};
use crate::lt::{ExtendOptions, Target};
use crate::path::{AlgorithmPolicy, KeyUsages, ValidationOptions};
use crate::plan::{DEFAULT_MARGIN_DAYS, PlanOptions};
use crate::validate::{CertRequest, RevocationMode, VerifyOptions, VerifyRequest};

/// `with_FIELD(value)` setters for the public fields of an options struct, so callers
/// outside the crate build it with a constructor and chained setters (the struct is
/// `#[non_exhaustive]`).
macro_rules! setters {
    ($($with:ident => $field:ident: $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
            #[must_use]
            pub fn $with(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            }
        )*
    };
}

impl<'a> VerifyRequest<'a> {
    /// A request to verify `signature` (attached content, or none), everything else
    /// default: no anchors, soft revocation, the `default` policy, validation now.
    pub fn new(signature: &'a [u8]) -> Self {
        Self {
            signature,
            content: None,
            anchors: Vec::new(),
            cert_store: Vec::new(),
            crls: Vec::new(),
            ocsp_responses: Vec::new(),
            profile: Profile::default(),
            offline: false,
            revocation_cache: None,
            fetch_allow: Vec::new(),
            at: None,
            revocation: RevocationMode::default(),
            policy: crate::policy::Policy::default(),
        }
    }
}

impl<'a> CertRequest<'a> {
    /// A request to validate `cert`, everything else default (no anchors, validation now).
    pub fn new(cert: &'a [u8]) -> Self {
        Self {
            cert,
            chain: Vec::new(),
            anchors: Vec::new(),
            crls: Vec::new(),
            at: None,
            offline: false,
            revocation_cache: None,
            fetch_allow: Vec::new(),
            profile: Profile::default(),
        }
    }
}

impl PlanOptions {
    /// Planning at `at`, with no anchors and a margin of [`DEFAULT_MARGIN_DAYS`].
    pub fn new(at: OffsetDateTime) -> Self {
        Self {
            anchors: Vec::new(),
            cert_store: Vec::new(),
            margin_days: DEFAULT_MARGIN_DAYS,
            at,
        }
    }
}

impl VerifyOptions {
    setters! {
        with_anchors => anchors: Vec<Vec<u8>>,
        with_cert_store => cert_store: Vec<Vec<u8>>,
        with_crls => crls: Vec<Vec<u8>>,
        with_ocsp_responses => ocsp_responses: Vec<Vec<u8>>,
        with_profile => profile: Profile,
        with_offline => offline: bool,
        with_revocation_cache => revocation_cache: Option<PathBuf>,
        with_fetch_allow => fetch_allow: Vec<AllowedOrigin>,
        with_at => at: Option<OffsetDateTime>,
        with_revocation => revocation: RevocationMode,
    }
}

impl<'a> VerifyRequest<'a> {
    setters! {
        with_signature => signature: &'a [u8],
        with_content => content: Option<&'a Path>,
        with_anchors => anchors: Vec<Vec<u8>>,
        with_cert_store => cert_store: Vec<Vec<u8>>,
        with_crls => crls: Vec<Vec<u8>>,
        with_ocsp_responses => ocsp_responses: Vec<Vec<u8>>,
        with_profile => profile: Profile,
        with_offline => offline: bool,
        with_revocation_cache => revocation_cache: Option<PathBuf>,
        with_fetch_allow => fetch_allow: Vec<AllowedOrigin>,
        with_at => at: Option<OffsetDateTime>,
        with_revocation => revocation: RevocationMode,
        with_policy => policy: crate::policy::Policy,
    }
}

impl<'a> CertRequest<'a> {
    setters! {
        with_cert => cert: &'a [u8],
        with_chain => chain: Vec<Vec<u8>>,
        with_anchors => anchors: Vec<Vec<u8>>,
        with_crls => crls: Vec<Vec<u8>>,
        with_at => at: Option<OffsetDateTime>,
        with_offline => offline: bool,
        with_revocation_cache => revocation_cache: Option<PathBuf>,
        with_fetch_allow => fetch_allow: Vec<AllowedOrigin>,
        with_profile => profile: Profile,
    }
}

impl ExtendOptions {
    setters! {
        with_to => to: Target,
        with_tsa => tsa: Option<ClientConfig>,
        with_anchors => anchors: Vec<Vec<u8>>,
        with_cert_store => cert_store: Vec<Vec<u8>>,
        with_crls => crls: Vec<Vec<u8>>,
        with_ocsp_responses => ocsp_responses: Vec<Vec<u8>>,
        with_profile => profile: Profile,
        with_offline => offline: bool,
        with_legacy_values => legacy_values: bool,
        with_revocation_cache => revocation_cache: Option<PathBuf>,
        with_fetch_allow => fetch_allow: Vec<AllowedOrigin>,
        with_policy => policy: Option<crate::policy::Policy>,
    }
}

impl BatchConfig {
    setters! {
        with_verifier => verifier: Arc<dyn SignatureVerifier>,
        with_jobs => jobs: usize,
        with_max_file_bytes => max_file_bytes: u64,
        with_time_limit => time_limit: Duration,
        with_resume => resume: Option<ResumeIndex>,
        with_archive => archive: Option<ArchiveConfig>,
        with_exclude => exclude: Vec<PathBuf>,
        with_cancel => cancel: Arc<AtomicBool>,
    }
}

impl ArchiveConfig {
    setters! {
        with_tsa => tsa: ClientConfig,
        with_out => out: PathBuf,
        with_max_concurrent_requests => max_concurrent_requests: usize,
        with_retries => retries: u32,
        with_retry_delay => retry_delay: Duration,
        with_extend => extend: Option<ExtendOptions>,
    }
}

impl PlanOptions {
    setters! {
        with_anchors => anchors: Vec<Vec<u8>>,
        with_cert_store => cert_store: Vec<Vec<u8>>,
        with_margin_days => margin_days: i64,
        with_at => at: OffsetDateTime,
    }
}

impl ValidationOptions {
    setters! {
        with_time => time: OffsetDateTime,
        with_max_depth => max_depth: usize,
        with_max_signature_checks => max_signature_checks: usize,
        with_required_eku => required_eku: Option<Oid>,
        with_eku_must_be_present => eku_must_be_present: bool,
        with_ca_eku_nesting => ca_eku_nesting: bool,
        with_required_key_usage => required_key_usage: Vec<KeyUsages>,
        with_initial_policy_set => initial_policy_set: Option<Vec<Oid>>,
        with_explicit_policy => explicit_policy: bool,
        with_inhibit_policy_mapping => inhibit_policy_mapping: bool,
        with_inhibit_any_policy => inhibit_any_policy: bool,
        with_leaf_policy_prefixes => leaf_policy_prefixes: Vec<String>,
        with_forbidden_leaf_policy_prefixes => forbidden_leaf_policy_prefixes: Vec<String>,
        with_algorithms => algorithms: AlgorithmPolicy,
        with_revocation_mode => revocation_mode: crate::path::RevocationMode,
        with_check_anchor_validity => check_anchor_validity: bool,
        with_strict_conformance => strict_conformance: bool,
    }
}
