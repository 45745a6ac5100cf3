//! The real e-prescription XAdES sample (`shared/hpki-real/eprescription-xades-a-sample.xml`):
//! its structure reads, every reference's octets hash to the DigestValue, the
//! SignatureTimeStamp's imprint is the SHA-256 of the canonicalised SignatureValue, and the
//! embedded validation data is found.

use std::path::{Path, PathBuf};

use kenpo_xml::{Document, Limits, NoContent, XADES_NS};
use sha2::{Digest, Sha256};

fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

fn sample() -> Option<Vec<u8>> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/hpki-real/eprescription-xades-a-sample.xml");
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "sample missing at {} (required under CI)",
                path.display()
            );
            eprintln!("SKIP: {} not found", path.display());
            None
        }
    }
}

#[test]
fn references_signature_timestamp_and_validation_data() -> Result<(), Box<dyn std::error::Error>> {
    let Some(bytes) = sample() else { return Ok(()) };
    let limits = Limits::default();
    let doc = Document::parse(&bytes, &limits)?;
    let sigs = doc.signatures();
    assert_eq!(sigs.len(), 1);
    let sig = doc.read_signature(sigs[0])?;
    assert_eq!(sig.id.as_deref(), Some("PrescriptionSign"));
    assert_eq!(
        sig.signature_method,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    );
    assert_eq!(sig.references.len(), 3);
    assert_eq!(sig.certificates.len(), 1);
    assert_eq!(sig.signature_value.len(), 256);
    for r in &sig.references {
        let octets = doc.reference_octets(sig.node, r, &NoContent, &limits)?;
        assert_eq!(
            sha256(&octets).as_slice(),
            r.digest_value.as_slice(),
            "reference {:?}",
            r.uri
        );
    }
    let signed_info = doc.signed_info_octets(&sig)?;
    assert!(
        signed_info.starts_with(b"<xs:SignedInfo xmlns:xs=\"http://www.w3.org/2000/09/xmldsig#\"")
    );

    let qp = doc
        .qualifying_properties(&sig)?
        .ok_or("no QualifyingProperties")?;
    assert_eq!(qp.namespace, XADES_NS);
    assert!(qp.signing_time.is_some());
    assert_eq!(qp.signing_certificate_v2.len(), 1);
    assert_eq!(
        qp.signing_certificate_v2[0].digest_value.as_slice(),
        sha256(&sig.certificates[0]).as_slice(),
        "SigningCertificateV2 binds the KeyInfo certificate"
    );
    assert_eq!(qp.signature_timestamps.len(), 1);
    let ts = &qp.signature_timestamps[0];
    assert_eq!(ts.tokens.len(), 1);
    let imprint = sha256(&doc.signature_timestamp_octets(&sig, ts)?);
    assert!(
        ts.tokens[0].windows(32).any(|w| w == imprint.as_slice()),
        "imprint over the canonicalised SignatureValue"
    );
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hpki-real");
    assert_eq!(
        ts.tokens[0],
        std::fs::read(shared.join("eprescription-signature-tst.der"))?
    );
    assert_eq!(qp.certificate_values.certificates.len(), 2);
    assert_eq!(qp.revocation_values.crls.len(), 2);
    assert!(
        qp.revocation_values
            .crls
            .contains(&std::fs::read(shared.join("medis-sign-ca2-2022-09.crl"))?)
    );
    assert_eq!(qp.timestamp_validation_data.certificates.len(), 2);
    assert_eq!(qp.timestamp_validation_data.crls.len(), 1);
    assert!(qp.archive_timestamps.is_empty());
    Ok(())
}

#[test]
fn a_tampered_prescription_changes_the_reference_octets() -> Result<(), Box<dyn std::error::Error>>
{
    let Some(bytes) = sample() else { return Ok(()) };
    let text = String::from_utf8(bytes)?.replacen(
        "<PrescriptionDocument id=\"PrescriptionDocument\">U",
        "<PrescriptionDocument id=\"PrescriptionDocument\">V",
        1,
    );
    let limits = Limits::default();
    let doc = Document::parse(text.as_bytes(), &limits)?;
    let sig = doc.read_signature(doc.signatures()[0])?;
    let octets = doc.reference_octets(sig.node, &sig.references[0], &NoContent, &limits)?;
    assert_ne!(
        sha256(&octets).as_slice(),
        sig.references[0].digest_value.as_slice()
    );
    Ok(())
}
