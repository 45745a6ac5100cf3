//! The aws-lc-rs backend (default).

use std::sync::Arc;

use aws_lc_rs::digest as lc_digest;
use aws_lc_rs::signature::{self as lc, KeyPair as _, ParsedPublicKey, VerificationAlgorithm};
use der::Encode;

use super::{CryptoBackend, CryptoError, SigningKey, check_digest, spki_parts};
use crate::alg::{Digest, DigestAlgorithm, PublicKeyKind, SignatureAlgorithm};
use crate::memo::DerMemo;

const NAME: &str = "aws-lc-rs";

/// The aws-lc-rs backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsLc;

fn unsupported(what: impl Into<String>) -> CryptoError {
    CryptoError::Unsupported {
        backend: NAME,
        what: what.into(),
    }
}

fn lc_digest_alg(d: DigestAlgorithm) -> Option<&'static lc_digest::Algorithm> {
    Some(match d {
        DigestAlgorithm::Sha1 => &lc_digest::SHA1_FOR_LEGACY_USE_ONLY,
        DigestAlgorithm::Sha256 => &lc_digest::SHA256,
        DigestAlgorithm::Sha384 => &lc_digest::SHA384,
        DigestAlgorithm::Sha512 => &lc_digest::SHA512,
        DigestAlgorithm::Sha3_256 => &lc_digest::SHA3_256,
        DigestAlgorithm::Sha3_384 => &lc_digest::SHA3_384,
        DigestAlgorithm::Sha3_512 => &lc_digest::SHA3_512,
        // aws-lc-rs 1.19 has no SHA3-224 digest.
        DigestAlgorithm::Sha3_224 => return None,
    })
}

fn import(digest: &Digest) -> Result<lc_digest::Digest, CryptoError> {
    let alg = lc_digest_alg(digest.algorithm())
        .ok_or_else(|| unsupported(format!("{} digests", digest.algorithm().name())))?;
    lc_digest::Digest::import_less_safe(digest.as_bytes(), alg)
        .map_err(|_| unsupported("digest import"))
}

/// Whether `d` is a SHA-3 digest (aws-lc-rs 1.19 has no RSA signature with them).
fn is_sha3(d: DigestAlgorithm) -> bool {
    matches!(
        d,
        DigestAlgorithm::Sha3_224
            | DigestAlgorithm::Sha3_256
            | DigestAlgorithm::Sha3_384
            | DigestAlgorithm::Sha3_512
    )
}

fn rsa_params(
    alg: SignatureAlgorithm,
    bits: usize,
) -> Result<&'static dyn VerificationAlgorithm, CryptoError> {
    use DigestAlgorithm::*;
    // RSA < 2048 is read only for legacy material; the verifier's algorithm policy decides
    // whether the result is acceptable.
    let small = bits < 2048;
    Ok(match (alg, small) {
        (SignatureAlgorithm::RsaPkcs1(Sha1), true) => {
            &lc::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
        }
        (SignatureAlgorithm::RsaPkcs1(Sha256), true) => {
            &lc::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        (SignatureAlgorithm::RsaPkcs1(Sha512), true) => {
            &lc::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        (SignatureAlgorithm::RsaPkcs1(Sha1), false) => {
            &lc::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
        }
        (SignatureAlgorithm::RsaPkcs1(Sha256), false) => &lc::RSA_PKCS1_2048_8192_SHA256,
        (SignatureAlgorithm::RsaPkcs1(Sha384), false) => &lc::RSA_PKCS1_2048_8192_SHA384,
        (SignatureAlgorithm::RsaPkcs1(Sha512), false) => &lc::RSA_PKCS1_2048_8192_SHA512,
        (SignatureAlgorithm::RsaPss { digest, salt_len }, false) => {
            let base: &'static lc::RsaParameters = match digest {
                Sha256 => &lc::RSA_PSS_2048_8192_SHA256,
                Sha384 => &lc::RSA_PSS_2048_8192_SHA384,
                Sha512 => &lc::RSA_PSS_2048_8192_SHA512,
                Sha1 => return Err(unsupported("RSA-PSS with SHA-1")),
                // Verified with `rsa_public` before (see `verify_digest`).
                Sha3_224 | Sha3_256 | Sha3_384 | Sha3_512 => {
                    return Err(unsupported(format!("{} with RSA-{bits}", alg.name())));
                }
            };
            if usize::from(salt_len) != digest.output_len() {
                // Verified with `rsa_public` before (see `verify_digest`).
                return Err(unsupported(format!("RSA-PSS salt length {salt_len}")));
            }
            base
        }
        (other, _) => return Err(unsupported(format!("{} with RSA-{bits}", other.name()))),
    })
}

fn ecdsa_params(
    alg: SignatureAlgorithm,
    kind: PublicKeyKind,
) -> Result<&'static dyn VerificationAlgorithm, CryptoError> {
    use DigestAlgorithm::*;
    Ok(match (kind, alg) {
        (PublicKeyKind::P256, SignatureAlgorithm::Ecdsa(Sha1)) => &lc::ECDSA_P256_SHA1_ASN1,
        (PublicKeyKind::P256, SignatureAlgorithm::Ecdsa(Sha256)) => &lc::ECDSA_P256_SHA256_ASN1,
        (PublicKeyKind::P256, SignatureAlgorithm::Ecdsa(Sha384)) => &lc::ECDSA_P256_SHA384_ASN1,
        (PublicKeyKind::P256, SignatureAlgorithm::Ecdsa(Sha512)) => &lc::ECDSA_P256_SHA512_ASN1,
        (PublicKeyKind::P384, SignatureAlgorithm::Ecdsa(Sha256)) => &lc::ECDSA_P384_SHA256_ASN1,
        (PublicKeyKind::P384, SignatureAlgorithm::Ecdsa(Sha384)) => &lc::ECDSA_P384_SHA384_ASN1,
        (PublicKeyKind::P384, SignatureAlgorithm::Ecdsa(Sha512)) => &lc::ECDSA_P384_SHA512_ASN1,
        (PublicKeyKind::P384, SignatureAlgorithm::Ecdsa(Sha3_384)) => &lc::ECDSA_P384_SHA3_384_ASN1,
        (k, a) => return Err(unsupported(format!("{} with {}", a.name(), k.name()))),
    })
}

impl CryptoBackend for AwsLc {
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
        verify_digest_with(None, spki_der, alg, digest, signature)
    }

    fn load_pkcs8(&self, pkcs8_der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        let info = <pkcs8::PrivateKeyInfo as der::Decode>::from_der(pkcs8_der)
            .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))?;
        let oid = info.algorithm.oid;
        if oid == crate::oid::RSA_ENCRYPTION {
            let kp = lc::RsaKeyPair::from_pkcs8(pkcs8_der)
                .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))?;
            let spki = spki_of_rsa(&kp)?;
            let kind = PublicKeyKind::from_spki_der(&spki)?;
            Ok(Arc::new(LcKey {
                inner: LcInner::Rsa(kp),
                spki,
                kind,
            }))
        } else if oid == crate::oid::EC_PUBLIC_KEY {
            let curve: der::asn1::ObjectIdentifier = info
                .algorithm
                .parameters
                .ok_or_else(|| CryptoError::BadPrivateKey("EC key without curve".into()))?
                .decode_as()
                .map_err(|e: der::Error| CryptoError::BadPrivateKey(e.to_string()))?;
            let (signing, kind) = match curve {
                crate::oid::SECP256R1 => (&lc::ECDSA_P256_SHA256_ASN1_SIGNING, PublicKeyKind::P256),
                crate::oid::SECP384R1 => (&lc::ECDSA_P384_SHA384_ASN1_SIGNING, PublicKeyKind::P384),
                other => return Err(unsupported(format!("EC curve {other}"))),
            };
            let kp = lc::EcdsaKeyPair::from_pkcs8(signing, pkcs8_der)
                .or_else(|_| lc::EcdsaKeyPair::from_private_key_der(signing, pkcs8_der))
                .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))?;
            let spki = super::spki_of_ec(kind, kp.public_key().as_ref())?;
            Ok(Arc::new(LcKey {
                inner: LcInner::Ec(kp),
                spki,
                kind,
            }))
        } else {
            Err(unsupported(format!("private key algorithm {oid}")))
        }
    }
}

fn spki_of_rsa(kp: &lc::RsaKeyPair) -> Result<Vec<u8>, CryptoError> {
    let pkcs1 = kp.public_key().as_ref().to_vec();
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: crate::oid::RSA_ENCRYPTION,
            parameters: Some(der::Any::from(der::asn1::Null)),
        },
        subject_public_key: der::asn1::BitString::from_bytes(&pkcs1)
            .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))?,
    };
    spki.to_der()
        .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))
}

enum LcInner {
    Rsa(lc::RsaKeyPair),
    Ec(lc::EcdsaKeyPair),
}

struct LcKey {
    inner: LcInner,
    spki: Vec<u8>,
    kind: PublicKeyKind,
}

impl std::fmt::Debug for LcKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsLcKey({})", self.kind.name())
    }
}

impl SigningKey for LcKey {
    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    fn warm_up(&self) {
        // The first random bytes of a process seed aws-lc's generator (CPU jitter
        // entropy, tens of milliseconds); the bytes themselves are not used.
        let _ = aws_lc_rs::rand::fill(&mut [0u8; 16]);
    }

    fn kind(&self) -> PublicKeyKind {
        self.kind
    }

    fn sign_digest(
        &self,
        alg: SignatureAlgorithm,
        digest: &Digest,
    ) -> Result<Vec<u8>, CryptoError> {
        use DigestAlgorithm::*;
        check_digest(&alg, digest)?;
        if !self.kind.fits(&alg) {
            return Err(crate::alg::AlgError::KeyMismatch.into());
        }
        let d = import(digest)?;
        match &self.inner {
            LcInner::Rsa(kp) => {
                let enc: &'static dyn lc::RsaEncoding = match alg {
                    SignatureAlgorithm::RsaPkcs1(Sha256) => &lc::RSA_PKCS1_SHA256,
                    SignatureAlgorithm::RsaPkcs1(Sha384) => &lc::RSA_PKCS1_SHA384,
                    SignatureAlgorithm::RsaPkcs1(Sha512) => &lc::RSA_PKCS1_SHA512,
                    SignatureAlgorithm::RsaPss { digest, salt_len }
                        if usize::from(salt_len) == digest.output_len() =>
                    {
                        match digest {
                            Sha256 => &lc::RSA_PSS_SHA256,
                            Sha384 => &lc::RSA_PSS_SHA384,
                            Sha512 => &lc::RSA_PSS_SHA512,
                            Sha1 => return Err(unsupported("signing with SHA-1")),
                            other => {
                                return Err(unsupported(format!("signing with {}", other.name())));
                            }
                        }
                    }
                    other => return Err(unsupported(format!("signing with {}", other.name()))),
                };
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign_digest(enc, &d, &mut sig)
                    .map_err(|_| CryptoError::SigningFailed("aws-lc RSA sign".into()))?;
                Ok(sig)
            }
            LcInner::Ec(kp) => {
                let ok = matches!(
                    (self.kind, alg),
                    (PublicKeyKind::P256, SignatureAlgorithm::Ecdsa(Sha256))
                        | (PublicKeyKind::P384, SignatureAlgorithm::Ecdsa(Sha384))
                );
                if !ok {
                    return Err(unsupported(format!(
                        "{} with {}",
                        alg.name(),
                        self.kind.name()
                    )));
                }
                let sig = kp
                    .sign_digest(&d)
                    .map_err(|_| CryptoError::SigningFailed("aws-lc ECDSA sign".into()))?;
                Ok(sig.as_ref().to_vec())
            }
        }
    }
}

/// Whether aws-lc-rs has no parameters for `alg`, which the `rsa` crate's public-key
/// operation then verifies: RSA with a SHA-3 digest (not in aws-lc-rs 1.19), RSA-PSS with a
/// salt length other than the digest length (aws-lc-rs wants `&'static` parameters).
fn by_rsa_crate(alg: SignatureAlgorithm) -> bool {
    match alg {
        SignatureAlgorithm::RsaPkcs1(d) => is_sha3(d),
        SignatureAlgorithm::RsaPss { digest, salt_len } => {
            is_sha3(digest) || usize::from(salt_len) != digest.output_len()
        }
        _ => false,
    }
}

/// Verifies with the key of `spki_der`, parsed now or taken from `keys` (and kept there).
pub(super) fn verify_digest_with(
    keys: Option<&ParsedKeys>,
    spki_der: &[u8],
    alg: SignatureAlgorithm,
    digest: &Digest,
    signature: &[u8],
) -> Result<(), CryptoError> {
    check_digest(&alg, digest)?;
    if by_rsa_crate(alg) {
        let (kind, key) = spki_parts(spki_der)?;
        if !kind.fits(&alg) {
            return Err(crate::alg::AlgError::KeyMismatch.into());
        }
        return super::rsa_public::verify(&key, alg, digest, signature);
    }
    let key = match keys {
        Some(k) => k.parsed(spki_der, alg)?,
        None => Arc::new(parse_key(spki_der, alg)?),
    };
    key.verify_digest_sig(&import(digest)?, signature)
        .map_err(|_| CryptoError::BadSignature)
}

fn parse_key(spki_der: &[u8], alg: SignatureAlgorithm) -> Result<ParsedPublicKey, CryptoError> {
    let (kind, key) = spki_parts(spki_der)?;
    if !kind.fits(&alg) {
        return Err(crate::alg::AlgError::KeyMismatch.into());
    }
    let params = match kind {
        PublicKeyKind::Rsa { bits } => rsa_params(alg, bits)?,
        PublicKeyKind::P256 | PublicKeyKind::P384 => ecdsa_params(alg, kind)?,
    };
    ParsedPublicKey::new(params, &key).map_err(|e| CryptoError::BadPublicKey(e.to_string()))
}

/// Keys kept before the cache starts afresh (bounded memory whatever the input).
const MAX_KEYS: usize = 4096;

/// Parsed public keys per SubjectPublicKeyInfo encoding and algorithm, so that verifying
/// many signatures of the same certificate (TSA tokens, a CA's certificates) parses and
/// checks its key once; held by a [`super::KeyCache`].
pub(super) struct ParsedKeys(DerMemo<(SignatureAlgorithm, Arc<ParsedPublicKey>)>);

impl Default for ParsedKeys {
    fn default() -> Self {
        Self(DerMemo::new(MAX_KEYS))
    }
}

impl std::fmt::Debug for ParsedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParsedKeys({})", self.0.len())
    }
}

impl ParsedKeys {
    fn parsed(
        &self,
        spki_der: &[u8],
        alg: SignatureAlgorithm,
    ) -> Result<Arc<ParsedPublicKey>, CryptoError> {
        let for_alg = |(a, _): &(SignatureAlgorithm, _)| *a == alg;
        if let Some((_, k)) = self.0.get(spki_der, for_alg) {
            return Ok(k);
        }
        let key = Arc::new(parse_key(spki_der, alg)?);
        self.0.insert(spki_der, (alg, Arc::clone(&key)), for_alg);
        Ok(key)
    }
}
