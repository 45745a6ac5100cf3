//! SoftwareSigner from PKCS#12 files made by `openssl pkcs12 -export`.
//!
//! Skipped (with a message) when `openssl` is missing, except under CI (`CI` set).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kenpo_core::alg::{DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{backends, default_backend};
use kenpo_sign::Signer;
use kenpo_sign::signer::{SignerError, SoftwareSigner};
use kenpo_testpki::{Config, Entity, TestPki};

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

fn entity(name: &str) -> &'static Entity {
    pki().entity(name).unwrap()
}

fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl is required under CI (apt-get install openssl)"
        );
        eprintln!("SKIPPED: `openssl` not found");
    }
    ok
}

/// `openssl pkcs12 -export` of `name`'s key and certificate with `ca_names` as
/// `-certfile`; `extra` are further options (encryption). `None` if openssl refuses
/// the options (e.g. `-legacy` without the legacy provider).
fn export(
    dir: &Path,
    name: &str,
    ca_names: &[&str],
    password: &str,
    extra: &[&str],
) -> Option<PathBuf> {
    let e = entity(name);
    let key = dir.join(format!("{name}.key.pem"));
    let cert = dir.join(format!("{name}.pem"));
    let ca = dir.join(format!("{name}.ca.pem"));
    std::fs::write(&key, e.key_pem()).unwrap();
    std::fs::write(&cert, e.cert_pem()).unwrap();
    let ca_pem: String = ca_names.iter().map(|n| entity(n).cert_pem()).collect();
    std::fs::write(&ca, ca_pem).unwrap();
    let out = dir.join(format!(
        "{name}{}.p12",
        extra.join("").replace(['-', ' '], "")
    ));
    let mut cmd = Command::new("openssl");
    cmd.args(["pkcs12", "-export", "-inkey"])
        .arg(&key)
        .arg("-in")
        .arg(&cert)
        .arg("-passout")
        .arg(format!("pass:{password}"))
        .arg("-out")
        .arg(&out);
    if !ca_names.is_empty() {
        cmd.arg("-certfile").arg(&ca);
    }
    cmd.args(extra);
    let o = cmd.output().unwrap();
    if !o.status.success() {
        eprintln!(
            "openssl pkcs12 -export {extra:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        return None;
    }
    Some(out)
}

fn spki_of(cert: &[u8]) -> Vec<u8> {
    CertRef::parse(cert).unwrap().spki.to_vec()
}

fn assert_signs(signer: &SoftwareSigner, e: &Entity) {
    let alg = signer.key().default_algorithm();
    let d = alg.digest().digest(b"rezept");
    let sig = signer.key().sign_digest(alg, &d).unwrap();
    default_backend()
        .verify_digest(&spki_of(&e.cert_der), alg, &d, &sig)
        .unwrap();
}

#[test]
fn openssl3_default_aes_file_loads_and_signs() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p12 = export(
        dir.path(),
        "hpki-signer",
        &["hpki-sign-ca", "root-ca"],
        "secret",
        &[],
    )
    .expect("openssl pkcs12 -export");
    for backend in backends() {
        let signer = SoftwareSigner::from_pkcs12_file(&p12, "secret", backend).unwrap();
        let e = entity("hpki-signer");
        assert_eq!(signer.certificate(), e.cert_der.as_slice());
        // Chain: the issuer first, then the root (as found in the file).
        assert_eq!(
            signer.chain(),
            &[
                entity("hpki-sign-ca").cert_der.clone(),
                entity("root-ca").cert_der.clone()
            ]
        );
        assert_signs(&signer, e);
        // RSA-PSS as well.
        let pss = SignatureAlgorithm::RsaPss {
            digest: DigestAlgorithm::Sha256,
            salt_len: 32,
        };
        let d = pss.digest().digest(b"pss");
        let sig = signer.key().sign_digest(pss, &d).unwrap();
        backend
            .verify_digest(&spki_of(&e.cert_der), pss, &d, &sig)
            .unwrap();
    }
}

#[test]
fn ecdsa_file_without_chain_loads() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p12 = export(dir.path(), "accredited-signer-ecdsa", &[], "pw", &[]).expect("export");
    let signer = SoftwareSigner::from_pkcs12_file(&p12, "pw", default_backend()).unwrap();
    assert!(signer.chain().is_empty());
    assert_eq!(
        signer.key().default_algorithm(),
        SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256)
    );
    assert_signs(&signer, entity("accredited-signer-ecdsa"));
}

#[test]
fn wrong_password_is_named() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p12 = export(dir.path(), "hpki-signer", &["hpki-sign-ca"], "secret", &[]).expect("export");
    let err = SoftwareSigner::from_pkcs12_file(&p12, "Secret", default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::WrongPassword), "{err:?}");
    assert!(err.to_string().contains("wrong PKCS#12 password"), "{err}");
    let err = SoftwareSigner::from_pkcs12_file(&p12, "", default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::WrongPassword), "{err:?}");
}

#[test]
fn legacy_3des_files_load() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let e = entity("hpki-signer");
    // 3DES for key and certificates with a SHA-1 MAC: default provider only.
    let tdes = export(
        dir.path(),
        "hpki-signer",
        &["hpki-sign-ca"],
        "secret",
        &[
            "-keypbe",
            "PBE-SHA1-3DES",
            "-certpbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ],
    )
    .expect("openssl pkcs12 -export with PBE-SHA1-3DES");
    let mut files = vec![tdes];
    // `-legacy` (3DES key, RC2-40 certificates) needs OpenSSL's legacy provider.
    match export(
        dir.path(),
        "hpki-signer",
        &["hpki-sign-ca"],
        "secret",
        &["-legacy"],
    ) {
        Some(p) => files.push(p),
        None => eprintln!("`openssl pkcs12 -legacy` unavailable: only the 3DES file is tested"),
    }
    for p12 in files {
        let signer = SoftwareSigner::from_pkcs12_file(&p12, "secret", default_backend())
            .unwrap_or_else(|err| panic!("{}: {err}", p12.display()));
        assert_eq!(signer.certificate(), e.cert_der.as_slice());
        assert_eq!(signer.chain(), &[entity("hpki-sign-ca").cert_der.clone()]);
        assert_signs(&signer, e);
        let err = SoftwareSigner::from_pkcs12_file(&p12, "wrong", default_backend()).unwrap_err();
        assert!(matches!(err, SignerError::WrongPassword), "{err:?}");
    }
}

#[test]
fn expired_and_weak_certificates_in_pkcs12_are_refused() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p12 = export(dir.path(), "hpki-signer-expired", &[], "pw", &[]).expect("export");
    let err = SoftwareSigner::from_pkcs12_file(&p12, "pw", default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::Expired { .. }), "{err:?}");
    let p12 = export(dir.path(), "hpki-signer-rsa1024", &[], "pw", &[]).expect("export");
    let err = SoftwareSigner::from_pkcs12_file(&p12, "pw", default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::WeakKey(_)), "{err:?}");
}

#[test]
fn not_a_pkcs12_file_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.p12");
    std::fs::write(&junk, entity("hpki-signer").cert_pem()).unwrap();
    let err = SoftwareSigner::from_pkcs12_file(&junk, "x", default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::Pkcs12(_)), "{err:?}");
    assert!(err.to_string().contains("junk.p12"), "{err}");
    let err =
        SoftwareSigner::from_pkcs12_file(&dir.path().join("none.p12"), "x", default_backend())
            .unwrap_err();
    assert!(matches!(err, SignerError::Read { .. }), "{err:?}");
}
