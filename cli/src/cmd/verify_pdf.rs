//! `kenpo-sign verify FILE.pdf`: the PAdES signatures and document time-stamps of a PDF
//! (`kenpo_verify::validate::verify_pdf`), rendered like any report, with the PDF facts
//! (`format`, `covers`, `modified_after_signing`, document time-stamps) added.

use kenpo_verify::report::TextOptions;
use kenpo_verify::validate::{Verifier, VerifyRequest, verify_pdf};

use super::verify::{Args, VerifyFormat};
use crate::LangArg;
use crate::exit::CliError;

/// Verifies the PDF `pdf` under the request's options and prints the report.
pub fn run(args: &Args, req: &VerifyRequest<'_>, pdf: &[u8]) -> Result<u8, CliError> {
    let verifier = Verifier::new(req.options());
    let v = verify_pdf(&verifier, pdf).map_err(|e| CliError::op("verify", e))?;
    let lang = LangArg::resolve(args.lang);
    let opts = TextOptions::new(args.verbose);
    match args.format {
        VerifyFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&v.to_json()).unwrap_or_default()
        ),
        VerifyFormat::Text => {
            out!(
                "{}",
                crate::tz::localize(&v.report.render_text_with(lang, opts), args.tz.tz)
            );
            for (i, s) in v.signatures.iter().enumerate() {
                outln!(
                    "PDF signature {}: PAdES ({}), {}, modified after signing: {}",
                    i + 1,
                    s.sub_filter.as_deref().unwrap_or("no /SubFilter"),
                    if s.covers_whole_file {
                        "covers the whole file"
                    } else {
                        "covers its revision"
                    },
                    if s.modified_after_signing {
                        "YES"
                    } else {
                        "no"
                    },
                );
            }
            for d in &v.document_timestamps {
                outln!(
                    "PDF document time-stamp: {} {}{}",
                    d.gen_time
                        .map(kenpo_core::timefmt::rfc3339)
                        .unwrap_or_default(),
                    if d.valid { "valid" } else { "NOT valid" },
                    d.detail
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default(),
                );
            }
        }
        VerifyFormat::Html => out!(
            "{}",
            crate::tz::localize(
                &kenpo_verify::report::html::render(&v.report, lang, opts),
                args.tz.tz
            )
        ),
    }
    Ok(v.report.exit_code())
}
