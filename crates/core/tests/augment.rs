//! Byte-preserving CMS augmentation: every pre-existing span survives byte for byte, new
//! elements are present (deduplicated, DER-sorted sets, appended attributes), the version
//! becomes 5 with OCSP, absent fields are created, the signature still verifies, hostile
//! input gives typed errors, and real corpus signatures and an HPKI time-stamp token keep
//! their bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "augment/fixtures.rs"]
mod fixtures;
#[path = "augment/real_material.rs"]
mod real_material;

use fixtures::*;
use kenpo_core::cms::augment::{ElementKind, add_unsigned_attrs};
use kenpo_core::cms::{AugmentError, Augmentation, CmsError, SignedDataView, augment};
use kenpo_core::der_span::{SpanError, parse_one, tag, tlv};
use kenpo_core::oid;

#[test]
fn every_existing_span_is_byte_identical_and_new_elements_are_present() {
    let before = fixture();
    assert_eq!(verify_signatures(&before), 2);
    let aug = full_augmentation();
    let after = augment(&before, &aug).unwrap();
    assert_ne!(after, before);
    assert_preserved(&before, &after, &aug);

    let a = SignedDataView::parse(&after).unwrap();
    assert_eq!(a.certificates.len(), 4, "9, 3 + new 1, 7");
    assert_eq!(a.crls.len(), 3, "5 + new 6 + one OCSP response");
    let other = a.crls.iter().find(|t| t.tag == tag::context(1)).unwrap();
    let mut r = other.reader();
    assert_eq!(
        r.expect(tag::OID).unwrap().raw,
        oid_der(oid::RI_OCSP_RESPONSE)
    );
    assert_eq!(r.read().unwrap().raw, ocsp(1).as_slice());
    assert!(r.finish().is_ok());
    assert_eq!(a.version, 5);
    let unsigned = |i: usize| -> Vec<Vec<u8>> {
        a.signer_infos[i]
            .unsigned_attrs
            .as_ref()
            .unwrap()
            .list
            .iter()
            .map(|x| x.raw.to_vec())
            .collect()
    };
    assert_eq!(unsigned(0), vec![attr(4)]);
    assert_eq!(
        unsigned(1),
        vec![attr(8), attr(2), attr(1), attr(9), attr(0)]
    );
    assert_eq!(verify_signatures(&after), 2, "signatures still verify");
}

#[test]
fn duplicates_are_skipped_and_augmenting_twice_adds_nothing() {
    let before = fixture();
    let aug = Augmentation {
        unsigned_attrs: Vec::new(),
        ..full_augmentation()
    };
    let once = augment(&before, &aug).unwrap();
    let twice = augment(&once, &aug).unwrap();
    assert_eq!(twice, once, "everything already present");
    let v = SignedDataView::parse(&once).unwrap();
    let mut certs: Vec<&[u8]> = raws(&v.certificates);
    certs.dedup();
    assert_eq!(certs.len(), v.certificates.len());
    assert_eq!(
        v.crls.iter().filter(|t| t.tag == tag::context(1)).count(),
        1
    );
}

#[test]
fn fields_receiving_nothing_new_keep_their_bytes_even_unsorted() {
    let before = fixture();
    assert_eq!(augment(&before, &Augmentation::default()).unwrap(), before);
    assert!(Augmentation::default().is_empty());
    // Only duplicates: still byte-identical, including the unsorted certificate order.
    let dups = Augmentation {
        certificates: vec![cert(3), cert(9)],
        crls: vec![crl(5)],
        ..Augmentation::default()
    };
    assert!(!dups.is_empty());
    assert_eq!(augment(&before, &dups).unwrap(), before);
    // A new CRL re-encodes only the crls field: the unsorted certificates stay as they were.
    let one_crl = Augmentation {
        crls: vec![crl(1)],
        ..Augmentation::default()
    };
    let after = augment(&before, &one_crl).unwrap();
    let (b, a) = (
        SignedDataView::parse(&before).unwrap(),
        SignedDataView::parse(&after).unwrap(),
    );
    assert_eq!(
        a.certificates_field.unwrap().raw,
        b.certificates_field.unwrap().raw
    );
    assert_eq!(
        raws(&a.certificates),
        vec![cert(9).as_slice(), cert(3).as_slice()]
    );
    assert_eq!(raws(&a.crls), vec![crl(1).as_slice(), crl(5).as_slice()]);
    assert_eq!(a.version, 1, "no OCSP: version kept");
    assert_eq!(a.signer_infos_field.raw, b.signer_infos_field.raw);
    assert_preserved(&before, &after, &one_crl);
}

#[test]
fn ocsp_changes_only_the_version_integer_to_5() {
    let before = cms(&[cert(1)], &[], &[signer_info(1, &[])]);
    let aug = Augmentation {
        ocsp_responses: vec![ocsp(7)],
        ..Augmentation::default()
    };
    let after = augment(&before, &aug).unwrap();
    assert_preserved(&before, &after, &aug);
    let (b, a) = (
        SignedDataView::parse(&before).unwrap(),
        SignedDataView::parse(&after).unwrap(),
    );
    assert_eq!((b.version, a.version), (1, 5));
    let first = |v: &SignedDataView<'_>| v.signed_data.reader().read().unwrap().raw.to_vec();
    assert_eq!(first(&a), vec![tag::INTEGER, 1, 5]);
    // Everything after the version INTEGER but the new crls field is the same bytes.
    let rest = |v: &SignedDataView<'_>| -> Vec<Vec<u8>> {
        let mut r = v.signed_data.reader();
        r.read().unwrap();
        r.all()
            .unwrap()
            .iter()
            .filter(|t| t.tag != tag::context(1))
            .map(|t| t.raw.to_vec())
            .collect()
    };
    assert_eq!(rest(&a), rest(&b));
    assert_eq!(
        raws(&a.crls),
        vec![other_revocation_info(&ocsp(7)).as_slice()]
    );
    // A version-5 input stays 5; adding a CRL to it keeps 5 (the `other` is still there).
    let more = augment(
        &after,
        &Augmentation {
            crls: vec![crl(2)],
            ..Augmentation::default()
        },
    )
    .unwrap();
    assert_eq!(SignedDataView::parse(&more).unwrap().version, 5);
    // An `other` already present under version 1: only the version byte changes.
    let inconsistent = cms(
        &[],
        &[other_revocation_info(&ocsp(7))],
        &[signer_info(1, &[])],
    );
    let fixed = augment(&inconsistent, &Augmentation::default()).unwrap();
    assert_eq!(fixed.len(), inconsistent.len());
    let diff: Vec<usize> = (0..fixed.len())
        .filter(|&i| fixed[i] != inconsistent[i])
        .collect();
    assert_eq!(diff.len(), 1);
    assert_eq!((inconsistent[diff[0]], fixed[diff[0]]), (1, 5));
    assert_eq!(SignedDataView::parse(&fixed).unwrap().version, 5);
}

#[test]
fn absent_fields_are_created_in_their_place() {
    let before = cms(&[], &[], &[signer_info(1, &[])]);
    let b = SignedDataView::parse(&before).unwrap();
    assert!(b.certificates_field.is_none() && b.crls_field.is_none());
    assert!(b.signer_infos[0].unsigned_attrs.is_none());
    let aug = Augmentation {
        certificates: vec![cert(2), cert(1)],
        crls: vec![crl(1)],
        ocsp_responses: vec![ocsp(3)],
        unsigned_attrs: vec![(0, vec![attr(5), attr(1)])],
    };
    let after = augment(&before, &aug).unwrap();
    assert_preserved(&before, &after, &aug);
    let a = SignedDataView::parse(&after).unwrap();
    let tags: Vec<u8> = a
        .signed_data
        .reader()
        .all()
        .unwrap()
        .iter()
        .map(|t| t.tag)
        .collect();
    assert_eq!(
        tags,
        [
            tag::INTEGER,
            tag::SET,
            tag::SEQUENCE,
            tag::context(0),
            tag::context(1),
            tag::SET
        ]
    );
    assert_eq!(
        raws(&a.certificates),
        vec![cert(1).as_slice(), cert(2).as_slice()]
    );
    let u = a.signer_infos[0].unsigned_attrs.as_ref().unwrap();
    assert_eq!(u.raw[0], tag::context(1));
    let list: Vec<&[u8]> = u.list.iter().map(|x| x.raw).collect();
    assert_eq!(
        list,
        vec![attr(5).as_slice(), attr(1).as_slice()],
        "given order, not sorted"
    );
    assert_eq!(verify_signatures(&after), 1);
}

#[test]
fn add_unsigned_attrs_appends_to_one_signer_info() {
    let si = signer_info(4, &[attr(9)]);
    let out = add_unsigned_attrs(&si, &[&attr(1), &attr(1)]).unwrap();
    let before_fields = parse_one(&si).unwrap().reader().all().unwrap();
    let after_fields = parse_one(&out).unwrap().reader().all().unwrap();
    assert_eq!(raws(&after_fields[..6]), raws(&before_fields[..6]));
    assert_eq!(
        after_fields[6].raw,
        tlv(tag::context(1), &[&attr(9), &attr(1), &attr(1)]),
        "appended after the existing one, repeats kept"
    );
    assert_eq!(add_unsigned_attrs(&si, &[]).unwrap(), si);
    let fresh = signer_info(5, &[]);
    let out = add_unsigned_attrs(&fresh, &[&attr(3)]).unwrap();
    assert_eq!(
        &out[out.len() - attr(3).len() - 2..out.len() - attr(3).len()],
        &[0xa1, attr(3).len() as u8]
    );
    assert!(out.ends_with(&attr(3)));
}

#[test]
fn errors_are_typed() {
    let before = fixture();
    let only = |aug: Augmentation| augment(&before, &aug).unwrap_err();
    assert_eq!(
        only(Augmentation {
            unsigned_attrs: vec![(2, vec![attr(1)])],
            ..Augmentation::default()
        }),
        CmsError::Augment(AugmentError::NoSuchSignerInfo { index: 2, count: 2 })
    );
    let bad = |e: CmsError| match e {
        CmsError::Augment(AugmentError::BadElement { kind, index, .. }) => (kind, index),
        other => panic!("expected BadElement, got {other:?}"),
    };
    assert_eq!(
        bad(only(Augmentation {
            certificates: vec![cert(1), vec![0x02, 1, 1]],
            ..Augmentation::default()
        })),
        (ElementKind::Certificate, 1)
    );
    assert_eq!(
        bad(only(Augmentation {
            crls: vec![ocsp(1)],
            ..Augmentation::default()
        })),
        (ElementKind::Crl, 0)
    );
    // A BasicOCSPResponse (SEQUENCE first) where RFC 5940 wants the OCSPResponse.
    assert_eq!(
        bad(only(Augmentation {
            ocsp_responses: vec![cert(1)],
            ..Augmentation::default()
        })),
        (ElementKind::OcspResponse, 0)
    );
    let mut trailing = attr(1);
    trailing.push(0);
    assert_eq!(
        bad(only(Augmentation {
            unsigned_attrs: vec![(1, vec![attr(2), trailing])],
            ..Augmentation::default()
        })),
        (ElementKind::UnsignedAttribute { signer: 1 }, 1)
    );
    let bad_oid = tlv(tag::SEQUENCE, &[&[tag::OID, 1, 0x80], &[tag::SET, 0]]);
    assert!(matches!(
        only(Augmentation {
            unsigned_attrs: vec![(0, vec![bad_oid])],
            ..Augmentation::default()
        }),
        CmsError::Augment(AugmentError::BadAttributeType { index: 0, .. })
    ));

    // Not SignedData: an id-data ContentInfo.
    let data = tlv(
        tag::SEQUENCE,
        &[
            &oid_der(oid::ID_DATA),
            &tlv(tag::context(0), &[&tlv(tag::OCTET_STRING, &[DOC])]),
        ],
    );
    assert_eq!(
        augment(&data, &Augmentation::default()).unwrap_err(),
        CmsError::NotSignedData(oid::ID_DATA.to_string())
    );
    let mut trailing = before.clone();
    trailing.push(0);
    assert_eq!(
        augment(&trailing, &full_augmentation()).unwrap_err(),
        CmsError::Der(SpanError::TrailingData(1))
    );
    assert!(add_unsigned_attrs(&cert(1), &[&attr(1)]).is_err());
    assert!(add_unsigned_attrs(&signer_info(1, &[]), &[&cert(1)]).is_err());
}

#[test]
fn hostile_input_errors_without_panicking() {
    let small = cms(&[cert(1)], &[crl(1)], &[signer_info(1, &[attr(1)])]);
    let aug = full_augmentation();
    let aug0 = Augmentation {
        unsigned_attrs: vec![(0, vec![attr(2)])],
        ..full_augmentation()
    };
    for n in 0..small.len() {
        assert!(augment(&small[..n], &aug0).is_err(), "truncated to {n}");
        assert!(
            augment(&small[..n], &Augmentation::default()).is_err(),
            "truncated to {n}"
        );
    }
    // Every single-byte corruption: an error or a result that still parses, never a panic.
    let mut ok = 0;
    for i in 0..small.len() {
        for x in [0x00, 0x80, 0xff] {
            let mut m = small.clone();
            m[i] ^= x | 1;
            if let Ok(out) = augment(&m, &aug0) {
                SignedDataView::parse(&out).unwrap();
                ok += 1;
            }
        }
    }
    assert!(ok > 0, "corruptions inside opaque values still augment");
    assert!(
        augment(&small, &aug).is_err(),
        "index 1 does not exist here"
    );
    let si = signer_info(1, &[attr(1)]);
    for n in 0..si.len() {
        assert!(
            add_unsigned_attrs(&si[..n], &[&attr(2)]).is_err(),
            "truncated to {n}"
        );
    }
    let a = attr(2);
    for n in 0..a.len() {
        assert!(
            add_unsigned_attrs(&si, &[&a[..n]]).is_err(),
            "attribute truncated to {n}"
        );
    }
}
