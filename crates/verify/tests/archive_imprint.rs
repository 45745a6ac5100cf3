//! `kenpo_verify::archive`: ATSv3 and ATSv2 imprints on hand-built SignedData, checked
//! against concatenations made here field by field; tampering with each covered element;
//! hash-index validity when elements are added or removed; hostile (truncated) input from
//! the DSS corpus (skipped without `../shared`, except under CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use const_oid::ObjectIdentifier as Oid;
use der::Encode;
use kenpo_core::alg::{Digest, DigestAlgorithm};
use kenpo_core::cms::{SignedDataView, attribute, signed_data};
use kenpo_core::der_span::{tag, tlv};
use kenpo_core::oid;
use kenpo_tsa::TstInfo;
use kenpo_verify::archive::{
    ATTR_ATS_HASH_INDEX, AtsV2Variant, Covered, HashIndex, HashIndexKind, IndexProblem,
    ats_v2_content_hasher, ats_v2_imprints, ats_v3_imprint, check_ats_v2, check_ats_v3,
    hash_index_v3,
};
use kenpo_verify::signature::{Content, Options, TimestampKind, verify};
use time::OffsetDateTime;

const DOC: &[u8] = b"archive imprint test document";

type SiEdit = fn(&mut Si);
type SdEdit = fn(&mut Sd);
const SHA256: DigestAlgorithm = DigestAlgorithm::Sha256;

fn oid_tlv(o: Oid) -> Vec<u8> {
    o.to_der().unwrap()
}

fn alg_id(a: DigestAlgorithm) -> Vec<u8> {
    a.algorithm_identifier().to_der().unwrap()
}

/// A SignerInfo as separate field encodings, so that tests can concatenate them.
#[derive(Clone)]
struct Si {
    version: Vec<u8>,
    sid: Vec<u8>,
    digest_alg: Vec<u8>,
    signed: Vec<u8>,
    sig_alg: Vec<u8>,
    signature: Vec<u8>,
    unsigned: Vec<Vec<u8>>,
}

impl Si {
    fn new() -> Self {
        let name = tlv(
            tag::SEQUENCE,
            &[&tlv(
                tag::SET,
                &[&tlv(
                    tag::SEQUENCE,
                    &[
                        &oid_tlv(Oid::new_unwrap("2.5.4.3")),
                        &tlv(tag::UTF8_STRING, &[b"Test CA"]),
                    ],
                )],
            )],
        );
        let md = attribute(
            oid::ATTR_MESSAGE_DIGEST,
            &[&tlv(tag::OCTET_STRING, &[SHA256.digest(DOC).as_bytes()])],
        )
        .unwrap();
        let ct = attribute(oid::ATTR_CONTENT_TYPE, &[&oid_tlv(oid::ID_DATA)]).unwrap();
        Self {
            version: vec![0x02, 0x01, 0x01],
            sid: tlv(tag::SEQUENCE, &[&name, &[0x02, 0x01, 0x2a]]),
            digest_alg: alg_id(SHA256),
            signed: tlv(tag::context(0), &[&ct, &md]),
            sig_alg: tlv(
                tag::SEQUENCE,
                &[&oid_tlv(oid::SHA256_WITH_RSA), &[0x05, 0x00]],
            ),
            signature: tlv(tag::OCTET_STRING, &[&[0x5a; 64]]),
            unsigned: vec![
                attribute(Oid::new_unwrap("1.2.3.4.1"), &[&[0x04, 0x01, 0x01]]).unwrap(),
                attribute(oid::ATTR_SIGNATURE_TIME_STAMP, &[&[0x30, 0x00]]).unwrap(),
                // Two values: v3 indexes each, the legacy index the whole attribute.
                attribute(
                    Oid::new_unwrap("1.2.3.4.2"),
                    &[&[0x02, 0x01, 0x01], &[0x02, 0x01, 0x02]],
                )
                .unwrap(),
            ],
        }
    }

    /// version ‖ sid ‖ digestAlgorithm ‖ signedAttrs ‖ signatureAlgorithm ‖ signature.
    fn covered(&self) -> Vec<u8> {
        [
            self.version.as_slice(),
            &self.sid,
            &self.digest_alg,
            &self.signed,
            &self.sig_alg,
            &self.signature,
        ]
        .concat()
    }

    fn unsigned_field(&self) -> Vec<u8> {
        let parts: Vec<&[u8]> = self.unsigned.iter().map(Vec::as_slice).collect();
        tlv(tag::context(1), &parts)
    }

    fn der(&self) -> Vec<u8> {
        let mut body = self.covered();
        if !self.unsigned.is_empty() {
            body.extend(self.unsigned_field());
        }
        tlv(tag::SEQUENCE, &[&body])
    }
}

/// A SignedData with its parts kept for tampering.
#[derive(Clone)]
struct Sd {
    econtent_type: Oid,
    econtent: Option<Vec<u8>>,
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    si: Si,
}

impl Sd {
    fn new() -> Self {
        let cert = |n: u8| tlv(tag::SEQUENCE, &[&[0x02, 0x01, n], &[0x04, 0x02, n, n]]);
        Self {
            econtent_type: oid::ID_DATA,
            econtent: Some(DOC.to_vec()),
            certs: vec![cert(1), cert(2), cert(3)],
            crls: vec![cert(9)],
            si: Si::new(),
        }
    }

    fn der(&self) -> Vec<u8> {
        let certs: Vec<&[u8]> = self.certs.iter().map(Vec::as_slice).collect();
        let crls: Vec<&[u8]> = self.crls.iter().map(Vec::as_slice).collect();
        let si = self.si.der();
        signed_data(
            self.econtent_type,
            self.econtent.as_deref(),
            &[SHA256],
            &certs,
            &crls,
            &[&si],
        )
        .unwrap()
    }
}

fn view(der: &[u8]) -> SignedDataView<'_> {
    SignedDataView::parse(der).unwrap()
}

fn gen_time(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
}

/// A time-stamp token over `imprint` carrying `index` (attribute type, value) unsigned.
/// Its signature is not valid: the archive functions check imprints, not tokens.
fn token(imprint: Digest, at: OffsetDateTime, index: Option<(Oid, &[u8])>) -> Vec<u8> {
    let tst = TstInfo {
        policy: Oid::new_unwrap("1.2.3.4.5"),
        imprint,
        serial: vec![7],
        gen_time: at,
        accuracy: None,
        ordering: false,
        nonce: None,
        tsa_name: None,
        has_extensions: false,
    }
    .to_der(0);
    let mut tsi = Si::new();
    tsi.signed = Vec::new();
    tsi.unsigned = index
        .map(|(o, v)| attribute(o, &[v]).unwrap())
        .into_iter()
        .collect();
    signed_data(
        oid::ID_CT_TST_INFO,
        Some(&tst),
        &[SHA256],
        &[],
        &[],
        &[&tsi.der()],
    )
    .unwrap()
}

fn sequence_of_hashes(alg: DigestAlgorithm, items: &[Vec<u8>]) -> Vec<u8> {
    let hashes: Vec<Vec<u8>> = items
        .iter()
        .map(|i| tlv(tag::OCTET_STRING, &[alg.digest(i).as_bytes()]))
        .collect();
    let parts: Vec<&[u8]> = hashes.iter().map(Vec::as_slice).collect();
    tlv(tag::SEQUENCE, &parts)
}

/// The ATSHashIndexV3 of `sd`, made here from the parts.
fn expected_index_v3(sd: &Sd, alg: DigestAlgorithm) -> Vec<u8> {
    let mut attr_values = Vec::new();
    for a in &sd.si.unsigned {
        let seq = kenpo_core::der_span::parse_one(a).unwrap();
        let mut r = seq.reader();
        let attr_type = r.read().unwrap().raw;
        for v in r.read().unwrap().reader().all().unwrap() {
            attr_values.push([attr_type, v.raw].concat());
        }
    }
    // hashIndAlgorithm is always written (EU DSS requires it, even for SHA-256).
    let alg_part = alg_id(alg);
    tlv(
        tag::SEQUENCE,
        &[
            &alg_part,
            &sequence_of_hashes(alg, &sd.certs),
            &sequence_of_hashes(alg, &sd.crls),
            &sequence_of_hashes(alg, &attr_values),
        ],
    )
}

/// The ATSv3 imprint of `sd`, concatenated here from the parts.
fn expected_imprint_v3(sd: &Sd, index: &[u8], alg: DigestAlgorithm) -> Digest {
    let content = sd.econtent.as_deref().unwrap_or(DOC);
    alg.digest(
        &[
            oid_tlv(sd.econtent_type),
            alg.digest(content).as_bytes().to_vec(),
            sd.si.covered(),
            index.to_vec(),
        ]
        .concat(),
    )
}

#[test]
fn v3_index_and_imprint_equal_independent_concatenation() {
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha384] {
        let sd = Sd::new();
        let der = sd.der();
        let v = view(&der);
        let si = &v.signer_infos[0];
        let index = hash_index_v3(&v, si, alg).unwrap();
        assert_eq!(index, expected_index_v3(&sd, alg), "{alg:?}");
        let parsed = HashIndex::parse(HashIndexKind::V3, &index).unwrap();
        assert_eq!(parsed.algorithm, alg);
        // 3 certificates, 1 CRL, 4 attribute values in 3 attributes.
        let counts = (parsed.certificates.len(), parsed.crls.len());
        assert_eq!((counts, parsed.unsigned_attrs.len()), ((3, 1), 4));
        let imprint = ats_v3_imprint(&v, si, alg.digest(DOC).as_bytes(), &index, alg).unwrap();
        assert_eq!(imprint, expected_imprint_v3(&sd, &index, alg));
    }
}

/// `sd` with an ATSv3 over its current state appended; the token is returned too.
fn with_ats_v3(sd: &Sd, at: OffsetDateTime) -> (Sd, Vec<u8>) {
    let index = expected_index_v3(sd, SHA256);
    let imprint = expected_imprint_v3(sd, &index, SHA256);
    let tok = token(imprint, at, Some((oid::ATTR_ATS_HASH_INDEX_V3, &index)));
    let mut out = sd.clone();
    out.si
        .unsigned
        .push(attribute(oid::ATTR_ARCHIVE_TIME_STAMP_V3, &[&tok]).unwrap());
    (out, tok)
}

fn check_v3(sd: &Sd, tok: &[u8], content: &'static [u8]) -> kenpo_verify::archive::AtsV3Check {
    let der = sd.der();
    let v = view(&der);
    check_ats_v3(&v, &v.signer_infos[0], tok, &|a| Some(a.digest(content))).unwrap()
}

#[test]
fn v3_check_passes_and_every_covered_element_flips_the_imprint() {
    let (sd, tok) = with_ats_v3(&Sd::new(), gen_time(0));
    let ok = check_v3(&sd, &tok, DOC);
    assert_eq!(ok.imprint_intact, Some(true), "{}", ok.detail);
    assert!(ok.hash_index_valid, "{}", ok.detail);
    assert_eq!(ok.hash_index_kind, Some(HashIndexKind::V3));

    // The signed data itself.
    assert_eq!(check_v3(&sd, &tok, b"other").imprint_intact, Some(false));
    let mut tampered: Vec<(&str, Sd)> = Vec::new();
    let mut t = sd.clone();
    t.econtent_type = Oid::new_unwrap("1.2.840.113549.1.7.5");
    tampered.push(("eContentType", t));
    let edits: [(&str, SiEdit); 6] = [
        ("version", |s| s.version = vec![0x02, 0x01, 0x03]),
        ("sid", |s| *s.sid.last_mut().unwrap() ^= 1),
        ("digestAlgorithm", |s| {
            s.digest_alg = alg_id(DigestAlgorithm::Sha384)
        }),
        ("signedAttrs", |s| *s.signed.last_mut().unwrap() ^= 1),
        ("signatureAlgorithm", |s| {
            s.sig_alg = tlv(tag::SEQUENCE, &[&oid_tlv(oid::SHA384_WITH_RSA), &[5, 0]])
        }),
        ("signature", |s| *s.signature.last_mut().unwrap() ^= 1),
    ];
    for (name, edit) in edits {
        let mut t = sd.clone();
        edit(&mut t.si);
        tampered.push((name, t));
    }
    for (name, t) in &tampered {
        let c = check_v3(t, &tok, DOC);
        assert_eq!(c.imprint_intact, Some(false), "{name}: {}", c.detail);
    }
    // The hash index as stored in the token: one entry changed.
    let mut index = expected_index_v3(&Sd::new(), SHA256);
    *index.last_mut().unwrap() ^= 1;
    let imprint = check_v3(&sd, &tok, DOC).imprint;
    let bad = token(
        imprint,
        gen_time(0),
        Some((oid::ATTR_ATS_HASH_INDEX_V3, &index)),
    );
    let c = check_v3(&sd, &bad, DOC);
    assert_eq!(c.imprint_intact, Some(false));
    assert!(!c.hash_index_valid);
    // No hash index at all: cannot match.
    let none = token(imprint, gen_time(0), None);
    let c = check_v3(&sd, &none, DOC);
    assert_eq!((c.imprint_intact, c.hash_index_kind), (Some(false), None));
}

#[test]
fn v3_hash_index_allows_additions_and_detects_removals() {
    let (sd, tok) = with_ats_v3(&Sd::new(), gen_time(0));
    // Added after the time-stamp: a certificate, a CRL, an unsigned attribute.
    let mut added = sd.clone();
    added.certs.push(tlv(tag::SEQUENCE, &[&[0x02, 0x01, 0x33]]));
    added.crls.push(tlv(tag::SEQUENCE, &[&[0x02, 0x01, 0x34]]));
    added
        .si
        .unsigned
        .push(attribute(Oid::new_unwrap("1.2.3.4.9"), &[&[0x05, 0x00]]).unwrap());
    let c = check_v3(&added, &tok, DOC);
    assert!(c.hash_index_valid, "{}", c.detail);
    assert_eq!(c.imprint_intact, Some(true));

    let removals: [(SdEdit, IndexProblem); 4] = [
        (|s| drop(s.certs.remove(1)), IndexProblem::Certificate(1)),
        (|s| drop(s.crls.remove(0)), IndexProblem::Crl(0)),
        (
            |s| drop(s.si.unsigned.remove(0)),
            IndexProblem::UnsignedAttribute(0),
        ),
        // One value of a two-valued attribute (v3 indexes values).
        (
            |s| {
                s.si.unsigned[2] =
                    attribute(Oid::new_unwrap("1.2.3.4.2"), &[&[0x02, 0x01, 0x01]]).unwrap()
            },
            IndexProblem::UnsignedAttribute(3),
        ),
    ];
    for (remove, problem) in removals {
        let mut t = sd.clone();
        remove(&mut t);
        let c = check_v3(&t, &tok, DOC);
        assert!(!c.hash_index_valid, "{problem:?}");
        assert_eq!(c.problems, vec![problem]);
        // The imprint covers the index as stored, not the elements.
        assert_eq!(c.imprint_intact, Some(true));
    }

    // A duplicate entry needs two equal elements.
    let mut dup = Sd::new();
    let first = dup.certs[0].clone();
    dup.certs.push(first);
    let (dup_sd, dup_tok) = with_ats_v3(&dup, gen_time(0));
    assert!(check_v3(&dup_sd, &dup_tok, DOC).hash_index_valid);
    let mut one_left = dup_sd.clone();
    one_left.certs.pop();
    let c = check_v3(&one_left, &dup_tok, DOC);
    assert_eq!(c.problems, vec![IndexProblem::Certificate(3)]);
}

#[test]
fn legacy_index_hashes_whole_attributes() {
    let sd = Sd::new();
    let legacy = tlv(
        tag::SEQUENCE,
        &[
            &sequence_of_hashes(SHA256, &sd.certs),
            &sequence_of_hashes(SHA256, &sd.crls),
            &sequence_of_hashes(SHA256, &sd.si.unsigned),
        ],
    );
    let imprint = expected_imprint_v3(&sd, &legacy, SHA256);
    let as_legacy = token(imprint, gen_time(0), Some((ATTR_ATS_HASH_INDEX, &legacy)));
    let c = check_v3(&sd, &as_legacy, DOC);
    assert_eq!(c.hash_index_kind, Some(HashIndexKind::Legacy));
    assert!(c.hash_index_valid, "{}", c.detail);
    assert_eq!(c.imprint_intact, Some(true));
    // The same entries read as v3 (attrType ‖ value) match no attribute.
    let as_v3 = token(
        imprint,
        gen_time(0),
        Some((oid::ATTR_ATS_HASH_INDEX_V3, &legacy)),
    );
    let c = check_v3(&sd, &as_v3, DOC);
    assert!(!c.hash_index_valid);
    assert_eq!(c.problems.len(), 3);
}

/// The four ATSv2 imprints, concatenated here: (tagged, preceding), (untagged, preceding),
/// (tagged, all but newer archive), (untagged, all but newer archive).
fn expected_v2(sd: &Sd, preceding: &[Vec<u8>], all: &[Vec<u8>]) -> Vec<Digest> {
    let der = sd.der();
    let v = view(&der);
    let prefix = [
        v.encap_content_info.raw.to_vec(),
        tlv(
            tag::context(0),
            &sd.certs.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        ),
        tlv(
            tag::context(1),
            &sd.crls.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        ),
        sd.si.covered(),
    ]
    .concat();
    let mut out = Vec::new();
    for attrs in [preceding, all] {
        let parts: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
        out.push(SHA256.digest(&[prefix.clone(), tlv(tag::context(1), &parts)].concat()));
        out.push(SHA256.digest(&[prefix.clone(), attrs.concat()].concat()));
    }
    out
}

#[test]
fn v2_imprints_cover_the_parts_and_name_the_variant() {
    let base = Sd::new();
    // An older ATSv2 (not covered only by the "all but newer" choice when it is newer).
    let older = attribute(
        oid::ATTR_ARCHIVE_TIME_STAMP_V2,
        &[&token(SHA256.digest(b"x"), gen_time(-10), None)],
    )
    .unwrap();
    let newer = attribute(
        oid::ATTR_ARCHIVE_TIME_STAMP_V3,
        &[&token(SHA256.digest(b"y"), gen_time(10), None)],
    )
    .unwrap();
    let late = attribute(Oid::new_unwrap("1.2.3.4.7"), &[&[0x05, 0x00]]).unwrap();
    let mut preceding = base.si.unsigned.clone();
    preceding.push(older.clone());
    let all = [preceding.clone(), vec![late.clone()]].concat();
    let expected = expected_v2(&base, &preceding, &all);

    for (i, want) in AtsV2Variant::ALL.into_iter().enumerate() {
        let tok = token(expected[i], gen_time(0), None);
        let mut sd = base.clone();
        sd.si.unsigned = [
            preceding.clone(),
            vec![attribute(oid::ATTR_ARCHIVE_TIME_STAMP_V2, &[&tok]).unwrap()],
            vec![late.clone(), newer.clone()],
        ]
        .concat();
        let der = sd.der();
        let v = view(&der);
        let si = &v.signer_infos[0];
        let parts = kenpo_verify::archive::V2Parts::of(&v);
        let content = ats_v2_content_hasher(&v, SHA256, None).unwrap();
        let imprints = ats_v2_imprints(&parts, si, preceding.len(), Some(gen_time(0)), &content);
        let imprints: Vec<Digest> = imprints.unwrap().into_iter().map(|(_, d)| d).collect();
        assert_eq!(imprints, expected);
        let found = check_ats_v2(&parts, si, preceding.len(), &tok, &content).unwrap();
        assert_eq!(found, Some(want), "{i}");

        // Tampering with any covered element matches no variant.
        let edits: [(&str, SdEdit); 7] = [
            ("eContent", |s| s.econtent = Some(b"other".to_vec())),
            ("certificates", |s| drop(s.certs.pop())),
            ("crls", |s| s.crls.clear()),
            ("sid", |s| *s.si.sid.last_mut().unwrap() ^= 1),
            ("signedAttrs", |s| *s.si.signed.last_mut().unwrap() ^= 1),
            ("signature", |s| *s.si.signature.last_mut().unwrap() ^= 1),
            ("unsigned attribute", |s| {
                s.si.unsigned[0] = attribute(Oid::new_unwrap("1.2.3.4.1"), &[&[5, 0]]).unwrap()
            }),
        ];
        for (name, edit) in edits {
            let mut t = sd.clone();
            edit(&mut t);
            let der = t.der();
            let v = view(&der);
            let parts = kenpo_verify::archive::V2Parts::of(&v);
            let content = ats_v2_content_hasher(&v, SHA256, None).unwrap();
            let found = check_ats_v2(&parts, &v.signer_infos[0], preceding.len(), &tok, &content);
            assert_eq!(found.unwrap(), None, "{name}");
        }
    }
    assert_eq!(
        AtsV2Variant::ALL[2],
        AtsV2Variant {
            covered: Covered::AllButNewerArchive,
            tagged: true
        }
    );

    // A detached SignedData needs its content.
    let mut detached = base.clone();
    detached.econtent = None;
    let der = detached.der();
    let v = view(&der);
    assert!(ats_v2_content_hasher(&v, SHA256, None).is_err());
    let with = ats_v2_content_hasher(&v, SHA256, Some(DOC)).unwrap();
    let mut manual = SHA256.hasher();
    manual.update(&[v.encap_content_info.raw, DOC].concat());
    assert_eq!(with.finalize(), manual.finalize());
}

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-cades");
    if dir.join("expectations.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "DSS corpus missing at {} (required under CI)",
        dir.display()
    );
    eprintln!("SKIP: DSS corpus not found at {}", dir.display());
    None
}

#[test]
fn dss_atsv3_truncations_give_errors_or_verdicts() {
    let Some(dir) = corpus() else { return };
    let data = std::fs::read(dir.join("cades-extended-a.pkcs7")).unwrap();
    let opts = Options::default();
    let full = verify(&data, Content::None, &opts).unwrap();
    let ats = full.signers[0]
        .timestamps
        .iter()
        .find(|t| t.kind == TimestampKind::ArchiveV3)
        .unwrap();
    assert_eq!(ats.imprint_intact, Some(true), "{}", ats.detail);
    assert_eq!(ats.hash_index_valid, Some(true));
    let mut errors = 0;
    for n in 0..data.len() {
        errors += usize::from(verify(&data[..n], Content::None, &opts).is_err());
    }
    assert!(errors > 0);

    // The archive functions on every truncation of the token itself.
    let v = view(&data);
    let si = &v.signer_infos[0];
    let attrs = si.unsigned_attrs.as_ref().unwrap();
    let tok = attrs
        .all_of(oid::ATTR_ARCHIVE_TIME_STAMP_V3)
        .next()
        .unwrap()
        .values[0]
        .raw;
    let hash = |a: DigestAlgorithm| v.econtent.map(|c| a.digest(c));
    assert_eq!(
        check_ats_v3(&v, si, tok, &hash).unwrap().imprint_intact,
        Some(true)
    );
    for n in 0..tok.len() {
        match check_ats_v3(&v, si, &tok[..n], &hash) {
            Ok(c) => assert_ne!(c.imprint_intact, Some(true), "{n}"),
            Err(_) => errors += 1,
        }
    }
    assert!(errors > data.len() / 2);
    let token_der = view(tok);
    let index = HashIndex::from_token(&token_der).unwrap();
    for n in 0..index.raw.len() {
        assert!(HashIndex::parse(index.kind, &index.raw[..n]).is_err());
    }
}

#[test]
fn dss_detached_atsv2_streamed_content_is_read_once_and_matches() {
    let Some(dir) = corpus() else { return };
    let data = std::fs::read(dir.join("dss-2011/cades-tstv2-detached.p7s")).unwrap();
    let opts = Options::default();
    let archive = |r: &kenpo_verify::signature::SignedDataCheck| {
        r.signers[0]
            .timestamps
            .iter()
            .find(|t| t.kind == TimestampKind::ArchiveV2)
            .map(|t| (t.imprint_intact, t.intact))
    };
    let bytes = verify(&data, Content::Bytes(b"aaa"), &opts).unwrap();
    assert_eq!(archive(&bytes), Some((Some(true), true)));
    let mut reader: &[u8] = b"aaa";
    let streamed = verify(&data, Content::Reader(&mut reader), &opts).unwrap();
    assert_eq!(archive(&streamed), archive(&bytes));
    assert!(reader.is_empty());
    assert_eq!(streamed.signers[0].data_intact, Some(true));
    // Without the content the imprint is not checked, and the time-stamp not intact.
    let none = verify(&data, Content::None, &opts).unwrap();
    assert_eq!(archive(&none), Some((None, false)));
    let wrong = verify(&data, Content::Bytes(b"aab"), &opts).unwrap();
    assert_eq!(archive(&wrong), Some((Some(false), false)));
}
