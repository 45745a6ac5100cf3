//! Signers: a private key plus the certificate chain that goes with it, behind [`Signer`].
//!
//! | source | type | constructor |
//! |---|---|---|
//! | PEM/DER certificate + PKCS#8 key files | [`SoftwareSigner`] | [`SoftwareSigner::from_pem_files`] |
//! | PKCS#12 (`.p12`/`.pfx`) | [`SoftwareSigner`] | [`SoftwareSigner::from_pkcs12`], [`SoftwareSigner::from_pkcs12_file`] |
//! | a key already loaded by a [`CryptoBackend`](kenpo_core::crypto::CryptoBackend) | [`SoftwareSigner`] | [`SoftwareSigner::from_parts`] |
//! | PKCS#11 token (HPKI card, HSM) | [`Pkcs11Signer`] | [`Pkcs11Signer::open`], [`Pkcs11Signer::open_with_certificate`] |
//! | remote HSM / cloud KMS callback | [`ExternalSigner`] | [`ExternalSigner::new`] |
//!
//! Secrets (PKCS#12 password, PIN) come from the environment or an interactive prompt:
//! [`secret_from_env_or_prompt`] with [`PASSWORD_ENV`] / [`PIN_ENV`].
//!
//! # Checks
//!
//! Every constructor runs [`check_before_use`] before the private key is used: the key
//! matches the certificate, the certificate is within its validity period now, and an RSA key
//! has at least 2048 bits. Every signer's [`SigningKey::sign_digest`] then refuses, whatever
//! the backend or token would accept:
//!
//! * SHA-1 (new signatures never use it),
//! * RSA keys below 2048 bits,
//! * a digest whose algorithm is not the one the signature algorithm names,
//! * signing after the certificate's notAfter (long-running processes).
//!
//! Signatures produced outside this process (PKCS#11 tokens, external callbacks) are
//! verified against the certificate's public key before they are returned, so a token or
//! KMS key that does not belong to the certificate never yields a signature.
//!
//! Algorithms: RSASSA-PKCS1-v1_5 with SHA-256/384/512, RSASSA-PSS (MGF1 with the message
//! digest; the software backends need salt length = digest length, e.g. SHA-256 with salt
//! 32), ECDSA on P-256 and P-384.
//!
//! [`Signer`]: crate::Signer

mod external;
mod pkcs11;
mod pkcs12;
mod secret;
mod software;

pub use external::{ExternalSignFn, ExternalSigner};
pub use pkcs11::Pkcs11Signer;
pub use secret::{PASSWORD_ENV, PIN_ENV, secret_from_env_or_prompt};
pub use software::SoftwareSigner;

use std::path::PathBuf;

use der::{Decode, Encode};
use kenpo_core::alg::{AlgError, Digest, DigestAlgorithm, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{CryptoError, SigningKey};
use kenpo_core::timefmt::rfc3339;
use time::OffsetDateTime;

/// Smallest RSA modulus (bits) accepted for new signatures.
pub const MIN_RSA_BITS: usize = 2048;

/// Why a signer could not be set up. Each variant names one cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The certificate (or a chain certificate) is missing or malformed.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The private key is missing, malformed or of an unsupported type.
    #[error("private key: {0}")]
    Key(String),
    /// The private key does not belong to the certificate.
    #[error("the private key does not match the certificate's public key")]
    KeyMismatch,
    /// The PKCS#12 password is wrong (integrity check or decryption failed).
    #[error("wrong PKCS#12 password (the file's integrity check failed)")]
    WrongPassword,
    /// The PKCS#12 file could not be read for a reason other than the password.
    #[error("PKCS#12: {0}")]
    Pkcs12(String),
    /// The PKCS#11 module could not be loaded or initialised.
    #[error("cannot load PKCS#11 module {}: {reason}", path.display())]
    Module {
        /// Module path as given.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No token with this label is present.
    #[error(
        "PKCS#11 token {label:?} not found (tokens present: {})",
        list(available)
    )]
    TokenNotFound {
        /// The label asked for.
        label: String,
        /// Labels of the tokens that are present.
        available: Vec<String>,
    },
    /// The PIN was rejected by the token.
    #[error("wrong PIN for PKCS#11 token {token:?}")]
    WrongPin {
        /// Token label.
        token: String,
    },
    /// The token's user PIN is locked after too many wrong attempts.
    #[error("the PIN of PKCS#11 token {token:?} is locked")]
    PinLocked {
        /// Token label.
        token: String,
    },
    /// No private key with this label on the token.
    #[error("no private key labelled {label:?} on PKCS#11 token {token:?}")]
    KeyNotFound {
        /// The key label asked for.
        label: String,
        /// Token label.
        token: String,
    },
    /// The token holds no certificate for the key and none was supplied.
    #[error(
        "no certificate for key {label:?} on PKCS#11 token {token:?} (same CKA_ID or label); \
         supply it with Pkcs11Signer::open_with_certificate (--cert)"
    )]
    CertificateNotFound {
        /// The key label.
        label: String,
        /// Token label.
        token: String,
    },
    /// Another PKCS#11 failure (function and return value).
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// The certificate expired.
    #[error("the signer certificate expired at {}", rfc3339(*not_after))]
    Expired {
        /// notAfter.
        not_after: OffsetDateTime,
    },
    /// The certificate is not yet valid.
    #[error("the signer certificate is not valid before {}", rfc3339(*not_before))]
    NotYetValid {
        /// notBefore.
        not_before: OffsetDateTime,
    },
    /// The key is too weak for new signatures (RSA < 2048).
    #[error("key too weak for new signatures: {0}")]
    WeakKey(String),
    /// A password or PIN could not be obtained.
    #[error("{0}")]
    Secret(String),
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl SignerError {
    /// Whether the signer was refused by policy (expired or not yet valid certificate, weak
    /// key) rather than because of bad input; the CLI maps this to exit code 1 ("refused
    /// for a stated reason") and everything else to 4 (operational error).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Expired { .. } | Self::NotYetValid { .. } | Self::WeakKey(_)
        )
    }
}

/// Validity period of a signer certificate, kept for the checks at signing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validity {
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
}

impl Validity {
    fn check(&self, now: OffsetDateTime) -> Result<(), SignerError> {
        if now < self.not_before {
            return Err(SignerError::NotYetValid {
                not_before: self.not_before,
            });
        }
        if now > self.not_after {
            return Err(SignerError::Expired {
                not_after: self.not_after,
            });
        }
        Ok(())
    }
}

/// Checks a signer certificate alone: it parses, its key is strong enough (RSA ≥ 2048) and
/// `now` lies within its validity period. Returns the key kind and the validity.
pub(crate) fn check_certificate(
    cert_der: &[u8],
    now: OffsetDateTime,
) -> Result<(PublicKeyKind, Validity), SignerError> {
    let cert = CertRef::parse(cert_der).map_err(|e| SignerError::Certificate(e.to_string()))?;
    let kind = PublicKeyKind::from_spki_der(cert.spki)
        .map_err(|e| SignerError::Certificate(format!("public key: {e}")))?;
    check_strength(kind)?;
    let validity = Validity {
        not_before: cert.not_before,
        not_after: cert.not_after,
    };
    validity.check(now)?;
    Ok((kind, validity))
}

fn check_strength(kind: PublicKeyKind) -> Result<(), SignerError> {
    match kind {
        PublicKeyKind::Rsa { bits } if bits < MIN_RSA_BITS => Err(SignerError::WeakKey(format!(
            "RSA-{bits} (new signatures need at least RSA-{MIN_RSA_BITS})"
        ))),
        _ => Ok(()),
    }
}

/// The checks run before any use of a private key: `key` belongs to the certificate
/// `cert_der` (same public key), the certificate's key is strong enough for new signatures
/// (RSA ≥ 2048 bits) and `now` lies within the certificate's validity period.
///
/// Every signer constructor in this module calls it with the current time.
pub fn check_before_use(
    key: &dyn SigningKey,
    cert_der: &[u8],
    now: OffsetDateTime,
) -> Result<(), SignerError> {
    check_key_against(key.public_key_spki(), cert_der, now).map(|_| ())
}

/// [`check_before_use`] on a public key, returning the kind and validity.
pub(crate) fn check_key_against(
    key_spki: &[u8],
    cert_der: &[u8],
    now: OffsetDateTime,
) -> Result<(PublicKeyKind, Validity), SignerError> {
    let cert = CertRef::parse(cert_der).map_err(|e| SignerError::Certificate(e.to_string()))?;
    if !same_public_key(key_spki, cert.spki)? {
        return Err(SignerError::KeyMismatch);
    }
    check_certificate(cert_der, now)
}

/// Compares two SubjectPublicKeyInfos by key value (RSA: modulus and exponent; EC: curve
/// and point), so that encoding differences (absent vs NULL parameters) do not matter.
pub(crate) fn same_public_key(a: &[u8], b: &[u8]) -> Result<bool, SignerError> {
    let pa = spki::SubjectPublicKeyInfoRef::from_der(a)
        .map_err(|e| SignerError::Key(format!("public key: {e}")))?;
    let pb = spki::SubjectPublicKeyInfoRef::from_der(b)
        .map_err(|e| SignerError::Certificate(format!("public key: {e}")))?;
    let rsa_oids = [kenpo_core::oid::RSA_ENCRYPTION, kenpo_core::oid::RSASSA_PSS];
    let bits_a = pa.subject_public_key.raw_bytes();
    let bits_b = pb.subject_public_key.raw_bytes();
    if rsa_oids.contains(&pa.algorithm.oid) && rsa_oids.contains(&pb.algorithm.oid) {
        let ka = kenpo_core::alg::RsaPublicKeyRef::from_der(bits_a)
            .map_err(|e| SignerError::Key(format!("RSA public key: {e}")))?;
        let kb = kenpo_core::alg::RsaPublicKeyRef::from_der(bits_b)
            .map_err(|e| SignerError::Certificate(format!("RSA public key: {e}")))?;
        return Ok(ka.modulus.as_bytes() == kb.modulus.as_bytes()
            && ka.public_exponent.as_bytes() == kb.public_exponent.as_bytes());
    }
    if pa.algorithm.oid != pb.algorithm.oid {
        return Ok(false);
    }
    let params = |p: &spki::SubjectPublicKeyInfoRef<'_>| {
        p.algorithm
            .parameters
            .as_ref()
            .and_then(|a| a.to_der().ok())
    };
    Ok(params(&pa) == params(&pb) && bits_a == bits_b)
}

/// Policy checks at every signature, shared by all signers (see the module docs).
pub(crate) fn guard_sign(
    kind: PublicKeyKind,
    validity: &Validity,
    alg: SignatureAlgorithm,
    digest: &Digest,
) -> Result<(), CryptoError> {
    if alg.digest() != digest.algorithm() {
        return Err(CryptoError::DigestMismatch {
            expected: alg.digest().name(),
            got: digest.algorithm().name(),
        });
    }
    if !kind.fits(&alg) {
        return Err(AlgError::KeyMismatch.into());
    }
    let refuse = |what: String| CryptoError::Unsupported {
        backend: "kenpo-sign",
        what,
    };
    if alg.digest() == DigestAlgorithm::Sha1 {
        return Err(refuse("new signatures with SHA-1".into()));
    }
    if let PublicKeyKind::Rsa { bits } = kind
        && bits < MIN_RSA_BITS
    {
        return Err(refuse(format!(
            "new signatures with RSA-{bits} (at least RSA-{MIN_RSA_BITS} is required)"
        )));
    }
    validity
        .check(OffsetDateTime::now_utc())
        .map_err(|e| CryptoError::SigningFailed(e.to_string()))
}

/// Verifies a signature produced outside this process (token, callback) against the
/// certificate's public key before it is handed out.
pub(crate) fn verify_own_signature(
    cert_spki: &[u8],
    alg: SignatureAlgorithm,
    digest: &Digest,
    signature: &[u8],
    source: &str,
) -> Result<(), CryptoError> {
    match kenpo_core::crypto::default_backend().verify_digest(cert_spki, alg, digest, signature) {
        Ok(()) => Ok(()),
        // The backend cannot check this combination (e.g. a PSS salt length aws-lc does not
        // implement): the signature is returned unchecked.
        Err(CryptoError::Unsupported { .. }) => Ok(()),
        Err(e) => Err(CryptoError::SigningFailed(format!(
            "the signature from {source} does not verify with the certificate's public key \
             ({e}): the key does not belong to the certificate"
        ))),
    }
}

/// `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279).
#[derive(Debug, Clone, Copy, der::Sequence)]
struct EcdsaSigValue<'a> {
    r: der::asn1::UintRef<'a>,
    s: der::asn1::UintRef<'a>,
}

/// Field size in bytes of an EC key kind (`None` for RSA).
pub(crate) fn ec_field_len(kind: PublicKeyKind) -> Option<usize> {
    match kind {
        PublicKeyKind::P256 => Some(32),
        PublicKeyKind::P384 => Some(48),
        PublicKeyKind::Rsa { .. } => None,
    }
}

/// Converts a raw `r ‖ s` ECDSA signature (PKCS#11 `CKM_ECDSA`, many KMS) to DER.
pub(crate) fn ecdsa_raw_to_der(raw: &[u8], field_len: usize) -> Result<Vec<u8>, CryptoError> {
    if raw.len() != 2 * field_len {
        return Err(CryptoError::SigningFailed(format!(
            "ECDSA signature of {} bytes, expected {} (r ‖ s)",
            raw.len(),
            2 * field_len
        )));
    }
    let (r, s) = raw.split_at(field_len);
    let bad = |e: der::Error| CryptoError::SigningFailed(format!("ECDSA signature: {e}"));
    EcdsaSigValue {
        r: der::asn1::UintRef::new(r).map_err(bad)?,
        s: der::asn1::UintRef::new(s).map_err(bad)?,
    }
    .to_der()
    .map_err(bad)
}

/// Normalises an ECDSA signature to DER: DER input is returned as is, raw `r ‖ s` converted.
pub(crate) fn ecdsa_to_der(sig: Vec<u8>, field_len: usize) -> Result<Vec<u8>, CryptoError> {
    if EcdsaSigValue::from_der(&sig).is_ok() {
        return Ok(sig);
    }
    ecdsa_raw_to_der(&sig, field_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ecdsa_to_der() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r needs a leading zero
        raw[31] = 1;
        raw[63] = 5; // s = 5
        let der = ecdsa_raw_to_der(&raw, 32).unwrap_or_default();
        assert_eq!(der[0], 0x30);
        assert_eq!(&der[2..5], &[0x02, 33, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 1, 5]);
        assert_eq!(ecdsa_to_der(der.clone(), 32).unwrap_or_default(), der);
        assert!(ecdsa_raw_to_der(&raw[..63], 32).is_err());
    }
}
