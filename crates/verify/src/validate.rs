//! EN 319 102-1 (v1.4.1) verdicts: basic signature validation plus validation with time,
//! for CAdES signatures ([`verify_signature`]) and single certificates
//! ([`verify_certificate`]).
//!
//! Per signature, in the order of the standard's building blocks: format, signing
//! certificate identification (and its signing-certificate(-v2) binding), cryptographic
//! verification (message digest, signature value), signature acceptance (the
//! `--profile` rules), then X.509 certificate validation of the signer at the
//! *best-signature-time* — the earliest genTime of a valid signature time-stamp (its TSA
//! chain validated at genTime), else the validation time — with revocation. A TOTAL_FAILED
//! finding wins over an INDETERMINATE one; among equals the earliest building block wins.
//!
//! Trust comes only from [`VerifyRequest::anchors`]: certificates inside the signature are
//! path-building candidates, never anchors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::ber;
use kenpo_core::cms::SignedDataView;
use kenpo_core::der_span::Tlv;
use kenpo_revocation::{Checker, RevocationCheck};
use kenpo_sign::Profile;
use kenpo_sign::profile::check_profile;
use time::OffsetDateTime;

use crate::path::{self, PathError, PathValidator, ValidatedPath, ValidationOptions};
use crate::report::{
    CertIndication, CertReport, CheckReport, Report, SCHEMA_VERSION, SignatureReport, SignerReport,
    TimestampReport,
};
use crate::signature::{self, Content, SignerCheck, TimestampKind};
use crate::{Indication, SubIndication};

/// Name of the validation policy, reported in every [`Report`].
pub const POLICY_NAME: &str = "kenpo-sign default (EN 319 102-1 v1.4.1, DSS default constraints)";

/// id-aa-ets-certValues (certificate-values).
const ATTR_CERTIFICATE_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.23");
/// id-aa-ets-revocationValues (revocation-values).
const ATTR_REVOCATION_VALUES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.24");

/// How an unknown revocation status is treated (`--revocation`).
///
/// The default is [`RevocationMode::Hard`]: the DSS default policy FAILs "revocation data
/// available" for signing, CA and TSA certificates, which EN 319 102-1 reports as
/// INDETERMINATE/TRY_LATER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationMode {
    /// Unknown status is a failed but non-fatal check; the verdict can still pass.
    Soft,
    /// Unknown status of any certificate on a path gives INDETERMINATE/TRY_LATER.
    #[default]
    Hard,
    /// As [`RevocationMode::Hard`], and additionally INDETERMINATE/TRY_LATER up front when
    /// there is no revocation data source at all (no CRL or OCSP response supplied or
    /// embedded, and offline).
    Require,
}

impl RevocationMode {
    /// `soft`, `hard`, `require` (as on the command line).
    pub fn name(self) -> &'static str {
        match self {
            Self::Soft => "soft",
            Self::Hard => "hard",
            Self::Require => "require",
        }
    }

    fn path_mode(self) -> path::RevocationMode {
        match self {
            Self::Soft => path::RevocationMode::Soft,
            Self::Hard | Self::Require => path::RevocationMode::Hard,
        }
    }
}

/// What to verify and with what.
#[derive(Debug, Clone)]
pub struct VerifyRequest<'a> {
    /// The signature: CMS ContentInfo, DER, BER or PEM.
    pub signature: &'a [u8],
    /// Detached content file.
    pub content: Option<&'a Path>,
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
    /// Validation time (default now).
    pub at: Option<OffsetDateTime>,
    /// Unknown-revocation handling.
    pub revocation: RevocationMode,
}

/// Operational errors (exit code 4); verdicts are never errors.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The detached content could not be read.
    #[error("cannot read the content file {}: {source}", path.display())]
    Content {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A certificate to validate.
#[derive(Debug, Clone)]
pub struct CertRequest<'a> {
    /// The certificate (DER or PEM).
    pub cert: &'a [u8],
    /// Intermediate candidates (DER or PEM).
    pub chain: Vec<Vec<u8>>,
    /// Trust anchors (DER or PEM).
    pub anchors: Vec<Vec<u8>>,
    /// CRLs (DER or PEM).
    pub crls: Vec<Vec<u8>>,
    /// Validation time (default now).
    pub at: Option<OffsetDateTime>,
    /// Forbid network fetches.
    pub offline: bool,
    /// Profile the certificate must meet.
    pub profile: Profile,
}

/// The current time, to the second (reports show whole seconds).
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Certificates from DER/PEM blobs (each may hold several PEM certificates); unreadable
/// blobs are dropped (they cannot build a path anyway).
fn certs_of(blobs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    blobs
        .iter()
        .flat_map(|b| kenpo_core::cert::certificates_from_pem_or_der(b).unwrap_or_default())
        .collect()
}

fn cms_der(input: &[u8]) -> Vec<u8> {
    let text_start = input.iter().position(|b| !b.is_ascii_whitespace());
    if text_start.is_some_and(|i| input.get(i..i + 5) == Some(b"-----")) {
        for label in ["CMS", "PKCS7", "PKCS #7 SIGNED DATA"] {
            if let Ok(mut blocks) = kenpo_core::cert::pem_blocks(input, label)
                && !blocks.is_empty()
            {
                return blocks.swap_remove(0);
            }
        }
    }
    input.to_vec()
}

fn path_options(
    profile: Profile,
    at: OffsetDateTime,
    mode: path::RevocationMode,
) -> ValidationOptions {
    let mut o = match profile {
        Profile::Hpki => ValidationOptions::hpki_signature(at),
        Profile::Accredited | Profile::Any => ValidationOptions::at(at),
    };
    o.revocation_mode = mode;
    o
}

/// What the SignedData carries besides what [`signature::verify`] reports.
#[derive(Default)]
struct Embedded {
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    /// Per SignerInfo: certificate-values / revocation-values present (or SignedData crls).
    lt_data: Vec<bool>,
}

fn embedded(der: &[u8]) -> Embedded {
    let Ok(sd) = SignedDataView::parse(der) else {
        return Embedded::default();
    };
    let mut e = Embedded {
        certs: sd.x509_certificates().map(<[u8]>::to_vec).collect(),
        crls: sd
            .crls
            .iter()
            .filter(|c| c.tag == kenpo_core::der_span::tag::SEQUENCE)
            .map(|c| c.raw.to_vec())
            .collect(),
        lt_data: Vec::new(),
    };
    let sd_has_crls = !sd.crls.is_empty();
    for si in &sd.signer_infos {
        let mut lt = sd_has_crls;
        if let Some(attrs) = &si.unsigned_attrs {
            for a in attrs.all_of(ATTR_CERTIFICATE_VALUES) {
                lt = true;
                for v in &a.values {
                    e.certs.extend(seq_items(*v).map(|c| c.raw.to_vec()));
                }
            }
            for a in attrs.all_of(ATTR_REVOCATION_VALUES) {
                lt = true;
                for v in &a.values {
                    // RevocationValues ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList, … }
                    for field in seq_items(*v) {
                        if field.tag == kenpo_core::der_span::tag::context(0)
                            && let Ok(inner) = kenpo_core::der_span::parse_one(field.value)
                        {
                            e.crls.extend(seq_items(inner).map(|c| c.raw.to_vec()));
                        }
                    }
                }
            }
        }
        e.lt_data.push(lt);
    }
    e
}

fn seq_items(t: Tlv<'_>) -> impl Iterator<Item = Tlv<'_>> {
    let mut r = t.reader();
    std::iter::from_fn(move || if r.is_empty() { None } else { r.read().ok() })
}

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

fn path_checks(p: &ValidatedPath, out: &mut Vec<CheckReport>) {
    out.extend(
        p.checks
            .iter()
            .map(|c| CheckReport::new(format!("path:{}", c.name), c.passed, c.detail.clone())),
    );
}

fn subjects(certs: &[Vec<u8>]) -> Vec<String> {
    certs
        .iter()
        .map(|c| {
            kenpo_core::cert::CertRef::parse(c)
                .map(|c| c.subject_string())
                .unwrap_or_default()
        })
        .collect()
}

fn signer_report(cert: Option<&[u8]>) -> SignerReport {
    cert.and_then(|c| check_profile(Profile::Any, c).ok())
        .map(|s| SignerReport {
            subject: s.subject,
            hc_roles: s.hc_roles,
            policy_oids: s.policy_oids,
        })
        .unwrap_or_default()
}

fn ts_kind(k: TimestampKind) -> &'static str {
    match k {
        TimestampKind::Signature => "signature",
        TimestampKind::Content => "content",
        TimestampKind::ArchiveV2 | TimestampKind::ArchiveV3 => "archive",
    }
}

fn format_failure(at: OffsetDateTime, detail: String) -> Report {
    Report {
        indication: Indication::TotalFailed,
        sub_indication: Some(SubIndication::FORMAT_FAILURE),
        signatures: vec![SignatureReport {
            indication: Indication::TotalFailed,
            sub_indication: Some(SubIndication::FORMAT_FAILURE),
            level: "B-B",
            signer: SignerReport::default(),
            signing_time: None,
            best_signature_time: at,
            timestamps: Vec::new(),
            checks: vec![CheckReport::new("format", false, detail)],
        }],
        policy: POLICY_NAME.into(),
        validation_time: at,
        schema_version: SCHEMA_VERSION,
    }
}

/// Validates every signature of a CAdES/CMS signature (see the module docs).
///
/// Input that is not CMS SignedData gives `Ok` with TOTAL_FAILED/FORMAT_FAILURE; only an
/// unreadable content file is an error.
pub fn verify_signature(req: &VerifyRequest<'_>) -> Result<Report, VerifyError> {
    let at = req.at.unwrap_or_else(now);
    let raw = cms_der(req.signature);
    let der = match ber::to_der(&raw) {
        Ok(d) => d,
        Err(e) => return Ok(format_failure(at, format!("not BER/DER: {e}"))),
    };
    let emb = embedded(&der);
    let anchors = certs_of(&req.anchors);
    let mut store = certs_of(&req.cert_store);
    store.extend(emb.certs.iter().cloned());

    let mut crls = req.crls.clone();
    crls.extend(emb.crls.iter().cloned());
    let no_source = crls.is_empty() && req.ocsp_responses.is_empty() && req.offline;
    let checker: Arc<dyn RevocationCheck> = Arc::new(
        Checker::new()
            .with_crls(crls)
            .with_ocsp_responses(req.ocsp_responses.clone())
            .with_trust_anchors(anchors.clone())
            .with_crl_signer_candidates(store.clone())
            .offline(req.offline),
    );
    let mode = req.revocation.path_mode();
    let tsa_validator = PathValidator::new(anchors.clone(), path_options(Profile::Any, at, mode))
        .with_intermediates(store.clone())
        .with_revocation(checker.clone());

    let mut file;
    let content = match req.content {
        Some(p) => {
            file = std::fs::File::open(p).map_err(|source| VerifyError::Content {
                path: p.to_path_buf(),
                source,
            })?;
            Content::Reader(&mut file)
        }
        None => Content::None,
    };
    let opts = signature::Options {
        extra_certs: &store,
        tsa_validator: Some(&tsa_validator),
        ..signature::Options::default()
    };
    let checked = match signature::verify(&der, content, &opts) {
        Ok(c) => c,
        Err(signature::SignatureError::Io(source)) => {
            return Err(VerifyError::Content {
                path: req.content.map(Path::to_path_buf).unwrap_or_default(),
                source,
            });
        }
        Err(e) => return Ok(format_failure(at, e.to_string())),
    };
    if checked.signers.is_empty() {
        return Ok(format_failure(
            at,
            "the SignedData has no SignerInfo".into(),
        ));
    }

    let ctx = SigCtx {
        req,
        at,
        anchors: &anchors,
        store: &store,
        checker: &checker,
        mode,
        no_source,
        content_available: checked.content_attached || req.content.is_some(),
    };
    let signatures: Vec<SignatureReport> = checked
        .signers
        .iter()
        .enumerate()
        .map(|(i, s)| ctx.signature(s, emb.lt_data.get(i).copied().unwrap_or(false)))
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
                "budget",
                false,
                format!(
                    "{} item(s) beyond the processing limit were not checked",
                    checked.skipped
                ),
            ));
        }
    }
    Ok(report)
}

struct SigCtx<'a> {
    req: &'a VerifyRequest<'a>,
    at: OffsetDateTime,
    anchors: &'a [Vec<u8>],
    store: &'a [Vec<u8>],
    checker: &'a Arc<dyn RevocationCheck>,
    mode: path::RevocationMode,
    no_source: bool,
    content_available: bool,
}

impl SigCtx<'_> {
    fn signature(&self, s: &SignerCheck, lt_data: bool) -> SignatureReport {
        use Indication::{Indeterminate as I, TotalFailed as F};
        use SubIndication as S;
        let mut checks: Vec<CheckReport> = s
            .checks
            .iter()
            .map(|c| CheckReport::new(c.name, c.passed, c.detail.clone()))
            .collect();
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
        // Structure of the SignerInfo (attributes and algorithms).
        let malformed = s.checks.iter().filter(|c| !c.passed).any(|c| match c.name {
            "content-type" | "digest-algorithm" | "signature-algorithm" | "signing-time" => true,
            // Absent or not an OCTET STRING (a mismatch sets data_intact).
            "message-digest" => s.data_intact.is_none(),
            _ => false,
        });
        if malformed {
            findings.push((F, S::FORMAT_FAILURE));
        }
        // Cryptographic verification.
        match s.data_intact {
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
            None if malformed => {}
            None => findings.push((F, S::HASH_FAILURE)),
        }
        let checkable = !s.checks.iter().any(|c| {
            c.name == "signature" && !c.passed && c.detail.starts_with("cannot be checked")
        });
        if s.signer_cert.is_some() && !s.signature_intact && checkable {
            findings.push((F, S::SIG_CRYPTO_FAILURE));
        }
        // Signature acceptance: profile.
        if let Some(cert) = &s.signer_cert {
            match check_profile(self.req.profile, cert) {
                Ok(_) => checks.push(CheckReport::new(
                    "profile",
                    true,
                    kenpo_sign::profile::profile_name(self.req.profile),
                )),
                Err(e) => {
                    checks.push(CheckReport::new("profile", false, e.to_string()));
                    findings.push((I, S::SIG_CONSTRAINTS_FAILURE));
                }
            }
        }

        // Time-stamps and best-signature-time.
        let mut timestamps = Vec::new();
        let mut poe: Option<OffsetDateTime> = None;
        for ts in &s.timestamps {
            timestamps.push(TimestampReport {
                kind: ts_kind(ts.kind),
                gen_time: ts.gen_time,
                valid: ts.intact,
            });
            let name = format!("timestamp:{}", ts.kind.name());
            checks.push(CheckReport::new(name, ts.intact, ts.detail.clone()));
            if ts.kind == TimestampKind::Signature
                && ts.intact
                && let Some(g) = ts.gen_time
            {
                poe = Some(poe.map_or(g, |p: OffsetDateTime| p.min(g)));
            }
        }
        let best = poe.unwrap_or(self.at);
        checks.push(CheckReport::new(
            "best-signature-time",
            true,
            match poe {
                Some(_) => format!(
                    "{} (earliest valid signature time-stamp)",
                    kenpo_core::timefmt::rfc3339(best)
                ),
                None => format!(
                    "{} (validation time: no valid signature time-stamp)",
                    kenpo_core::timefmt::rfc3339(best)
                ),
            },
        ));

        // X.509 validation of the signer at best-signature-time.
        if self.req.revocation == RevocationMode::Require && self.no_source {
            checks.push(CheckReport::new(
                "revocation-data",
                false,
                "--revocation require: no CRL or OCSP response supplied or embedded, and offline",
            ));
            findings.push((I, S::TRY_LATER));
        } else if let Some(cert) = &s.signer_cert {
            let v = PathValidator::new(
                self.anchors.to_vec(),
                path_options(self.req.profile, best, self.mode),
            )
            .with_intermediates(self.store.to_vec())
            .with_revocation(self.checker.clone());
            match v.validate(cert, &[]) {
                Ok(p) => {
                    checks.push(CheckReport::new(
                        "path",
                        true,
                        format!(
                            "validated at {} to {}",
                            kenpo_core::timefmt::rfc3339(best),
                            subjects(&p.certs).last().cloned().unwrap_or_default()
                        ),
                    ));
                    path_checks(&p, &mut checks);
                }
                Err(e) => {
                    checks.push(CheckReport::new(
                        "path",
                        false,
                        format!("at {}: {e}", kenpo_core::timefmt::rfc3339(best)),
                    ));
                    findings.push(path_finding(&e, s.signing_time, poe.is_some()));
                }
            }
        }

        let (indication, sub_indication) = pick(&findings);
        let has_archive = s
            .timestamps
            .iter()
            .any(|t| matches!(t.kind, TimestampKind::ArchiveV2 | TimestampKind::ArchiveV3));
        let level = if has_archive {
            "B-LTA"
        } else if lt_data {
            "B-LT"
        } else if poe.is_some() {
            "B-T"
        } else {
            "B-B"
        };
        SignatureReport {
            indication,
            sub_indication,
            level,
            signer: signer_report(s.signer_cert.as_deref()),
            signing_time: s.signing_time,
            best_signature_time: best,
            timestamps,
            checks,
        }
    }
}

/// Validates one certificate (path, revocation, profile) at [`CertRequest::at`].
pub fn verify_certificate(req: &CertRequest<'_>) -> CertReport {
    let at = req.at.unwrap_or_else(now);
    let mut checks = Vec::new();
    let leaf = certs_of(&[req.cert.to_vec()]).into_iter().next();
    let Some(leaf) = leaf else {
        return CertReport {
            indication: CertIndication::Failed,
            sub_indication: Some(SubIndication::FORMAT_FAILURE),
            hc_roles: Vec::new(),
            policy_oids: Vec::new(),
            path: Vec::new(),
            checks: vec![CheckReport::new(
                "certificate",
                false,
                "not a DER or PEM certificate",
            )],
        };
    };
    let info = signer_report(Some(&leaf));
    let mut failed = None;
    match check_profile(req.profile, &leaf) {
        Ok(_) => checks.push(CheckReport::new(
            "profile",
            true,
            kenpo_sign::profile::profile_name(req.profile),
        )),
        Err(e) => {
            checks.push(CheckReport::new("profile", false, e.to_string()));
            failed = Some((
                CertIndication::Failed,
                SubIndication::SIG_CONSTRAINTS_FAILURE,
            ));
        }
    }
    let anchors = certs_of(&req.anchors);
    let chain = certs_of(&req.chain);
    let checker: Arc<dyn RevocationCheck> = Arc::new(
        Checker::new()
            .with_crls(req.crls.clone())
            .with_trust_anchors(anchors.clone())
            .with_crl_signer_candidates(chain.clone())
            .offline(req.offline),
    );
    let v = PathValidator::new(
        anchors,
        path_options(req.profile, at, path::RevocationMode::Hard),
    )
    .with_intermediates(chain)
    .with_revocation(checker);
    let mut path = Vec::new();
    match v.validate(&leaf, &[]) {
        Ok(p) => {
            path = subjects(&p.certs);
            checks.push(CheckReport::new(
                "path",
                true,
                format!("validated at {}", kenpo_core::timefmt::rfc3339(at)),
            ));
            path_checks(&p, &mut checks);
        }
        Err(e) => {
            checks.push(CheckReport::new(
                "path",
                false,
                format!("at {}: {e}", kenpo_core::timefmt::rfc3339(at)),
            ));
            let sub = e.sub_indication_enum();
            let ind = match e {
                PathError::Revoked { .. } | PathError::BadSignature { .. } => {
                    CertIndication::Failed
                }
                _ => CertIndication::Indeterminate,
            };
            if failed.is_none() {
                failed = Some((ind, sub));
            }
        }
    }
    let (indication, sub_indication) = match failed {
        Some((i, s)) => (i, Some(s)),
        None => (CertIndication::Passed, None),
    };
    CertReport {
        indication,
        sub_indication,
        hc_roles: info.hc_roles,
        policy_oids: info.policy_oids,
        path,
        checks,
    }
}
