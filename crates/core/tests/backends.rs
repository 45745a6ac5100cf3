//! Every compiled-in backend signs, and every backend verifies every other's signatures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
};
use kenpo_core::alg::{DigestAlgorithm::*, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::crypto::{CryptoError, backends};

fn rsa_pkcs8(size: KeySize) -> Vec<u8> {
    let k = PrivateDecryptingKey::generate(size).unwrap();
    k.as_der().unwrap().as_ref().to_vec()
}

fn ec_pkcs8(alg: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm) -> Vec<u8> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    EcdsaKeyPair::generate_pkcs8(alg, &rng)
        .unwrap()
        .as_ref()
        .to_vec()
}

#[test]
fn all_backends_agree() {
    let cases = [
        (
            rsa_pkcs8(KeySize::Rsa2048),
            vec![
                SignatureAlgorithm::RsaPkcs1(Sha256),
                SignatureAlgorithm::RsaPkcs1(Sha384),
                SignatureAlgorithm::RsaPkcs1(Sha512),
                SignatureAlgorithm::RsaPss {
                    digest: Sha256,
                    salt_len: 32,
                },
                SignatureAlgorithm::RsaPss {
                    digest: Sha512,
                    salt_len: 64,
                },
            ],
            PublicKeyKind::Rsa { bits: 2048 },
        ),
        (
            ec_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING),
            vec![SignatureAlgorithm::Ecdsa(Sha256)],
            PublicKeyKind::P256,
        ),
        (
            ec_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING),
            vec![SignatureAlgorithm::Ecdsa(Sha384)],
            PublicKeyKind::P384,
        ),
    ];
    let all = backends();
    assert!(!all.is_empty());
    for (pkcs8, algs, kind) in &cases {
        for signer in &all {
            let key = signer.load_pkcs8(pkcs8).unwrap();
            assert_eq!(key.kind(), *kind, "{}", signer.name());
            for alg in algs {
                let msg = b"rule 27: the whole signed document";
                let digest = alg.digest().digest(msg);
                let sig = key.sign_digest(*alg, &digest).unwrap();
                for verifier in &all {
                    verifier
                        .verify(key.public_key_spki(), *alg, msg, &sig)
                        .unwrap_or_else(|e| {
                            panic!(
                                "{} signed {}, {} rejects: {e}",
                                signer.name(),
                                alg.name(),
                                verifier.name()
                            )
                        });
                    let other = alg.digest().digest(b"other data");
                    assert_eq!(
                        verifier.verify_digest(key.public_key_spki(), *alg, &other, &sig),
                        Err(CryptoError::BadSignature),
                        "{} must reject a signature over other data",
                        verifier.name()
                    );
                }
                let wrong = Sha1.digest(msg);
                assert!(matches!(
                    key.sign_digest(*alg, &wrong),
                    Err(CryptoError::DigestMismatch { .. })
                ));
            }
        }
    }
}

#[test]
fn garbage_keys_and_signatures_are_errors() {
    for b in backends() {
        assert!(matches!(
            b.load_pkcs8(b"not a key"),
            Err(CryptoError::BadPrivateKey(_))
        ));
        assert!(
            b.verify(
                b"\x30\x00",
                SignatureAlgorithm::RsaPkcs1(Sha256),
                b"m",
                b"s"
            )
            .is_err()
        );
        let key = b
            .load_pkcs8(&ec_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING))
            .unwrap();
        let r = b.verify(
            key.public_key_spki(),
            SignatureAlgorithm::Ecdsa(Sha256),
            b"m",
            &[0x30, 0x02, 0x02],
        );
        assert_eq!(r, Err(CryptoError::BadSignature), "{}", b.name());
        let r = b.verify(
            key.public_key_spki(),
            SignatureAlgorithm::RsaPkcs1(Sha256),
            b"m",
            b"sig",
        );
        assert!(
            r.is_err(),
            "{}: RSA algorithm on an EC key must fail",
            b.name()
        );
    }
}

/// SHA-3 signatures (as EU DSS makes them), signed by the pure-Rust backend: every backend
/// verifies RSA PKCS#1 and PSS with SHA3-224/256/384/512 and ECDSA P-384 with SHA3-384, and
/// refuses them once altered. ECDSA P-256 with SHA3-256 is not in aws-lc-rs 1.19: that
/// backend says so (an unsupported algorithm, never a bad signature).
#[cfg(feature = "rustcrypto")]
#[test]
fn sha3_signatures_verify_with_every_backend() {
    use kenpo_core::crypto::RustCrypto;
    let sha3 = [Sha3_224, Sha3_256, Sha3_384, Sha3_512];
    let mut cases: Vec<(Vec<u8>, SignatureAlgorithm)> = Vec::new();
    let rsa = rsa_pkcs8(KeySize::Rsa2048);
    for d in sha3 {
        cases.push((rsa.clone(), SignatureAlgorithm::RsaPkcs1(d)));
        let salt_len = u16::try_from(d.output_len()).unwrap();
        cases.push((
            rsa.clone(),
            SignatureAlgorithm::RsaPss {
                digest: d,
                salt_len,
            },
        ));
    }
    cases.push((
        ec_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING),
        SignatureAlgorithm::Ecdsa(Sha3_384),
    ));
    let message = b"SHA-3 signed by a RustCrypto key";
    for (pkcs8, alg) in &cases {
        let key = kenpo_core::crypto::CryptoBackend::load_pkcs8(&RustCrypto, pkcs8).unwrap();
        let digest = alg.digest().digest(message);
        let sig = key.sign_digest(*alg, &digest).unwrap();
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        for b in backends() {
            let spki = key.public_key_spki();
            assert_eq!(
                b.verify(spki, *alg, message, &sig),
                Ok(()),
                "{} {}",
                b.name(),
                alg.name()
            );
            assert!(
                b.verify(spki, *alg, message, &bad).is_err(),
                "{} {}",
                b.name(),
                alg.name()
            );
        }
    }
    // ECDSA P-256 with SHA3-256.
    let p256 = ec_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING);
    let key = kenpo_core::crypto::CryptoBackend::load_pkcs8(&RustCrypto, &p256).unwrap();
    let alg = SignatureAlgorithm::Ecdsa(Sha3_256);
    let sig = key.sign_digest(alg, &Sha3_256.digest(message)).unwrap();
    for b in backends() {
        match b.verify(key.public_key_spki(), alg, message, &sig) {
            Ok(()) => assert_eq!(b.name(), "rustcrypto"),
            Err(e) => assert!(
                matches!(e, CryptoError::Unsupported { .. }) && b.name() == "aws-lc-rs",
                "{}: {e}",
                b.name()
            ),
        }
    }
}
