//! The TSA answers only DER `TimeStampReq`s: every BER-only or otherwise non-DER encoding
//! of a real request is rejected with badDataFormat naming the problem, no token is issued,
//! no serial number is consumed, and the refusal is audited like any other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use const_oid::ObjectIdentifier as Oid;
use der::Encode;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::crypto::default_backend;
use kenpo_core::der_span::{tag, tlv};
use kenpo_tsa::server::{AuditLog, Outcome, SerialStore, Tsa, TsaConfig};
use kenpo_tsa::{FailInfo, PkiStatus, TimeStampRequest, TimeStampResponse};

const POLICY: Oid = Oid::new_unwrap("1.2.392.200081.99.1");

/// The parts of a real request, each a complete TLV, in field order.
struct Parts {
    version: Vec<u8>,
    imprint: Vec<u8>,
    policy: Vec<u8>,
    nonce: Vec<u8>,
    cert_req: Vec<u8>,
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm, hashedMessage }` of `digest`.
fn message_imprint(digest: &kenpo_core::alg::Digest) -> Vec<u8> {
    let alg = digest.algorithm().algorithm_identifier().to_der().unwrap();
    tlv(
        tag::SEQUENCE,
        &[&alg, &tlv(tag::OCTET_STRING, &[digest.as_bytes()])],
    )
}

impl Parts {
    fn real() -> Self {
        let digest = DigestAlgorithm::Sha256.digest(b"strict DER");
        Self {
            version: vec![0x02, 0x01, 0x01],
            imprint: message_imprint(&digest),
            policy: POLICY.to_der().unwrap(),
            nonce: vec![0x02, 0x04, 0x12, 0x34, 0x56, 0x78],
            cert_req: vec![tag::BOOLEAN, 0x01, 0xff],
        }
    }

    fn contents(&self) -> Vec<u8> {
        [
            &self.version[..],
            &self.imprint,
            &self.policy,
            &self.nonce,
            &self.cert_req,
        ]
        .concat()
    }

    /// The request with the usual DER SEQUENCE header.
    fn der(&self) -> Vec<u8> {
        tlv(tag::SEQUENCE, &[&self.contents()])
    }
}

/// A SEQUENCE with an explicit header (`30` then `len_octets`) around `contents`.
fn seq_with_len(len_octets: &[u8], contents: &[u8]) -> Vec<u8> {
    [&[tag::SEQUENCE][..], len_octets, contents].concat()
}

/// Every non-DER variant of the real request, with a name.
fn variants() -> Vec<(&'static str, Vec<u8>)> {
    let p = Parts::real();
    let contents = p.contents();
    let n = u8::try_from(contents.len()).unwrap();
    assert!(n < 0x80, "the real request fits a short length");
    let mut v = Vec::new();

    v.push((
        "BER indefinite length (outer SEQUENCE)",
        [
            &[tag::SEQUENCE, 0x80][..],
            &contents,
            &[0x00, 0x00], // end-of-contents
        ]
        .concat(),
    ));
    let mut inner_indef = Parts::real();
    let mi = &p.imprint;
    inner_indef.imprint = [&[tag::SEQUENCE, 0x80][..], &mi[2..], &[0x00, 0x00]].concat();
    v.push(("BER indefinite length (MessageImprint)", inner_indef.der()));
    v.push((
        "non-minimal length octets (long form for a short length)",
        seq_with_len(&[0x81, n], &contents),
    ));
    v.push((
        "non-minimal length octets (leading zero octet)",
        seq_with_len(&[0x82, 0x00, n], &contents),
    ));
    let mut inner_len = Parts::real();
    // hashedMessage OCTET STRING (the last 34 octets of MessageImprint) with 81 20.
    let hashed = &mi[mi.len() - 32..];
    let alg = &mi[2..mi.len() - 34];
    inner_len.imprint = tlv(
        tag::SEQUENCE,
        &[alg, &[tag::OCTET_STRING, 0x81, 0x20], hashed],
    );
    v.push(("non-minimal length octets (hashedMessage)", inner_len.der()));
    v.push((
        "trailing bytes after the TimeStampReq",
        [&p.der()[..], &[0x00, 0x00]].concat(),
    ));
    v.push((
        "a second TLV after the TimeStampReq",
        [&p.der()[..], &[tag::NULL, 0x00]].concat(),
    ));
    let mut version = Parts::real();
    version.version = vec![0x02, 0x02, 0x00, 0x01];
    v.push(("non-minimal INTEGER (version 00 01)", version.der()));
    let mut nonce = Parts::real();
    nonce.nonce = vec![0x02, 0x05, 0x00, 0x12, 0x34, 0x56, 0x78];
    v.push(("non-minimal INTEGER (nonce 00 12 …)", nonce.der()));
    let mut nonce_ff = Parts::real();
    nonce_ff.nonce = vec![0x02, 0x02, 0xff, 0x80];
    v.push(("non-minimal INTEGER (nonce ff 80)", nonce_ff.der()));
    for b in [0x01u8, 0x7f, 0xfe] {
        let mut boolean = Parts::real();
        boolean.cert_req = vec![tag::BOOLEAN, 0x01, b];
        let name: &'static str = match b {
            0x01 => "BOOLEAN certReq 0x01 (not 0xFF)",
            0x7f => "BOOLEAN certReq 0x7F (not 0xFF)",
            _ => "BOOLEAN certReq 0xFE (not 0xFF)",
        };
        v.push((name, boolean.der()));
    }
    let mut explicit_false = Parts::real();
    explicit_false.cert_req = vec![tag::BOOLEAN, 0x01, 0x00];
    v.push((
        "certReq FALSE encoded although it is the DEFAULT",
        explicit_false.der(),
    ));
    let mut constructed = Parts::real();
    let os = tlv(tag::OCTET_STRING, &[hashed]);
    constructed.imprint = tlv(tag::SEQUENCE, &[alg, &tlv(0x24, &[&os])]);
    v.push((
        "constructed OCTET STRING (hashedMessage)",
        constructed.der(),
    ));
    let mut oid = Parts::real();
    // reqPolicy with a sub-identifier padded by a leading 0x80 octet.
    let body = &p.policy[2..];
    oid.policy = tlv(tag::OID, &[&body[..1], &[0x80], &body[1..]]);
    v.push(("non-minimal OID sub-identifier (reqPolicy)", oid.der()));
    v
}

fn tsa(audit: Option<AuditLog>) -> Tsa {
    let pki = common::pki();
    let key = default_backend().load_pkcs8(&pki.key("tsa")).unwrap();
    Tsa::new(
        TsaConfig::new(pki.cert("tsa"), key, POLICY),
        SerialStore::in_memory(),
        audit,
    )
    .unwrap()
}

fn granted_serial(tsa: &Tsa, der: &[u8]) -> Vec<u8> {
    let issued = tsa.respond(der);
    let resp = TimeStampResponse::parse(&issued.response_der).unwrap();
    assert_eq!(
        resp.status.status,
        Ok(PkiStatus::Granted),
        "{}",
        resp.status
    );
    assert!(resp.token.is_some());
    match issued.outcome {
        Outcome::Granted { serial, .. } => serial,
        other => panic!("outcome {other:?}"),
    }
}

#[test]
fn the_der_original_parses_and_is_granted() {
    let p = Parts::real();
    let parsed = TimeStampRequest::parse(&p.der()).unwrap();
    assert_eq!(parsed.policy, Some(POLICY));
    assert_eq!(parsed.nonce.as_deref(), Some(&[0x12, 0x34, 0x56, 0x78][..]));
    assert!(parsed.cert_req);
    assert_eq!(parsed.to_der(), p.der(), "the builder writes the same DER");
    let tsa = tsa(None);
    granted_serial(&tsa, &p.der());
}

#[test]
fn every_non_der_variant_is_rejected_without_using_a_serial() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let tsa = tsa(Some(AuditLog::open(&path).unwrap()));
    let original = Parts::real().der();
    let first = granted_serial(&tsa, &original);

    let variants = variants();
    let mut granted = Vec::new();
    let mut unclear = Vec::new();
    for (name, der) in &variants {
        assert_ne!(der, &original, "{name}");
        let issued = tsa.respond(der);
        let resp = TimeStampResponse::parse(&issued.response_der).unwrap();
        if resp.status.status != Ok(PkiStatus::Rejection) {
            granted.push(*name);
            continue;
        }
        assert_eq!(resp.token, None, "{name}");
        let detail = resp.status.text.join(" ");
        // The statusString names the problem; the failInfo is badDataFormat.
        if resp.status.fail_info != vec![FailInfo::BadDataFormat] || !detail.contains("DER") {
            unclear.push(format!("{name}: {:?} {detail}", resp.status.fail_info));
        }
        assert!(
            matches!(&issued.outcome, Outcome::Rejected { .. }),
            "{name}"
        );
    }
    assert!(granted.is_empty(), "non-DER requests granted: {granted:#?}");
    assert!(
        unclear.is_empty(),
        "rejections not naming the problem: {unclear:#?}"
    );
    assert_eq!(tsa.issued(), 1);

    // No serial was consumed by the rejections: the next token follows the first.
    let next = granted_serial(&tsa, &original);
    assert_eq!(next.len(), first.len());
    let as_u64 = |s: &[u8]| s.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
    assert_eq!(as_u64(&next), as_u64(&first) + 1);

    // Audited like any other refusal: one line each, badDataFormat with the reason.
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), variants.len() + 2, "{text}");
    assert_eq!(lines[0]["outcome"], "granted");
    for line in &lines[1..=variants.len()] {
        assert_eq!(line["outcome"], "rejected");
        assert_eq!(line["fail_info"], "badDataFormat");
        assert!(line.get("serial").is_none());
        assert!(line["detail"].as_str().unwrap().contains("DER"), "{line}");
    }
    assert_eq!(lines[variants.len() + 1]["outcome"], "granted");
}
