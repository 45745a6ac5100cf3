//! What an XML document holds: its XMLDSig signatures (method, references, embedded
//! certificates) and, for XAdES, the qualifying properties (signing time, signing
//! certificate references, time-stamps with their times, embedded validation data) and the
//! level the structure shows. Nothing is verified.

use kenpo_core::cert::CertRef;
use kenpo_xml::{Document, Limits, QualifyingProperties, Signature, Transform, XadesTimeStamp};
use serde_json::{Value, json};

use super::{InspectError, Inspection, MAX_LIST};
use crate::plan::stamps::{read_token, short_subject};

/// Inspects the XML document `data` (already known to look like XML).
pub(super) fn inspect(data: &[u8]) -> Result<Inspection, InspectError> {
    let bad = |e: kenpo_xml::XmlError| InspectError::NotRecognised(format!("XML: {e}"));
    let utf8 = kenpo_xml::to_utf8(data).map_err(bad)?;
    let doc = Document::parse(&utf8, &Limits::default()).map_err(bad)?;
    let nodes = doc.signatures();
    let signatures: Vec<Value> = nodes
        .iter()
        .take(MAX_LIST)
        .map(|&n| match doc.read_signature(n) {
            Ok(sig) => signature(&doc, &sig),
            Err(e) => json!({ "error": e.to_string() }),
        })
        .collect();
    Ok(Inspection {
        kind: "xml-document",
        fields: json!({
            "root": doc
                .document_element()
                .map(|e| {
                    let local = doc.local_name(e);
                    match doc.namespace(e) {
                        Some(ns) if !ns.is_empty() => format!("{{{ns}}}{local}"),
                        _ => local.to_owned(),
                    }
                })
                .ok(),
            "signature_count": nodes.len(),
            "signatures": signatures,
        }),
    })
}

fn signature(doc: &Document<'_>, sig: &Signature) -> Value {
    let references: Vec<Value> = sig
        .references
        .iter()
        .take(MAX_LIST)
        .map(|r| {
            json!({
                "uri": r.uri,
                "type": r.type_uri,
                "digest_method": r.digest_method,
                "transforms": r.transforms.iter().map(transform_name).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = json!({
        "id": sig.id,
        "signature_method": sig.signature_method,
        "references": references,
        "certificates": certificates(&sig.certificates),
    });
    match doc.qualifying_properties(sig) {
        Ok(Some(qp)) => {
            v["format"] = json!("XAdES");
            v["level"] = json!(level(&qp));
            v["xades"] = xades(&qp);
        }
        Ok(None) => v["format"] = json!("XMLDSig"),
        Err(e) => v["xades_error"] = json!(e.to_string()),
    }
    v
}

fn transform_name(t: &Transform) -> String {
    match t {
        Transform::Enveloped => "enveloped-signature".into(),
        Transform::C14n { method, .. } => method.uri().to_owned(),
        Transform::Base64 => "base64".into(),
        other => format!("{other:?}"),
    }
}

fn certificates(ders: &[Vec<u8>]) -> Vec<String> {
    ders.iter()
        .take(MAX_LIST)
        .map(|d| {
            CertRef::parse(d).map_or_else(|e| format!("unreadable: {e}"), |c| short_subject(&c))
        })
        .collect()
}

/// The baseline level the properties show (EN 319 132-1), not verified.
pub(crate) fn level(qp: &QualifyingProperties) -> &'static str {
    let certificates = !qp.certificate_values.certificates.is_empty();
    let revocation =
        !qp.revocation_values.crls.is_empty() || !qp.revocation_values.ocsps.is_empty();
    let lt = certificates && revocation;
    if !qp.archive_timestamps.is_empty() {
        "B-LTA"
    } else if lt && !qp.signature_timestamps.is_empty() {
        "B-LT"
    } else if !qp.signature_timestamps.is_empty() {
        "B-T"
    } else {
        "B-B"
    }
}

fn stamps(list: &[XadesTimeStamp]) -> Vec<Value> {
    list.iter()
        .take(MAX_LIST)
        .map(|t| {
            let tokens: Vec<Value> = t
                .tokens
                .iter()
                .map(|der| match read_token(der, &[]) {
                    Ok(f) => json!({
                        "gen_time": kenpo_core::timefmt::rfc3339(f.tst.gen_time),
                        "tsa": f.tsa_cert.as_deref().and_then(|c| CertRef::parse(c).ok()).map(|c| short_subject(&c)),
                    }),
                    Err(e) => json!({ "error": e }),
                })
                .collect();
            json!({ "id": t.id, "tokens": tokens })
        })
        .collect()
}

fn xades(qp: &QualifyingProperties) -> Value {
    let values = |v: &kenpo_xml::ValidationValues| {
        json!({
            "certificates": v.certificates.len(),
            "crls": v.crls.len(),
            "ocsp_responses": v.ocsps.len(),
        })
    };
    json!({
        "namespace": qp.namespace,
        "signing_time": qp.signing_time,
        "signing_certificate_refs": qp.signing_certificate.len(),
        "signature_policy": qp.has_signature_policy,
        "content_timestamps": stamps(&qp.all_data_objects_timestamps),
        "signature_timestamps": stamps(&qp.signature_timestamps),
        "certificate_values": values(&qp.certificate_values),
        "revocation_values": values(&qp.revocation_values),
        "timestamp_validation_data": values(&qp.timestamp_validation_data),
        "archive_timestamps": stamps(&qp.archive_timestamps),
        "counter_signatures": qp.counter_signatures.len(),
    })
}
