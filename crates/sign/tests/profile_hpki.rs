//! Signer-certificate profiles on the test PKI and on real HPKI / e-Gov certificates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::OnceLock;

use kenpo_sign::Profile;
use kenpo_sign::profile::{ProfileError, check_profile, hc_roles_from_sda};
use kenpo_testpki::{Config, TestPki};

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

fn cert(name: &str) -> Vec<u8> {
    pki().entity(name).unwrap().cert_der.clone()
}

/// `../shared/hpki-real` (from the workspace), or `None` with a message — a failure
/// under CI.
fn real_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hpki-real");
    if dir.join("medis-test-signer-ee.cer").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "real HPKI certificates missing at {}",
        dir.display()
    );
    eprintln!(
        "SKIP: real HPKI certificates not found at {}",
        dir.display()
    );
    None
}

#[test]
fn hpki_accepts_signers_with_zero_one_or_several_roles() {
    let s = check_profile(Profile::Hpki, &cert("hpki-signer")).unwrap();
    assert_eq!(s.hc_roles, ["Medical Doctor"]);
    assert_eq!(s.policy_oids, ["1.2.392.100495.1.5.1.1.0.1"]);
    assert_eq!(
        s.key_usage.as_deref(),
        Some(&["nonRepudiation".to_owned()][..])
    );
    assert_eq!(s.key, "RSA-2048");
    assert_eq!(s.fingerprint_sha256.len(), 64);
    assert!(s.subject.contains("CN="), "{}", s.subject);

    let multi = check_profile(Profile::Hpki, &cert("hpki-signer-multirole")).unwrap();
    assert_eq!(multi.hc_roles.len(), 2, "{:?}", multi.hc_roles);
    assert!(multi.hc_roles.iter().all(|r| !r.is_empty()));
    assert_ne!(multi.hc_roles[0], multi.hc_roles[1]);

    let none = check_profile(Profile::Hpki, &cert("hpki-signer-norole")).unwrap();
    assert!(none.hc_roles.is_empty());
}

#[test]
fn hpki_roles_agree_with_the_test_pki_decoder() {
    for name in ["hpki-signer", "hpki-signer-multirole", "hpki-signer-norole"] {
        let der = cert(name);
        let c = kenpo_core::cert::CertRef::parse(&der).unwrap();
        let ours = check_profile(Profile::Hpki, &der).unwrap().hc_roles;
        let theirs = match c.extension(const_oid::db::rfc5280::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES) {
            Some(ext) => {
                let mut r = kenpo_testpki::hcrole::hc_roles_from_sda(ext.value).unwrap();
                let ours_direct: Vec<String> = hc_roles_from_sda(ext.value)
                    .unwrap()
                    .iter()
                    .map(|a| a.display())
                    .collect();
                assert_eq!(ours_direct, ours);
                r.sort();
                r
            }
            None => Vec::new(),
        };
        let mut sorted = ours.clone();
        sorted.sort();
        assert_eq!(sorted, theirs, "{name}");
    }
}

#[test]
fn hpki_refuses_authentication_and_wrong_key_usage() {
    let e = check_profile(Profile::Hpki, &cert("hpki-auth")).unwrap_err();
    assert!(
        matches!(&e, ProfileError::AuthenticationCertificate { policy } if policy.starts_with("1.2.392.100495.1.5.1.2.")),
        "{e}"
    );
    let e = check_profile(Profile::Hpki, &cert("hpki-signer-wrong-ku")).unwrap_err();
    assert!(
        matches!(&e, ProfileError::NoNonRepudiation { key_usage } if key_usage == &["digitalSignature"]),
        "{e}"
    );
    // Accredited-business certificates carry no HPKI policy.
    let e = check_profile(Profile::Hpki, &cert("accredited-signer")).unwrap_err();
    assert!(
        matches!(e, ProfileError::NoHpkiSignaturePolicy { .. }),
        "{e}"
    );
    // CA certificates never sign.
    let e = check_profile(Profile::Hpki, &cert("hpki-sign-ca")).unwrap_err();
    assert!(
        matches!(
            e,
            ProfileError::NoNonRepudiation { .. } | ProfileError::CaCertificate
        ),
        "{e}"
    );
}

#[test]
fn accredited_and_any_profiles() {
    for name in [
        "accredited-signer",
        "accredited-signer-ecdsa",
        "hpki-signer",
    ] {
        check_profile(Profile::Accredited, &cert(name)).unwrap();
    }
    let s = check_profile(Profile::Accredited, &cert("accredited-signer-ecdsa")).unwrap();
    assert_eq!(s.key, "P-256");
    let e = check_profile(Profile::Accredited, &cert("root-ca")).unwrap_err();
    assert!(
        matches!(
            e,
            ProfileError::NoSigningKeyUsage { .. }
                | ProfileError::NoCertificatePolicies
                | ProfileError::CaCertificate
        ),
        "{e}"
    );
    // `any` has no policy rules: the wrong-KU and authentication certificates pass.
    for name in ["hpki-signer-wrong-ku", "hpki-auth", "tsa", "root-ca"] {
        check_profile(Profile::Any, &cert(name)).unwrap();
    }
    let e = check_profile(Profile::Any, b"not a certificate").unwrap_err();
    assert!(matches!(e, ProfileError::Certificate(_)), "{e}");
}

#[test]
fn summary_serialises_for_reports() {
    let s = check_profile(Profile::Hpki, &cert("hpki-signer")).unwrap();
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["hc_roles"][0], "Medical Doctor");
    assert!(v["not_after"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["policy_oids"][0], "1.2.392.100495.1.5.1.1.0.1");
}

#[test]
fn real_medis_test_signer_passes_hpki() {
    let Some(dir) = real_dir() else { return };
    let der = std::fs::read(dir.join("medis-test-signer-ee.cer")).unwrap();
    let s = check_profile(Profile::Hpki, &der).unwrap();
    assert_eq!(s.hc_roles, ["Medical Doctor"]);
    assert_eq!(s.policy_oids, ["1.2.392.100495.1.5.1.1.0.1"]);
    assert_eq!(
        s.key_usage.as_deref(),
        Some(&["nonRepudiation".to_owned()][..])
    );
    assert_eq!(s.serial, "015E");
    assert!(s.subject.contains("Sanjushi Kagurazaka"), "{}", s.subject);
    assert_eq!(
        kenpo_core::timefmt::rfc3339(s.not_after),
        "2027-02-07T14:59:59Z"
    );
}

#[test]
fn real_authentication_ca_and_egov_signer_are_refused_under_hpki() {
    let Some(dir) = real_dir() else { return };
    let auth = std::fs::read(dir.join("medis-auth-ca2.cer")).unwrap();
    let e = check_profile(Profile::Hpki, &auth).unwrap_err();
    assert!(
        matches!(&e, ProfileError::AuthenticationCertificate { policy } if policy == "1.2.392.100495.1.5.1.2.3.1"),
        "{e}"
    );
    let egov = std::fs::read(dir.join("egov-test-ee01-sha2.cer")).unwrap();
    let e = check_profile(Profile::Hpki, &egov).unwrap_err();
    assert!(
        matches!(&e, ProfileError::NoHpkiSignaturePolicy { policies } if policies == &["0.2.440.100145.8.1.1.0.2.200101.100"]),
        "{e}"
    );
    // The e-Gov signer fits the accredited profile (KU dS+nR, policies present).
    let s = check_profile(Profile::Accredited, &egov).unwrap();
    assert!(s.hc_roles.is_empty());
    // The MEDIS sign CA is a CA.
    let ca = std::fs::read(dir.join("medis-sign-ca2.cer")).unwrap();
    assert!(check_profile(Profile::Hpki, &ca).is_err());
}
