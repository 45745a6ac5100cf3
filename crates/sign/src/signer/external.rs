//! External signers: a callback that signs a digest elsewhere (remote HSM, cloud KMS).

use std::sync::Arc;

use kenpo_core::alg::{Digest, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::cert::CertRef;
use kenpo_core::crypto::{CryptoError, SigningKey};
use time::OffsetDateTime;

use super::{SignerError, Validity, check_certificate, ec_field_len, ecdsa_to_der, guard_sign};
use crate::Signer;

/// The callback of an [`ExternalSigner`]: signs `digest` with the given algorithm and
/// returns the signature value (RSA: the signature block; ECDSA: DER `Ecdsa-Sig-Value` or
/// raw `r ‖ s`, which is converted), or an error message.
pub type ExternalSignFn =
    Arc<dyn Fn(SignatureAlgorithm, &Digest) -> Result<Vec<u8>, String> + Send + Sync>;

/// A signer whose private key lives elsewhere and is reached through a callback, e.g. a
/// remote HSM or a cloud KMS (AWS KMS `Sign` with `MessageType=DIGEST`, Google Cloud KMS
/// `asymmetricSign` with a digest, Azure Key Vault `sign`).
///
/// The public key is taken from the certificate. The constructor checks the certificate
/// (strength, validity); whether the remote key belongs to the certificate can only be seen
/// from a signature, so every signature the callback returns is verified against the
/// certificate's public key before it is handed out (a mismatch is an error naming it).
pub struct ExternalSigner {
    callback: ExternalSignFn,
    cert: Vec<u8>,
    spki: Vec<u8>,
    chain: Vec<Vec<u8>>,
    kind: PublicKeyKind,
    validity: Validity,
    default_alg: Option<SignatureAlgorithm>,
}

impl std::fmt::Debug for ExternalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalSigner")
            .field("kind", &self.kind)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl ExternalSigner {
    /// Creates an external signer for the certificate `cert` (DER) with the intermediate
    /// certificates `chain` (DER, signer's issuer first).
    pub fn new(
        cert: Vec<u8>,
        chain: Vec<Vec<u8>>,
        callback: ExternalSignFn,
    ) -> Result<Self, SignerError> {
        let (kind, validity) = check_certificate(&cert, OffsetDateTime::now_utc())?;
        let spki = CertRef::parse(&cert)
            .map_err(|e| SignerError::Certificate(e.to_string()))?
            .spki
            .to_vec();
        Ok(Self {
            callback,
            cert,
            spki,
            chain,
            kind,
            validity,
            default_alg: None,
        })
    }

    /// Sets the algorithm used when the caller does not choose one (e.g. RSA-PSS for a KMS
    /// key restricted to PSS). Without it the key kind's default applies.
    #[must_use]
    pub fn with_default_algorithm(mut self, alg: SignatureAlgorithm) -> Self {
        self.default_alg = Some(alg);
        self
    }

    /// Replaces the chain of certificates to embed (DER, signer's issuer first).
    #[must_use]
    pub fn with_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = chain;
        self
    }
}

impl SigningKey for ExternalSigner {
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
        guard_sign(self.kind, &self.validity, alg, digest)?;
        let sig = (self.callback)(alg, digest)
            .map_err(|e| CryptoError::SigningFailed(format!("external signer: {e}")))?;
        let sig = match ec_field_len(self.kind) {
            Some(n) => ecdsa_to_der(sig, n)?,
            None => sig,
        };
        super::verify_own_signature(&self.spki, alg, digest, &sig, "the external signer")?;
        Ok(sig)
    }

    fn default_algorithm(&self) -> SignatureAlgorithm {
        self.default_alg
            .unwrap_or_else(|| self.kind.default_signature_algorithm())
    }
}

impl Signer for ExternalSigner {
    fn key(&self) -> &dyn SigningKey {
        self
    }

    fn certificate(&self) -> &[u8] {
        &self.cert
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }
}
