//! `kenpo-sign timestamp FILE --tsa URL [--tsa URL]... [--hash sha256|sha384|sha512]
//! [--policy OID] [--trust PEM]... [--embed] [-o OUT.tsr | --force]`
//!
//! With `--embed` (PDF only) the token becomes a PAdES document time-stamp inside the PDF
//! (`timestamp_pdf`).
//!
//! Writes the whole DER TimeStampResp (as `openssl ts -reply` does) after checking nonce,
//! imprint, signature, the TSA certificate's EKU and validity, and — with `--trust` — its
//! chain to a trust anchor.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_tsa::AnchorChain;
use kenpo_tsa::client::{AttemptError, BasicAuth, BlockingTsaClient, ClientConfig, ClientError};

use crate::exit::{self, CliError};
use crate::files;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to time-stamp (hashed as a stream).
    pub file: PathBuf,
    /// TSA URL; repeat for failover, tried in order.
    #[arg(long = "tsa", required = true)]
    pub tsa: Vec<String>,
    /// Digest of the message imprint.
    #[arg(long, default_value = "sha256", value_parser = ["sha256", "sha384", "sha512"])]
    pub hash: String,
    /// Request (and require) this TSA policy OID.
    #[arg(long)]
    pub policy: Option<String>,
    /// Trust anchors for the TSA certificate (file or directory; repeatable).
    #[arg(long)]
    pub trust: Vec<PathBuf>,
    /// Extra certificates to find the TSA certificate (also sends certReq=false).
    #[arg(long)]
    pub tsa_cert: Vec<PathBuf>,
    /// User for HTTP basic authentication (password from KENPO_TSA_PASSWORD).
    #[arg(long)]
    pub tsa_user: Option<String>,
    /// Time limit per TSA in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Output file (DER TimeStampResp), written atomically (default: FILE.tsr, which must
    /// not exist unless --force).
    #[arg(short = 'o', long = "out")]
    pub out: Option<PathBuf>,
    /// Replace the default output (FILE.tsr) when it exists.
    #[arg(long)]
    pub force: bool,
    /// Embed the time-stamp in the PDF: a PAdES document time-stamp (ETSI.RFC3161) in an
    /// incremental update, written to -o (default: FILE with .timestamped.pdf).
    #[arg(long)]
    pub embed: bool,
    /// Size limit of the input files held in memory.
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    if args.embed && !crate::cmd::sign_pdf::looks_like_pdf(&args.file) {
        return Err(CliError::Usage(format!(
            "--embed needs a PDF; {} does not start with %PDF-",
            args.file.display()
        )));
    }
    let out = if args.embed {
        files::default_output(
            args.out.as_deref(),
            &args.file.with_extension(""),
            "timestamped.pdf",
            args.force,
        )?
    } else {
        files::default_output(args.out.as_deref(), &args.file, "tsr", args.force)?
    };
    let digest_alg =
        DigestAlgorithm::from_name(&args.hash).ok_or_else(|| CliError::Usage(args.hash.clone()))?;
    let policy = args
        .policy
        .as_deref()
        .map(|p| Oid::new(p).map_err(|e| CliError::Usage(format!("--policy {p}: {e}"))))
        .transpose()?;
    let anchors = files::certificates_limited(&args.trust, args.limit)?;
    let extra = files::certificates_limited(&args.tsa_cert, args.limit)?;
    let basic_auth = match &args.tsa_user {
        Some(user) => {
            let pw = std::env::var("KENPO_TSA_PASSWORD").map_err(|_| {
                CliError::Usage("--tsa-user needs KENPO_TSA_PASSWORD in the environment".into())
            })?;
            Some(BasicAuth::new(user.clone(), pw))
        }
        None => None,
    };
    let config = ClientConfig::new(args.tsa.clone())
        .with_digest(digest_alg)
        .with_policy(policy)
        .with_cert_req(extra.is_empty())
        .with_timeout(Duration::from_secs(args.timeout))
        .with_connect_timeout(Duration::from_secs(args.timeout.min(10)))
        .with_basic_auth(basic_auth)
        .with_extra_certs(extra)
        .with_validator((!anchors.is_empty()).then(|| Arc::new(AnchorChain::new(anchors)) as _));
    let client = BlockingTsaClient::new(config).map_err(|e| CliError::Usage(e.to_string()))?;
    if args.embed {
        if args.trust.is_empty() {
            eprintln!("warning: no --trust given: the TSA certificate's chain was not checked");
        }
        return crate::cmd::timestamp_pdf::run(&args.file, &out, digest_alg, &client, classify);
    }
    let digest = files::hash_file(&args.file, digest_alg)?;
    let stamp = client.timestamp_digest(&digest).map_err(classify)?;
    files::write_atomic(&out, &stamp.response_der)?;
    if args.trust.is_empty() {
        eprintln!("warning: no --trust given: the TSA certificate's chain was not checked");
    }
    outln!(
        "genTime: {}",
        kenpo_core::timefmt::rfc3339(stamp.gen_time())
    );
    outln!("serial:  {}", stamp.token.serial_hex());
    outln!("policy:  {}", stamp.token.policy());
    outln!("TSA:     {}", stamp.token.tsa_subject());
    outln!("imprint: {} {}", digest_alg.name(), digest.to_hex());
    outln!("written: {}", out.display());
    Ok(exit::OK)
}

/// A TSA that answered but refused, or whose token failed verification, is a refusal
/// (exit 1); a TSA that could not be used at all is an operational error (exit 4).
fn classify(e: ClientError) -> CliError {
    if e.is_config() {
        return CliError::Usage(e.to_string());
    }
    let refused = e.attempts().iter().any(|a| {
        matches!(
            a.error,
            AttemptError::Rejected { .. } | AttemptError::Token(_)
        )
    });
    if refused {
        CliError::Refused(e.to_string())
    } else {
        CliError::Operational(e.to_string())
    }
}
