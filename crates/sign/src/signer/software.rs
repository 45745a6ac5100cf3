//! Software keys: PEM/DER certificate and PKCS#8 key files, keys loaded by a crypto backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kenpo_core::alg::{Digest, PublicKeyKind, SignatureAlgorithm};
use kenpo_core::cert::{certificates_from_pem_or_der, pkcs8_from_pem_or_der};
use kenpo_core::crypto::{CryptoBackend, CryptoError, SigningKey};
use time::OffsetDateTime;

use super::{SignerError, Validity, check_certificate, check_key_against, guard_sign};
use crate::Signer;

/// A signer whose private key is held in memory by a [`CryptoBackend`].
///
/// Built from PEM/DER files ([`from_pem_files`](Self::from_pem_files)), a PKCS#12 file
/// ([`from_pkcs12`](Self::from_pkcs12)) or an already loaded key
/// ([`from_parts`](Self::from_parts)); each constructor runs
/// [`check_before_use`](super::check_before_use). It is its own [`SigningKey`]: signing goes
/// to the backend key after the policy checks described in the [module docs](super).
pub struct SoftwareSigner {
    key: Arc<dyn SigningKey>,
    cert: Vec<u8>,
    spki: Vec<u8>,
    chain: Vec<Vec<u8>>,
    kind: PublicKeyKind,
    validity: Validity,
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("key", &self.key)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, SignerError> {
    std::fs::read(path).map_err(|source| SignerError::Read {
        path: path.to_path_buf(),
        source,
    })
}

impl SoftwareSigner {
    /// Builds a signer from a loaded key, its certificate (DER) and the intermediate
    /// certificates to embed (DER, signer's issuer first), after
    /// [`check_before_use`](super::check_before_use).
    pub fn from_parts(
        key: Arc<dyn SigningKey>,
        cert: Vec<u8>,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, SignerError> {
        let now = OffsetDateTime::now_utc();
        // Certificate problems (weak key, expiry) first: they do not depend on the key.
        check_certificate(&cert, now)?;
        let (kind, validity) = check_key_against(key.public_key_spki(), &cert, now)?;
        let spki = kenpo_core::cert::CertRef::parse(&cert)
            .map_err(|e| SignerError::Certificate(e.to_string()))?
            .spki
            .to_vec();
        Ok(Self {
            key,
            cert,
            spki,
            chain,
            kind,
            validity,
        })
    }

    /// Loads a certificate file and a PKCS#8 key file (each PEM or DER) and optional chain
    /// files (PEM bundles or DER), and loads the key with `backend`.
    ///
    /// The first certificate of `cert` is the signer's; further certificates in the same
    /// file are appended to the chain before those of `chain`. The certificate is checked
    /// (strength, validity) before the key file is read.
    pub fn from_pem_files(
        cert: &Path,
        key: &Path,
        chain: &[PathBuf],
        backend: &'static dyn CryptoBackend,
    ) -> Result<Self, SignerError> {
        Self::from_pem_files_with(cert, key, chain, backend, &mut read_file)
    }

    /// [`from_pem_files`](Self::from_pem_files), each file read by `read` (e.g. one that
    /// bounds how much it reads), in the same order: certificate, chain, key.
    pub fn from_pem_files_with(
        cert: &Path,
        key: &Path,
        chain: &[PathBuf],
        backend: &'static dyn CryptoBackend,
        read: &mut dyn FnMut(&Path) -> Result<Vec<u8>, SignerError>,
    ) -> Result<Self, SignerError> {
        let read_file = read;
        let bad_cert = |p: &Path, e: &dyn std::fmt::Display| {
            SignerError::Certificate(format!("{}: {e}", p.display()))
        };
        let mut certs = certificates_from_pem_or_der(&read_file(cert)?)
            .map_err(|e| bad_cert(cert, &e))?
            .into_iter();
        let signer_cert = certs
            .next()
            .ok_or_else(|| bad_cert(cert, &"no certificate"))?;
        check_certificate(&signer_cert, OffsetDateTime::now_utc())?;
        let mut chain_certs: Vec<Vec<u8>> = certs.collect();
        for path in chain {
            chain_certs.extend(
                certificates_from_pem_or_der(&read_file(path)?).map_err(|e| bad_cert(path, &e))?,
            );
        }
        let pkcs8 = pkcs8_from_pem_or_der(&read_file(key)?)
            .map_err(|e| SignerError::Key(format!("{}: {e}", key.display())))?;
        let loaded = backend
            .load_pkcs8(&pkcs8)
            .map_err(|e| SignerError::Key(format!("{}: {e}", key.display())))?;
        Self::from_parts(loaded, signer_cert, chain_certs)
    }

    /// Replaces the chain of certificates to embed (DER, signer's issuer first).
    #[must_use]
    pub fn with_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = chain;
        self
    }

    /// The backend key this signer wraps.
    pub fn inner_key(&self) -> &Arc<dyn SigningKey> {
        &self.key
    }
}

impl SigningKey for SoftwareSigner {
    fn public_key_spki(&self) -> &[u8] {
        // The certificate's encoding of the same key (checked at construction).
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
        self.key.sign_digest(alg, digest)
    }

    fn default_algorithm(&self) -> SignatureAlgorithm {
        self.key.default_algorithm()
    }
}

impl Signer for SoftwareSigner {
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
