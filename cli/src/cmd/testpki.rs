//! `kenpo-sign testpki OUTDIR [--seed N] [--at RFC3339] [--base-url URL]`: writes the
//! reproducible test PKI (test-only keys!) described in `testdata/README.md`.

use std::path::PathBuf;

use crate::exit::{self, CliError};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output directory (created).
    pub outdir: PathBuf,
    /// Seed of the deterministic key generator.
    #[arg(long, default_value_t = 27)]
    pub seed: u64,
    /// Reference time for validity periods (default: now).
    #[arg(long)]
    pub at: Option<String>,
    /// Base URL for CRL distribution points, OCSP and caIssuers (e.g. http://127.0.0.1:8480/).
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

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let cfg = config(args.seed, args.at.as_deref(), args.base_url.as_deref())?;
    let pki =
        kenpo_testpki::generate(&cfg).map_err(|e| CliError::op("test PKI generation failed", e))?;
    let written = pki
        .write_to(&args.outdir)
        .map_err(|e| CliError::op(format!("cannot write {}", args.outdir.display()), e))?;
    println!(
        "wrote {} files to {} (keys are TEST ONLY; see testdata/README.md)",
        written.len(),
        args.outdir.display()
    );
    Ok(exit::OK)
}
