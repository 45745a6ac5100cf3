//! EN 319 102-1 verdicts of `verify_signature` on signatures made by `openssl cms -sign`
//! (an independent implementation): detached and attached, plain CMS and `-cades`, RSA and
//! ECDSA signers; tampered content, an unknown root, an expired signer, and an openssl
//! signature given a signature time-stamp and validated after the signer expired.
//! Skipped without the openssl CLI, a failure under CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::net::{Server, crl_and_tsa_handler, crl_paths};
use common::openssl::{add_signature_timestamp, cms_sign, openssl_available};
use common::test_pki;
use kenpo_sign::Profile;
use kenpo_verify::report::Lang;
use kenpo_verify::validate::{RevocationMode, VerifyRequest, verify_signature};
use kenpo_verify::{Indication, SubIndication};
use tempfile::TempDir;
use time::Duration;

const DOC: &[u8] = b"<claim>openssl-signed verdicts</claim>\n";

/// The shared test PKI written to a directory, with the document beside it.
fn dir() -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        test_pki().write_to(d.path()).unwrap();
        std::fs::write(d.path().join("doc.xml"), DOC).unwrap();
        d
    })
    .path()
}

fn doc() -> PathBuf {
    dir().join("doc.xml")
}

fn cert(name: &str) -> Vec<u8> {
    test_pki().entity(name).unwrap().cert_der.clone()
}

/// Trusting the roots of the signer's hierarchy and of the TSA, every CRL supplied, offline,
/// hard revocation.
fn request<'a>(
    sig: &'a [u8],
    content: Option<&'a Path>,
    root: &str,
    profile: Profile,
) -> VerifyRequest<'a> {
    VerifyRequest::new(sig)
        .with_content(content)
        .with_anchors(vec![cert(root), cert("tsa-ca")])
        .with_cert_store(Vec::new())
        .with_crls(test_pki().crls().iter().map(|c| c.der.clone()).collect())
        .with_ocsp_responses(Vec::new())
        .with_profile(profile)
        .with_offline(true)
        .with_revocation_cache(None)
        .with_fetch_allow(Vec::new())
        .with_at(None)
        .with_revocation(RevocationMode::Hard)
        .with_policy(kenpo_verify::policy::Policy::default())
}

/// (signer entity, its root, profile): RSA-2048 HPKI and P-256 accredited-business.
const SIGNERS: [(&str, &str, Profile); 2] = [
    ("hpki-signer", "root-ca", Profile::Hpki),
    (
        "accredited-signer-ecdsa",
        "accredited-root",
        Profile::Accredited,
    ),
];

fn variants() -> [(bool, &'static [&'static str]); 4] {
    [
        (false, &[]),
        (false, &["-cades"]),
        (true, &["-nodetach"]),
        (true, &["-nodetach", "-cades"]),
    ]
}

#[test]
fn openssl_signatures_pass() {
    if !openssl_available() {
        return;
    }
    for (signer, root, profile) in SIGNERS {
        for (attached, extra) in variants() {
            let sig = cms_sign(dir(), test_pki(), signer, &doc(), extra);
            let d = doc();
            let content = (!attached).then_some(d.as_path());
            let r = verify_signature(&request(&sig, content, root, profile)).unwrap();
            let what = format!("{signer} {extra:?}");
            assert_eq!(
                r.indication,
                Indication::TotalPassed,
                "{what}: {}",
                r.render_text(Lang::En)
            );
            let s = &r.signatures[0];
            assert_eq!(s.level, "B-B", "{what}");
            assert!(s.signing_time.is_some(), "{what}: openssl adds signingTime");
            // -cades adds signing-certificate-v2; without it the binding is only a warning.
            let binding = s
                .checks
                .iter()
                .find(|c| c.name() == "signing-certificate-binding");
            let cades = extra.contains(&"-cades");
            assert_eq!(binding.is_some(), !cades, "{what}: {:?}", s.checks);
        }
    }
}

#[test]
fn tampered_content_is_hash_failure() {
    if !openssl_available() {
        return;
    }
    for (signer, root, profile) in SIGNERS {
        // Detached: another file.
        let sig = cms_sign(dir(), test_pki(), signer, &doc(), &["-cades"]);
        let bad = dir().join(format!("tampered-{signer}.xml"));
        let mut text = DOC.to_vec();
        text[1] ^= 0x20;
        std::fs::write(&bad, &text).unwrap();
        let r = verify_signature(&request(&sig, Some(&bad), root, profile)).unwrap();
        assert_eq!(
            r.indication,
            Indication::TotalFailed,
            "{}",
            r.render_text(Lang::En)
        );
        assert_eq!(r.sub_indication, Some(SubIndication::HASH_FAILURE));

        // Attached: one byte of the eContent changed inside the signature.
        let mut sig = cms_sign(dir(), test_pki(), signer, &doc(), &["-nodetach"]);
        let at = sig.windows(DOC.len()).position(|w| w == DOC).unwrap();
        sig[at + 1] ^= 0x20;
        let r = verify_signature(&request(&sig, None, root, profile)).unwrap();
        assert_eq!(
            r.indication,
            Indication::TotalFailed,
            "{}",
            r.render_text(Lang::En)
        );
        assert_eq!(r.sub_indication, Some(SubIndication::HASH_FAILURE));
    }
}

#[test]
fn unknown_root_is_no_chain() {
    if !openssl_available() {
        return;
    }
    for ((signer, _, profile), other_root) in
        SIGNERS.into_iter().zip(["accredited-root", "root-ca"])
    {
        let sig = cms_sign(dir(), test_pki(), signer, &doc(), &["-nodetach", "-cades"]);
        let r = verify_signature(&request(&sig, None, other_root, profile)).unwrap();
        assert_eq!(
            r.indication,
            Indication::Indeterminate,
            "{}",
            r.render_text(Lang::En)
        );
        assert_eq!(
            r.sub_indication,
            Some(SubIndication::NO_CERTIFICATE_CHAIN_FOUND)
        );
    }
}

#[test]
fn expired_signer_without_timestamp_is_not_passed() {
    if !openssl_available() {
        return;
    }
    let sig = cms_sign(
        dir(),
        test_pki(),
        "hpki-signer-expired",
        &doc(),
        &["-nodetach", "-cades"],
    );
    let r = verify_signature(&request(&sig, None, "root-ca", Profile::Hpki)).unwrap();
    assert_ne!(r.indication, Indication::TotalPassed);
    assert_eq!(
        r.indication,
        Indication::Indeterminate,
        "{}",
        r.render_text(Lang::En)
    );
    assert_eq!(r.sub_indication, Some(SubIndication::OUT_OF_BOUNDS_NO_POE));
}

#[test]
fn timestamped_openssl_signature_passes_after_signer_expiry() {
    if !openssl_available() {
        return;
    }
    let tsa = Server::start(crl_and_tsa_handler(test_pki(), crl_paths(test_pki(), &[])));
    let url = format!("{}/tsa", tsa.base());
    for (signer, root, profile) in SIGNERS {
        for extra in [&["-nodetach"][..], &["-nodetach", "-cades"]] {
            let plain = cms_sign(dir(), test_pki(), signer, &doc(), extra);
            let sig = add_signature_timestamp(&plain, &url);
            let not_after = kenpo_core::cert::CertRef::parse(&cert(signer))
                .unwrap()
                .not_after();
            let what = format!("{signer} {extra:?}");

            let r = verify_signature(&request(&sig, None, root, profile)).unwrap();
            assert_eq!(
                r.indication,
                Indication::TotalPassed,
                "{what}: {}",
                r.render_text(Lang::En)
            );
            assert_eq!(r.signatures[0].level, "B-T", "{what}");
            let gen_time = r.signatures[0].timestamps[0].gen_time.unwrap();

            let mut req = request(&sig, None, root, profile);
            req.at = Some(not_after + Duration::days(30));
            let r = verify_signature(&req).unwrap();
            assert_eq!(
                r.indication,
                Indication::TotalPassed,
                "{what}: {}",
                r.render_text(Lang::En)
            );
            assert_eq!(r.signatures[0].best_signature_time, gen_time, "{what}");
            assert_eq!(r.validation_time, not_after + Duration::days(30));

            // The same signature without its time-stamp is not passed at that time.
            let mut req = request(&plain, None, root, profile);
            req.at = Some(not_after + Duration::days(30));
            let r = verify_signature(&req).unwrap();
            assert_eq!(
                r.indication,
                Indication::Indeterminate,
                "{what}: {}",
                r.render_text(Lang::En)
            );
            // Expired without proof of existence; from 2029 an RSA-2048 signer key is also
            // past its algorithm sunset, which is reported first.
            let expected = if r.validation_time.year() >= 2029 && signer.starts_with("hpki") {
                [
                    SubIndication::CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
                    SubIndication::OUT_OF_BOUNDS_NO_POE,
                ]
            } else {
                [SubIndication::OUT_OF_BOUNDS_NO_POE; 2]
            };
            assert!(
                r.sub_indication.is_some_and(|s| expected.contains(&s)),
                "{what}: {:?}",
                r.sub_indication
            );
            assert!(
                r.signatures[0]
                    .checks
                    .iter()
                    .any(|c| c.name() == "path" && !c.passed && c.detail().contains("expired")),
                "{what}: the expiry is reported: {}",
                r.render_text(Lang::En)
            );
        }
    }
}

/// `openssl cms -sign -noattr`: without signed attributes the signature is over the content
/// itself, so one flipped octet of the signature value is SIG_CRYPTO_FAILURE (HASH_FAILURE
/// is for a message-digest attribute that does not match the content).
#[test]
fn noattr_flipped_signature_is_sig_crypto_failure() {
    if !openssl_available() {
        return;
    }
    for (signer, root, profile) in SIGNERS {
        let sig = cms_sign(dir(), test_pki(), signer, &doc(), &["-nodetach", "-noattr"]);
        let r = verify_signature(&request(&sig, None, root, profile)).unwrap();
        assert_eq!(
            r.indication,
            Indication::TotalPassed,
            "{signer}: {}",
            r.render_text(Lang::En)
        );
        // The signature value's octets, found by their place in the parsed SignerInfo.
        let at = {
            let sd = kenpo_core::cms::SignedDataView::parse(&sig).unwrap();
            let value = sd.signer_infos[0].signature;
            assert!(sd.signer_infos[0].signed_attrs.is_none());
            value.as_ptr() as usize - sig.as_ptr() as usize + value.len() / 2
        };
        let mut bad = sig.clone();
        bad[at] ^= 0x01;
        let r = verify_signature(&request(&bad, None, root, profile)).unwrap();
        assert_eq!(
            (r.indication, r.sub_indication),
            (
                Indication::TotalFailed,
                Some(SubIndication::SIG_CRYPTO_FAILURE)
            ),
            "{signer}: {}",
            r.render_text(Lang::En)
        );
    }
}
