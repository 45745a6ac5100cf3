//! `kenpo-sign testpki OUTDIR [--seed N] [--at RFC3339] [--base-url URL]`: writes the
//! reproducible test PKI (test-only keys!) described in `testdata/README.md`.
//!
//! `kenpo-sign testpki serve OUTDIR [--listen ADDR] [--seed N] [--at RFC3339]`: writes the
//! PKI with its URLs pointing at a local revocation service (OCSP, CRLs issued on request,
//! CA certificates) on the port it got (default: a free one), then serves it until
//! SIGINT/SIGTERM.

use std::path::PathBuf;

use kenpo_testpki::service::RevocationService;

use crate::exit::{self, CliError};

/// Arguments.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    /// Serve the PKI instead of only writing it.
    #[command(subcommand)]
    pub command: Option<TestpkiCommand>,
    /// Output directory (created).
    #[arg(required = true)]
    pub outdir: Option<PathBuf>,
    /// Seed of the deterministic key generator.
    #[arg(long, default_value_t = 27)]
    pub seed: u64,
    /// Reference time for validity periods (default: now).
    #[arg(long)]
    pub at: Option<String>,
    /// Base URL for CRL distribution points, OCSP and caIssuers (default
    /// http://127.0.0.1:8480/; `testpki serve` puts its own address there instead).
    #[arg(long)]
    pub base_url: Option<String>,
}

/// Builds the generator configuration from the arguments.
pub fn config(
    seed: u64,
    at: Option<&str>,
    base_url: Option<&str>,
) -> Result<kenpo_testpki::Config, CliError> {
    let mut cfg = kenpo_testpki::Config {
        seed,
        ..kenpo_testpki::Config::default()
    };
    if let Some(at) = at {
        cfg.now =
            kenpo_core::timefmt::parse_rfc3339(at).map_err(|e| CliError::Usage(e.to_string()))?;
    }
    if let Some(base) = base_url {
        let base = base.trim_end_matches('/');
        cfg.crl_base_url = format!("{base}/crl/");
        cfg.ocsp_url = format!("{base}/ocsp");
        cfg.ca_issuers_base_url = format!("{base}/ca/");
    }
    Ok(cfg)
}

/// `testpki` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TestpkiCommand {
    /// Write the PKI pointed at a local revocation service, then serve OCSP
    /// (`/ocsp`), fresh CRLs (`/crl/<issuer>.crl`) and CA certificates (`/ca/<issuer>.der`)
    /// until SIGINT/SIGTERM.
    Serve(ServeArgs),
}

/// Arguments of `testpki serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Output directory (created).
    pub outdir: PathBuf,
    /// Address to listen on; the certificates' URLs use the port it gets (port 0, the
    /// default: a free port chosen by the system, printed, so that several can run at once).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Seed of the deterministic key generator.
    #[arg(long, default_value_t = 27)]
    pub seed: u64,
    /// Reference time for validity periods (default: now).
    #[arg(long)]
    pub at: Option<String>,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    if let Some(TestpkiCommand::Serve(serve_args)) = &args.command {
        return serve(serve_args);
    }
    let outdir = args
        .outdir
        .as_deref()
        .ok_or_else(|| CliError::Usage("OUTDIR is required".into()))?;
    let cfg = config(args.seed, args.at.as_deref(), args.base_url.as_deref())?;
    let pki =
        kenpo_testpki::generate(&cfg).map_err(|e| CliError::op("test PKI generation failed", e))?;
    let written = pki
        .write_to(outdir)
        .map_err(|e| CliError::op(format!("cannot write {}", outdir.display()), e))?;
    outln!(
        "wrote {} files to {} (keys are TEST ONLY; see testdata/README.md)",
        written.len(),
        outdir.display()
    );
    Ok(exit::OK)
}

/// `testpki serve`: bind, generate with the service's URLs, write, serve until a signal.
fn serve(args: &ServeArgs) -> Result<u8, CliError> {
    let bound =
        RevocationService::bind(&args.listen).map_err(|e| CliError::op("revocation service", e))?;
    let mut cfg = config(args.seed, args.at.as_deref(), None)?;
    bound.config_urls(&mut cfg);
    let pki =
        kenpo_testpki::generate(&cfg).map_err(|e| CliError::op("test PKI generation failed", e))?;
    let written = pki
        .write_to(&args.outdir)
        .map_err(|e| CliError::op(format!("cannot write {}", args.outdir.display()), e))?;
    let service = bound
        .start(pki)
        .map_err(|e| CliError::op("revocation service", e))?;
    let base = service.base_url();
    outln!(
        "wrote {} files to {} (keys are TEST ONLY; see testdata/README.md)",
        written.len(),
        args.outdir.display()
    );
    outln!("kenpo-sign test PKI revocation service listening on {base}/ (OCSP {base}/ocsp)");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::op("runtime", e))?;
    rt.block_on(stop_signal());
    let hits = service.hits();
    service.shutdown();
    eprintln!(
        "kenpo-sign test PKI revocation service stopped ({} OCSP, {} CRL, {} CA certificate requests)",
        hits.ocsp, hits.crl, hits.ca
    );
    Ok(exit::OK)
}

/// Resolves on SIGINT or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
