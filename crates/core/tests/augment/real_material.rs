//! Real material: an HPKI e-prescription time-stamp token and the EU DSS CAdES corpus
//! keep every byte under augmentation (skipped without `../shared`, failing under CI).

use kenpo_core::alg::SignatureAlgorithm;
use kenpo_core::cert::CertRef;
use kenpo_core::cms::augment::add_unsigned_attrs;
use kenpo_core::cms::{Augmentation, SignedDataView, augment};
use kenpo_core::crypto::default_backend;
use kenpo_core::oid;

use crate::fixtures::{assert_preserved, attr, cert, crl, files_under, ocsp, shared};

#[test]
fn hpki_time_stamp_token_gets_an_unsigned_attribute() {
    let Some(dir) = shared("hpki-real", "eprescription-signature-tst.der") else {
        return;
    };
    let token = std::fs::read(dir.join("eprescription-signature-tst.der")).unwrap();
    let tsa_cert = std::fs::read(dir.join("eprescription-tsa-ee.cer")).unwrap();
    let aug = Augmentation {
        unsigned_attrs: vec![(0, vec![attr(1)])],
        ..Augmentation::default()
    };
    let after = augment(&token, &aug).unwrap();
    assert_preserved(&token, &after, &aug);
    let (b, a) = (
        SignedDataView::parse(&token).unwrap(),
        SignedDataView::parse(&after).unwrap(),
    );
    assert_eq!(a.econtent_type, oid::ID_CT_TST_INFO);
    assert_eq!(a.econtent, b.econtent, "TSTInfo octets unchanged");
    // Same result through add_unsigned_attrs on the SignerInfo alone.
    let si = add_unsigned_attrs(b.signer_infos[0].raw, &[&attr(1)]).unwrap();
    assert_eq!(a.signer_infos[0].raw, si.as_slice());
    // The TSA's signature still verifies over the untouched signed attributes.
    let cert = CertRef::parse(&tsa_cert).unwrap();
    let si = &a.signer_infos[0];
    let alg = SignatureAlgorithm::from_algorithm_identifier(
        &si.signature_algorithm,
        Some(si.digest_alg().unwrap()),
    )
    .unwrap();
    let digest = si
        .signed_attrs
        .as_ref()
        .unwrap()
        .digest_as_set(alg.digest());
    default_backend()
        .verify_digest(cert.spki, alg, &digest, si.signature)
        .unwrap();
}

#[test]
fn dss_corpus_signatures_keep_every_byte() {
    let Some(dir) = shared("conformance/dss-cades", "README.md") else {
        return;
    };
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    files.sort();
    let mut augmented = 0;
    for f in &files {
        let raw = std::fs::read(f).unwrap();
        let Ok(der) = kenpo_core::ber::to_der(&raw) else {
            continue;
        };
        let Ok(view) = SignedDataView::parse(&der) else {
            continue;
        };
        let aug = Augmentation {
            certificates: view
                .x509_certificates()
                .map(<[u8]>::to_vec)
                .chain([cert(1)])
                .collect(),
            crls: vec![crl(1)],
            ocsp_responses: vec![ocsp(1)],
            unsigned_attrs: if view.signer_infos.is_empty() {
                Vec::new()
            } else {
                vec![(0, vec![attr(1), attr(0)])]
            },
        };
        let after = augment(&der, &aug).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_preserved(&der, &after, &aug);
        let again = Augmentation {
            unsigned_attrs: Vec::new(),
            ..aug
        };
        assert_eq!(augment(&after, &again).unwrap(), after, "{}", f.display());
        augmented += 1;
    }
    eprintln!("augmented {augmented} of {} corpus files", files.len());
    assert!(augmented >= 50, "only {augmented} corpus signatures parsed");
}
