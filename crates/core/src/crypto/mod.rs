//! The crypto backend: one small trait for "verify a signature" and "load a key that signs
//! a digest".
//!
//! Two implementations exist, selected by cargo features of `kenpo-core`:
//!
//! | feature | backend | notes |
//! |---|---|---|
//! | `aws-lc` (default) | [`AwsLc`] | constant-time signing, ~7× faster RSA verify than `rsa` |
//! | `rustcrypto` | [`RustCrypto`] | pure Rust (`rsa`, `p256`, `p384`); `rsa` has the RUSTSEC-2023-0071 timing advisory on private-key operations |
//!
//! [`default_backend`] prefers aws-lc-rs when both are compiled in; [`backends`] lists all
//! compiled-in backends so that tests can run the same assertions against each.
//!
//! Signing works on *digests* so that documents are hashed once, as a stream, and so that
//! keys held elsewhere (PKCS#11 tokens, remote KMS) fit the same [`SigningKey`] trait.

#[cfg(not(any(feature = "aws-lc", feature = "rustcrypto")))]
compile_error!("kenpo-core needs at least one crypto backend: enable `aws-lc` or `rustcrypto`");

#[cfg(feature = "aws-lc")]
mod aws_lc;
mod rsa_public;
#[cfg(feature = "rustcrypto")]
mod rustcrypto;

#[cfg(feature = "aws-lc")]
pub use aws_lc::AwsLc;
#[cfg(feature = "rustcrypto")]
pub use rustcrypto::RustCrypto;

use std::sync::Arc;

use der::Encode;

use crate::alg::{AlgError, Digest, PublicKeyKind, SignatureAlgorithm};

/// Errors from a crypto backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// Algorithm problem (unsupported, or key and algorithm do not fit).
    #[error(transparent)]
    Algorithm(#[from] AlgError),
    /// The digest's algorithm is not the one the signature algorithm names.
    #[error("digest algorithm {got} does not match the signature algorithm ({expected})")]
    DigestMismatch {
        /// What the signature algorithm needs.
        expected: &'static str,
        /// What was given.
        got: &'static str,
    },
    /// The backend does not implement this combination (e.g. RSA-1024 with SHA-384).
    #[error("{backend} backend does not support {what}")]
    Unsupported {
        /// Backend name.
        backend: &'static str,
        /// What is missing.
        what: String,
    },
    /// The public key could not be parsed.
    #[error("malformed public key: {0}")]
    BadPublicKey(String),
    /// The private key could not be parsed or was rejected.
    #[error("private key rejected: {0}")]
    BadPrivateKey(String),
    /// Signing failed inside the backend or the token.
    #[error("signing failed: {0}")]
    SigningFailed(String),
}

/// A crypto implementation: signature verification and private-key loading.
pub trait CryptoBackend: Send + Sync + std::fmt::Debug {
    /// Short name (`aws-lc-rs`, `rustcrypto`).
    fn name(&self) -> &'static str;

    /// Verifies `signature` over a message whose digest is `digest`, with the public key in
    /// `spki_der` (a DER `SubjectPublicKeyInfo`).
    fn verify_digest(
        &self,
        spki_der: &[u8],
        alg: SignatureAlgorithm,
        digest: &Digest,
        signature: &[u8],
    ) -> Result<(), CryptoError>;

    /// Loads a PKCS#8 (DER) private key.
    fn load_pkcs8(&self, pkcs8_der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError>;

    /// Verifies `signature` over `message` (hashing it with the algorithm's digest first).
    fn verify(
        &self,
        spki_der: &[u8],
        alg: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let digest = alg.digest().digest(message);
        self.verify_digest(spki_der, alg, &digest, signature)
    }
}

/// A private key that signs digests: a software key, a PKCS#11 token key or a remote key.
pub trait SigningKey: Send + Sync + std::fmt::Debug {
    /// The public key as a DER `SubjectPublicKeyInfo`.
    fn public_key_spki(&self) -> &[u8];

    /// Kind and size of the key.
    fn kind(&self) -> PublicKeyKind;

    /// Signs a precomputed digest with `alg` and returns the signature value as CMS and
    /// X.509 carry it (ECDSA: DER `Ecdsa-Sig-Value`).
    fn sign_digest(&self, alg: SignatureAlgorithm, digest: &Digest)
    -> Result<Vec<u8>, CryptoError>;

    /// The algorithm used when the caller does not choose one.
    fn default_algorithm(&self) -> SignatureAlgorithm {
        self.kind().default_signature_algorithm()
    }

    /// Does ahead of time what the first signature would otherwise wait for (the aws-lc
    /// key: seeding the library's random generator, which RSA blinding and ECDSA use), so
    /// a caller can overlap it with other work — hashing a large document. Default:
    /// nothing. Signing works the same without it.
    fn warm_up(&self) {}
}

/// Checks that a digest fits a signature algorithm (shared by the backends).
pub(crate) fn check_digest(alg: &SignatureAlgorithm, digest: &Digest) -> Result<(), CryptoError> {
    if alg.digest() != digest.algorithm() {
        return Err(CryptoError::DigestMismatch {
            expected: alg.digest().name(),
            got: digest.algorithm().name(),
        });
    }
    Ok(())
}

/// The default backend keeping the public keys it has parsed (with aws-lc-rs; the
/// RustCrypto backend parses each time), and counting its verifications: owned by a
/// verification context (e.g. in a [`crate::cert_cache::CertCache`]), never by the process.
#[derive(Debug, Default)]
pub struct KeyCache {
    #[cfg(feature = "aws-lc")]
    keys: aws_lc::ParsedKeys,
    verifications: std::sync::atomic::AtomicU64,
}

impl KeyCache {
    /// Signature verifications made through this cache so far (every
    /// [`CryptoBackend::verify_digest`] call, whatever its outcome): what an operation costs
    /// in signature checks, for benchmarks and tests.
    pub fn verifications(&self) -> u64 {
        self.verifications
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl CryptoBackend for KeyCache {
    fn name(&self) -> &'static str {
        default_backend().name()
    }

    fn verify_digest(
        &self,
        spki_der: &[u8],
        alg: SignatureAlgorithm,
        digest: &Digest,
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.verifications
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        #[cfg(feature = "aws-lc")]
        {
            aws_lc::verify_digest_with(Some(&self.keys), spki_der, alg, digest, signature)
        }
        #[cfg(not(feature = "aws-lc"))]
        {
            default_backend().verify_digest(spki_der, alg, digest, signature)
        }
    }

    fn load_pkcs8(&self, pkcs8_der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        default_backend().load_pkcs8(pkcs8_der)
    }
}

/// The backend used when none is chosen: aws-lc-rs if compiled in, else RustCrypto.
pub fn default_backend() -> &'static dyn CryptoBackend {
    #[cfg(feature = "aws-lc")]
    {
        &AwsLc
    }
    #[cfg(not(feature = "aws-lc"))]
    {
        &RustCrypto
    }
}

/// Every backend compiled into this build, default first.
#[allow(clippy::vec_init_then_push)] // the pushes are cfg-gated
pub fn backends() -> Vec<&'static dyn CryptoBackend> {
    let mut v: Vec<&'static dyn CryptoBackend> = Vec::new();
    #[cfg(feature = "aws-lc")]
    v.push(&AwsLc);
    #[cfg(feature = "rustcrypto")]
    v.push(&RustCrypto);
    v
}

/// Looks a backend up by name (`aws-lc-rs` / `rustcrypto`).
pub fn backend_by_name(name: &str) -> Option<&'static dyn CryptoBackend> {
    backends().into_iter().find(|b| b.name() == name)
}

/// Splits a DER SPKI into (kind, subjectPublicKey bytes).
pub(crate) fn spki_parts(spki_der: &[u8]) -> Result<(PublicKeyKind, Vec<u8>), CryptoError> {
    use der::Decode;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| CryptoError::BadPublicKey(e.to_string()))?;
    let kind = PublicKeyKind::from_spki(&spki)?;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| CryptoError::BadPublicKey("bit string with unused bits".into()))?
        .to_vec();
    Ok((kind, key))
}

/// Builds a DER SPKI for an uncompressed EC point.
pub(crate) fn spki_of_ec(kind: PublicKeyKind, point: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let curve = match kind {
        PublicKeyKind::P256 => crate::oid::SECP256R1,
        _ => crate::oid::SECP384R1,
    };
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: crate::oid::EC_PUBLIC_KEY,
            parameters: Some(der::Any::from(curve)),
        },
        subject_public_key: der::asn1::BitString::from_bytes(point)
            .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))?,
    };
    spki.to_der()
        .map_err(|e| CryptoError::BadPrivateKey(e.to_string()))
}
