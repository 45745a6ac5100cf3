//! The XML side of `kenpo-sign sign`: an XML document (by content, or `--format xades`)
//! is signed as XAdES B-B or B-T, enveloped in the document (`--xml-form enveloped`, the
//! default) or as a standalone signature document beside it (`--xml-form detached`); see
//! `kenpo_sign::xades`.

use std::io::Read;
use std::path::{Path, PathBuf};

use kenpo_sign::Signer;
use kenpo_sign::cades::{self, SignOptions};
use kenpo_sign::xades::{XadesOptions, XmlForm, sign_xml_to};
use kenpo_verify::Detached;
use kenpo_verify::lt::ExtendOptions;

use crate::cmd::sign_pdf::FormatArg;
use crate::exit::{self, CliError};
use crate::files;

/// Where an XML signature goes (`--xml-form`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum XmlFormArg {
    /// Inside the document, as the last child of its document element.
    #[default]
    Enveloped,
    /// A standalone signature file referencing the document by its file name.
    Detached,
}

/// Whether the file starts as an XML document (after an optional BOM and white space,
/// `<?xml` or an element).
pub fn looks_like_xml(path: &Path) -> bool {
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .is_ok_and(|_| kenpo_xml::looks_like_xml(&head))
}

/// Whether `doc` is signed as XAdES: `--format` decides, else the content (a PDF is not).
pub fn is_xades(format: Option<FormatArg>, doc: &Path) -> bool {
    match format {
        Some(FormatArg::Xades) => true,
        Some(_) => false,
        None => !crate::cmd::sign_pdf::looks_like_pdf(doc) && looks_like_xml(doc),
    }
}

/// The output of a XAdES signature: `-o`, else `DOC` with `.signed.xml` (enveloped) or
/// `.sig.xml` (detached), not replaced unless `--force`.
pub fn output(
    out: Option<&Path>,
    doc: &Path,
    form: XmlFormArg,
    force: bool,
) -> Result<PathBuf, CliError> {
    let ext = match form {
        XmlFormArg::Enveloped => "signed.xml",
        XmlFormArg::Detached => "sig.xml",
    };
    files::default_output(out, &doc.with_extension(""), ext, force)
}

/// Refuses what a XAdES signature cannot be made with: `--attached`, `--pdf-subfilter`.
pub fn check_args(attached: bool, pdf_subfilter: bool) -> Result<(), CliError> {
    if attached {
        return Err(CliError::Usage(
            "--attached does not apply to XML: the signature is enveloped in the document (--xml-form enveloped) or a separate file (--xml-form detached); use --format cades for a .p7m".into(),
        ));
    }
    if pdf_subfilter {
        return Err(CliError::Usage(
            "--pdf-subfilter applies to PDF documents only, not to XML".into(),
        ));
    }
    Ok(())
}

/// The reference URI of a detached content: its file name, with the characters that
/// would end or change a URI reference (space, `%`, `#`, `?`) percent-encoded.
pub fn content_uri(doc: &Path) -> Result<String, CliError> {
    let name = doc
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::Usage(format!("{}: no UTF-8 file name", doc.display())))?;
    let mut uri = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ' ' => uri.push_str("%20"),
            '%' => uri.push_str("%25"),
            '#' => uri.push_str("%23"),
            '?' => uri.push_str("%3F"),
            c => uri.push(c),
        }
    }
    Ok(uri)
}

/// Signs `doc` as XAdES into `out` and prints the summary. With `long_term` (`--level
/// b-lt|b-lta`) the B-T signature is made in a staging file beside `out`, extended as
/// `extend FILE.xml` does (unsigned properties appended), and only the extended signature
/// is written to `out`; on any failure nothing is.
pub fn run(
    signer: &dyn Signer,
    doc: &Path,
    out: &Path,
    opts: &SignOptions,
    form: XmlFormArg,
    limit: files::InputLimit,
    long_term: Option<&ExtendOptions>,
) -> Result<u8, CliError> {
    let input = files::read_limited(doc, limit)?;
    let staging = match long_term {
        Some(_) => Some(crate::cmd::sign::staging_file(out)?),
        None => None,
    };
    let signed_path = staging
        .as_ref()
        .map_or(out, kenpo_core::atomic::Staged::temp_path);
    let xml_form = match form {
        XmlFormArg::Enveloped => XmlForm::Enveloped,
        XmlFormArg::Detached => XmlForm::Detached {
            uri: content_uri(doc)?,
        },
    };
    let signed = sign_xml_to(
        signer,
        &input,
        doc,
        signed_path,
        opts,
        &XadesOptions::new().with_form(xml_form),
    )
    .map_err(|e| {
        if e.is_refusal() {
            CliError::Refused(e.to_string())
        } else if matches!(e, cades::SignError::Xml(_)) {
            CliError::Operational(format!(
                "{}: {e}; nothing written (to sign it as a CMS file instead, give --format cades)",
                doc.display()
            ))
        } else {
            CliError::Operational(e.to_string())
        }
    })?;
    if let Some(x_opts) = long_term {
        let bt = crate::cmd::sign::read_staged(signed_path, limit)?;
        let contents: Vec<Detached<'_>> = match form {
            XmlFormArg::Enveloped => Vec::new(),
            XmlFormArg::Detached => vec![Detached::File(doc)],
        };
        let x = kenpo_verify::lt::extend_xml(&bt, &contents, x_opts)
            .map_err(crate::cmd::extend::extend_error)?;
        files::write_atomic(out, &x.xml)?;
        outln!("signed:  {}", out.display());
        crate::cmd::extend::print_xml_summary(&x);
        return Ok(exit::OK);
    }
    outln!("signed:  {}", out.display());
    outln!(
        "format:  XAdES ({})",
        match form {
            XmlFormArg::Enveloped => "enveloped",
            XmlFormArg::Detached => "detached",
        }
    );
    crate::cmd::sign::print_signed(&signed);
    Ok(exit::OK)
}
