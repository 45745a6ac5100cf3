//! `kenpo-sign verify-cert CERT [--chain PEM]... --trust PEM_OR_DIR... [--crl FILE]...
//! [--at RFC3339] [--offline] [--profile hpki|accredited|any] [--format text|json] [--lang ja|en]
//! [--max-input-bytes N]`

use std::path::PathBuf;

use kenpo_verify::validate::{CertRequest, verify_certificate};

use crate::cmd::sign::ProfileArg;
use crate::exit::CliError;
use crate::{Format, LangArg, files};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The certificate to validate (DER or PEM).
    pub cert: PathBuf,
    /// Intermediate certificates (repeatable).
    #[arg(long)]
    pub chain: Vec<PathBuf>,
    /// Trust anchors (file or directory; repeatable).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// CRLs (repeatable).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// Validation time (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
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
    /// Certificate profile to apply.
    #[arg(long, value_enum, default_value_t = ProfileArg::Any)]
    pub profile: ProfileArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
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
    let cert = files::certificates_limited(std::slice::from_ref(&args.cert), limit)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            CliError::Operational(format!("{} holds no certificate", args.cert.display()))
        })?;
    let req = CertRequest::new(&cert)
        .with_chain(files::certificates_limited(&args.chain, limit)?)
        .with_anchors(files::certificates_limited(&args.trust, limit)?)
        .with_crls(files::der_files_limited(&args.crl, limit)?)
        .with_at(files::parse_at(args.at.as_deref())?)
        .with_offline(args.offline)
        .with_revocation_cache(args.revocation_cache.clone())
        .with_fetch_allow(args.fetch_allow.clone())
        .with_profile(args.profile.into());
    let report = verify_certificate(&req);
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        ),
        Format::Text => out!(
            "{}",
            crate::tz::localize(&report.render_text(LangArg::resolve(args.lang)), args.tz.tz)
        ),
    }
    Ok(report.exit_code())
}
