//! PAdES extension (ETSI EN 319 142-1): B-T → B-LT → B-LTA, and B-LTA renewal, of every
//! signature of a PDF, each step an incremental update (the input is a prefix of the
//! output).
//!
//! 1. Every signature must be valid now and carry a signature time-stamp (a PDF signature's
//!    CMS cannot gain one after signing); every document time-stamp must be valid.
//! 2. **B-LT**: the validation data of every signature — its signer path at the signature
//!    time-stamp's genTime and every signature time-stamp's TSA path, gathered as for CAdES
//!    ([`super::ctx`]), revocation data issued after that genTime or TRY_LATER — and, on a
//!    PDF that has document time-stamps (renewal), that of the newest one, are written to
//!    the DSS (`kenpo_pdf::add_dss`).
//! 3. **B-LTA**: a document time-stamp over the result (as `timestamp --embed`), then its
//!    own validation data in a further DSS update (a note when it cannot be had yet).
//!
//! The result must verify (TOTAL_PASSED) with the same options, or nothing is returned.

use kenpo_pdf::{Budget, Document, DssAdditions, SigType, SignatureOptions, SubFilter};
use kenpo_tsa::client::{BlockingTsaClient, TimeStamp};
use time::OffsetDateTime;

use super::ctx::Ctx;
use super::gather::Gathered;
use super::{ExtendError, ExtendOptions, Target, require_valid};
use crate::report::Report;
use crate::validate::{Verifier, verify_pdf};

/// An extended PDF.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExtendedPdf {
    /// The new PDF: the input followed by the incremental updates.
    pub pdf: Vec<u8>,
    /// `B-LT` or `B-LTA`.
    pub level: &'static str,
    /// Certificates in the DSS updates (new ones only).
    pub added_certificates: usize,
    /// CRLs in the DSS updates (new ones only).
    pub added_crls: usize,
    /// OCSP responses in the DSS updates (new ones only).
    pub added_ocsp_responses: usize,
    /// genTime of the document time-stamp added, if any.
    pub document_time_stamp: Option<OffsetDateTime>,
    /// Remarks.
    pub notes: Vec<String>,
    /// The verification of the result.
    pub report: Report,
}

fn pdf_err(e: kenpo_pdf::PdfError) -> ExtendError {
    ExtendError::Build(format!("PDF: {e}"))
}

/// Extends every signature of `pdf` — see the module docs.
pub fn extend_pdf(pdf: &[u8], opts: &ExtendOptions) -> Result<ExtendedPdf, ExtendError> {
    let verifier = Verifier::new(opts.verify_options());
    let before = verify_pdf(&verifier, pdf).map_err(super::content_error)?;
    if before.signatures.is_empty() {
        return Err(ExtendError::Pdf(
            "it has no signature (sign it first: kenpo-sign sign DOC.pdf --level b-t)".into(),
        ));
    }
    require_valid(&before.report)?;
    if let Some(d) = before.document_timestamps.iter().find(|d| !d.valid) {
        return Err(ExtendError::NotValid {
            indication: crate::Indication::Indeterminate,
            sub_indication: None,
            reason: format!(
                "a document time-stamp is not valid: {}",
                d.detail.as_deref().unwrap_or("")
            ),
        });
    }
    let archived = !before.document_timestamps.is_empty();
    if archived && opts.to == Target::BLt {
        return Err(ExtendError::AlreadyArchived);
    }
    let client = match (&opts.tsa, opts.to) {
        (Some(c), _) => Some(BlockingTsaClient::new(c.clone())?),
        (None, Target::BLta) => return Err(ExtendError::NoTsa("add a document time-stamp")),
        (None, Target::BLt) => None,
    };
    let ctx = Ctx::new(opts);

    // 2. Validation data of the signatures and of the newest document time-stamp.
    let mut gathered = Gathered::default();
    let mut newest: Option<(OffsetDateTime, Vec<u8>)> = None;
    let mut doc = Document::open(pdf, Budget::default()).map_err(pdf_err)?;
    for (i, s) in doc.signatures().map_err(pdf_err)?.iter().enumerate() {
        let contents = s.contents.clone().unwrap_or_default();
        let der = crate::signature::to_der_padded(&contents)
            .map_err(|e| ExtendError::Format(format!("PDF signature {}: {e}", i + 1)))?
            .1
            .into_owned();
        if s.sig_type == SigType::DocTimeStamp {
            if let Some(g) = super::ctx::gen_time(&der)
                && newest.as_ref().is_none_or(|(n, _)| g > *n)
            {
                newest = Some((g, der));
            }
            continue;
        }
        let g = ctx.validation_data(&der, &before.report).map_err(|e| match e {
            ExtendError::Build(m) if m.contains("no signature time-stamp") => {
                ExtendError::Pdf(format!(
                    "signature {} has no signature time-stamp: a PDF signature cannot gain one after signing; sign with --level b-t",
                    i + 1
                ))
            }
            other => other,
        })?;
        gathered.merge(g);
    }
    if let Some((g, token)) = &newest {
        gathered.merge(ctx.token_data(token, *g, Some(*g))?);
    }
    drop(doc);
    let mut counts = (0, 0, 0);
    let mut out = with_dss(pdf.to_vec(), gathered, &mut counts)?;

    // 3. Document time-stamp and its validation data.
    let mut notes = Vec::new();
    let mut document_time_stamp = None;
    if let (Target::BLta, Some(client)) = (opts.to, client.as_ref()) {
        let (stamped, ts) = document_timestamp(&out, client)?;
        out = stamped;
        document_time_stamp = Some(ts.gen_time());
        match ctx.token_data(&ts.token_der, ts.gen_time(), None) {
            Ok(g) => out = with_dss(out, g, &mut counts)?,
            Err(e) => notes.push(format!(
                "validation data for the new document time-stamp not embedded ({e}); it is gathered at the next renewal"
            )),
        }
    }

    if !out.starts_with(pdf) {
        return Err(ExtendError::Guard(
            "the extended PDF does not start with the original bytes".into(),
        ));
    }
    let after = verify_pdf(&verifier, &out).map_err(super::content_error)?;
    let report = after.report;
    if report.indication != crate::Indication::TotalPassed
        || after.document_timestamps.iter().any(|d| !d.valid)
    {
        return Err(ExtendError::Guard(format!(
            "the extended PDF does not verify: {}{}",
            report.indication,
            report
                .sub_indication
                .map(|s| format!("/{s}"))
                .unwrap_or_default()
        )));
    }
    Ok(ExtendedPdf {
        pdf: out,
        level: match opts.to {
            Target::BLt => "B-LT",
            Target::BLta => "B-LTA",
        },
        added_certificates: counts.0,
        added_crls: counts.1,
        added_ocsp_responses: counts.2,
        document_time_stamp,
        notes,
        report,
    })
}

/// `pdf` with an incremental update adding `g` to its DSS; counts what was new.
fn with_dss(
    pdf: Vec<u8>,
    g: Gathered,
    counts: &mut (usize, usize, usize),
) -> Result<Vec<u8>, ExtendError> {
    let mut doc = Document::open(&pdf[..], Budget::default()).map_err(pdf_err)?;
    let sizes = |doc: &mut Document<&[u8]>| -> Result<(usize, usize, usize), ExtendError> {
        Ok(doc
            .dss()
            .map_err(pdf_err)?
            .map(|d| (d.certs.len(), d.crls.len(), d.ocsps.len()))
            .unwrap_or_default())
    };
    let old = sizes(&mut doc)?;
    let mut add = DssAdditions::new();
    add.certs = g.certs;
    add.crls = g.crls;
    add.ocsps = g.ocsp;
    let appended = kenpo_pdf::add_dss(&mut doc, &add, None).map_err(pdf_err)?;
    drop(doc);
    let mut out = pdf;
    out.extend_from_slice(&appended);
    let mut doc = Document::open(&out[..], Budget::default()).map_err(pdf_err)?;
    let new = sizes(&mut doc)?;
    drop(doc);
    counts.0 += new.0.saturating_sub(old.0);
    counts.1 += new.1.saturating_sub(old.1);
    counts.2 += new.2.saturating_sub(old.2);
    Ok(out)
}

/// `pdf` with a document time-stamp (`/SubFilter /ETSI.RFC3161`) from `client`, as
/// `kenpo-sign timestamp DOC.pdf --embed` makes it.
pub fn document_timestamp(
    pdf: &[u8],
    client: &BlockingTsaClient,
) -> Result<(Vec<u8>, TimeStamp), ExtendError> {
    let mut capacity = 16 * 1024;
    for _ in 0..2 {
        let mut doc = Document::open(pdf, Budget::default()).map_err(pdf_err)?;
        let opts = SignatureOptions::new(SubFilter::EtsiRfc3161, capacity);
        let mut prepared = kenpo_pdf::prepare_signature(&mut doc, &opts).map_err(pdf_err)?;
        drop(doc);
        let mut h = client.config().digest.hasher();
        h.update(pdf);
        h.update(prepared.head());
        h.update(prepared.tail());
        let stamp = client.timestamp_digest(&h.finalize())?;
        match prepared.fill_contents(&stamp.token_der) {
            Ok(()) => return Ok((prepared.to_vec(pdf), stamp)),
            Err(kenpo_pdf::PdfError::ContentsTooSmall { need, .. }) => capacity = need + 2048,
            Err(e) => return Err(pdf_err(e)),
        }
    }
    Err(ExtendError::Build(
        "the time-stamp token does not fit the reserved /Contents".into(),
    ))
}
