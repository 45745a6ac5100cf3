//! `kenpo-sign inspect FILE [--format text|json] [--max-input-bytes N]`
//!
//! Structural dump without validation ([`kenpo_verify::inspect()`]). Exit 0 when the file is
//! a recognised structure, 1 when it is not, 4 when it cannot be read or is larger than
//! `--max-input-bytes`.

use std::path::PathBuf;

use kenpo_verify::inspect::inspect;

use crate::exit::{self, CliError};
use crate::{Format, files};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file: CMS/CAdES signature, time-stamp response or token, certificate, CRL or
    /// OCSP response (DER, BER or PEM), or a PDF (its revisions, signatures, document
    /// time-stamps and DSS).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Size limit of the file (it is held in memory).
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let data = files::read_limited(&args.file, args.limit)?;
    let found = inspect(&data)
        .map_err(|e| CliError::Refused(format!("{}: FORMAT: {e}", args.file.display())))?;
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&found.to_json()).unwrap_or_default() + "\n",
        Format::Text => found.render_text(),
    };
    // A closed pipe (`| head`) is not worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    Ok(exit::OK)
}
