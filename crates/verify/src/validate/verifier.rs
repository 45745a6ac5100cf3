//! [`Verifier`]: verification shared by many files (trust anchors, certificate store,
//! parsed CRLs, a revocation checker whose fetch cache outlives one file, and the
//! [`Context`] it owns).

use std::path::Path;
use std::sync::Arc;

use kenpo_core::cms::SignedDataView;
use kenpo_revocation::{Checker, Crl, RevocationCheck};
use kenpo_sign::Profile;
use time::OffsetDateTime;

use super::cades;
use super::embedded::{Embedded, embedded};
use super::tsa_time::ControlTimeValidator;
use super::verdict::SigCtx;
use super::{
    POLICY_NAME, RevocationMode, VerifyError, VerifyRequest, certs_of, format_failure, now,
    path_options,
};
use crate::path::PathValidator;
use crate::report::{CheckKind, CheckReport, Outcome, Report, SCHEMA_VERSION, SignatureReport};
use crate::signature::{self, Content, SignedDataCheck, TimestampKind};
use crate::{Context, Indication};

/// Where the detached content of a signature comes from.
#[derive(Debug, Clone, Copy)]
pub enum Detached<'a> {
    /// A file, read and hashed as a stream (any size).
    File(&'a Path),
    /// Bytes in memory, e.g. an upload that must never touch the disk.
    Bytes(&'a [u8]),
}

/// Everything about a verification except the signature and its content.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Trust anchors (DER or PEM certificates); the only source of trust.
    pub anchors: Vec<Vec<u8>>,
    /// Extra certificates for path building (DER or PEM; never trusted).
    pub cert_store: Vec<Vec<u8>>,
    /// CRLs (DER or PEM).
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses (DER).
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Profile the signing certificate must meet.
    pub profile: Profile,
    /// Forbid network fetches.
    pub offline: bool,
    /// Directory where fetched CRLs and OCSP responses are kept between runs and read
    /// back while current (offline too); see `kenpo_revocation::Checker::with_cache_dir`.
    pub revocation_cache: Option<std::path::PathBuf>,
    /// The only hosts and ports fetched from (revocation data, issuer certificates), when
    /// not empty; see `kenpo_revocation::fetch`.
    pub fetch_allow: Vec<kenpo_revocation::fetch::AllowedOrigin>,
    /// Validation time (default: the time of each [`Verifier::verify`] call).
    pub at: Option<OffsetDateTime>,
    /// Unknown-revocation handling.
    pub revocation: RevocationMode,
    /// The validation policy the verdict is given under ([`crate::policy`]): every report
    /// names it and lists, per signature, the requirements not met.
    pub policy: crate::policy::Policy,
}

impl VerifyOptions {
    /// These options under `policy`, with the revocation mode the policy sets, if it sets
    /// one (set [`VerifyOptions::revocation`] afterwards to override it).
    pub fn with_policy(mut self, policy: crate::policy::Policy) -> Self {
        if let Some(mode) = policy.revocation {
            self.revocation = mode;
        }
        self.policy = policy;
        self
    }
}

impl VerifyRequest<'_> {
    /// The request without its signature and content.
    pub fn options(&self) -> VerifyOptions {
        VerifyOptions {
            anchors: self.anchors.clone(),
            cert_store: self.cert_store.clone(),
            crls: self.crls.clone(),
            ocsp_responses: self.ocsp_responses.clone(),
            profile: self.profile,
            offline: self.offline,
            revocation_cache: self.revocation_cache.clone(),
            fetch_allow: self.fetch_allow.clone(),
            at: self.at,
            revocation: self.revocation,
            policy: self.policy.clone(),
        }
    }
}

/// A reusable verification context: build it once, verify many signatures with it
/// (from several threads: it is `Send + Sync`).
///
/// It owns a [`Context`] reused by every call (a one-shot call,
/// [`super::verify_signature`], makes a fresh one). Supplied CRLs are parsed once (and
/// indexed by serial); CRLs and OCSP responses fetched for one file are reused for the next. A file that embeds its own revocation data gets a
/// checker of its own over the shared parsed CRLs plus its data.
///
/// ```no_run
/// use kenpo_verify::validate::{Verifier, VerifyOptions};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::new(
///     VerifyOptions::default()
///         .with_anchors(vec![std::fs::read("root.pem")?])
///         .with_crls(vec![std::fs::read("ca.crl")?])
///         .with_offline(true),
/// );
/// for file in ["a.p7m", "b.p7m"] {
///     let report = verifier.verify(&std::fs::read(file)?, None)?;
///     println!("{file}: {}", report.indication);
/// }
/// # Ok(()) }
/// ```
pub struct Verifier {
    pub(super) opts: VerifyOptions,
    pub(super) anchors: Arc<Vec<Vec<u8>>>,
    pub(super) store: Arc<Vec<Vec<u8>>>,
    parsed_crls: Vec<Arc<Crl>>,
    unreadable_crls: Vec<Vec<u8>>,
    pub(super) shared: Arc<dyn RevocationCheck>,
    /// What earlier calls worked out (certificates, links, paths, profile answers).
    pub(super) ctx: Arc<Context>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("anchors", &self.anchors.len())
            .field("store", &self.store.len())
            .field("crls", &self.parsed_crls.len())
            .field("unreadable_crls", &self.unreadable_crls.len())
            .field("ocsp_responses", &self.opts.ocsp_responses.len())
            .field("profile", &self.opts.profile)
            .field("offline", &self.opts.offline)
            .field("at", &self.opts.at)
            .field("revocation", &self.opts.revocation)
            .finish()
    }
}

impl Verifier {
    /// Parses the anchors, certificates and CRLs of `opts` once; works in a new
    /// [`Context`].
    pub fn new(opts: VerifyOptions) -> Self {
        Self::with_context(opts, Arc::new(Context::new()))
    }

    /// [`Verifier::new`] working in `ctx` (which may be shared with other verifiers).
    pub fn with_context(opts: VerifyOptions, ctx: Arc<Context>) -> Self {
        let anchors = certs_of(&opts.anchors);
        let store = certs_of(&opts.cert_store);
        let mut parsed_crls = Vec::new();
        let mut unreadable_crls = Vec::new();
        for c in &opts.crls {
            // DER CRLs are parsed once per context.
            let parsed = if c.first() == Some(&0x30) {
                ctx.crl(c)
            } else {
                Crl::from_pem_or_der(c).map(Arc::new)
            };
            match parsed {
                Ok(crl) => parsed_crls.push(crl),
                Err(_) => unreadable_crls.push(c.clone()),
            }
        }
        let mut v = Self {
            opts,
            anchors: Arc::new(anchors),
            store: Arc::new(store),
            parsed_crls,
            unreadable_crls,
            shared: Arc::new(Checker::new()),
            ctx,
        };
        v.shared = Arc::new(v.checker(&Embedded::default(), &v.store));
        v
    }

    /// A verifier for one call, in a fresh one-shot [`Context`].
    pub(crate) fn one_shot(opts: VerifyOptions) -> Self {
        Self::with_context(opts, Arc::new(Context::one_shot()))
    }

    /// The context this verifier works in.
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// The options this verifier was built with.
    pub fn options(&self) -> &VerifyOptions {
        &self.opts
    }

    pub(super) fn checker(&self, emb: &Embedded<'_>, candidates: &[Vec<u8>]) -> Checker {
        let mut ocsp = self.opts.ocsp_responses.clone();
        ocsp.extend(emb.ocsp.iter().cloned());
        // The embedded CRLs parsed by the context (a batch meets the same ones file after
        // file), after the supplied ones as before; when one does not parse, all are given
        // as received so that the checker reports it in its place.
        let embedded: Option<Vec<Arc<Crl>>> =
            emb.crls.iter().map(|c| self.ctx.crl(c).ok()).collect();
        let mut crls = self.unreadable_crls.clone();
        if embedded.is_none() {
            crls.extend(emb.crls.iter().cloned());
        }
        let checker = Checker::new()
            .with_parsed_crls(self.parsed_crls.clone())
            .with_crls(crls)
            .with_parsed_crls(embedded.unwrap_or_default())
            .with_ocsp_responses(ocsp)
            .with_trust_anchors(self.anchors.to_vec())
            .with_crl_signer_candidates(candidates.to_vec())
            .with_crl_signer_validator(
                PathValidator::with_shared_anchors(
                    self.anchors.clone(),
                    path_options(
                        Profile::Any,
                        OffsetDateTime::now_utc(),
                        self.opts.revocation.path_mode(),
                    ),
                )
                .with_intermediates(candidates.to_vec())
                .with_context(self.ctx.clone())
                .crl_signer_validator(),
            )
            .offline(self.opts.offline)
            .with_link_cache(self.ctx.links().clone());
        super::with_cache(
            super::with_allow(checker, &self.opts.fetch_allow),
            self.opts.revocation_cache.as_deref(),
        )
    }

    /// The cryptographic checks of every SignerInfo (`Err(Ok(detail))` is not an error
    /// but a format failure).
    fn check(
        &self,
        sd: &SignedDataView<'_>,
        der: &[u8],
        content: Option<Detached<'_>>,
        emb: &Embedded<'_>,
        validator: &ControlTimeValidator,
    ) -> Result<Result<SignedDataCheck, String>, VerifyError> {
        let mut file;
        let content_reader = match content {
            Some(Detached::File(p)) => {
                file = std::fs::File::open(p).map_err(|source| VerifyError::Content {
                    path: p.to_path_buf(),
                    source,
                })?;
                Content::Reader(&mut file)
            }
            Some(Detached::Bytes(b)) => Content::Bytes(b),
            None => Content::None,
        };
        let opts = signature::Options {
            extra_certs: &self.store,
            more_certs: &emb.certs,
            tsa_validator: Some(validator),
            // Certificates parsed, hashed and keys parsed once per context.
            cert_cache: Some(self.ctx.certs()),
            backend: self.ctx.keys(),
            token_views: &emb.token_views,
            ..signature::Options::default()
        };
        // `der` is the output of `ber::to_der` already, and `sd` its view.
        match signature::verify_parsed_der(sd, der, content_reader, &opts) {
            Ok(c) => Ok(Ok(c)),
            Err(signature::SignatureError::Io(source)) => Err(VerifyError::Content {
                path: match content {
                    Some(Detached::File(p)) => p.to_path_buf(),
                    Some(Detached::Bytes(_)) | None => std::path::PathBuf::new(),
                },
                source,
            }),
            Err(e) => Ok(Err(e.to_string())),
        }
    }

    /// Validates every signature of a CAdES/CMS signature (DER, BER or PEM) with `content`
    /// as the detached content (see [`super::verify_signature`]), under the options'
    /// validation policy ([`crate::policy::apply`]).
    pub fn verify(&self, signature: &[u8], content: Option<&Path>) -> Result<Report, VerifyError> {
        self.verify_detached(signature, content.map(Detached::File))
    }

    /// [`Verifier::verify`] with the detached content given as a file or as bytes in
    /// memory (nothing is written anywhere); the verdicts are the same either way.
    pub fn verify_detached(
        &self,
        signature: &[u8],
        content: Option<Detached<'_>>,
    ) -> Result<Report, VerifyError> {
        self.verify_detached_under(signature, content, &self.opts.policy)
    }

    /// [`Verifier::verify_detached`] under `policy`'s requirements instead of the options'
    /// (a service answering each request under the policy it names). The options still set
    /// the revocation mode and the algorithm sunset dates.
    pub fn verify_detached_under(
        &self,
        signature: &[u8],
        content: Option<Detached<'_>>,
        policy: &crate::policy::Policy,
    ) -> Result<Report, VerifyError> {
        let mut report = self.verify_en319102(signature, content)?;
        crate::policy::apply(policy, &mut report);
        Ok(report)
    }

    /// [`Verifier::verify_detached`] before the policy's requirements are applied.
    pub(crate) fn verify_en319102(
        &self,
        signature: &[u8],
        content: Option<Detached<'_>>,
    ) -> Result<Report, VerifyError> {
        let at = self.opts.at.unwrap_or_else(now);
        // An XML document is XAdES or XMLDSig (validate/xades.rs).
        if kenpo_xml::looks_like_xml(signature) {
            let contents: Vec<Detached<'_>> = content.into_iter().collect();
            return super::xades::verify(self, signature, &contents, at);
        }
        let raw = kenpo_core::pem::der_of(signature);
        // Zero padding after the ContentInfo is tolerated, as `signature::verify` does.
        let der = match signature::to_der_padded(&raw) {
            Ok((_, d)) => d,
            Err(e) => return Ok(format_failure(at, format!("not BER/DER: {e}"))),
        };
        let sd = match SignedDataView::parse(&der) {
            Ok(sd) => sd,
            Err(e) => {
                return Ok(format_failure(
                    at,
                    signature::SignatureError::from(e).to_string(),
                ));
            }
        };
        let emb = embedded(&sd);
        // Candidates: the caller's store (shared, never copied), then what the signature
        // carries (borrowed).
        let store = &self.store;

        let no_source = self.opts.crls.is_empty()
            && self.opts.ocsp_responses.is_empty()
            && emb.crls.is_empty()
            && emb.ocsp.is_empty()
            && self.opts.revocation_cache.is_none()
            && self.opts.offline;
        let checker: Arc<dyn RevocationCheck> = if emb.crls.is_empty() && emb.ocsp.is_empty() {
            self.shared.clone()
        } else {
            let candidates: Vec<Vec<u8>> = store
                .iter()
                .cloned()
                .chain(emb.certs.iter().map(|c| c.to_vec()))
                .collect();
            Arc::new(self.checker(&emb, &candidates))
        };
        let mode = self.opts.revocation.path_mode();
        let tsa_path = PathValidator::with_shared_anchors(
            self.anchors.clone(),
            path_options(Profile::Any, at, mode),
        )
        .with_shared_intermediates(store.clone())
        .with_context(self.ctx.clone())
        .with_revocation(checker.clone());
        let tsa_path = super::online(tsa_path, self.opts.offline, &self.opts.fetch_allow);
        // Archive time-stamps that turn out invalid give no proof of existence: validate
        // again without them until the set is stable (at most once per archive token).
        let mut excluded: Vec<OffsetDateTime> = Vec::new();
        let archive_times: Vec<OffsetDateTime> = emb
            .token_order
            .iter()
            .flatten()
            .filter(|t| t.archive)
            .map(|t| t.gen_time)
            .collect();
        let mut checked = loop {
            let validator = ControlTimeValidator::new(
                tsa_path.clone(),
                &emb.certs,
                checker.clone(),
                at,
                &emb.token_order,
                &excluded,
            )
            .with_sunset(&self.opts.policy.sunset);
            let checked = match self.check(&sd, &der, content, &emb, &validator)? {
                Ok(c) => c,
                Err(detail) => return Ok(format_failure(at, detail)),
            };
            let invalid: Vec<OffsetDateTime> = checked
                .signers
                .iter()
                .flat_map(|s| &s.timestamps)
                .filter(|t| {
                    matches!(t.kind, TimestampKind::ArchiveV2 | TimestampKind::ArchiveV3)
                        && !t.intact
                })
                .filter_map(|t| t.gen_time)
                .filter(|t| archive_times.contains(t) && !excluded.contains(t))
                .collect();
            if invalid.is_empty() {
                break checked;
            }
            excluded.extend(invalid);
        };
        if checked.signers.is_empty() {
            return Ok(format_failure(
                at,
                "the SignedData has no SignerInfo".into(),
            ));
        }

        let ctx = SigCtx {
            opts: &self.opts,
            at,
            anchors: &self.anchors,
            store,
            checker: &checker,
            mode,
            no_source,
            ctx: &self.ctx,
        };
        let content_available = checked.content_attached || content.is_some();
        let signatures: Vec<SignatureReport> = std::mem::take(&mut checked.signers)
            .into_iter()
            .enumerate()
            .map(|(i, s)| ctx.signature(cades::evidence(s, i, &emb, content_available)))
            .collect();
        let worst = signatures
            .iter()
            .max_by_key(|s| s.indication.severity())
            .map(|s| (s.indication, s.sub_indication));
        let (indication, sub_indication) = worst.unwrap_or((Indication::TotalFailed, None));
        let mut report = Report {
            indication,
            sub_indication,
            signatures,
            policy: POLICY_NAME.into(),
            validation_time: at,
            schema_version: SCHEMA_VERSION,
        };
        if checked.skipped > 0 {
            for s in &mut report.signatures {
                s.checks.push(CheckReport::new(
                    CheckKind::Budget,
                    false,
                    Outcome::Budget {
                        skipped: checked.skipped,
                    },
                ));
            }
        }
        Ok(report)
    }
}
