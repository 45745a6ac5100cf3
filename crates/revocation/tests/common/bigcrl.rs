//! Builds large CRLs for tests and the benchmark (DER assembled by hand, signed with a
//! test PKI key), independent of the crate's parser.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use der::Encode;
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::default_backend;
use kenpo_core::der_span::{tag, tlv};
use kenpo_testpki::TestPki;
use time::{Duration, OffsetDateTime};

/// An extra entry: (serial contents, revocationDate, reason).
pub type Extra = (Vec<u8>, OffsetDateTime, Option<u8>);

/// UTCTime TLV.
pub fn utc_time(t: OffsetDateTime) -> Vec<u8> {
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    tlv(tag::UTC_TIME, &[s.as_bytes()])
}

/// Serial number of generated entry `i`: 5 octets, positive.
pub fn serial_of(i: usize) -> Vec<u8> {
    let i = i as u64;
    vec![
        0x11,
        (i >> 24) as u8,
        (i >> 16) as u8,
        (i >> 8) as u8,
        i as u8,
    ]
}

/// revocationDate of generated entry `i` relative to `base`.
pub fn date_of(base: OffsetDateTime, i: usize) -> OffsetDateTime {
    base - Duration::seconds(60 + i as i64)
}

/// Reason of generated entry `i`: keyCompromise for multiples of 3, none otherwise.
pub fn reason_of(i: usize) -> Option<u8> {
    i.is_multiple_of(3).then_some(1)
}

fn entry(serial: &[u8], date: OffsetDateTime, reason: Option<u8>) -> Vec<u8> {
    let serial = tlv(tag::INTEGER, &[serial]);
    let date = utc_time(date);
    match reason {
        None => tlv(tag::SEQUENCE, &[&serial, &date]),
        Some(r) => {
            let ext = tlv(
                tag::SEQUENCE,
                &[
                    &[0x06, 0x03, 0x55, 0x1d, 0x15],
                    &tlv(tag::OCTET_STRING, &[&[0x0a, 0x01, r]]),
                ],
            );
            tlv(
                tag::SEQUENCE,
                &[&serial, &date, &tlv(tag::SEQUENCE, &[&ext])],
            )
        }
    }
}

/// A v2 CRL of entity `issuer` with `n` generated entries plus `extra`, thisUpdate
/// `pki.now() - 1h`, nextUpdate `pki.now() + 7d`, signed with `signer`'s key.
pub fn build(pki: &TestPki, issuer: &str, signer: &str, n: usize, extra: &[Extra]) -> Vec<u8> {
    let now = pki.now();
    let issuer_cert = pki.entity(issuer).unwrap().cert_der.clone();
    let issuer_name = CertRef::parse(&issuer_cert).unwrap().subject.to_vec();
    let key = default_backend()
        .load_pkcs8(&pki.entity(signer).unwrap().key_pkcs8_der)
        .unwrap();
    let alg = key.default_algorithm();
    let alg_der = alg.algorithm_identifier().unwrap().to_der().unwrap();

    let mut list = Vec::with_capacity(n * 40);
    for i in 0..n {
        list.extend_from_slice(&entry(&serial_of(i), date_of(now, i), reason_of(i)));
    }
    for (s, d, r) in extra {
        list.extend_from_slice(&entry(s, *d, *r));
    }
    let crl_number = tlv(
        tag::SEQUENCE,
        &[
            &[0x06, 0x03, 0x55, 0x1d, 0x14],
            &tlv(tag::OCTET_STRING, &[&[0x02, 0x02, 0x01, 0x00]]),
        ],
    );
    let exts = tlv(tag::context(0), &[&tlv(tag::SEQUENCE, &[&crl_number])]);
    let tbs = tlv(
        tag::SEQUENCE,
        &[
            &[0x02, 0x01, 0x01],
            &alg_der,
            &issuer_name,
            &utc_time(now - Duration::hours(1)),
            &utc_time(now + Duration::days(7)),
            &tlv(tag::SEQUENCE, &[&list]),
            &exts,
        ],
    );
    let sig = key.sign_digest(alg, &alg.digest().digest(&tbs)).unwrap();
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    tlv(
        tag::SEQUENCE,
        &[&tbs, &alg_der, &tlv(tag::BIT_STRING, &[&bits])],
    )
}

/// An extension TLV: `SEQUENCE { OID, [critical], OCTET STRING value }`.
pub fn extension(oid: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let oid = tlv(tag::OID, &[oid]);
    let value = tlv(tag::OCTET_STRING, &[value]);
    if critical {
        tlv(tag::SEQUENCE, &[&oid, &[0x01, 0x01, 0xff], &value])
    } else {
        tlv(tag::SEQUENCE, &[&oid, &value])
    }
}

/// An empty v2 CRL of entity `issuer` with the given CRL extensions, signed by `issuer`.
pub fn with_extensions(pki: &TestPki, issuer: &str, exts: &[Vec<u8>]) -> Vec<u8> {
    let now = pki.now();
    let issuer_cert = pki.entity(issuer).unwrap().cert_der.clone();
    let issuer_name = CertRef::parse(&issuer_cert).unwrap().subject.to_vec();
    let key = default_backend()
        .load_pkcs8(&pki.entity(issuer).unwrap().key_pkcs8_der)
        .unwrap();
    let alg = key.default_algorithm();
    let alg_der = alg.algorithm_identifier().unwrap().to_der().unwrap();
    let refs: Vec<&[u8]> = exts.iter().map(Vec::as_slice).collect();
    let exts = tlv(tag::context(0), &[&tlv(tag::SEQUENCE, &refs)]);
    let tbs = tlv(
        tag::SEQUENCE,
        &[
            &[0x02, 0x01, 0x01],
            &alg_der,
            &issuer_name,
            &utc_time(now - Duration::hours(1)),
            &utc_time(now + Duration::days(7)),
            &exts,
        ],
    );
    let sig = key.sign_digest(alg, &alg.digest().digest(&tbs)).unwrap();
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    tlv(
        tag::SEQUENCE,
        &[&tbs, &alg_der, &tlv(tag::BIT_STRING, &[&bits])],
    )
}
