//! Fixtures for the augmentation tests: a key, certificate/CRL/OCSP/attribute-shaped
//! elements, SignedData built around them, and [`assert_preserved`], which checks that an
//! augmentation kept every pre-existing span byte for byte.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use const_oid::ObjectIdentifier as Oid;
use der::Encode;
use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cms::{Augmentation, SignedDataView, attribute, signed_data};
use kenpo_core::crypto::{SigningKey, default_backend};
use kenpo_core::der_span::{Tlv, parse_one, set_of, tag, tlv};
use kenpo_core::oid;

pub const DOC: &[u8] = b"<claim>rule 27</claim>";
pub const ALG: SignatureAlgorithm = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256);
pub const ENUMERATED: u8 = 0x0a;
pub const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
pub const ATTR_TEST: Oid = Oid::new_unwrap("1.2.3.4.5");

pub fn key() -> &'static Arc<dyn SigningKey> {
    static KEY: OnceLock<Arc<dyn SigningKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        let k = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
        let pkcs8 = k.as_der().unwrap();
        default_backend().load_pkcs8(pkcs8.as_ref()).unwrap()
    })
}

pub fn oid_der(o: Oid) -> Vec<u8> {
    o.to_der().unwrap()
}

/// A certificate-shaped element: `SEQUENCE { SEQUENCE {…}, SEQUENCE {OID}, BIT STRING }`.
pub fn signed_object(label: &str, n: u8) -> Vec<u8> {
    let tbs = tlv(
        tag::SEQUENCE,
        &[
            &[tag::INTEGER, 1, n],
            &tlv(tag::UTF8_STRING, &[label.as_bytes()]),
        ],
    );
    let alg = tlv(tag::SEQUENCE, &[&oid_der(oid::SHA256_WITH_RSA)]);
    tlv(tag::SEQUENCE, &[&tbs, &alg, &[tag::BIT_STRING, 2, 0, n]])
}

pub fn cert(n: u8) -> Vec<u8> {
    signed_object("cert", n)
}

pub fn crl(n: u8) -> Vec<u8> {
    signed_object("crl", n)
}

/// `OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING } }`.
pub fn ocsp(n: u8) -> Vec<u8> {
    let bytes = tlv(
        tag::SEQUENCE,
        &[&oid_der(OCSP_BASIC), &tlv(tag::OCTET_STRING, &[&[n; 5]])],
    );
    tlv(
        tag::SEQUENCE,
        &[&[ENUMERATED, 1, 0], &tlv(tag::context(0), &[&bytes])],
    )
}

pub fn attr(n: u8) -> Vec<u8> {
    attribute(ATTR_TEST, &[&tlv(tag::OCTET_STRING, &[&[n; 3]])]).unwrap()
}

/// A SignerInfo signed by [`key`] over content-type and message-digest of [`DOC`], with
/// `unsigned` written in the given (unsorted) order.
pub fn signer_info(serial: u8, unsigned: &[Vec<u8>]) -> Vec<u8> {
    let signed = [
        attribute(oid::ATTR_CONTENT_TYPE, &[&oid_der(oid::ID_DATA)]).unwrap(),
        attribute(
            oid::ATTR_MESSAGE_DIGEST,
            &[&tlv(
                tag::OCTET_STRING,
                &[ALG.digest().digest(DOC).as_bytes()],
            )],
        )
        .unwrap(),
    ];
    let mut signed_field = set_of(signed.iter().map(Vec::as_slice).collect());
    let signature = key()
        .sign_digest(ALG, &ALG.digest().digest(&signed_field))
        .unwrap();
    signed_field[0] = tag::context(0);
    let sid = tlv(tag::SEQUENCE, &[&[0x30, 0], &[tag::INTEGER, 1, serial]]);
    let digest_alg = ALG.digest().algorithm_identifier().to_der().unwrap();
    let sig_alg = ALG.algorithm_identifier().unwrap().to_der().unwrap();
    let unsigned_parts: Vec<&[u8]> = unsigned.iter().map(Vec::as_slice).collect();
    let unsigned_field = if unsigned.is_empty() {
        Vec::new()
    } else {
        tlv(tag::context(1), &unsigned_parts)
    };
    tlv(
        tag::SEQUENCE,
        &[
            &[tag::INTEGER, 1, 1],
            &sid,
            &digest_alg,
            &signed_field,
            &sig_alg,
            &tlv(tag::OCTET_STRING, &[&signature]),
            &unsigned_field,
        ],
    )
}

pub fn refs(l: &[Vec<u8>]) -> Vec<&[u8]> {
    l.iter().map(Vec::as_slice).collect()
}

/// Attached SignedData with the given certificates, CRLs and SignerInfos (in that order).
pub fn cms(certs: &[Vec<u8>], crls: &[Vec<u8>], signers: &[Vec<u8>]) -> Vec<u8> {
    signed_data(
        oid::ID_DATA,
        Some(DOC),
        &[DigestAlgorithm::Sha256],
        &refs(certs),
        &refs(crls),
        &refs(signers),
    )
    .unwrap()
}

/// The full fixture: two certificates written unsorted, one CRL, two SignerInfos of which
/// the second already has two unsigned attributes (unsorted).
pub fn fixture() -> Vec<u8> {
    cms(
        &[cert(9), cert(3)],
        &[crl(5)],
        &[signer_info(1, &[]), signer_info(2, &[attr(8), attr(2)])],
    )
}

pub fn raws<'a>(l: &[Tlv<'a>]) -> Vec<&'a [u8]> {
    l.iter().map(|t| t.raw).collect()
}

pub fn other_revocation_info(resp: &[u8]) -> Vec<u8> {
    tlv(tag::context(1), &[&oid_der(oid::RI_OCSP_RESPONSE), resp])
}

/// Checks one SET OF field after augmentation: old elements and new ones present exactly
/// once; untouched bytes when nothing was new, DER-sorted otherwise.
pub fn check_set(
    before: &[&[u8]],
    after: &[&[u8]],
    old_field: &[u8],
    new_field: &[u8],
    new: &[&[u8]],
) {
    let mut expected: Vec<&[u8]> = before.to_vec();
    for n in new {
        if !expected.contains(n) {
            expected.push(n);
        }
    }
    if expected.len() == before.len() {
        assert_eq!(new_field, old_field, "nothing new: field must be untouched");
        return;
    }
    // Existing elements are all kept, duplicates within the input included.
    let mut got = after.to_vec();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "old elements plus the new distinct ones");
    let mut sorted = after.to_vec();
    sorted.sort();
    assert_eq!(
        after,
        sorted.as_slice(),
        "augmented SET OF must be DER-sorted"
    );
}

/// Asserts that `after = augment(before, aug)` preserved every pre-existing span and
/// contains every new element where it belongs.
pub fn assert_preserved(before: &[u8], after: &[u8], aug: &Augmentation) {
    let b = SignedDataView::parse(before).unwrap();
    let a = SignedDataView::parse(after).unwrap();
    assert_eq!(a.digest_algorithms.raw, b.digest_algorithms.raw);
    assert_eq!(a.encap_content_info.raw, b.encap_content_info.raw);
    assert_eq!(a.econtent, b.econtent);

    let field = |f: &Option<Tlv<'_>>| f.map(|t| t.raw.to_vec()).unwrap_or_default();
    let new_certs: Vec<&[u8]> = aug.certificates.iter().map(Vec::as_slice).collect();
    check_set(
        &raws(&b.certificates),
        &raws(&a.certificates),
        &field(&b.certificates_field),
        &field(&a.certificates_field),
        &new_certs,
    );
    let wrapped: Vec<Vec<u8>> = aug
        .ocsp_responses
        .iter()
        .map(|r| other_revocation_info(r))
        .collect();
    let new_crls: Vec<&[u8]> = aug.crls.iter().chain(&wrapped).map(Vec::as_slice).collect();
    check_set(
        &raws(&b.crls),
        &raws(&a.crls),
        &field(&b.crls_field),
        &field(&a.crls_field),
        &new_crls,
    );
    if a.crls.iter().any(|t| t.tag == tag::context(1)) {
        assert_eq!(
            a.version, 5,
            "other RevocationInfoChoice requires version 5"
        );
    } else {
        assert_eq!(a.version, b.version);
    }

    assert_eq!(a.signer_infos.len(), b.signer_infos.len());
    for (i, (sb, sa)) in b.signer_infos.iter().zip(&a.signer_infos).enumerate() {
        let added: Vec<&[u8]> = aug
            .unsigned_attrs
            .iter()
            .filter(|(k, _)| *k == i)
            .flat_map(|(_, l)| l.iter().map(Vec::as_slice))
            .collect();
        if added.is_empty() {
            assert_eq!(sa.raw, sb.raw, "SignerInfo {i} untouched");
            continue;
        }
        let fields = |raw: &[u8]| {
            let t = parse_one(raw).unwrap();
            let all = t.reader().all().unwrap();
            all.iter()
                .filter(|f| f.tag != tag::context(1))
                .map(|f| f.raw.to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(sa.raw), fields(sb.raw), "SignerInfo {i} fields");
        assert_eq!(
            sa.signed_attrs.as_ref().map(|s| s.raw),
            sb.signed_attrs.as_ref().map(|s| s.raw)
        );
        assert_eq!(sa.signature_field.raw, sb.signature_field.raw);
        let old: Vec<&[u8]> = sb
            .unsigned_attrs
            .as_ref()
            .map(|u| u.list.iter().map(|x| x.raw).collect())
            .unwrap_or_default();
        let new: Vec<&[u8]> = sa
            .unsigned_attrs
            .as_ref()
            .unwrap()
            .list
            .iter()
            .map(|x| x.raw)
            .collect();
        let mut expected = old.clone();
        expected.extend(&added);
        assert_eq!(
            new, expected,
            "SignerInfo {i}: old attributes then new, in order"
        );
        assert_eq!(
            parse_one(sa.raw)
                .unwrap()
                .reader()
                .all()
                .unwrap()
                .last()
                .unwrap()
                .tag,
            tag::context(1),
            "unsignedAttrs is the last field"
        );
    }
}

pub fn full_augmentation() -> Augmentation {
    Augmentation {
        certificates: vec![cert(1), cert(9), cert(7), cert(1)],
        crls: vec![crl(5), crl(6)],
        ocsp_responses: vec![ocsp(1), ocsp(1)],
        unsigned_attrs: vec![
            (1, vec![attr(1), attr(9)]),
            (0, vec![attr(4)]),
            (1, vec![attr(0)]),
        ],
    }
}

pub fn verify_signatures(der: &[u8]) -> usize {
    let view = SignedDataView::parse(der).unwrap();
    for si in &view.signer_infos {
        let attrs = si.signed_attrs.as_ref().unwrap();
        let digest = attrs.digest_as_set(ALG.digest());
        default_backend()
            .verify_digest(key().public_key_spki(), ALG, &digest, si.signature)
            .unwrap();
    }
    view.signer_infos.len()
}

/// `../../../shared/<sub>` from the crate, or `None` (skip) — a failure under CI.
pub fn shared(sub: &str, probe: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(sub);
    if dir.join(probe).exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} missing (required under CI)",
        dir.display()
    );
    eprintln!("SKIP: {} not found", dir.display());
    None
}

/// Every file below `dir`, recursively.
pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}
