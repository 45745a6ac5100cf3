//! RSA signature verification with the pure-Rust `rsa` crate: every RSA check of the
//! [`super::RustCrypto`] backend, and the RSA signatures with SHA-3 digests that aws-lc-rs
//! 1.19 does not implement, for [`super::AwsLc`]. Public-key operations only: the
//! RUSTSEC-2023-0071 timing advisory of `rsa` concerns private-key operations.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};

use super::CryptoError;
use crate::alg::{AlgError, Digest, DigestAlgorithm, SignatureAlgorithm};

/// RSASSA-PKCS1-v1_5 with the DigestInfo of `d`.
pub(crate) fn pkcs1_scheme(d: DigestAlgorithm) -> Pkcs1v15Sign {
    match d {
        DigestAlgorithm::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        DigestAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        DigestAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        DigestAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        DigestAlgorithm::Sha3_224 => Pkcs1v15Sign::new::<sha3::Sha3_224>(),
        DigestAlgorithm::Sha3_256 => Pkcs1v15Sign::new::<sha3::Sha3_256>(),
        DigestAlgorithm::Sha3_384 => Pkcs1v15Sign::new::<sha3::Sha3_384>(),
        DigestAlgorithm::Sha3_512 => Pkcs1v15Sign::new::<sha3::Sha3_512>(),
    }
}

/// RSASSA-PSS with MGF1 over `d` and a salt of `salt` bytes.
pub(crate) fn pss_scheme(d: DigestAlgorithm, salt: usize) -> Pss {
    match d {
        DigestAlgorithm::Sha1 => Pss::new_with_salt::<sha1::Sha1>(salt),
        DigestAlgorithm::Sha256 => Pss::new_with_salt::<sha2::Sha256>(salt),
        DigestAlgorithm::Sha384 => Pss::new_with_salt::<sha2::Sha384>(salt),
        DigestAlgorithm::Sha512 => Pss::new_with_salt::<sha2::Sha512>(salt),
        DigestAlgorithm::Sha3_224 => Pss::new_with_salt::<sha3::Sha3_224>(salt),
        DigestAlgorithm::Sha3_256 => Pss::new_with_salt::<sha3::Sha3_256>(salt),
        DigestAlgorithm::Sha3_384 => Pss::new_with_salt::<sha3::Sha3_384>(salt),
        DigestAlgorithm::Sha3_512 => Pss::new_with_salt::<sha3::Sha3_512>(salt),
    }
}

/// Verifies an RSA signature over a message whose digest is `digest`, with the PKCS#1
/// `RSAPublicKey` `key` (the subjectPublicKey of an rsaEncryption SPKI).
pub(crate) fn verify(
    key: &[u8],
    alg: SignatureAlgorithm,
    digest: &Digest,
    signature: &[u8],
) -> Result<(), CryptoError> {
    let pk =
        RsaPublicKey::from_pkcs1_der(key).map_err(|e| CryptoError::BadPublicKey(e.to_string()))?;
    let hashed = digest.as_bytes();
    let ok = match alg {
        SignatureAlgorithm::RsaPkcs1(d) => pk.verify(pkcs1_scheme(d), hashed, signature).is_ok(),
        SignatureAlgorithm::RsaPss { digest, salt_len } => pk
            .verify(pss_scheme(digest, usize::from(salt_len)), hashed, signature)
            .is_ok(),
        SignatureAlgorithm::Ecdsa(_) => return Err(AlgError::KeyMismatch.into()),
    };
    if ok {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}
