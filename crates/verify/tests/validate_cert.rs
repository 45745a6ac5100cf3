//! `kenpo_verify::validate::verify_certificate` on the test PKI and on the real HPKI chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::OnceLock;

use kenpo_sign::Profile;
use kenpo_testpki::{Config, TestPki};
use kenpo_verify::SubIndication;
use kenpo_verify::report::{CertIndication, Lang};
use kenpo_verify::validate::{CertRequest, verify_certificate};
use time::macros::datetime;

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

fn cert(name: &str) -> Vec<u8> {
    pki().entity(name).unwrap().cert_der.clone()
}

fn crl(issuer: &str) -> Vec<u8> {
    pki().crl(issuer).unwrap().der.clone()
}

fn request(leaf: &[u8]) -> CertRequest<'_> {
    CertRequest::new(leaf)
        .with_chain(vec![cert("hpki-sign-ca")])
        .with_anchors(vec![cert("root-ca")])
        .with_crls(vec![crl("hpki-sign-ca"), crl("root-ca")])
        .with_at(None)
        .with_offline(true)
        .with_revocation_cache(None)
        .with_fetch_allow(Vec::new())
        .with_profile(Profile::Hpki)
}

#[test]
fn hpki_signer_passes_with_a_three_certificate_path() {
    let leaf = cert("hpki-signer");
    let r = verify_certificate(&request(&leaf));
    assert_eq!(
        r.indication,
        CertIndication::Passed,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, None);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(r.path.len(), 3, "{:?}", r.path);
    assert!(r.path[0].contains("YAMADA"), "{:?}", r.path);
    assert!(r.path[2].contains("Test HPKI Root CA"), "{:?}", r.path);
    assert_eq!(r.hc_roles, ["Medical Doctor"]);
    assert!(
        r.policy_oids
            .iter()
            .any(|p| p.starts_with("1.2.392.100495.1.5.1.1."))
    );
    let j = r.to_json();
    assert_eq!(j["indication"], "PASSED");
    assert!(j["sub_indication"].is_null());
    assert_eq!(j["path"].as_array().unwrap().len(), 3);
    assert_eq!(j["hc_roles"][0], "Medical Doctor");
    assert!(
        j["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true)
    );
    assert!(r.render_text(Lang::Ja).contains("総合判定: PASSED"));
    // PEM input works too.
    let pem = pki().entity("hpki-signer").unwrap().cert_pem();
    let r = verify_certificate(&request(pem.as_bytes()));
    assert_eq!(r.indication, CertIndication::Passed);
}

#[test]
fn revoked_unknown_root_and_profile_refusals() {
    let leaf = cert("hpki-signer-revoked");
    let r = verify_certificate(&request(&leaf));
    assert_eq!(r.indication, CertIndication::Failed);
    assert_eq!(r.sub_indication, Some(SubIndication::REVOKED));
    assert_eq!(r.exit_code(), 1);
    assert!(r.path.is_empty());

    let leaf = cert("hpki-signer");
    let mut req = request(&leaf);
    req.anchors = vec![cert("accredited-root")];
    let r = verify_certificate(&req);
    assert_eq!(r.indication, CertIndication::Indeterminate);
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::NO_CERTIFICATE_CHAIN_FOUND)
    );
    assert_eq!(r.exit_code(), 3);

    let leaf = cert("hpki-auth");
    let mut req = request(&leaf);
    req.chain = vec![cert("hpki-auth-ca")];
    req.crls.push(crl("hpki-auth-ca"));
    let r = verify_certificate(&req);
    assert_eq!(
        r.indication,
        CertIndication::Failed,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::SIG_CONSTRAINTS_FAILURE)
    );

    let r = verify_certificate(&request(b"not a certificate"));
    assert_eq!(r.indication, CertIndication::Failed);
}

fn shared(sub: &str) -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(sub);
    if d.exists() {
        Some(d)
    } else if std::env::var_os("CI").is_some() {
        panic!("{} missing (CI is set)", d.display());
    } else {
        eprintln!("SKIP: {} not found", d.display());
        None
    }
}

#[test]
fn real_hpki_chain_passes_offline_with_crl_and_arl() {
    let Some(d) = shared("hpki-real") else { return };
    let r = |n: &str| std::fs::read(d.join(n)).unwrap();
    let leaf = r("medis-test-signer-ee.cer");
    let req = CertRequest::new(&leaf)
        .with_chain(vec![r("medis-sign-ca2.cer")])
        .with_anchors(vec![r("mhlw-hpki-root-ca-v2.cer")])
        .with_crls(vec![
            r("medis-sign-ca2-2022-09.crl"),
            r("mhlw-hpki-root-v2-arl-2022-09.crl"),
        ])
        .with_at(Some(datetime!(2022-09-08 00:00 UTC)))
        .with_offline(true)
        .with_revocation_cache(None)
        .with_fetch_allow(Vec::new())
        .with_profile(Profile::Hpki);
    let rep = verify_certificate(&req);
    assert_eq!(
        rep.indication,
        CertIndication::Passed,
        "{}",
        rep.render_text(Lang::En)
    );
    assert_eq!(rep.path.len(), 3, "{:?}", rep.path);
    assert!(
        rep.checks
            .iter()
            .any(|c| c.name() == "path:revocation[0]" && c.passed),
        "{:?}",
        rep.checks
    );
}
