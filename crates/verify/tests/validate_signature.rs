//! EN 319 102-1 verdicts of `kenpo_verify::validate::verify_signature` on CAdES signatures
//! made with the test PKI (B-B, B-T with a local TSA), tampered, badly anchored, revoked,
//! expired and junk input; plus the JSON and text reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{signer, start_tsa};

use std::sync::OnceLock;

use kenpo_sign::cades::{SignOptions, sign_bytes};
use kenpo_sign::{Level, Profile};
use kenpo_testpki::{Config, TestPki};
use kenpo_tsa::client::ClientConfig;
use kenpo_verify::report::Lang;
use kenpo_verify::validate::{RevocationMode, VerifyRequest, verify_signature};
use kenpo_verify::{Indication, SubIndication};
use time::{Duration, OffsetDateTime};

const DOC: &[u8] = b"<claim>verdicts</claim>";

struct Pki {
    pki: TestPki,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let pki = kenpo_testpki::generate(&Config::default()).unwrap();
        Pki { pki }
    })
}

fn cert(name: &str) -> Vec<u8> {
    pki().pki.entity(name).unwrap().cert_der.clone()
}

fn crl(issuer: &str) -> Vec<u8> {
    pki().pki.crl(issuer).unwrap().der.clone()
}

fn sign_with(name: &str, level: Level, now: OffsetDateTime) -> Vec<u8> {
    let s = signer(name);
    let opts = SignOptions::default()
        .with_level(level)
        .with_attached(true)
        .with_tsa((level == Level::BT).then(|| ClientConfig::new(vec![start_tsa()])))
        .with_now(Some(now));
    sign_bytes(&s, DOC, &opts).unwrap().der
}

/// A request trusting root-ca and tsa-ca, with their CRLs, offline.
fn request(sig: &[u8]) -> VerifyRequest<'_> {
    VerifyRequest::new(sig)
        .with_content(None)
        .with_anchors(vec![cert("root-ca"), cert("tsa-ca")])
        .with_cert_store(Vec::new())
        .with_crls(vec![crl("hpki-sign-ca"), crl("root-ca"), crl("tsa-ca")])
        .with_ocsp_responses(Vec::new())
        .with_profile(Profile::Hpki)
        .with_offline(true)
        .with_revocation_cache(None)
        .with_fetch_allow(Vec::new())
        .with_at(None)
        .with_revocation(RevocationMode::default())
        .with_policy(kenpo_verify::policy::Policy::default())
}

fn bb() -> &'static [u8] {
    static SIG: OnceLock<Vec<u8>> = OnceLock::new();
    SIG.get_or_init(|| sign_with("hpki-signer", Level::BB, pki().pki.now()))
}

fn bt() -> &'static [u8] {
    static SIG: OnceLock<Vec<u8>> = OnceLock::new();
    SIG.get_or_init(|| sign_with("hpki-signer", Level::BT, pki().pki.now()))
}

#[test]
fn good_bb_passes() {
    let r = verify_signature(&request(bb())).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, None);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(r.signatures.len(), 1);
    let s = &r.signatures[0];
    assert_eq!(s.level, "B-B");
    assert_eq!(s.signer.hc_roles, ["Medical Doctor"]);
    assert!(s.signer.subject.contains("YAMADA"), "{}", s.signer.subject);
    assert!(s.timestamps.is_empty());
    assert_eq!(s.best_signature_time, r.validation_time);
    assert!(s.checks.iter().any(|c| c.name() == "path" && c.passed));
    assert!(
        s.checks
            .iter()
            .any(|c| c.name() == "message-digest" && c.passed)
    );
}

#[test]
fn bb_without_revocation_data_is_try_later_unless_soft() {
    let mut req = request(bb());
    req.crls.clear();
    let r = verify_signature(&req).unwrap();
    assert_eq!(r.indication, Indication::Indeterminate);
    assert_eq!(r.sub_indication, Some(SubIndication::TRY_LATER));
    assert_eq!(r.exit_code(), 3);
    req.revocation = RevocationMode::Require;
    let r = verify_signature(&req).unwrap();
    assert_eq!(r.sub_indication, Some(SubIndication::TRY_LATER));
    req.revocation = RevocationMode::Soft;
    let r = verify_signature(&req).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.name().starts_with("path:revocation") && !c.passed),
        "{:?}",
        r.signatures[0].checks
    );
}

#[test]
fn tampered_content_is_hash_failure() {
    let s = signer("hpki-signer");
    let sig = sign_bytes(
        &s,
        DOC,
        &SignOptions::default().with_now(Some(pki().pki.now())),
    )
    .unwrap()
    .der;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("doc.xml");
    std::fs::write(&good, DOC).unwrap();
    let mut req = request(&sig);
    req.content = Some(&good);
    let r = verify_signature(&req).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );

    let bad = dir.path().join("tampered.xml");
    std::fs::write(&bad, b"<claim>verdicts!</claim>").unwrap();
    req.content = Some(&bad);
    let r = verify_signature(&req).unwrap();
    assert_eq!(r.indication, Indication::TotalFailed);
    assert_eq!(r.sub_indication, Some(SubIndication::HASH_FAILURE));
    assert_eq!(r.exit_code(), 1);

    req.content = None;
    let r = verify_signature(&req).unwrap();
    assert_eq!(r.indication, Indication::Indeterminate);
    assert_eq!(r.sub_indication, Some(SubIndication::SIGNED_DATA_NOT_FOUND));

    let missing = dir.path().join("missing.xml");
    req.content = Some(&missing);
    let e = verify_signature(&req).unwrap_err();
    assert!(e.to_string().contains("missing.xml"), "{e}");
}

#[test]
fn unknown_root_is_no_chain() {
    let mut req = request(bb());
    req.anchors = vec![cert("accredited-root")];
    let r = verify_signature(&req).unwrap();
    assert_eq!(r.indication, Indication::Indeterminate);
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::NO_CERTIFICATE_CHAIN_FOUND)
    );
}

#[test]
fn root_inside_the_signature_is_not_trusted() {
    let mut req = request(bb());
    req.anchors.clear();
    req.cert_store = vec![cert("root-ca")];
    let r = verify_signature(&req).unwrap();
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::NO_CERTIFICATE_CHAIN_FOUND)
    );
}

#[test]
fn revoked_signer_is_not_passed() {
    let sig = sign_with("hpki-signer-revoked", Level::BB, pki().pki.now());
    let r = verify_signature(&request(&sig)).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalFailed,
        "{}",
        r.render_text(Lang::En)
    );
    let sub = r.sub_indication.unwrap();
    assert!(sub.name().contains("REVOKED"), "{sub}");
}

#[test]
fn expired_signer_without_timestamp_is_not_passed() {
    let e = pki().pki.entity("hpki-signer-expired").unwrap();
    let cert = kenpo_core::cert::CertRef::parse(&e.cert_der).unwrap();
    let when = cert.not_before() + Duration::days(10);
    let sig = sign_with("hpki-signer-expired", Level::BB, when);
    let r = verify_signature(&request(&sig)).unwrap();
    assert_eq!(
        r.indication,
        Indication::Indeterminate,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, Some(SubIndication::OUT_OF_BOUNDS_NO_POE));
}

#[test]
fn bt_passes_after_signer_expiry_thanks_to_the_timestamp() {
    let sig = bt();
    let r = verify_signature(&request(sig)).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );
    let s = &r.signatures[0];
    assert_eq!(s.level, "B-T");
    assert_eq!(s.timestamps.len(), 1);
    assert_eq!(s.timestamps[0].kind, "signature");
    assert!(s.timestamps[0].valid);
    let gen_time = s.timestamps[0].gen_time.unwrap();
    assert_eq!(s.best_signature_time, gen_time);

    let not_after = kenpo_core::cert::CertRef::parse(&cert("hpki-signer"))
        .unwrap()
        .not_after();
    let mut req = request(sig);
    req.at = Some(not_after + Duration::days(1));
    let r = verify_signature(&req).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.signatures[0].best_signature_time, gen_time);
    assert_eq!(r.validation_time, not_after + Duration::days(1));

    // Without the TSA's anchor the time-stamp is no POE: the expired signer is out of bounds.
    req.anchors = vec![cert("root-ca")];
    let r = verify_signature(&req).unwrap();
    assert_eq!(
        r.indication,
        Indication::Indeterminate,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, Some(SubIndication::OUT_OF_BOUNDS_NO_POE));
    assert!(!r.signatures[0].timestamps[0].valid);
    assert_eq!(r.signatures[0].level, "B-B");
}

#[test]
fn junk_is_format_failure() {
    for junk in [&b"hello, not a signature"[..], b"", b"\x30\x03\x02\x01\x00"] {
        let r = verify_signature(&request(junk)).unwrap();
        assert_eq!(r.indication, Indication::TotalFailed);
        assert_eq!(r.sub_indication, Some(SubIndication::FORMAT_FAILURE));
        assert_eq!(r.exit_code(), 1);
        assert_eq!(
            r.to_json()["signatures"][0]["sub_indication"],
            "FORMAT_FAILURE"
        );
    }
}

#[test]
fn pem_signature_is_accepted() {
    let pem = der::pem::encode_string("CMS", der::pem::LineEnding::LF, bb()).unwrap();
    let r = verify_signature(&request(pem.as_bytes())).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );
}

#[test]
fn json_has_the_cli_fields() {
    let r = verify_signature(&request(bt())).unwrap();
    let j = r.to_json();
    assert_eq!(j["indication"], "TOTAL_PASSED");
    assert!(j["sub_indication"].is_null());
    assert_eq!(j["schema_version"], 1);
    assert!(
        j["policy"]
            .as_str()
            .unwrap()
            .contains("EN 319 102-1 v1.4.1")
    );
    assert!(j["validation_time"].as_str().unwrap().ends_with('Z'));
    let s = &j["signatures"][0];
    for k in [
        "indication",
        "sub_indication",
        "level",
        "signer",
        "signing_time",
        "best_signature_time",
        "timestamps",
        "checks",
    ] {
        assert!(s.get(k).is_some(), "missing {k}: {s}");
    }
    assert_eq!(s["level"], "B-T");
    assert_eq!(s["signer"]["hc_roles"][0], "Medical Doctor");
    assert!(s["signer"]["subject"].is_string());
    assert!(s["signer"]["policy_oids"].is_array());
    assert!(s["signing_time"].is_string());
    let ts = &s["timestamps"][0];
    assert_eq!(ts["type"], "signature");
    assert_eq!(ts["valid"], true);
    assert_eq!(ts["gen_time"], s["best_signature_time"]);
    let c = &s["checks"][0];
    assert!(c["name"].is_string() && c["passed"].is_boolean() && c["detail"].is_string());
}

#[test]
fn text_in_both_languages() {
    let r = verify_signature(&request(bt())).unwrap();
    let ja = r.render_text(Lang::Ja);
    assert!(ja.contains("総合判定: 合格 (TOTAL_PASSED)"), "{ja}");
    assert!(ja.contains("医師 (Medical Doctor)"), "{ja}");
    for label in [
        "署名者",
        "資格",
        "Medical Doctor",
        "タイムスタンプ",
        "各検査",
        "message-digest",
    ] {
        assert!(ja.contains(label), "{label} in {ja}");
    }
    let en = r.render_text(Lang::En);
    assert!(en.contains("Overall: TOTAL_PASSED"), "{en}");
    assert!(en.contains("Signer") && en.contains("Checks"), "{en}");
    let r = verify_signature(&request(b"junk")).unwrap();
    assert!(
        r.render_text(Lang::Ja)
            .contains("TOTAL_FAILED / FORMAT_FAILURE")
    );
    assert_eq!(Lang::from_locale_value("ja_JP.UTF-8"), Lang::Ja);
    assert_eq!(Lang::from_locale_value("C.UTF-8"), Lang::En);
}

#[test]
fn broken_signature_value_is_sig_crypto_failure() {
    let mut sig = bb().to_vec();
    let sd = kenpo_core::cms::SignedDataView::parse(bb()).unwrap();
    let value = sd.signer_infos[0].signature;
    let offset = value.as_ptr() as usize - bb().as_ptr() as usize;
    sig[offset + value.len() / 2] ^= 0x01;
    let r = verify_signature(&request(&sig)).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalFailed,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, Some(SubIndication::SIG_CRYPTO_FAILURE));
}

#[test]
fn authentication_certificate_fails_the_hpki_profile() {
    let sig = sign_with("hpki-auth", Level::BB, pki().pki.now());
    let mut req = request(&sig);
    req.crls.push(crl("hpki-auth-ca"));
    let r = verify_signature(&req).unwrap();
    assert_eq!(
        r.indication,
        Indication::Indeterminate,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(
        r.sub_indication,
        Some(SubIndication::SIG_CONSTRAINTS_FAILURE)
    );
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .any(|c| c.name() == "profile" && !c.passed)
    );
    // Under profile "any" the same signature validates.
    req.profile = Profile::Any;
    let r = verify_signature(&req).unwrap();
    assert_eq!(
        r.indication,
        Indication::TotalPassed,
        "{}",
        r.render_text(Lang::En)
    );
}
