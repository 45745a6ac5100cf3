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
