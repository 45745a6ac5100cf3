//! `kenpo-sign extend SIG [--content DOC]... --to b-lt|b-lta --tsa URL... --trust PEM_OR_DIR...
//! [--cert-store PEM_OR_DIR]... [--crl FILE]... [--ocsp-response FILE]... [--offline]
//! [--profile hpki|accredited|any] [--policy default|rule27-sign|rule27-archive|FILE]
//! (-o OUT | --in-place)`
//!
//! B-T → B-LT / B-LTA, and B-LTA → B-LTA (renewal: a new archive time-stamp). A PDF
//! (`SIG` starting with `%PDF-`) is extended as PAdES (`kenpo_verify::lt::extend_pdf`): the
//! DSS and, for b-lta, a document time-stamp, in incremental updates. An XML document is
//! extended as XAdES (`kenpo_verify::lt::extend_xml`): unsigned signature properties
//! (CertificateValues, RevocationValues, ArchiveTimeStamp, TimeStampValidationData)
//! inserted, every other byte in place. The output is
//! written atomically (temporary file, fsync, rename); with `--in-place` the original is
//! replaced only once the new file is complete, so it survives any failure or crash.
//! Exit 1 when the extension is refused (signature not valid, TRY_LATER, legacy archive),
//! 4 when a TSA or responder cannot be reached or a file cannot be read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kenpo_tsa::client::ClientConfig;
use kenpo_verify::lt::{
    ExtendError, ExtendOptions, Extended, Target, extend, extend_pdf, extend_xml,
};
use kenpo_verify::path::PathValidator;
use kenpo_verify::validate::Detached;

use crate::cmd::sign::ProfileArg;
use crate::exit::{self, CliError};
use crate::files;

/// Target levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    /// Validation data embedded.
    #[value(name = "b-lt")]
    Blt,
    /// Validation data and an archive time-stamp (renewal when already B-LTA).
    #[value(name = "b-lta")]
    Blta,
}

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The signature to extend (CMS/CAdES, DER, BER or PEM), a signed PDF (PAdES: the
    /// DSS and, for b-lta, a document time-stamp are added as incremental updates), or an
    /// XML document with one XAdES signature (the unsigned properties are appended, every
    /// other byte kept in place).
    pub sig: PathBuf,
    /// Detached content (needed for B-LTA of a detached signature). Repeatable for an XML
    /// signature: a reference is resolved to the given file whose name is the last segment
    /// of its URI (a single file serves any reference).
    #[arg(long, value_name = "FILE")]
    pub content: Vec<PathBuf>,
    /// Target level.
    #[arg(long, value_enum)]
    pub to: TargetArg,
    /// TSA URL (repeatable: failover in order); needed for b-lta.
    #[arg(long)]
    pub tsa: Vec<String>,
    /// Trust anchors (file or directory; repeatable).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// Intermediate certificates (file or directory; repeatable).
    #[arg(long)]
    pub cert_store: Vec<PathBuf>,
    /// CRLs to use besides fetched ones (repeatable).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// OCSP responses to use besides fetched ones (repeatable).
    #[arg(long)]
    pub ocsp_response: Vec<PathBuf>,
    /// Never fetch revocation data over the network (the TSA is still contacted).
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
    /// Certificate profile the signer must satisfy.
    #[arg(long, value_enum, default_value_t = ProfileArg::Any)]
    pub profile: ProfileArg,
    /// Validation policy the signature must meet to be preserved: refused (exit 1, nothing
    /// written) when the input misses a requirement an extension cannot supply (signer
    /// profile, validity at the signature time-stamp, accepted TSAs) or the result misses
    /// any (docs/POLICY.md); default: only valid now.
    #[arg(long, value_name = "default|rule27-sign|rule27-archive|FILE")]
    pub policy: Option<String>,
    /// Also add the legacy certificate-values / revocation-values attributes (CAdES-X-Long,
    /// for receivers of the JIS X 5092 era).
    #[arg(long)]
    pub legacy_values: bool,
    /// Output file.
    #[arg(
        short = 'o',
        long = "out",
        conflicts_with = "in_place",
        required_unless_present = "in_place"
    )]
    pub out: Option<PathBuf>,
    /// Replace SIG (atomically).
    #[arg(long)]
    pub in_place: bool,
    /// Size limit of the input files held in memory.
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// TSA client settings: the TSA certificate must chain to `anchors` at genTime.
pub fn tsa_config(urls: &[String], anchors: &[Vec<u8>]) -> Option<ClientConfig> {
    if urls.is_empty() {
        return None;
    }
    let validator = PathValidator::new(
        anchors.to_vec(),
        kenpo_verify::path::ValidationOptions::at(time::OffsetDateTime::now_utc()),
    );
    Some(ClientConfig::new(urls.to_vec()).with_validator(Some(Arc::new(validator))))
}

/// Maps an extension error to the exit-code contract.
pub fn extend_error(e: ExtendError) -> CliError {
    if e.is_refusal() {
        CliError::Refused(format!("extension refused, nothing written: {e}"))
    } else {
        CliError::Operational(format!("extension failed, nothing written: {e}"))
    }
}

/// Prints what an extension did.
pub fn print_summary(out: &Path, x: &Extended) {
    outln!("extended: {}", out.display());
    outln!("level:    {}", x.level);
    outln!(
        "added:    {} certificate(s), {} CRL(s), {} OCSP response(s)",
        x.added_certificates,
        x.added_crls,
        x.added_ocsp_responses
    );
    if let Some(t) = x.signature_time_stamp {
        outln!("signature time-stamp: {}", kenpo_core::timefmt::rfc3339(t));
    }
    if let Some(t) = x.archive_time_stamp {
        outln!("archive time-stamp:   {}", kenpo_core::timefmt::rfc3339(t));
    }
    for n in &x.notes {
        outln!("note:     {n}");
    }
    outln!("verified: {}", x.report.indication);
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let limit = args.limit;
    let signature = files::read_limited(&args.sig, limit)?;
    let anchors = files::certificates_limited(&args.trust, limit)?;
    let to = match args.to {
        TargetArg::Blt => Target::BLt,
        TargetArg::Blta => Target::BLta,
    };
    if to == Target::BLta && args.tsa.is_empty() {
        return Err(CliError::Usage(
            "--to b-lta needs at least one --tsa URL".into(),
        ));
    }
    let policy = args
        .policy
        .as_deref()
        .map(crate::cmd::verify::load_policy)
        .transpose()?;
    let opts = ExtendOptions::new(to, tsa_config(&args.tsa, &anchors), anchors)
        .with_cert_store(files::certificates_limited(&args.cert_store, limit)?)
        .with_crls(files::der_files_limited(&args.crl, limit)?)
        .with_ocsp_responses(files::der_files_limited(&args.ocsp_response, limit)?)
        .with_profile(args.profile.into())
        .with_offline(args.offline)
        .with_revocation_cache(args.revocation_cache.clone())
        .with_fetch_allow(args.fetch_allow.clone())
        .with_legacy_values(args.legacy_values)
        .with_policy(policy);
    let out = match (&args.out, args.in_place) {
        (Some(o), _) => o.clone(),
        (None, _) => args.sig.clone(),
    };
    if kenpo_verify::validate::is_pdf_file(&signature) {
        return run_pdf(args, &signature, &opts, &out);
    }
    if kenpo_xml::looks_like_xml(&signature) {
        return run_xml(args, &signature, &opts, &out);
    }
    if args.content.len() > 1 {
        return Err(CliError::Usage(
            "--content is given more than once: only an XML signature takes several contents"
                .into(),
        ));
    }
    let extended = extend(
        &signature,
        args.content.first().map(PathBuf::as_path),
        &opts,
    )
    .map_err(extend_error)?;
    files::write_atomic(&out, &extended.der)?;
    print_summary(&out, &extended);
    Ok(exit::OK)
}

/// `extend FILE.pdf`: DSS (and for b-lta a document time-stamp) in incremental updates.
fn run_pdf(args: &Args, pdf: &[u8], opts: &ExtendOptions, out: &Path) -> Result<u8, CliError> {
    if !args.content.is_empty() || args.legacy_values || args.policy.is_some() {
        return Err(CliError::Usage(
            "--content, --legacy-values and --policy do not apply to a PDF".into(),
        ));
    }
    let x = extend_pdf(pdf, opts).map_err(extend_error)?;
    files::write_atomic(out, &x.pdf)?;
    outln!("extended: {}", out.display());
    print_pdf_summary(&x);
    Ok(exit::OK)
}

/// Prints what a PDF extension added (shared with `sign DOC.pdf --level b-lt|b-lta`).
pub(crate) fn print_pdf_summary(x: &kenpo_verify::lt::ExtendedPdf) {
    outln!("level:    {}", x.level);
    outln!(
        "added:    {} certificate(s), {} CRL(s), {} OCSP response(s) to the DSS",
        x.added_certificates,
        x.added_crls,
        x.added_ocsp_responses
    );
    if let Some(t) = x.document_time_stamp {
        outln!("document time-stamp: {}", kenpo_core::timefmt::rfc3339(t));
    }
    for n in &x.notes {
        outln!("note:     {n}");
    }
    outln!("verified: {}", x.report.indication);
}

/// `extend FILE.xml`: XAdES unsigned properties appended (every other byte in place).
fn run_xml(args: &Args, xml: &[u8], opts: &ExtendOptions, out: &Path) -> Result<u8, CliError> {
    if args.legacy_values {
        return Err(CliError::Usage(
            "--legacy-values does not apply to an XML signature".into(),
        ));
    }
    let contents: Vec<Detached<'_>> = args.content.iter().map(|p| Detached::File(p)).collect();
    let x = extend_xml(xml, &contents, opts).map_err(extend_error)?;
    files::write_atomic(out, &x.xml)?;
    outln!("extended: {}", out.display());
    print_xml_summary(&x);
    Ok(exit::OK)
}

/// Prints what an XML extension added (shared with `sign DOC.xml --level b-lt|b-lta`).
pub(crate) fn print_xml_summary(x: &kenpo_verify::lt::ExtendedXml) {
    outln!("level:    {}", x.level);
    outln!(
        "added:    {} certificate(s), {} CRL(s), {} OCSP response(s)",
        x.added_certificates,
        x.added_crls,
        x.added_ocsp_responses
    );
    if let Some(t) = x.signature_time_stamp {
        outln!("signature time-stamp: {}", kenpo_core::timefmt::rfc3339(t));
    }
    if let Some(t) = x.archive_time_stamp {
        outln!("archive time-stamp:   {}", kenpo_core::timefmt::rfc3339(t));
    }
    for n in &x.notes {
        outln!("note:     {n}");
    }
    outln!("verified: {}", x.report.indication);
}
