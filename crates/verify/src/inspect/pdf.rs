//! `inspect FILE.pdf`: what a PDF holds — its revisions, signatures and document
//! time-stamps (each `/Contents` inspected as CMS / time-stamp token), and its document
//! security store — without validation.

use kenpo_pdf::{Budget, Document, SigType};
use serde_json::{Value, json};

use super::{InspectError, Inspection, inspect};

/// Inspects the PDF `data` (see the module docs).
pub(super) fn inspect_pdf(data: &[u8]) -> Result<Inspection, InspectError> {
    let bad = |e: kenpo_pdf::PdfError| InspectError::NotRecognised(format!("PDF: {e}"));
    let mut doc = Document::open(data, Budget::default()).map_err(bad)?;
    let revisions: Vec<Value> = doc
        .revisions()
        .iter()
        .map(|r| json!({ "end": r.end, "xref_offset": r.xref_offset }))
        .collect();
    let mut signatures = Vec::new();
    for s in doc.signatures().map_err(bad)? {
        let contents = s.contents.clone().unwrap_or_default();
        let cms = match crate::signature::to_der_padded(&contents) {
            Ok((_, der)) => match inspect(&der) {
                Ok(i) => i.to_json(),
                Err(e) => json!({ "error": e.to_string() }),
            },
            Err(e) => json!({ "error": format!("/Contents is not DER: {e}") }),
        };
        signatures.push(json!({
            "type": match s.sig_type {
                SigType::DocTimeStamp => "document-timestamp",
                _ => "signature",
            },
            "sub_filter": s.sub_filter,
            "byte_range": s.byte_range,
            "m": s.m,
            "name": s.name,
            "reason": s.reason,
            "location": s.location,
            "docmdp": s.docmdp,
            "contents": cms,
        }));
    }
    let dss = match doc.dss().map_err(bad)? {
        Some(d) => json!({
            "certificates": d.certs.len(),
            "crls": d.crls.len(),
            "ocsp_responses": d.ocsps.len(),
            "vri": d.vri_keys.len(),
        }),
        None => Value::Null,
    };
    Ok(Inspection {
        kind: "pdf",
        fields: json!({
            "version": doc.version(),
            "size": data.len(),
            "revisions": revisions,
            "signatures": signatures,
            "dss": dss,
        }),
    })
}
