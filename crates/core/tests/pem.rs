//! PEM input as other tools write it: any line width, CRLF, RFC 1421 headers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use kenpo_core::cert::{CertRef, certificates_from_pem_or_der};

fn shared(rel: &str) -> Option<Vec<u8>> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    match std::fs::read(&p) {
        Ok(b) => Some(b),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} missing (required under CI)",
                p.display()
            );
            eprintln!("skipped: {} missing", p.display());
            None
        }
    }
}

fn wrap(der: &[u8], width: usize, eol: &str, headers: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN CERTIFICATE-----{eol}{headers}");
    for chunk in b64.as_bytes().chunks(width) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push_str(eol);
    }
    s.push_str(&format!("-----END CERTIFICATE-----{eol}"));
    s.into_bytes()
}

#[test]
fn single_line_pem_of_another_tool_loads() {
    // EU DSS ships signCert.cer with all base64 on one line.
    let Some(pem) = shared("conformance/dss-cades/signCert.cer") else {
        return;
    };
    let certs = certificates_from_pem_or_der(&pem).unwrap();
    assert_eq!(certs.len(), 1);
    assert!(CertRef::parse(&certs[0]).is_ok());
}

#[test]
fn every_line_width_and_crlf_give_the_same_certificate() {
    let Some(pem) = shared("conformance/dss-cades/signCert.cer") else {
        return;
    };
    let der = certificates_from_pem_or_der(&pem).unwrap().remove(0);
    for (width, eol, headers) in [
        (64, "\n", ""),
        (76, "\r\n", ""),
        (72, "\n", ""),
        (40, "\r\n", "Proc-Type: 4,ENCRYPTED\r\n\r\n"),
    ] {
        let mut two = wrap(&der, width, eol, headers);
        two.extend(wrap(&der, width, eol, ""));
        let got = certificates_from_pem_or_der(&two).unwrap();
        assert_eq!(got, vec![der.clone(), der.clone()], "width {width}");
    }
    // Broken base64 is an error, not a panic.
    let mut bad = wrap(&der, 64, "\n", "");
    let i = bad.iter().position(|&b| b == b'\n').unwrap() + 5;
    bad[i] = b'*';
    assert!(certificates_from_pem_or_der(&bad).is_err());
}

/// Found by fuzzing (fuzz/regressions/cert/pem-begin-and-end-markers-overlap): the END
/// marker was searched from the start of the BEGIN marker, so dashes shared by both
/// (`-----BEGIN X--------END X-----`) made the body's end fall before its start, and
/// slicing panicked. Such text is an unterminated block, an error like any other.
#[test]
fn overlapping_begin_and_end_markers_are_an_error_not_a_panic() {
    for text in [
        &b"-----BEGIN CERTIFICATE--------END CERTIFICATE----------\n"[..],
        b"-----BEGIN CERTIFICATE-----END CERTIFICATE-----",
    ] {
        assert!(certificates_from_pem_or_der(text).is_err(), "{text:?}");
        assert!(kenpo_core::pem::blocks(text, "CERTIFICATE").is_err());
    }
    // An empty block right after the marker is still read (as nothing).
    let empty = kenpo_core::pem::blocks(
        b"-----BEGIN CERTIFICATE----------END CERTIFICATE-----",
        "CERTIFICATE",
    );
    assert_eq!(empty.map(|b| b.len()), Ok(1));
}
