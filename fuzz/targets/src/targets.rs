//! The targets. Each reads its input the way the product does, then reads every part of
//! the result: a parser that only fails lazily (a span read on demand, a field decoded
//! when asked) is exercised too. Results are passed through [`black_box`] so that no read
//! is optimised away.
//!
//! Where a parser promises a property (BER→DER conversion is idempotent, a parsed
//! time-stamp request encodes back to a request that parses to the same value), the
//! target asserts it: a broken promise is a defect like a crash.
// Panicking on a broken promise is how a fuzz target reports it.
#![allow(clippy::panic)]

use std::hint::black_box;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::cms::{Attributes, SignedDataView, SignerId};
use kenpo_core::der_span::{Reader, Tlv};
use kenpo_core::oid;
use kenpo_core::shared_cert::SharedCert;
use kenpo_revocation::{Crl, OcspResponse};
use kenpo_tsa::ParsedToken;
use kenpo_tsa::{TimeStampRequest, TimeStampResponse, TstInfo};

/// How deep [`walk`] follows constructed values (the parsers bound their own depth).
const WALK_DEPTH: usize = 64;

/// Reads every TLV below `t`, constructed ones (tag bit 0x20) recursively.
fn walk(t: Tlv<'_>, depth: usize) {
    black_box((t.tag, t.value.len(), t.raw.len()));
    if depth == 0 || t.tag & 0x20 == 0 {
        return;
    }
    let mut r = t.reader();
    black_box(r.count().ok());
    while !r.is_empty() {
        match r.read() {
            Ok(child) => walk(child, depth - 1),
            Err(e) => {
                black_box(e.to_string());
                return;
            }
        }
    }
}

/// BER/DER reader: the span reader over the whole input (every TLV, as CMS, certificate
/// and CRL parsing read them), then the BER→DER conversion verification applies to every
/// signature file ([`kenpo_core::ber::to_der`]).
///
/// Asserts that a conversion's output converts to itself.
pub fn ber(data: &[u8]) {
    let mut r = Reader::new(data);
    while !r.is_empty() {
        match r.read() {
            Ok(t) => walk(t, WALK_DEPTH),
            Err(_) => break,
        }
    }
    black_box(r.finish().is_ok());
    if let Ok(out) = kenpo_core::ber::to_der(data) {
        match kenpo_core::ber::to_der(&out) {
            Ok(again) => assert!(
                again.as_ref() == out.as_ref(),
                "to_der is not idempotent: converting its output changed it"
            ),
            Err(e) => panic!("to_der's output does not convert again: {e}"),
        }
    }
}

fn attributes(a: &Attributes<'_>) {
    black_box((a.raw.len(), a.contents.len()));
    for attr in &a.list {
        black_box((attr.oid, attr.raw.len(), attr.values.len()));
        for v in &attr.values {
            walk(*v, 8);
        }
    }
    for o in [
        oid::ATTR_CONTENT_TYPE,
        oid::ATTR_MESSAGE_DIGEST,
        oid::ATTR_SIGNING_TIME,
        oid::ATTR_SIGNING_CERTIFICATE_V2,
    ] {
        black_box(a.single(o).map(|v| v.map(|t| t.raw.len())).ok());
    }
    black_box(a.digest_as_set(DigestAlgorithm::Sha256));
}

/// Reads a certificate as path building and signer identification do.
fn certificate(der: &[u8]) {
    black_box(CertRef::issuer_and_serial(der).ok());
    black_box(CertRef::spki_of(der).ok());
    black_box(CertRef::subject_of(der).ok());
    let Ok(c) = CertRef::parse(der) else {
        return;
    };
    black_box((
        c.tbs.len(),
        c.serial_tlv.len(),
        c.spki.len(),
        c.signature.len(),
    ));
    black_box((&c.signature_algorithm, c.not_before, c.not_after));
    black_box(c.valid_at(c.not_before));
    for e in &c.extensions {
        black_box((e.oid, e.critical, e.value.len()));
        if let Ok(t) = kenpo_core::der_span::parse_one(e.value) {
            walk(t, 8);
        }
    }
    if let Some(first) = c.extensions.first() {
        black_box(c.extension(first.oid).is_some());
    }
    black_box((c.subject_string(), c.issuer_string(), c.serial_hex()));
    black_box(c.decoded().is_ok());
}

fn signed_data(sd: &SignedDataView<'_>) {
    black_box((
        sd.raw.len(),
        sd.version,
        sd.econtent_type,
        sd.econtent.map(<[u8]>::len),
    ));
    walk(sd.digest_algorithms, 4);
    walk(sd.encap_content_info, 2);
    black_box(sd.certificates_field.map(|t| t.raw.len()));
    black_box(sd.crls_field.map(|t| t.raw.len()));
    black_box(sd.signer_infos_field.raw.len());
    for c in sd.x509_certificates() {
        certificate(c);
    }
    for crl in &sd.crls {
        black_box(crl.tag);
    }
    for si in &sd.signer_infos {
        black_box((si.raw.len(), si.version, si.signature.len()));
        match si.sid {
            SignerId::IssuerSerial { issuer, serial } => {
                black_box((kenpo_core::asn1::name::name_string(issuer), serial.len()))
            }
            SignerId::SubjectKeyId(ski) => black_box((String::new(), ski.len())),
        };
        black_box(si.digest_alg().ok());
        black_box((&si.digest_algorithm, &si.signature_algorithm));
        if let Some(a) = &si.signed_attrs {
            attributes(a);
        }
        if let Some(a) = &si.unsigned_attrs {
            attributes(a);
            // Embedded time-stamp tokens, read as the verifier reads them.
            for o in [
                oid::ATTR_SIGNATURE_TIME_STAMP,
                oid::ATTR_ARCHIVE_TIME_STAMP_V3,
            ] {
                for attr in a.all_of(o) {
                    for v in &attr.values {
                        if let Ok(view) = SignedDataView::parse(v.raw) {
                            token(ParsedToken::new(view));
                        }
                    }
                }
            }
        }
    }
}

fn tst_info(t: &TstInfo) {
    black_box((t.policy, &t.imprint, t.serial_hex(), t.gen_time, t.ordering));
    black_box((t.accuracy.map(|a| a.as_duration()), &t.nonce, &t.tsa_name));
    black_box(t.has_extensions);
}

fn token(t: ParsedToken<'_>) {
    signed_data(t.view());
    if let Some(info) = t.tst_info() {
        tst_info(info);
    }
}

/// CMS `SignedData` as the verifier reads a signature file: BER→DER, then
/// [`SignedDataView::parse`], every SignerInfo and attribute, the embedded certificates
/// and time-stamp tokens.
pub fn cms(data: &[u8]) {
    let Ok(der) = kenpo_core::ber::to_der(data) else {
        return;
    };
    if let Ok(sd) = SignedDataView::parse(&der) {
        signed_data(&sd);
    }
}

/// Certificates: [`CertRef::parse`] with every field, [`SharedCert::parse`], and
/// [`kenpo_core::cert::certificates_from_pem_or_der`] (the reader of certificate files).
pub fn cert(data: &[u8]) {
    certificate(data);
    if let Ok(s) = SharedCert::parse(data) {
        black_box((s.der().len(), s.cert().serial_hex()));
    }
    if let Ok(list) = kenpo_core::cert::certificates_from_pem_or_der(data) {
        for c in &list {
            certificate(c);
        }
    }
}

/// CRLs: [`Crl::from_pem_or_der`] (the reader of supplied and fetched CRLs), every
/// accessor, and entry look-ups.
pub fn crl(data: &[u8]) {
    let Ok(c) = Crl::from_pem_or_der(data) else {
        return;
    };
    black_box((
        c.der().len(),
        c.tbs().len(),
        c.issuer().len(),
        c.issuer_string(),
    ));
    black_box((
        c.this_update(),
        c.next_update(),
        c.crl_number(),
        c.authority_key_id(),
    ));
    black_box((
        c.issuing_distribution_point(),
        c.is_delta(),
        c.base_crl_number(),
    ));
    black_box((
        c.freshest_crl().len(),
        c.len(),
        c.is_empty(),
        c.has_indirect_entries(),
    ));
    let tail = data.get(data.len().saturating_sub(4)..).unwrap_or_default();
    for serial in [
        &[0x01][..],
        &[0x00][..],
        tail,
        c.crl_number().unwrap_or_default(),
    ] {
        black_box(c.entry(serial).ok());
        black_box(c.entry_for(c.tbs(), serial).ok());
    }
}

/// OCSP responses: [`OcspResponse::from_der`] (the reader of fetched and embedded
/// responses), every part, the embedded certificates.
pub fn ocsp(data: &[u8]) {
    let Ok(r) = OcspResponse::from_der(data.to_vec()) else {
        return;
    };
    black_box((r.status, r.status.to_string(), r.der().len()));
    black_box((
        r.basic_der().map(<[u8]>::len),
        r.tbs_response_data().map(<[u8]>::len),
    ));
    for c in r.certs() {
        certificate(c);
    }
    if let Some(b) = &r.basic {
        black_box((b.responder_id.to_string(), b.produced_at, &b.nonce));
        for s in &b.responses {
            black_box((&s.cert_id, s.status, s.this_update, s.next_update));
        }
    }
}

/// `TimeStampReq` as the TSA server reads it ([`TimeStampRequest::parse`]).
///
/// Asserts that an accepted request encodes back ([`TimeStampRequest::to_der`]) to one
/// that parses to the same request (the extensions flag aside: they are not encoded).
pub fn tsa_request(data: &[u8]) {
    let Ok(req) = TimeStampRequest::parse(data) else {
        return;
    };
    black_box((&req.imprint, req.policy, &req.nonce, req.cert_req));
    let again = match TimeStampRequest::parse(&req.to_der()) {
        Ok(a) => a,
        Err(e) => panic!("a parsed request's encoding does not parse: {e}"),
    };
    let expected = TimeStampRequest {
        has_extensions: false,
        ..req
    };
    assert_eq!(
        again, expected,
        "request changed by an encode/parse round trip"
    );
}

/// `TimeStampResp` and its token as the TSA client reads them:
/// [`TimeStampResponse::parse`], then the token's SignedData and TSTInfo
/// ([`ParsedToken`]); the same input also read as a bare token and as a bare TSTInfo
/// (both kinds of file the verifier accepts).
pub fn tsa_response(data: &[u8]) {
    if let Ok(resp) = TimeStampResponse::parse(data) {
        let s = &resp.status;
        black_box((s.status.is_ok(), &s.text, &s.fail_info, &s.other_fail_bits));
        if let Some(tok) = resp.token
            && let Ok(view) = SignedDataView::parse(tok)
        {
            token(ParsedToken::new(view));
        }
    }
    black_box(kenpo_tsa::is_response(data));
    if let Ok(view) = SignedDataView::parse(data) {
        token(ParsedToken::new(view));
    }
    if let Ok(t) = TstInfo::parse(data) {
        tst_info(&t);
    }
}

/// PDF reader: the file opened with a small budget (so that hostile sizes are met quickly),
/// then everything signing and verification read — revisions, signature fields and
/// dictionaries, `/Perms`, the DSS and its streams, the first page — and an incremental
/// signature update prepared on it.
///
/// Asserts the writer's promise: the input is an exact prefix of the output and the
/// `/ByteRange` covers all of it but the `/Contents` token.
pub fn pdf(data: &[u8]) {
    let budget = kenpo_pdf::Budget::default()
        .with_max_objects(10_000)
        .with_max_stream_bytes(1 << 20)
        .with_max_depth(32);
    let Ok(mut doc) = kenpo_pdf::Document::open(data, budget) else {
        return;
    };
    black_box((
        doc.version().len(),
        doc.revisions().len(),
        doc.object_count(),
    ));
    if let Ok(sigs) = doc.signatures() {
        for s in &sigs {
            black_box((
                &s.byte_range,
                s.contents.as_ref().map(Vec::len),
                &s.contents_span,
                &s.m,
                s.docmdp,
            ));
        }
    }
    black_box(doc.perms_docmdp().ok());
    if let Ok(Some(dss)) = doc.dss() {
        for r in dss.certs.iter().chain(&dss.crls).chain(&dss.ocsps).take(8) {
            black_box(doc.stream_bytes(*r).map(|b| b.len()).ok());
        }
    }
    black_box(doc.first_page().is_ok());
    let opts = kenpo_pdf::SignatureOptions::new(kenpo_pdf::SubFilter::EtsiCadesDetached, 16);
    if let Ok(mut p) = kenpo_pdf::prepare_signature(&mut doc, &opts) {
        if p.fill_contents(&[0x30, 0x00]).is_err() {
            panic!("a 2-byte container does not fit 16 reserved bytes");
        }
        let out = p.to_vec(data);
        assert!(
            out.starts_with(data),
            "the input is not a prefix of the update"
        );
        let br = p.byte_range();
        assert!(
            br[0] == 0
                && br[2] + br[3] == out.len() as u64
                && out.get(br[1] as usize) == Some(&b'<'),
            "the byte range does not describe the output"
        );
    }
}

/// XML: `kenpo_xml::Document::parse` under small budgets (as verification parses an XML
/// signature file), every C14N method over the whole document, then every `ds:Signature`
/// read with its references resolved and transformed, SignedInfo canonicalised and the
/// XAdES qualifying properties read.
pub fn xml(data: &[u8]) {
    use kenpo_xml::{C14nMethod, C14nOptions, Document, Limits, NoContent};
    let limits = Limits::new()
        .with_max_bytes(1 << 20)
        .with_max_depth(64)
        .with_max_nodes(100_000);
    let Ok(doc) = Document::parse(data, &limits) else {
        return;
    };
    for m in [
        C14nMethod::Inclusive10,
        C14nMethod::Inclusive11WithComments,
        C14nMethod::Exclusive,
    ] {
        black_box(
            doc.canonicalize(m, &C14nOptions::new())
                .map(|o| o.len())
                .ok(),
        );
    }
    for node in doc.signatures() {
        let Ok(sig) = doc.read_signature(node) else {
            continue;
        };
        black_box(doc.signed_info_octets(&sig).map(|o| o.len()).ok());
        for r in &sig.references {
            black_box(
                doc.reference_octets(sig.node, r, &NoContent, &limits)
                    .map(|o| o.len())
                    .ok(),
            );
        }
        if let Ok(Some(qp)) = doc.qualifying_properties(&sig) {
            for ts in &qp.signature_timestamps {
                black_box(
                    doc.signature_timestamp_octets(&sig, ts)
                        .map(|o| o.len())
                        .ok(),
                );
            }
            for ts in &qp.archive_timestamps {
                let mut sink = std::io::sink();
                black_box(
                    doc.archive_timestamp_octets_to(&sig, ts, &NoContent, &limits, &mut sink)
                        .ok(),
                );
            }
            black_box((
                qp.signing_time.as_deref(),
                qp.certificate_values.certificates.len(),
            ));
        }
    }
}
