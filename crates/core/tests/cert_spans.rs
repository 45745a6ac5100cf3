//! The partial certificate readers (`CertRef::spki_of`, `CertRef::subject_of`,
//! `CertRef::issuer_and_serial`) agree with the full span parse on real certificates, and
//! fail on truncated ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kenpo_core::cert::{CertRef, certificates_from_pem_or_der};

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
