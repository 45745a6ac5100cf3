//! Verify-level revocation interop, online on 127.0.0.1: the signer's status comes (a) from
//! `openssl ocsp` named in the certificate's AIA, (b) from a CRL fetched from its CRL
//! distribution point — nothing is supplied as a file. Signatures by `kenpo_sign::cades`
//! (B-B, and B-T with a local TSA) and by `openssl cms -sign`. A good signer passes; a
//! revoked one (revoked 1 day ago, signing-time now) is TOTAL_FAILED/REVOKED
//! (EN 319 102-1: the claimed signing time is after the revocation).
//! The openssl parts are skipped without the openssl CLI, a failure under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::net::{Server, crl_and_tsa_handler, crl_paths, free_port, pki_signer, pki_with};
use common::openssl::{OcspResponder, cms_sign, openssl_available};
use kenpo_revocation::{Checker, RevocationCheck, RevocationStatus};
use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::{Level, Profile};
use kenpo_testpki::TestPki;
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::report::{Lang, Report};
use kenpo_verify::validate::{RevocationMode, VerifyRequest, verify_signature};
use kenpo_verify::{Indication, SubIndication};

const DOC: &[u8] = b"<claim>revocation interop</claim>";

/// The signatures of `signer`: kenpo B-B, kenpo B-T (TSA at `tsa_url`) and, when the CLI
/// is there, `openssl cms -sign -nodetach -cades`, all attached.
fn signatures(
    pki: &TestPki,
    signer: &str,
    tsa_url: &str,
    dir: &std::path::Path,
) -> Vec<(String, Vec<u8>)> {
    let s = pki_signer(pki, signer);
    let mut out = Vec::new();
    for level in [Level::BB, Level::BT] {
        let opts = SignOptions::default()
            .with_level(level)
            .with_attached(true)
            .with_profile(Profile::Any)
            .with_tsa((level == Level::BT).then(|| ClientConfig::new(vec![tsa_url.to_owned()])))
            .with_now(Some(pki.now()));
        out.push((
            format!("kenpo {level:?}"),
            sign_bytes(&s, DOC, &opts).unwrap().der,
        ));
    }
    if openssl_available() {
        let doc = dir.join("doc.xml");
        std::fs::write(&doc, DOC).unwrap();
        out.push((
            "openssl cms -cades".into(),
            cms_sign(dir, pki, signer, &doc, &["-nodetach", "-cades"]),
        ));
    }
    out
}

/// Online, hard revocation, nothing supplied.
fn verify(pki: &TestPki, sig: &[u8], root: &str, profile: Profile) -> Report {
    let cert = |n: &str| pki.entity(n).unwrap().cert_der.clone();
    verify_signature(
        &VerifyRequest::new(sig)
            .with_content(None)
            .with_anchors(vec![cert(root), cert("tsa-ca")])
            .with_cert_store(Vec::new())
            .with_crls(Vec::new())
            .with_ocsp_responses(Vec::new())
            .with_profile(profile)
            .with_offline(false)
            .with_revocation_cache(None)
            .with_fetch_allow(Vec::new())
            .with_at(None)
            .with_revocation(RevocationMode::Hard)
            .with_policy(kenpo_verify::policy::Policy::default()),
    )
    .unwrap()
}

/// The detail of the signer's revocation check in the report.
fn leaf_revocation(r: &Report) -> String {
    r.signatures[0]
        .checks
        .iter()
        .find(|c| c.name() == "path:revocation[0]")
        .map(|c| c.detail().to_string())
        .unwrap_or_default()
}

fn assert_passed(r: &Report, what: &str) {
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{what}: {}",
        r.render_text(Lang::En)
    );
}

/// TOTAL_FAILED/REVOKED, the revocation found at `source` (named in the path check).
fn assert_revoked(r: &Report, what: &str, source: &str) {
    assert_eq!(
        r.indication,
        Indication::TotalFailed,
        "{what}: {}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, Some(SubIndication::REVOKED), "{what}");
    let path = r.signatures[0]
        .checks
        .iter()
        .find(|c| c.name() == "path")
        .unwrap();
    assert!(
        path.detail().contains("revoked"),
        "{what}: {}",
        path.detail()
    );
    assert!(path.detail().contains(source), "{what}: {}", path.detail());
}

#[test]
fn signer_status_from_openssl_ocsp_responder() {
    if !openssl_available() {
        return;
    }
    let server = Server::bind();
    let port = free_port();
    let ocsp_url = format!("http://127.0.0.1:{port}/");
    let pki = pki_with(&server.base(), &ocsp_url);
    // accredited-ca's CRL is not served: the signer's status can only come from OCSP.
    server.set(crl_and_tsa_handler(
        &pki,
        crl_paths(&pki, &["accredited-ca"]),
    ));
    let dir = tempfile::tempdir().unwrap();
    pki.write_to(dir.path()).unwrap();
    let signers = [
        "accredited-signer",
        "accredited-signer-ecdsa",
        "accredited-signer-revoked",
    ];
    let _responder = OcspResponder::start(
        dir.path(),
        &pki,
        &signers,
        port,
        "ocsp-responder",
        "accredited-ca",
    );
    let cert = |n: &str| pki.entity(n).unwrap().cert_der.clone();
    // Wait until it answers (a real request; a fresh checker each time, as it caches).
    let start = Instant::now();
    loop {
        let c = Checker::new()
            .with_system_proxy(false)
            .with_timeout(Duration::from_secs(2));
        match c.status_at(
            &cert("accredited-signer"),
            &cert("accredited-ca"),
            pki.now(),
        ) {
            RevocationStatus::Good { .. } => break,
            other if start.elapsed() > Duration::from_secs(15) => {
                panic!("openssl ocsp did not come up: {other:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    // The wait above may have fallen back to the (unserved) CRL while the responder was
    // still starting; the verifications below must not.
    let crl_hits_before = server.hits("/crl/accredited-ca.crl");
    let tsa_url = format!("{}/tsa", server.base());
    for signer in signers {
        for (what, sig) in signatures(&pki, signer, &tsa_url, dir.path()) {
            let what = format!("{signer}, {what}");
            let r = verify(&pki, &sig, "accredited-root", Profile::Accredited);
            if signer.ends_with("-revoked") {
                assert_revoked(&r, &what, &format!("OCSP {ocsp_url}"));
            } else {
                assert_passed(&r, &what);
                let detail = leaf_revocation(&r);
                assert!(
                    detail.contains(&format!("OCSP {ocsp_url}")),
                    "{what}: {detail}"
                );
            }
        }
    }
    assert_eq!(server.hits("/crl/accredited-ca.crl"), crl_hits_before);
}

#[test]
fn signer_status_from_crl_distribution_point() {
    let server = Server::bind();
    let pki = pki_with(&server.base(), &format!("{}/ocsp", server.base()));
    server.set(crl_and_tsa_handler(&pki, crl_paths(&pki, &[])));
    let dir = tempfile::tempdir().unwrap();
    pki.write_to(dir.path()).unwrap();
    let tsa_url = format!("{}/tsa", server.base());
    let crl_url = format!("{}/crl/hpki-sign-ca.crl", server.base());
    for signer in ["hpki-signer", "hpki-signer-revoked"] {
        for (what, sig) in signatures(&pki, signer, &tsa_url, dir.path()) {
            let what = format!("{signer}, {what}");
            let r = verify(&pki, &sig, "root-ca", Profile::Hpki);
            if signer.ends_with("-revoked") {
                assert_revoked(&r, &what, &crl_url);
            } else {
                assert_passed(&r, &what);
                let detail = leaf_revocation(&r);
                assert!(detail.contains(&crl_url), "{what}: {detail}");
            }
        }
    }
    assert!(server.hits("/crl/hpki-sign-ca.crl") > 0);
    assert!(server.hits("/crl/root-ca.crl") > 0);
    assert!(
        server.hits("/crl/tsa-ca.crl") > 0,
        "the TSA's chain is checked too"
    );
}
