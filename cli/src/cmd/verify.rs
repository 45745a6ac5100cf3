//! `kenpo-sign verify SIG [--content DOC] --trust PEM_OR_DIR... [--cert-store PEM_OR_DIR]...
//! [--crl FILE]... [--ocsp-response FILE]... [--profile hpki|accredited|any] [--offline]
//! [--at RFC3339] [--revocation soft|hard|require]
//! [--policy default|rule27-sign|rule27-archive|FILE] [--format text|json|html] [--verbose]
//! [--lang ja|en] [--max-input-bytes N]`
//!
//! The signature and the certificate, CRL and OCSP files are held in memory, each up to
//! `--max-input-bytes`; the detached content is hashed as a stream (any size).
//!
//! Input that is not a parsable signature is a verdict (TOTAL_FAILED / FORMAT_FAILURE,
//! exit 1), not an error; exit 0 / 1 / 3 follow the worst signature's indication.

use std::path::PathBuf;

use kenpo_verify::plan::{PlanOptions, plan_bytes};
use kenpo_verify::policy::Policy;
use kenpo_verify::report::TextOptions;
use kenpo_verify::validate::{Detached, RevocationMode, Verifier, VerifyRequest, verify_signature};

use crate::cmd::sign::ProfileArg;
use crate::exit::CliError;
use crate::{LangArg, files};

/// Revocation modes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RevocationArg {
    /// Missing revocation data is noted but does not decide the verdict.
    Soft,
    /// Revocation status must be established where the certificate names a source.
    Hard,
    /// Revocation data must be present for every non-anchor certificate.
    Require,
}

impl From<RevocationArg> for RevocationMode {
    fn from(r: RevocationArg) -> Self {
        match r {
            RevocationArg::Soft => RevocationMode::Soft,
            RevocationArg::Hard => RevocationMode::Hard,
            RevocationArg::Require => RevocationMode::Require,
        }
    }
}

/// The validation policy named by `--policy`: a built-in name or a policy file. An
/// unreadable file is an operational error (exit 4), a file that is not a policy a usage
/// error (exit 2).
pub fn load_policy(arg: &str) -> Result<Policy, CliError> {
    Policy::from_arg(arg).map_err(|e| match e {
        kenpo_verify::policy::PolicyError::Read { .. } => CliError::op("--policy", e),
        e => CliError::Usage(format!("--policy {arg}: {e}")),
    })
}

/// The revocation mode: `--revocation` when given, else the policy's, else hard.
pub fn revocation_mode(arg: Option<RevocationArg>, policy: &Policy) -> RevocationMode {
    arg.map(RevocationMode::from)
        .or(policy.revocation)
        .unwrap_or(RevocationMode::Hard)
}

/// Help of `--policy`.
pub const POLICY_HELP: &str = "Validation policy: default (EN 319 102-1), rule27-sign (HPKI or accredited signer, a valid signature time-stamp, the signer valid at its genTime), rule27-archive (rule27-sign and an unbroken B-LTA), or a policy FILE (JSON or TOML, docs/POLICY.md). A signature that misses a requirement is never TOTAL_PASSED and the report names each unmet requirement";

/// Output formats of `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    /// Human-readable text: the short report, then (with --verbose) every check.
    Text,
    /// JSON (the contract).
    Json,
    /// A self-contained printable HTML page (A4; no external assets).
    Html,
}

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The signature (CMS/CAdES, DER, BER or PEM).
    pub sig: PathBuf,
    /// Detached content. Repeatable for an XML signature (XAdES/XMLDSig, e.g. e-Gov
    /// kousei.xml): a reference is resolved to the given file whose name is the last
    /// segment of its URI (a single file serves any reference).
    #[arg(long, value_name = "FILE")]
    pub content: Vec<PathBuf>,
    /// Trust anchors (file or directory; repeatable).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// Intermediate certificates (file or directory; repeatable).
    #[arg(long)]
    pub cert_store: Vec<PathBuf>,
    /// CRLs (repeatable).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// OCSP responses (repeatable).
    #[arg(long)]
    pub ocsp_response: Vec<PathBuf>,
    /// Certificate profile the signer must satisfy.
    #[arg(long, value_enum, default_value_t = ProfileArg::Any)]
    pub profile: ProfileArg,
    /// Never fetch anything over the network.
    #[arg(long)]
    pub offline: bool,
    /// Keep fetched CRLs and OCSP responses in DIR between runs and use them while
    /// current (also with --offline).
    #[arg(long, value_name = "DIR", env = "KENPO_REVOCATION_CACHE")]
    pub revocation_cache: Option<PathBuf>,
    /// Fetch revocation data and issuer certificates only from HOST (its default port)
    /// or HOST:PORT (repeatable; default: wherever the certificates point). Redirects never
    /// leave the host and port first asked either way.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub fetch_allow: Vec<kenpo_revocation::fetch::AllowedOrigin>,
    /// Validation time (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    /// What missing revocation data means (default: the policy's mode, else hard).
    #[arg(long, value_enum)]
    pub revocation: Option<RevocationArg>,
    #[arg(long, value_name = "default|rule27-sign|rule27-archive|FILE", default_value = "default", help = POLICY_HELP)]
    pub policy: String,
    /// Output format: text, json, or html (a self-contained printable A4 page).
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
    /// Text: list every check (without it, the short report and the checks that did not
    /// pass).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Report language (default: from the locale).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Time zone of text output.
    #[command(flatten)]
    pub tz: crate::tz::TzArg,
    /// Size limit of the input files held in memory.
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let limit = args.limit;
    let signature = files::read_limited(&args.sig, limit)?;
    let policy = load_policy(&args.policy)?;
    let xml = kenpo_xml::looks_like_xml(&signature);
    if args.content.len() > 1 && !xml {
        return Err(CliError::Operational(
            "--content is given more than once: only an XML signature (XAdES/XMLDSig) takes several contents".into(),
        ));
    }
    let req = VerifyRequest::new(&signature)
        .with_content(args.content.first().map(PathBuf::as_path))
        .with_anchors(files::certificates_limited(&args.trust, limit)?)
        .with_cert_store(files::certificates_limited(&args.cert_store, limit)?)
        .with_crls(files::der_files_limited(&args.crl, limit)?)
        .with_ocsp_responses(files::der_files_limited(&args.ocsp_response, limit)?)
        .with_profile(args.profile.into())
        .with_offline(args.offline)
        .with_revocation_cache(args.revocation_cache.clone())
        .with_fetch_allow(args.fetch_allow.clone())
        .with_at(files::parse_at(args.at.as_deref())?)
        .with_revocation(revocation_mode(args.revocation, &policy))
        .with_policy(policy);
    if kenpo_verify::validate::is_pdf_file(&signature) {
        return crate::cmd::verify_pdf::run(args, &req, &signature);
    }
    let anchors = req.anchors.clone();
    let cert_store = req.cert_store.clone();
    let at = req.at;
    let report = if xml && args.content.len() > 1 {
        let contents: Vec<Detached<'_>> = args.content.iter().map(|p| Detached::File(p)).collect();
        Verifier::new(req.options()).verify_xml(&signature, &contents)
    } else {
        verify_signature(&req)
    }
    .map_err(|e| CliError::op("verify", e))?;
    let lang = LangArg::resolve(args.lang);
    let mut opts = TextOptions::new(args.verbose);
    if args.format != VerifyFormat::Json {
        // The planner's renewal date of this file, for the preservation state.
        let plan = PlanOptions::new(at.unwrap_or_else(time::OffsetDateTime::now_utc))
            .with_anchors(anchors)
            .with_cert_store(cert_store);
        opts.renewal_due = plan_bytes(&args.sig.to_string_lossy(), &signature, true, &plan).due;
    }
    match args.format {
        VerifyFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        ),
        VerifyFormat::Text => out!(
            "{}",
            crate::tz::localize(&report.render_text_with(lang, opts), args.tz.tz)
        ),
        VerifyFormat::Html => out!(
            "{}",
            crate::tz::localize(
                &kenpo_verify::report::html::render(&report, lang, opts),
                args.tz.tz
            )
        ),
    }
    Ok(report.exit_code())
}
