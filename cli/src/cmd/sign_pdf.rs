//! The PDF side of `kenpo-sign sign`: which form a document is signed in (`--format`, else
//! `%PDF-` at its start means PAdES), the `--pdf-subfilter` choice, and the PAdES run
//! (an incremental update of the PDF; see `kenpo_sign::pades`).

use std::io::Read;
use std::path::{Path, PathBuf};

use kenpo_sign::Signer;
use kenpo_sign::cades::SignOptions;
use kenpo_sign::pades::{PadesOptions, sign_pdf_file_to};
use kenpo_verify::lt::ExtendOptions;

use crate::exit::{self, CliError};
use crate::files;

/// The signature form (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// CMS signature file (.p7s / .p7m).
    Cades,
    /// PDF signature inside the PDF (incremental update).
    Pades,
    /// XML signature (XAdES, enveloped in the document or detached).
    Xades,
}

/// The PDF signature's `/SubFilter` (`--pdf-subfilter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SubFilterArg {
    /// ETSI.CAdES.detached (PAdES baseline).
    #[default]
    Etsi,
    /// adbe.pkcs7.detached (legacy PDF signatures).
    Adbe,
}

/// Whether the file starts as a PDF (`%PDF-` within its first KiB, and not a CMS that
/// carries one: the rule `verify`, `extend`, `inspect` and `batch` use).
pub fn looks_like_pdf(path: &Path) -> bool {
    let mut head = Vec::with_capacity(1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(1024).read_to_end(&mut head))
        .is_ok_and(|_| kenpo_verify::validate::is_pdf_file(&head))
}

/// Whether `doc` is signed as PAdES: `--format` decides, else the content.
pub fn is_pades(format: Option<FormatArg>, doc: &Path) -> Result<bool, CliError> {
    match format {
        Some(FormatArg::Pades) => Ok(true),
        Some(FormatArg::Cades) => Ok(false),
        Some(FormatArg::Xades) => Ok(false),
        None => Ok(looks_like_pdf(doc)),
    }
}

/// The output of a PAdES signature: `-o`, else `DOC` with `.signed.pdf` (not replaced
/// unless `--force`).
pub fn output(out: Option<&Path>, doc: &Path, force: bool) -> Result<PathBuf, CliError> {
    files::default_output(out, &doc.with_extension(""), "signed.pdf", force)
}

/// Refuses what a PAdES signature cannot be: attached, B-LT / B-LTA at signing time.
pub fn check_args(attached: bool) -> Result<(), CliError> {
    if attached {
        return Err(CliError::Usage(
            "--attached does not apply to a PDF: the signature is embedded in the PDF (use --format cades for a .p7m)".into(),
        ));
    }
    Ok(())
}

/// Signs `doc` as PAdES into `out` and prints the summary. With `long_term` (`--level
/// b-lt|b-lta`) the B-T PDF is made in a staging file beside `out`, extended as `extend
/// FILE.pdf` does (DSS, then a document time-stamp for B-LTA, each an incremental update),
/// and only the extended PDF is written to `out`; on any failure nothing is.
pub fn run(
    signer: &dyn Signer,
    doc: &Path,
    out: &Path,
    opts: &SignOptions,
    subfilter: SubFilterArg,
    long_term: Option<(&ExtendOptions, files::InputLimit)>,
) -> Result<u8, CliError> {
    let staging = match long_term {
        Some(_) => Some(crate::cmd::sign::staging_file(out)?),
        None => None,
    };
    let signed_path = staging
        .as_ref()
        .map_or(out, kenpo_core::atomic::Staged::temp_path);
    let sub = match subfilter {
        SubFilterArg::Etsi => kenpo_pdf::SubFilter::EtsiCadesDetached,
        SubFilterArg::Adbe => kenpo_pdf::SubFilter::AdbePkcs7Detached,
    };
    let signed = sign_pdf_file_to(
        signer,
        doc,
        signed_path,
        opts,
        &PadesOptions::new().with_sub_filter(sub),
    )
    .map_err(|e| {
        if e.is_refusal() {
            CliError::Refused(e.to_string())
        } else {
            CliError::Operational(e.to_string())
        }
    })?;
    if let Some((x_opts, limit)) = long_term {
        let bt = crate::cmd::sign::read_staged(signed_path, limit)?;
        let x =
            kenpo_verify::lt::extend_pdf(&bt, x_opts).map_err(crate::cmd::extend::extend_error)?;
        files::write_atomic(out, &x.pdf)?;
        outln!("signed:  {}", out.display());
        crate::cmd::extend::print_pdf_summary(&x);
        return Ok(exit::OK);
    }
    outln!("signed:  {}", out.display());
    outln!(
        "format:  PAdES ({})",
        match subfilter {
            SubFilterArg::Etsi => "ETSI.CAdES.detached",
            SubFilterArg::Adbe => "adbe.pkcs7.detached",
        }
    );
    crate::cmd::sign::print_signed(&signed);
    Ok(exit::OK)
}
