//! Structural dump of a file, without validating anything: CMS SignedData (content,
//! certificates, CRLs, embedded OCSP responses, SignerInfos with their attributes and
//! time-stamps, the level the structure shows), XML documents (their XMLDSig and XAdES
//! signatures), RFC 3161 time-stamp responses and tokens, certificates and CRLs; and PDFs
//! (revisions, signatures, document time-stamps, DSS).
//!
//! [`inspect`] never panics on junk: input that is none of these gives
//! [`InspectError::NotRecognised`].

mod pdf;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::cms::{Attributes, SignedDataView, SignerId, SignerInfoView};
use kenpo_core::der_span::{Tlv, tag};
use kenpo_core::oid;
use kenpo_revocation::ocsp::CertStatus;
use kenpo_revocation::{Crl, OcspResponse};
use kenpo_tsa::{TimeStampResponse, TstInfo};
use serde_json::{Value, json};

use crate::plan::stamps;

pub(crate) mod xml;

/// Lists longer than this are cut (hostile input stays bounded in output too).
const MAX_LIST: usize = 256;

/// Why a file could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// None of the recognised structures.
    #[error(
        "not a recognised structure (CMS SignedData, XML document, time-stamp response or token, certificate, CRL, OCSP response): {0}"
    )]
    NotRecognised(String),
}

/// What a file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// `cms-signed-data`, `timestamp-token`, `timestamp-response`, `certificate`, `crl`,
    /// `ocsp-response`, `xml-document` or `pdf`.
    pub kind: &'static str,
    /// The fields, as JSON.
    pub fields: Value,
}

/// The first TLV of `data` and the number of bytes after it, when its length is definite;
/// else the whole input.
pub(crate) fn first_value(data: &[u8]) -> (&[u8], usize) {
    match kenpo_core::der_span::Reader::new(data).read() {
        Ok(t) => (t.raw, data.len() - t.raw.len()),
        Err(_) => (data, 0),
    }
}

/// Inspects a file's bytes: a PDF (kind `pdf`: its revisions, signatures, document
/// time-stamps and DSS), an XML document (its XMLDSig/XAdES signatures), else DER, BER or
/// PEM. DER input is read in place: the only copies made are of PEM-decoded or
/// BER-converted input, and of a CRL or OCSP response.
pub fn inspect(data: &[u8]) -> Result<Inspection, InspectError> {
    if crate::validate::is_pdf_file(data) {
        return pdf::inspect_pdf(data);
    }
    if kenpo_xml::looks_like_xml(data) {
        return xml::inspect(data);
    }
    let raw = kenpo_core::pem::der_of(data);
    let (first, trailing) = first_value(&raw);
    let der = kenpo_core::ber::to_der(first)
        .map_err(|e| InspectError::NotRecognised(format!("not BER/DER: {e}")))?;
    let mut found = inspect_der(&der)?;
    if trailing > 0
        && let Value::Object(m) = &mut found.fields
    {
        m.insert("trailing_bytes".into(), json!(trailing));
    }
    Ok(found)
}

fn found(kind: &'static str, fields: Value) -> Result<Inspection, InspectError> {
    Ok(Inspection { kind, fields })
}

fn inspect_der(der: &[u8]) -> Result<Inspection, InspectError> {
    if let Ok(sd) = SignedDataView::parse(der) {
        let kind = if sd.econtent_type == oid::ID_CT_TST_INFO {
            "timestamp-token"
        } else {
            "cms-signed-data"
        };
        return found(kind, cms_json(&sd));
    }
    if let Ok(resp) = TimeStampResponse::parse(der) {
        let token = resp.token.map(|t| match SignedDataView::parse(t) {
            Ok(sd) => cms_json(&sd),
            Err(e) => json!({ "error": e.to_string() }),
        });
        let status = match resp.status.status {
            Ok(s) => s.name().to_owned(),
            Err(code) => format!("unknown ({code})"),
        };
        return Ok(Inspection {
            kind: "timestamp-response",
            fields: json!({
                "status": status,
                "status_text": resp.status.text,
                "fail_info": resp.status.fail_info.iter().map(|f| f.name()).collect::<Vec<_>>(),
                "token": token,
            }),
        });
    }
    if let Ok(c) = CertRef::parse(der) {
        return found("certificate", cert_json(&c));
    }
    // The CRL and OCSP parsers own their input: only input of their outer shape is copied.
    if crl_shaped(der)
        && let Ok(c) = Crl::from_der(der.to_vec())
    {
        return found("crl", crl_json(&c));
    }
    if ocsp_shaped(der)
        && let Ok(o) = OcspResponse::from_der(der.to_vec())
    {
        return found("ocsp-response", ocsp_json(&o));
    }
    if let Ok(t) = TstInfo::parse(der) {
        return found("tst-info", tst_json(&t));
    }
    Err(InspectError::NotRecognised(format!(
        "{} bytes, first tag {:#04x}",
        der.len(),
        der.first().copied().unwrap_or(0)
    )))
}

/// `SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }`: a CertificateList (or a certificate).
fn crl_shaped(der: &[u8]) -> bool {
    let Ok(outer) = kenpo_core::der_span::parse_one(der) else {
        return false;
    };
    let mut r = outer.reader();
    outer.tag == tag::SEQUENCE
        && r.expect(tag::SEQUENCE).is_ok()
        && r.expect(tag::SEQUENCE).is_ok()
        && r.expect(tag::BIT_STRING).is_ok()
        && r.is_empty()
}

/// `SEQUENCE { ENUMERATED, ... }`: an OCSPResponse.
fn ocsp_shaped(der: &[u8]) -> bool {
    const ENUMERATED: u8 = 0x0a;
    kenpo_core::der_span::parse_one(der)
        .is_ok_and(|t| t.tag == tag::SEQUENCE && t.reader().peek_tag() == Some(ENUMERATED))
}

fn ts(t: time::OffsetDateTime) -> String {
    kenpo_core::timefmt::rfc3339(t)
}

fn alg_name(o: &Oid) -> String {
    let known = [
        (oid::SHA1, "SHA-1"),
        (oid::SHA256, "SHA-256"),
        (oid::SHA384, "SHA-384"),
        (oid::SHA512, "SHA-512"),
        (oid::RSA_ENCRYPTION, "rsaEncryption"),
        (oid::SHA1_WITH_RSA, "sha1WithRSAEncryption"),
        (oid::SHA256_WITH_RSA, "sha256WithRSAEncryption"),
        (oid::SHA384_WITH_RSA, "sha384WithRSAEncryption"),
        (oid::SHA512_WITH_RSA, "sha512WithRSAEncryption"),
        (oid::RSASSA_PSS, "RSASSA-PSS"),
        (oid::ECDSA_WITH_SHA1, "ecdsa-with-SHA1"),
        (oid::ECDSA_WITH_SHA256, "ecdsa-with-SHA256"),
        (oid::ECDSA_WITH_SHA384, "ecdsa-with-SHA384"),
        (oid::ECDSA_WITH_SHA512, "ecdsa-with-SHA512"),
        (oid::ID_DATA, "id-data"),
        (oid::ID_CT_TST_INFO, "id-ct-TSTInfo"),
    ];
    match known.iter().find(|(k, _)| k == o) {
        Some((_, n)) => format!("{n} ({o})"),
        None => crate::sunset::digest_oid_name(o),
    }
}

fn attr_name(o: &Oid) -> &'static str {
    match o.to_string().as_str() {
        "1.2.840.113549.1.9.3" => "content-type",
        "1.2.840.113549.1.9.4" => "message-digest",
        "1.2.840.113549.1.9.5" => "signing-time",
        "1.2.840.113549.1.9.6" => "countersignature",
        "1.2.840.113549.1.9.52" => "cms-algorithm-protection",
        "1.2.840.113549.1.9.16.2.12" => "signing-certificate",
        "1.2.840.113549.1.9.16.2.47" => "signing-certificate-v2",
        "1.2.840.113549.1.9.16.2.15" => "signature-policy-identifier",
        "1.2.840.113549.1.9.16.2.16" => "commitment-type-indication",
        "1.2.840.113549.1.9.16.2.17" => "signer-location",
        "1.2.840.113549.1.9.16.2.18" => "signer-attributes",
        "0.4.0.19122.1.1" => "signer-attributes-v2",
        "1.2.840.113549.1.9.16.2.20" => "content-time-stamp",
        "1.2.840.113549.1.9.16.2.14" => "signature-time-stamp",
        "1.2.840.113549.1.9.16.2.21" => "complete-certificate-references",
        "1.2.840.113549.1.9.16.2.22" => "complete-revocation-references",
        "1.2.840.113549.1.9.16.2.23" => "certificate-values",
        "1.2.840.113549.1.9.16.2.24" => "revocation-values",
        "1.2.840.113549.1.9.16.2.25" => "cades-c-time-stamp",
        "1.2.840.113549.1.9.16.2.26" => "time-stamped-certs-crls-references",
        "1.2.840.113549.1.9.16.2.48" => "archive-time-stamp-v2",
        "0.4.0.1733.2.4" => "archive-time-stamp-v3",
        "0.4.0.1733.2.5" => "ats-hash-index",
        "0.4.0.19122.1.5" => "ats-hash-index-v3",
        "0.4.0.19122.1.3" => "signature-policy-store",
        "0.4.0.1733.2.1" => "mime-type",
        "1.2.840.113549.1.9.16.2.4" => "content-hints",
        "1.2.840.113549.1.9.16.2.7" => "content-identifier",
        "1.2.840.113549.1.9.16.2.27" => "archive-time-stamp-v1",
        "1.2.840.113549.1.9.16.2.49" => "er-internal",
        "1.2.840.113549.1.9.16.2.50" => "er-external",
        "1.2.840.113549.1.9.15" => "smime-capabilities",
        "1.2.840.113549.1.9.2" => "unstructured-name",
        "1.2.840.113549.1.9.20" => "friendly-name",
        "1.2.840.113583.1.1.8" => "adbe-revocation-info-archival",
        _ => "unknown",
    }
}

fn attr_value(o: &Oid, v: Tlv<'_>) -> Value {
    match *o {
        oid::ATTR_SIGNING_TIME => json!(kenpo_core::asn1::time::x509_time(v).ok().map(ts)),
        oid::ATTR_CONTENT_TYPE => json!(Oid::from_der_opt(v.raw).map(|o| alg_name(&o))),
        oid::ATTR_MESSAGE_DIGEST => json!(hex::encode(v.value)),
        _ if o.to_string() == "1.2.840.113549.1.9.16.2.15" => {
            // SignaturePolicyIdentifier ::= CHOICE { SignaturePolicyId, NULL (implied) }
            if v.tag == tag::NULL {
                json!("implied")
            } else {
                let first = v
                    .reader()
                    .read()
                    .ok()
                    .and_then(|t| Oid::from_der_opt(t.raw));
                json!(first.map(|o| o.to_string()))
            }
        }
        _ => json!(format!("{} bytes", v.raw.len())),
    }
}

/// `Oid::from_der` returning an `Option`.
trait FromDerOpt: Sized {
    fn from_der_opt(b: &[u8]) -> Option<Self>;
}

impl FromDerOpt for Oid {
    fn from_der_opt(b: &[u8]) -> Option<Self> {
        <Oid as der::Decode>::from_der(b).ok()
    }
}

fn attrs_json(a: Option<&Attributes<'_>>) -> Value {
    let Some(a) = a else { return json!([]) };
    a.list
        .iter()
        .take(MAX_LIST)
        .map(|at| {
            json!({
                "oid": at.oid.to_string(),
                "name": attr_name(&at.oid),
                "values": at.values.iter().take(MAX_LIST).map(|v| attr_value(&at.oid, *v)).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn cert_json(c: &CertRef<'_>) -> Value {
    let key = crate::sunset::key_size_from_spki(c.spki)
        .map(|k| k.name())
        .unwrap_or_else(|e| e.to_string());
    json!({
        "subject": c.subject_string(),
        "issuer": c.issuer_string(),
        "serial": c.serial_hex(),
        "not_before": ts(c.not_before),
        "not_after": ts(c.not_after),
        "sha256_fingerprint": DigestAlgorithm::Sha256.digest(c.raw).to_hex(),
        "key": key,
        "signature_algorithm": alg_name(&c.signature_algorithm.oid),
    })
}

fn crl_json(c: &Crl) -> Value {
    json!({
        "issuer": c.issuer_string(),
        "this_update": ts(c.this_update()),
        "next_update": c.next_update().map(ts),
        "crl_number": c.crl_number().map(hex::encode_upper),
        "delta": c.is_delta(),
        "entries": c.len(),
    })
}

/// `good`, `revoked` or `unknown` (RFC 6960 CertStatus).
fn cert_status_name(s: &CertStatus) -> &'static str {
    match s {
        CertStatus::Good => "good",
        CertStatus::Revoked { .. } => "revoked",
        CertStatus::Unknown => "unknown",
    }
}

fn ocsp_json(o: &OcspResponse) -> Value {
    let basic = o.basic.as_ref().map(|b| {
        json!({
            "responder": b.responder_id.to_string(),
            "produced_at": ts(b.produced_at),
            "responses": b.responses.iter().take(MAX_LIST).map(|r| json!({
                "serial": hex::encode_upper(&r.cert_id.serial),
                "status": cert_status_name(&r.status),
                "revocation_time": match r.status {
                    CertStatus::Revoked { time, .. } => Some(ts(time)),
                    _ => None,
                },
                "revocation_reason": match r.status {
                    CertStatus::Revoked { reason, .. } => reason,
                    _ => None,
                },
                "this_update": ts(r.this_update),
                "next_update": r.next_update.map(ts),
            })).collect::<Vec<_>>(),
        })
    });
    json!({ "status": o.status.to_string(), "basic": basic })
}

fn tst_json(t: &TstInfo) -> Value {
    json!({
        "policy": t.policy.to_string(),
        "gen_time": ts(t.gen_time),
        "serial": t.serial_hex(),
        "imprint_algorithm": t.imprint.algorithm().name(),
        "imprint": t.imprint.to_hex(),
        "accuracy_ms": t.accuracy.map(|a| a.as_duration().as_millis() as u64),
        "ordering": t.ordering,
        "nonce": t.nonce.as_deref().map(hex::encode_upper),
        "tsa_name": t.tsa_name.as_deref().map(kenpo_core::asn1::name::general_name_string),
    })
}

fn sid_json(sid: &SignerId<'_>) -> Value {
    match *sid {
        SignerId::IssuerSerial { issuer, serial } => json!({
            "issuer": <x509_cert::name::Name as der::Decode>::from_der(issuer)
                .map(|n| n.to_string())
                .unwrap_or_else(|_| hex::encode_upper(issuer)),
            "serial": hex::encode_upper(serial),
        }),
        SignerId::SubjectKeyId(ski) => json!({ "subject_key_id": hex::encode_upper(ski) }),
    }
}

fn timestamps_json(si: &SignerInfoView<'_>, certs: &[Vec<u8>]) -> Value {
    // Every attribute whose values are TimeStampTokens, in order of appearance.
    const TOKEN_ATTRS: [&str; 7] = [
        "content-time-stamp",
        "archive-time-stamp-v1",
        "signature-time-stamp",
        "cades-c-time-stamp",
        "time-stamped-certs-crls-references",
        "archive-time-stamp-v2",
        "archive-time-stamp-v3",
    ];
    let listed = [si.signed_attrs.as_ref(), si.unsigned_attrs.as_ref()];
    let tokens = listed
        .into_iter()
        .flatten()
        .flat_map(|a| a.list.iter())
        .filter_map(|a| {
            let name = attr_name(&a.oid);
            TOKEN_ATTRS.contains(&name).then_some((name, a))
        })
        .flat_map(|(name, a)| a.values.iter().map(move |v| (name, v)));
    tokens
        .take(MAX_LIST)
        .map(|(kind, v)| (kind, stamps::read_token(v.raw, certs)))
        .map(|(kind, t)| match t {
            Ok(f) => {
                let tsa = f
                    .tsa_cert
                    .as_deref()
                    .and_then(|c| CertRef::parse(c).ok())
                    .map(|c| c.subject_string());
                let mut v = tst_json(&f.tst);
                if let Value::Object(m) = &mut v {
                    m.insert("kind".into(), json!(kind));
                    m.insert("tsa_certificate".into(), json!(tsa));
                }
                v
            }
            Err(e) => json!({ "kind": kind, "error": e }),
        })
        .collect()
}

fn cms_json(sd: &SignedDataView<'_>) -> Value {
    let certs: Vec<Vec<u8>> = sd.x509_certificates().map(<[u8]>::to_vec).collect();
    let mut crls = Vec::new();
    let mut ocsp = Vec::new();
    let mut other = Vec::new();
    for c in sd.crls.iter().take(MAX_LIST) {
        if c.tag == tag::SEQUENCE {
            crls.push(match Crl::from_der(c.raw.to_vec()) {
                Ok(crl) => crl_json(&crl),
                Err(e) => json!({ "error": e.to_string() }),
            });
        } else if c.tag == tag::context(1) {
            let mut r = c.reader();
            let fmt = r.read().ok().and_then(|t| Oid::from_der_opt(t.raw));
            let info = r.read().ok();
            match (fmt, info) {
                (Some(f), Some(i)) if f == oid::RI_OCSP_RESPONSE => {
                    ocsp.push(match OcspResponse::from_der(i.raw.to_vec()) {
                        Ok(o) => ocsp_json(&o),
                        Err(e) => json!({ "error": e.to_string() }),
                    });
                }
                (f, _) => other.push(json!(f.map(|f| f.to_string()))),
            }
        }
    }
    let signers: Vec<Value> = sd
        .signer_infos
        .iter()
        .take(MAX_LIST)
        .map(|si| {
            json!({
                "version": si.version,
                "sid": sid_json(&si.sid),
                "digest_algorithm": alg_name(&si.digest_algorithm.oid),
                "signature_algorithm": alg_name(&si.signature_algorithm.oid),
                "signed_attributes": attrs_json(si.signed_attrs.as_ref()),
                "unsigned_attributes": attrs_json(si.unsigned_attrs.as_ref()),
                "timestamps": timestamps_json(si, &certs),
                "level": stamps::level_of(sd, si),
            })
        })
        .collect();
    let tst = (sd.econtent_type == oid::ID_CT_TST_INFO)
        .then(|| {
            sd.econtent
                .and_then(|c| TstInfo::parse(c).ok())
                .map(|t| tst_json(&t))
        })
        .flatten();
    json!({
        "version": sd.version,
        "content_type": alg_name(&sd.econtent_type),
        "attached": sd.econtent.is_some(),
        "content_size": sd.econtent.map(<[u8]>::len),
        "tst_info": tst,
        "certificates": certs.iter().take(MAX_LIST).map(|c| match CertRef::parse(c) {
            Ok(c) => cert_json(&c),
            Err(e) => json!({ "error": e.to_string() }),
        }).collect::<Vec<_>>(),
        "other_certificate_choices": sd.certificates.len().saturating_sub(certs.len()),
        "crls": crls,
        "ocsp_responses": ocsp,
        "other_revocation_info": other,
        "signer_infos": signers,
        "level": sd.signer_infos.first().map(|si| stamps::level_of(sd, si)),
    })
}

fn text(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::Null => {}
                    Value::Object(_) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        text(v, indent + 1, out);
                    }
                    Value::Array(a) if a.is_empty() => {}
                    Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
                        let items: Vec<String> = a.iter().map(scalar).collect();
                        out.push_str(&format!("{pad}{k}: {}\n", items.join(", ")));
                    }
                    Value::Array(a) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        for (i, x) in a.iter().enumerate() {
                            out.push_str(&format!("{pad}  [{}]\n", i + 1));
                            text(x, indent + 2, out);
                        }
                    }
                    other => out.push_str(&format!("{pad}{k}: {}\n", scalar(other))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Inspection {
    /// `{"kind": …, …fields}`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "kind": self.kind });
        if let (Value::Object(m), Value::Object(f)) = (&mut v, &self.fields) {
            m.extend(f.clone());
        }
        v
    }

    /// Indented text of the same fields.
    pub fn render_text(&self) -> String {
        let mut out = format!("kind: {}\n", self.kind);
        text(&self.fields, 0, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{crl_shaped, inspect, ocsp_shaped};
    use kenpo_core::pem::der_of as cms_der;

    #[test]
    fn der_input_is_read_in_place_not_copied() {
        let data = vec![0u8; 1 << 20];
        assert!(matches!(cms_der(&data), Cow::Borrowed(b) if b.as_ptr() == data.as_ptr()));
        let pem = b"-----BEGIN CMS-----\nMAMCAQE=\n-----END CMS-----\n";
        assert_eq!(cms_der(pem).as_ref(), [0x30, 0x03, 0x02, 0x01, 0x01]);
        assert!(inspect(&data).is_err());
    }

    #[test]
    fn only_crl_and_ocsp_shapes_are_handed_to_their_parsers() {
        // SEQUENCE { SEQUENCE {}, SEQUENCE {}, BIT STRING 0 }
        assert!(crl_shaped(&[
            0x30, 0x07, 0x30, 0x00, 0x30, 0x00, 0x03, 0x01, 0x00
        ]));
        assert!(!crl_shaped(&[0x30, 0x04, 0x30, 0x00, 0x30, 0x00]));
        // SEQUENCE { ENUMERATED 6 }
        assert!(ocsp_shaped(&[0x30, 0x03, 0x0a, 0x01, 0x06]));
        assert!(!ocsp_shaped(&[0x30, 0x03, 0x02, 0x01, 0x06]));
        assert!(!ocsp_shaped(&[0x30]));
    }
}
