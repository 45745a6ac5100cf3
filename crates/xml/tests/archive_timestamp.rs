//! ArchiveTimeStamp coverage (XAdES 1.4.1 and 1.3.2) on DSS samples: the octets
//! `archive_timestamp_octets_to` gives hash to the token's message imprint exactly where
//! DSS finds the archive time-stamp intact.

use std::path::Path;

use kenpo_xml::{Document, Limits, NoContent};
use sha2::{Digest, Sha256, Sha512};

fn imprint_found(file: &str) -> Option<bool> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-xades");
    let Ok(bytes) = std::fs::read(dir.join(file)) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "DSS XAdES corpus missing (required under CI)"
        );
        eprintln!("SKIP: {file} not found");
        return None;
    };
    let limits = Limits::default();
    let doc = Document::parse(&bytes, &limits).ok()?;
    let sig = doc.read_signature(doc.signatures()[0]).ok()?;
    let qp = doc.qualifying_properties(&sig).ok()??;
    let ts = qp.archive_timestamps.last()?;
    let mut octets = Vec::new();
    doc.archive_timestamp_octets_to(&sig, ts, &NoContent, &limits, &mut octets)
        .ok()?;
    let token = &ts.tokens[0];
    let (a, b) = (
        Sha256::digest(&octets).to_vec(),
        Sha512::digest(&octets).to_vec(),
    );
    Some(token.windows(32).any(|w| w == a) || token.windows(64).any(|w| w == b))
}

#[test]
fn archive_time_stamps_cover_what_dss_says() {
    for (file, intact) in [
        ("xades-lta-valid.xml", true),
        ("dss3732/xades-enveloped-arcTst132.xml", true),
        ("dss3732/xades-enveloping-arcTst132.xml", true),
        // A ds:Object added after archiving; a time-stamp copied from another signature.
        ("dss3732/xades-enveloping-arcTst132-add-object.xml", false),
        ("xades-lta-copied-atst.xml", false),
    ] {
        if let Some(found) = imprint_found(file) {
            assert_eq!(found, intact, "{file}");
        }
    }
}

fn content_imprint_found(file: &str) -> Option<bool> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-xades");
    let Ok(bytes) = std::fs::read(dir.join(file)) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "DSS XAdES corpus missing (required under CI)"
        );
        return None;
    };
    let limits = Limits::default();
    let bytes = kenpo_xml::to_utf8(&bytes).ok()?.into_owned();
    let doc = Document::parse(&bytes, &limits).ok()?;
    let sig = doc.read_signature(doc.signatures()[0]).ok()?;
    let qp = doc.qualifying_properties(&sig).ok()??;
    let ts = qp.all_data_objects_timestamps.first()?;
    let mut octets = Vec::new();
    doc.all_data_objects_octets_to(&sig, &qp, &NoContent, &limits, &mut octets)
        .ok()?;
    let (a, b) = (
        Sha256::digest(&octets).to_vec(),
        Sha512::digest(&octets).to_vec(),
    );
    Some(ts.tokens[0].windows(32).any(|w| w == a) || ts.tokens[0].windows(64).any(|w| w == b))
}

#[test]
fn all_data_objects_time_stamps_cover_every_reference_but_the_signed_properties() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dss-xades");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "DSS XAdES corpus missing (required under CI)"
        );
        return;
    }
    for file in [
        "Signature-X-UK_ASC-2.xml",
        "dss1987/data2sign-signed-xades-enveloped-baseline-cts-lta.xml",
    ] {
        assert_eq!(content_imprint_found(file), Some(true), "{file}");
    }
}
