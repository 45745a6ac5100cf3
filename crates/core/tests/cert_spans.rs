//! The partial certificate readers (`CertRef::spki_of`, `CertRef::subject_of`,
//! `CertRef::issuer_and_serial`) agree with the full span parse on real certificates, and
//! fail on truncated ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kenpo_core::cert::{CertRef, certificates_from_pem_or_der};
use kenpo_core::cert_cache::{CertCache, MAX_KEPT_LEN};

/// Every certificate file of `../shared/hpki-real` (required under CI).
fn real_certificates() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hpki-real");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} missing (required under CI)",
            dir.display()
        );
        eprintln!("skipped: {} missing", dir.display());
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries {
        let p = e.unwrap().path();
        if p.extension()
            .is_some_and(|x| x == "cer" || x == "crt" || x == "pem")
        {
            out.extend(certificates_from_pem_or_der(&std::fs::read(&p).unwrap()).unwrap());
        }
    }
    out
}

#[test]
fn partial_readers_agree_with_the_full_parse() {
    let certs = real_certificates();
    if certs.is_empty() {
        return;
    }
    assert!(certs.len() >= 5, "only {} certificates found", certs.len());
    for der in &certs {
        let full = CertRef::parse(der).unwrap();
        assert_eq!(CertRef::spki_of(der).unwrap(), full.spki);
        assert_eq!(CertRef::subject_of(der).unwrap(), full.subject);
        assert_eq!(
            CertRef::issuer_and_serial(der).unwrap(),
            (full.issuer, full.serial)
        );
        for cut in [1, der.len() / 2, der.len() - 1] {
            assert!(CertRef::spki_of(&der[..cut]).is_err(), "cut at {cut}");
            assert!(CertRef::subject_of(&der[..cut]).is_err(), "cut at {cut}");
        }
    }
}

#[test]
fn a_shared_certificate_reads_as_the_parsed_one() {
    let certs = real_certificates();
    let cache = CertCache::new();
    for der in &certs {
        let direct = CertRef::parse(der).unwrap();
        let s = cache.cert(der).unwrap();
        let c = s.cert();
        assert_eq!(s.der(), der.as_slice());
        assert_eq!(
            (c.tbs, c.serial_tlv, c.serial, c.issuer, c.subject, c.spki),
            (
                direct.tbs,
                direct.serial_tlv,
                direct.serial,
                direct.issuer,
                direct.subject,
                direct.spki
            )
        );
        assert_eq!(
            (c.not_before, c.not_after),
            (direct.not_before, direct.not_after)
        );
        assert_eq!(c.signature_algorithm, direct.signature_algorithm);
        assert_eq!(c.signature, direct.signature);
        assert_eq!(c.extensions, direct.extensions);
        // The spans point into the shared copy, not into the caller's buffer.
        assert!(std::ptr::eq(c.raw, s.der()));
        assert!(!std::ptr::eq(c.raw, der.as_slice()));
    }
}

#[test]
fn the_cache_hands_out_one_parse_per_encoding() {
    let certs = real_certificates();
    let cache = CertCache::new();
    let shared = |der: &[u8]| cache.cert(der);
    for der in &certs {
        let a = shared(der).unwrap();
        let b = shared(&der.clone()).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        // Another encoding of the same length and tail is another certificate (or none).
        let mut other = der.clone();
        let i = other.len() / 2;
        other[i] ^= 0x01;
        if let Ok(o) = shared(&other) {
            assert!(!Arc::ptr_eq(&a, &o));
            assert_eq!(o.der(), other.as_slice());
        }
    }
}

#[test]
fn oversized_encodings_are_parsed_but_not_kept() {
    let certs = real_certificates();
    let Some(der) = certs.first() else {
        return;
    };
    // The same certificate with a long extra extension is still one certificate (its
    // signature no longer verifies, which parsing does not look at).
    let cache = CertCache::new();
    let shared = |der: &[u8]| cache.cert(der);
    let padded = with_padding_extension(der, MAX_KEPT_LEN);
    assert!(padded.len() > MAX_KEPT_LEN);
    let a = shared(&padded).unwrap();
    let b = shared(&padded).unwrap();
    assert!(!Arc::ptr_eq(&a, &b));
    assert_eq!(a.cert().extensions, b.cert().extensions);
    assert_eq!(a.der(), padded.as_slice());
}

/// `der` with one more non-critical extension whose value is `n` zero octets.
fn with_padding_extension(der: &[u8], n: usize) -> Vec<u8> {
    use der::{Decode, Encode};
    let mut cert = x509_cert::Certificate::from_der(der).unwrap();
    let value = der::asn1::OctetString::new(vec![0u8; n]).unwrap();
    let ext = x509_cert::ext::Extension {
        extn_id: const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
        critical: false,
        extn_value: value,
    };
    cert.tbs_certificate
        .extensions
        .get_or_insert_with(Vec::new)
        .push(ext);
    cert.to_der().unwrap()
}
