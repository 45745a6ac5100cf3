//! SoftwareSigner: PEM/PKCS#8 files and keys loaded by each crypto backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::OnceLock;

use kenpo_core::alg::{Digest, DigestAlgorithm, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{CryptoError, backends, default_backend};
use kenpo_sign::Signer;
use kenpo_sign::signer::{SignerError, SoftwareSigner, check_before_use};
use kenpo_testpki::{Config, Entity, TestPki};

fn pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| kenpo_testpki::generate(&Config::default()).unwrap())
}

fn entity(name: &str) -> &'static Entity {
    pki().entity(name).unwrap()
}

fn spki_of(cert: &[u8]) -> Vec<u8> {
    CertRef::parse(cert).unwrap().spki.to_vec()
}

fn digest(alg: SignatureAlgorithm) -> Digest {
    alg.digest().digest(
        b"\xe8\xa8\xba\xe7\x99\x82\xe5\xa0\xb1\xe9\x85\xac\xe6\x98\x8e\xe7\xb4\xb0\xe6\x9b\xb8",
    )
}

const RSA_ALGS: [SignatureAlgorithm; 6] = [
    SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256),
    SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha384),
    SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha512),
    SignatureAlgorithm::RsaPss {
        digest: DigestAlgorithm::Sha256,
        salt_len: 32,
    },
    SignatureAlgorithm::RsaPss {
        digest: DigestAlgorithm::Sha384,
        salt_len: 48,
    },
    SignatureAlgorithm::RsaPss {
        digest: DigestAlgorithm::Sha512,
        salt_len: 64,
    },
];

#[test]
fn signs_and_verifies_with_every_backend() {
    let cases: [(&str, &[SignatureAlgorithm]); 2] = [
        ("hpki-signer", &RSA_ALGS),
        (
            "accredited-signer-ecdsa",
            &[SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256)],
        ),
    ];
    for backend in backends() {
        for (name, algs) in cases {
            let e = entity(name);
            let issuer = entity(e.issuer.as_deref().unwrap());
            let key = backend.load_pkcs8(&e.key_pkcs8_der).unwrap();
            let signer =
                SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![issuer.cert_der.clone()])
                    .unwrap();
            assert_eq!(signer.certificate(), e.cert_der.as_slice());
            assert_eq!(signer.chain(), std::slice::from_ref(&issuer.cert_der));
            assert_eq!(
                signer.key().public_key_spki(),
                spki_of(&e.cert_der).as_slice()
            );
            for &alg in algs {
                let d = digest(alg);
                let sig = signer.key().sign_digest(alg, &d).unwrap_or_else(|err| {
                    panic!("{} {name} {}: {err}", backend.name(), alg.name())
                });
                // Every backend accepts what any backend produced.
                for verifier in backends() {
                    verifier
                        .verify_digest(&spki_of(&e.cert_der), alg, &d, &sig)
                        .unwrap_or_else(|err| {
                            panic!(
                                "{} signed, {} verifies {name} {}: {err}",
                                backend.name(),
                                verifier.name(),
                                alg.name()
                            )
                        });
                }
                // A different digest does not verify.
                let other = alg.digest().digest(b"other");
                assert_eq!(
                    backend.verify_digest(&spki_of(&e.cert_der), alg, &other, &sig),
                    Err(CryptoError::BadSignature)
                );
            }
        }
    }
}

fn write_pem_files(dir: &std::path::Path, cert: &Entity, key: &Entity) -> (PathBuf, PathBuf) {
    let c = dir.join(format!("{}.pem", cert.name));
    let k = dir.join(format!("{}.key.pem", key.name));
    std::fs::write(&c, cert.cert_pem()).unwrap();
    std::fs::write(&k, key.key_pem()).unwrap();
    (c, k)
}

#[test]
fn loads_pem_files_with_chain() {
    let dir = tempfile::tempdir().unwrap();
    let e = entity("hpki-signer");
    let (c, k) = write_pem_files(dir.path(), e, e);
    let ca = dir.path().join("chain.pem");
    let chain_pem = format!(
        "{}{}",
        entity("hpki-sign-ca").cert_pem(),
        entity("root-ca").cert_pem()
    );
    std::fs::write(&ca, chain_pem).unwrap();
    for backend in backends() {
        let signer =
            SoftwareSigner::from_pem_files(&c, &k, std::slice::from_ref(&ca), backend).unwrap();
        assert_eq!(signer.certificate(), e.cert_der.as_slice());
        assert_eq!(
            signer.chain(),
            &[
                entity("hpki-sign-ca").cert_der.clone(),
                entity("root-ca").cert_der.clone()
            ]
        );
        let alg = signer.key().default_algorithm();
        assert_eq!(alg, SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256));
        let d = digest(alg);
        let sig = signer.key().sign_digest(alg, &d).unwrap();
        default_backend()
            .verify_digest(&spki_of(&e.cert_der), alg, &d, &sig)
            .unwrap();
    }

    // DER files work too; extra certificates in the certificate file join the chain.
    let cder = dir.path().join("bundle.der");
    let mut bundle = e.cert_der.clone();
    bundle.extend_from_slice(&entity("hpki-sign-ca").cert_der);
    std::fs::write(&cder, bundle).unwrap();
    let kder = dir.path().join("key.der");
    std::fs::write(&kder, &e.key_pkcs8_der).unwrap();
    let signer = SoftwareSigner::from_pem_files(&cder, &kder, &[], default_backend()).unwrap();
    assert_eq!(signer.chain(), &[entity("hpki-sign-ca").cert_der.clone()]);
}

#[test]
fn key_not_matching_the_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // RSA key of another signer, and an EC key, with the hpki-signer certificate.
    for other in ["accredited-signer", "accredited-signer-ecdsa"] {
        let (c, k) = write_pem_files(dir.path(), entity("hpki-signer"), entity(other));
        for backend in backends() {
            let err = SoftwareSigner::from_pem_files(&c, &k, &[], backend).unwrap_err();
            assert!(matches!(err, SignerError::KeyMismatch), "{other}: {err:?}");
            assert!(err.to_string().contains("does not match"), "{err}");
            assert!(!err.is_refusal());
        }
    }
    let key = default_backend()
        .load_pkcs8(&entity("accredited-signer").key_pkcs8_der)
        .unwrap();
    let err = check_before_use(
        key.as_ref(),
        &entity("hpki-signer").cert_der,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap_err();
    assert!(matches!(err, SignerError::KeyMismatch));
}

#[test]
fn expired_and_not_yet_valid_certificates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = entity("hpki-signer-expired");
    let (c, k) = write_pem_files(dir.path(), e, e);
    let err = SoftwareSigner::from_pem_files(&c, &k, &[], default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::Expired { .. }), "{err:?}");
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(err.is_refusal());

    let e = entity("hpki-signer-notyet");
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let err = SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![]).unwrap_err();
    assert!(matches!(err, SignerError::NotYetValid { .. }), "{err:?}");

    // check_before_use at a time inside the validity period accepts the same pair.
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let later = pki().now() + time::Duration::days(60);
    check_before_use(key.as_ref(), &e.cert_der, later).unwrap();
}

#[test]
fn rsa_1024_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = entity("hpki-signer-rsa1024");
    let (c, k) = write_pem_files(dir.path(), e, e);
    for backend in backends() {
        let err = SoftwareSigner::from_pem_files(&c, &k, &[], backend).unwrap_err();
        assert!(matches!(err, SignerError::WeakKey(_)), "{err:?}");
        assert!(err.to_string().contains("RSA-1024"), "{err}");
        // A key the backend loads is refused as well.
        if let Ok(key) = backend.load_pkcs8(&e.key_pkcs8_der) {
            let err = SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![]).unwrap_err();
            assert!(matches!(err, SignerError::WeakKey(_)), "{err:?}");
        }
    }
}

#[test]
fn sha1_and_mismatched_algorithms_are_refused_at_signing() {
    let e = entity("hpki-signer");
    let key = default_backend().load_pkcs8(&e.key_pkcs8_der).unwrap();
    let signer = SoftwareSigner::from_parts(key, e.cert_der.clone(), vec![]).unwrap();
    let sha1 = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha1);
    let err = signer.key().sign_digest(sha1, &digest(sha1)).unwrap_err();
    assert!(err.to_string().contains("SHA-1"), "{err}");
    // Digest of another algorithm than the signature algorithm names.
    let sha256 = SignatureAlgorithm::RsaPkcs1(DigestAlgorithm::Sha256);
    let err = signer
        .key()
        .sign_digest(sha256, &DigestAlgorithm::Sha384.digest(b"x"))
        .unwrap_err();
    assert!(matches!(err, CryptoError::DigestMismatch { .. }), "{err:?}");
    // ECDSA with an RSA key.
    let ecdsa = SignatureAlgorithm::Ecdsa(DigestAlgorithm::Sha256);
    assert!(signer.key().sign_digest(ecdsa, &digest(ecdsa)).is_err());
}

#[test]
fn missing_and_malformed_files_name_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let e = entity("hpki-signer");
    let (c, k) = write_pem_files(dir.path(), e, e);
    let missing = dir.path().join("missing.pem");

    let err = SoftwareSigner::from_pem_files(&c, &missing, &[], default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.pem"), "{err}");

    let err = SoftwareSigner::from_pem_files(&missing, &k, &[], default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::Read { .. }), "{err:?}");

    // A certificate where the key should be.
    let err = SoftwareSigner::from_pem_files(&c, &c, &[], default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::Key(_)), "{err:?}");
    // A key where the certificate should be.
    let err = SoftwareSigner::from_pem_files(&k, &k, &[], default_backend()).unwrap_err();
    assert!(matches!(err, SignerError::Certificate(_)), "{err:?}");
    // Encrypted PKCS#8 is pointed at PKCS#12.
    let enc = dir.path().join("enc.pem");
    std::fs::write(
        &enc,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    let err = SoftwareSigner::from_pem_files(&c, &enc, &[], default_backend()).unwrap_err();
    assert!(err.to_string().contains("PKCS#12"), "{err}");
}
