//! `kenpo_sign::pades::sign_pdf` (a PDF held in memory, for filing software) gives a PAdES
//! signature that `verify_pdf` passes, with the input kept as the output's prefix; a
//! changed byte of the signed part fails it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kenpo_core::crypto::default_backend;
use kenpo_sign::cades::SignOptions;
use kenpo_sign::pades::{PadesOptions, sign_pdf};
use kenpo_sign::signer::SoftwareSigner;
use kenpo_verify::validate::{Verifier, VerifyOptions, verify_pdf};
use kenpo_verify::{Indication, SubIndication};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n";

#[test]
fn a_pdf_signed_in_memory_verifies_and_keeps_its_input_in_place() {
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
    let e = pki.entity("hpki-signer").unwrap();
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let ca = pki.entity("hpki-sign-ca").unwrap().cert_der.clone();
    let signer = SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![ca]).unwrap();
    let opts = SignOptions::default().with_now(Some(pki.now()));
    let (signed, outcome) = sign_pdf(&signer, PDF, &opts, &PadesOptions::new()).unwrap();
    assert!(signed.len() > PDF.len() && signed.starts_with(PDF));
    assert_eq!(outcome.output_len, signed.len() as u64);

    let v = Verifier::new(
        VerifyOptions::default()
            .with_anchors(vec![pki.entity("root-ca").unwrap().cert_der.clone()])
            .with_crls(vec![
                pki.crl("hpki-sign-ca").unwrap().der.clone(),
                pki.crl("root-ca").unwrap().der.clone(),
            ])
            .with_offline(true)
            .with_at(Some(pki.now())),
    );
    let r = verify_pdf(&v, &signed).unwrap();
    assert_eq!(
        r.report.indication,
        Indication::TotalPassed,
        "{:?}",
        r.report
    );
    assert_eq!(r.report.signatures[0].format, "PAdES");
    assert!(r.signatures[0].covers_whole_file);

    // One byte of the page dictionary changed: the byte range no longer hashes.
    let mut bad = signed.clone();
    let at = PDF.windows(8).position(|w| w == b"MediaBox").unwrap();
    bad[at] = b'm';
    let r = verify_pdf(&v, &bad).unwrap();
    assert_eq!(r.report.indication, Indication::TotalFailed);
    assert_eq!(r.report.sub_indication, Some(SubIndication::HASH_FAILURE));
}
