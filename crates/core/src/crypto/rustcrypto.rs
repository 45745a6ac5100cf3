//! The pure-Rust backend (`rsa`, `p256`, `p384`), behind the `rustcrypto` feature.
//!
//! Slower than aws-lc-rs, and `rsa` 0.9 carries the RUSTSEC-2023-0071 timing advisory on
//! private-key operations: prefer [`super::AwsLc`] for anything network-facing.

use std::sync::Arc;

use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use rsa::traits::PublicKeyParts;

use super::rsa_public::{pkcs1_scheme, pss_scheme};
use super::{CryptoBackend, CryptoError, SigningKey, check_digest, rsa_public, spki_parts};
use crate::alg::{AlgError, Digest, DigestAlgorithm, PublicKeyKind, SignatureAlgorithm};

const NAME: &str = "rustcrypto";

/// The pure-Rust backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

fn bad_key(e: impl std::fmt::Display) -> CryptoError {
    CryptoError::BadPublicKey(e.to_string())
}

impl CryptoBackend for RustCrypto {
    fn name(&self) -> &'static str {
        NAME
    }

    fn verify_digest(
        &self,
        spki_der: &[u8],
        alg: SignatureAlgorithm,
        digest: &Digest,
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        check_digest(&alg, digest)?;
        let (kind, key) = spki_parts(spki_der)?;
        if !kind.fits(&alg) {
            return Err(AlgError::KeyMismatch.into());
        }
        let hashed = digest.as_bytes();
        let ok = match (kind, alg) {
            (PublicKeyKind::Rsa { .. }, _) => {
                return rsa_public::verify(&key, alg, digest, signature);
            }
            (PublicKeyKind::P256, SignatureAlgorithm::Ecdsa(_)) => {
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&key).map_err(bad_key)?;
                match p256::ecdsa::Signature::from_der(signature) {
                    Ok(sig) => vk.verify_prehash(hashed, &sig).is_ok(),
                    Err(_) => false,
                }
            }
            (PublicKeyKind::P384, SignatureAlgorithm::Ecdsa(_)) => {
                let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(&key).map_err(bad_key)?;
                match p384::ecdsa::Signature::from_der(signature) {
                    Ok(sig) => vk.verify_prehash(hashed, &sig).is_ok(),
                    Err(_) => false,
                }
            }
            _ => return Err(AlgError::KeyMismatch.into()),
        };
        if ok {
            Ok(())
        } else {
            Err(CryptoError::BadSignature)
        }
    }

    fn load_pkcs8(&self, pkcs8_der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        let bad = |e: &dyn std::fmt::Display| CryptoError::BadPrivateKey(e.to_string());
        let info =
            <pkcs8::PrivateKeyInfo as der::Decode>::from_der(pkcs8_der).map_err(|e| bad(&e))?;
        let (inner, kind) = if info.algorithm.oid == crate::oid::RSA_ENCRYPTION {
            let k = RsaPrivateKey::from_pkcs8_der(pkcs8_der).map_err(|e| bad(&e))?;
            let bits = k.n().bits();
            (RcInner::Rsa(Box::new(k)), PublicKeyKind::Rsa { bits })
        } else if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8_der) {
            (RcInner::P256(Box::new(k)), PublicKeyKind::P256)
        } else if let Ok(k) = p384::ecdsa::SigningKey::from_pkcs8_der(pkcs8_der) {
            (RcInner::P384(Box::new(k)), PublicKeyKind::P384)
        } else {
            return Err(CryptoError::Unsupported {
                backend: NAME,
                what: format!("private key algorithm {}", info.algorithm.oid),
            });
        };
        let spki = match &inner {
            RcInner::Rsa(k) => {
                use rsa::pkcs8::EncodePublicKey;
                k.to_public_key()
                    .to_public_key_der()
                    .map_err(|e| bad(&e))?
                    .into_vec()
            }
            RcInner::P256(k) => {
                super::spki_of_ec(kind, &k.verifying_key().to_encoded_point(false).to_bytes())?
            }
            RcInner::P384(k) => {
                super::spki_of_ec(kind, &k.verifying_key().to_encoded_point(false).to_bytes())?
            }
        };
        Ok(Arc::new(RcKey { inner, spki, kind }))
    }
}

enum RcInner {
    Rsa(Box<RsaPrivateKey>),
    P256(Box<p256::ecdsa::SigningKey>),
    P384(Box<p384::ecdsa::SigningKey>),
}

struct RcKey {
    inner: RcInner,
    spki: Vec<u8>,
    kind: PublicKeyKind,
}

impl std::fmt::Debug for RcKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RustCryptoKey({})", self.kind.name())
    }
}

impl SigningKey for RcKey {
    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    fn kind(&self) -> PublicKeyKind {
        self.kind
    }

    fn sign_digest(
        &self,
        alg: SignatureAlgorithm,
        digest: &Digest,
    ) -> Result<Vec<u8>, CryptoError> {
        check_digest(&alg, digest)?;
        if alg.digest() == DigestAlgorithm::Sha1 {
            return Err(CryptoError::Unsupported {
                backend: NAME,
                what: "signing with SHA-1".into(),
            });
        }
        let failed = |e: &dyn std::fmt::Display| CryptoError::SigningFailed(e.to_string());
        let hashed = digest.as_bytes();
        match (&self.inner, alg) {
            (RcInner::Rsa(k), SignatureAlgorithm::RsaPkcs1(d)) => {
                k.sign(pkcs1_scheme(d), hashed).map_err(|e| failed(&e))
            }
            (RcInner::Rsa(k), SignatureAlgorithm::RsaPss { digest, salt_len }) => {
                let mut rng = rand_core::OsRng;
                k.sign_with_rng(&mut rng, pss_scheme(digest, usize::from(salt_len)), hashed)
                    .map_err(|e| failed(&e))
            }
            (RcInner::P256(k), SignatureAlgorithm::Ecdsa(_)) => {
                let sig: p256::ecdsa::Signature = k.sign_prehash(hashed).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            (RcInner::P384(k), SignatureAlgorithm::Ecdsa(_)) => {
                let sig: p384::ecdsa::Signature = k.sign_prehash(hashed).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            _ => Err(AlgError::KeyMismatch.into()),
        }
    }
}
