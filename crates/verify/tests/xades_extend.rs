//! XAdES extension (`lt::extend_xml`, EN 319 132-1): the real e-prescription (B-LT) →
//! B-LTA → renewed, and a signxml XAdES B-B → B-LT → B-LTA → renewed, with a TSA and the
//! test PKI's revocation service on 127.0.0.1. Each result verifies offline at its level,
//! keeps every input byte in place (only one run of text inserted), and signxml still
//! verifies the signxml signature; a corrupted archive time-stamp token fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kenpo_testpki::TestPki;
use kenpo_testpki::service::RevocationService;
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::lt::{ExtendError, ExtendOptions, Target, extend_xml};
use kenpo_verify::validate::{Verifier, VerifyOptions};
use kenpo_verify::{Indication, Report};

struct World {
    pki: TestPki,
    service: RevocationService,
    tsa: String,
    dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let (pki, service) = common::served_pki();
        let tsa = common::serve_tsa(&pki, "tsa");
        let dir = tempfile::tempdir().unwrap();
        pki.write_to(dir.path()).unwrap();
        World {
            pki,
            service,
            tsa,
            dir,
        }
    })
}

fn hpki_real() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hpki-real");
    if d.exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("{} missing (CI is set)", d.display());
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

/// The test PKI's roots, and the real sample's MHLW root and TSA CA when given.
fn anchors(real: Option<&Path>) -> Vec<Vec<u8>> {
    let w = world();
    let mut a: Vec<Vec<u8>> = ["root-ca", "tsa-ca"]
        .iter()
        .map(|n| w.pki.entity(n).unwrap().cert_der.clone())
        .collect();
    if let Some(d) = real {
        for f in ["mhlw-hpki-root-ca-v2.cer", "eprescription-tsa-ca.cer"] {
            a.push(std::fs::read(d.join(f)).unwrap());
        }
    }
    a
}

/// Extension options: the test TSA, fetches only from the local revocation service.
fn options(to: Target, real: Option<&Path>) -> ExtendOptions {
    let w = world();
    let mut o = ExtendOptions::new(to, Some(ClientConfig::new([w.tsa.clone()])), anchors(real));
    o.cert_store = vec![w.pki.entity("hpki-sign-ca").unwrap().cert_der.clone()];
    let origin = w.service.base_url().replace("http://", "");
    let origin = origin.trim_end_matches('/');
    o.fetch_allow = vec![origin.parse().unwrap()];
    o
}

/// Our verification, offline: only what the document carries.
fn verify_offline(xml: &[u8], real: Option<&Path>) -> Report {
    let mut o = VerifyOptions::default();
    o.anchors = anchors(real);
    o.offline = true;
    Verifier::new(o).verify_xml(xml, &[]).unwrap()
}

fn explain(r: &Report) -> String {
    common::verdicts::explain(r)
}

/// `after` is `before` with one run of bytes inserted: removing it gives `before` back.
fn assert_only_inserted(before: &[u8], after: &[u8]) {
    let head = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let added = after.len() - before.len();
    let mut back = after.to_vec();
    back.drain(head..head + added);
    assert!(back == before, "bytes other than one inserted run changed");
    let inserted = String::from_utf8_lossy(&after[head..head + added]);
    assert!(inserted.contains('<'), "{inserted}");
}

fn assert_level(xml: &[u8], real: Option<&Path>, level: &str) -> Report {
    let r = verify_offline(xml, real);
    assert_eq!(
        (r.indication, r.signatures[0].level),
        (Indication::TotalPassed, level),
        "{}",
        explain(&r)
    );
    r
}

/// Flips one octet inside the base64 of the last ArchiveTimeStamp's token.
fn corrupt_last_archive_token(xml: &[u8]) -> Vec<u8> {
    let s = String::from_utf8(xml.to_vec()).unwrap();
    let at = s.rfind("ArchiveTimeStamp ").unwrap();
    let enc = at + s[at..].find("EncapsulatedTimeStamp>").unwrap() + "EncapsulatedTimeStamp>".len();
    // The middle of the token: its signature or signed attributes, not its length octets.
    let end = enc + s[enc..].find('<').unwrap();
    let pos = enc + (end - enc) * 3 / 4;
    let mut out = xml.to_vec();
    out[pos] = if out[pos] == b'A' { b'B' } else { b'A' };
    out
}

/// B-LTA → renewed; every result checked. Returns the renewed document.
fn lta_and_renewal(input: &[u8], real: Option<&Path>) -> Vec<u8> {
    let lta = extend_xml(input, &[], &options(Target::BLta, real)).unwrap();
    assert_eq!(lta.level, "B-LTA");
    assert!(lta.archive_time_stamp.is_some());
    assert!(lta.notes.is_empty(), "{:?}", lta.notes);
    assert_only_inserted(input, &lta.xml);
    let r = assert_level(&lta.xml, real, "B-LTA");
    let archives = |r: &Report| {
        r.signatures[0]
            .timestamps
            .iter()
            .filter(|t| t.kind == "archive" && t.valid)
            .count()
    };
    assert_eq!(archives(&r), 1, "{}", explain(&r));
    let text = String::from_utf8_lossy(&lta.xml);
    assert!(text.contains("http://uri.etsi.org/01903/v1.4.1#"));

    // b-lt on a B-LTA is refused.
    let e = extend_xml(&lta.xml, &[], &options(Target::BLt, real)).unwrap_err();
    assert!(matches!(e, ExtendError::AlreadyArchived), "{e}");

    // A corrupted archive time-stamp token: no longer B-LTA with TOTAL_PASSED.
    let bad = corrupt_last_archive_token(&lta.xml);
    let r = verify_offline(&bad, real);
    assert!(
        r.indication != Indication::TotalPassed || r.signatures[0].level != "B-LTA",
        "{}",
        explain(&r)
    );
    let e = extend_xml(&bad, &[], &options(Target::BLta, real)).unwrap_err();
    assert!(e.is_refusal(), "{e}");

    // Renewal: the last archive time-stamp's validation data, then a new one.
    let renewed = extend_xml(&lta.xml, &[], &options(Target::BLta, real)).unwrap();
    assert_only_inserted(&lta.xml, &renewed.xml);
    assert_only_inserted(input, &renewed.xml);
    let r = assert_level(&renewed.xml, real, "B-LTA");
    assert_eq!(archives(&r), 2, "{}", explain(&r));
    let text = String::from_utf8_lossy(&renewed.xml);
    assert!(
        text.matches("TimeStampValidationData").count()
            > String::from_utf8_lossy(&lta.xml)
                .matches("TimeStampValidationData")
                .count(),
        "renewal adds TimeStampValidationData"
    );
    renewed.xml
}

#[test]
fn the_real_e_prescription_becomes_b_lta_and_is_renewed() {
    let Some(d) = hpki_real() else { return };
    let input = std::fs::read(d.join("eprescription-xades-a-sample.xml")).unwrap();
    assert_level(&input, Some(&d), "B-LT");
    // Already B-LT: b-lt adds nothing and changes nothing.
    let lt = extend_xml(&input, &[], &options(Target::BLt, Some(&d))).unwrap();
    assert_eq!(lt.xml, input);
    lta_and_renewal(&input, Some(&d));
}

fn signxml_bb(py: &str) -> Vec<u8> {
    let w = world();
    let out = w.dir.path().join("signxml-bb.xml");
    let o = std::process::Command::new(py)
        .arg(common::peers::script("signxml_xades.py"))
        .arg("sign")
        .arg(w.dir.path().join("hpki-signer.key.pem"))
        .arg(w.dir.path().join("hpki-signer.pem"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "signxml: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read(out).unwrap()
}

fn signxml_verifies(py: &str, xml: &[u8], name: &str) {
    let w = world();
    let f = w.dir.path().join(name);
    std::fs::write(&f, xml).unwrap();
    let o = std::process::Command::new(py)
        .arg(common::peers::script("signxml_xades.py"))
        .arg("verify")
        .arg(&f)
        .arg(w.dir.path().join("hpki-signer.pem"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "signxml does not verify {name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_signxml_xades_b_b_becomes_b_lt_then_b_lta_and_is_renewed() {
    let Some(py) = common::peers::peer_python("signxml") else {
        return;
    };
    let bb = signxml_bb(&py);
    signxml_verifies(&py, &bb, "b-b.xml");
    let lt = extend_xml(&bb, &[], &options(Target::BLt, None)).unwrap();
    assert_eq!(lt.level, "B-LT");
    assert!(lt.signature_time_stamp.is_some());
    assert!(lt.added_certificates >= 3 && lt.added_crls + lt.added_ocsp_responses >= 2);
    assert_only_inserted(&bb, &lt.xml);
    assert_level(&lt.xml, None, "B-LT");
    signxml_verifies(&py, &lt.xml, "b-lt.xml");
    let text = String::from_utf8_lossy(&lt.xml);
    assert!(text.contains("CertificateValues") && text.contains("RevocationValues"));

    let renewed = lta_and_renewal(&lt.xml, None);
    assert_only_inserted(&bb, &renewed);
    signxml_verifies(&py, &renewed, "renewed.xml");
}

#[test]
fn a_signature_that_fails_is_not_extended() {
    let Some(d) = hpki_real() else { return };
    let input = std::fs::read_to_string(d.join("eprescription-xades-a-sample.xml")).unwrap();
    let changed = input.replacen(
        "id=\"PrescriptionDocument\">U",
        "id=\"PrescriptionDocument\">V",
        1,
    );
    assert_ne!(changed, input);
    let e = extend_xml(changed.as_bytes(), &[], &options(Target::BLta, Some(&d))).unwrap_err();
    assert!(matches!(e, ExtendError::NotValid { .. }), "{e}");
    assert!(
        e.to_string().contains("HASH_FAILURE") || e.to_string().contains("digest"),
        "{e}"
    );
}
