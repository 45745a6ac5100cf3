//! Deterministic key generation, a process-wide key cache, and signing.
//!
//! Every entity's key comes from a ChaCha20 RNG seeded with
//! `SHA-256("kenpo-testpki key v1" || 0x00 || seed (u64, big-endian) || name)`, so the
//! same `(seed, name)` always yields the same key. RSA key generation is slow, so keys are
//! cached per process and generated on all cores when a PKI is first built.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use der::Decode;
use der::asn1::Any;
use kenpo_core::oid;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest as _, Sha256};
use signature::{SignatureEncoding, Signer};
use spki::{AlgorithmIdentifierOwned, EncodePublicKey, SubjectPublicKeyInfoOwned};

use crate::Error;

/// Key algorithm (and size) of an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    /// RSA with a modulus of this many bits (public exponent 65537).
    Rsa(usize),
    /// ECDSA on NIST P-256.
    P256,
    /// ECDSA on NIST P-384.
    P384,
}

impl KeyAlg {
    /// Short human-readable label, e.g. `RSA-2048` or `P-256`.
    pub fn label(&self) -> String {
        match self {
            Self::Rsa(bits) => format!("RSA-{bits}"),
            Self::P256 => "P-256".to_owned(),
            Self::P384 => "P-384".to_owned(),
        }
    }

    /// Rough relative cost of generating such a key (for scheduling only).
    fn cost(&self) -> usize {
        match self {
            Self::Rsa(bits) => bits.saturating_mul(*bits) / 1024,
            Self::P256 | Self::P384 => 1,
        }
    }
}

/// Digest used in a certificate or CRL signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SigDigest {
    Sha1,
    Sha256,
    Sha384,
}

impl SigDigest {
    fn label(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
        }
    }
}

/// A private key of one of the supported algorithms.
pub(crate) enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
}

impl PrivateKey {
    /// Generates a key of algorithm `alg` from a 32-byte RNG seed.
    fn generate(alg: KeyAlg, rng_seed: [u8; 32]) -> Result<Self, Error> {
        let mut rng = ChaCha20Rng::from_seed(rng_seed);
        Ok(match alg {
            KeyAlg::Rsa(bits) => Self::Rsa(Box::new(rsa::RsaPrivateKey::new(&mut rng, bits)?)),
            KeyAlg::P256 => Self::P256(p256::SecretKey::random(&mut rng)),
            KeyAlg::P384 => Self::P384(p384::SecretKey::random(&mut rng)),
        })
    }

    /// PKCS#8 `PrivateKeyInfo` DER.
    pub(crate) fn pkcs8_der(&self) -> Result<Vec<u8>, Error> {
        use pkcs8::EncodePrivateKey;
        let doc = match self {
            Self::Rsa(k) => k.to_pkcs8_der()?,
            Self::P256(k) => k.to_pkcs8_der()?,
            Self::P384(k) => k.to_pkcs8_der()?,
        };
        Ok(doc.as_bytes().to_vec())
    }

    /// The public key as `SubjectPublicKeyInfo`.
    pub(crate) fn spki(&self) -> Result<SubjectPublicKeyInfoOwned, Error> {
        let doc = match self {
            Self::Rsa(k) => k.to_public_key().to_public_key_der()?,
            Self::P256(k) => k.public_key().to_public_key_der()?,
            Self::P384(k) => k.public_key().to_public_key_der()?,
        };
        Ok(SubjectPublicKeyInfoOwned::from_der(doc.as_bytes())?)
    }

    /// The digest this key signs with unless told otherwise.
    pub(crate) fn default_digest(&self) -> SigDigest {
        match self {
            Self::Rsa(_) | Self::P256(_) => SigDigest::Sha256,
            Self::P384(_) => SigDigest::Sha384,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "RSA",
            Self::P256(_) => "P-256",
            Self::P384(_) => "P-384",
        }
    }

    /// The signature `AlgorithmIdentifier` for signing with `digest`.
    pub(crate) fn signature_algorithm(
        &self,
        digest: SigDigest,
    ) -> Result<AlgorithmIdentifierOwned, Error> {
        let (oid, parameters) = match (self, digest) {
            (Self::Rsa(_), SigDigest::Sha1) => (oid::SHA1_WITH_RSA, Some(Any::null())),
            (Self::Rsa(_), SigDigest::Sha256) => (oid::SHA256_WITH_RSA, Some(Any::null())),
            (Self::Rsa(_), SigDigest::Sha384) => (oid::SHA384_WITH_RSA, Some(Any::null())),
            (Self::P256(_), SigDigest::Sha256) => (oid::ECDSA_WITH_SHA256, None),
            (Self::P384(_), SigDigest::Sha384) => (oid::ECDSA_WITH_SHA384, None),
            _ => {
                return Err(Error::UnsupportedDigest {
                    digest: digest.label(),
                    key: self.label(),
                });
            }
        };
        Ok(AlgorithmIdentifierOwned { oid, parameters })
    }

    /// Signs `msg` (RSASSA-PKCS1-v1_5, or deterministic RFC 6979 ECDSA with a DER
    /// `Ecdsa-Sig-Value`). Both are deterministic, so output is reproducible.
    pub(crate) fn sign(&self, digest: SigDigest, msg: &[u8]) -> Result<Vec<u8>, Error> {
        use rsa::pkcs1v15::SigningKey;
        Ok(match (self, digest) {
            (Self::Rsa(k), SigDigest::Sha1) => SigningKey::<sha1::Sha1>::new((**k).clone())
                .try_sign(msg)?
                .to_vec(),
            (Self::Rsa(k), SigDigest::Sha256) => SigningKey::<Sha256>::new((**k).clone())
                .try_sign(msg)?
                .to_vec(),
            (Self::Rsa(k), SigDigest::Sha384) => SigningKey::<sha2::Sha384>::new((**k).clone())
                .try_sign(msg)?
                .to_vec(),
            (Self::P256(k), SigDigest::Sha256) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(k).try_sign(msg)?;
                sig.to_der().as_bytes().to_vec()
            }
            (Self::P384(k), SigDigest::Sha384) => {
                let sig: p384::ecdsa::Signature = p384::ecdsa::SigningKey::from(k).try_sign(msg)?;
                sig.to_der().as_bytes().to_vec()
            }
            _ => {
                return Err(Error::UnsupportedDigest {
                    digest: digest.label(),
                    key: self.label(),
                });
            }
        })
    }
}

/// The 32-byte RNG seed of entity `name` under PKI seed `seed`.
fn rng_seed(seed: u64, name: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"kenpo-testpki key v1\0");
    h.update(seed.to_be_bytes());
    h.update(name.as_bytes());
    h.finalize().into()
}

type CacheKey = (u64, String, KeyAlg);
type Slot = Arc<Mutex<Option<Arc<PrivateKey>>>>;

fn cache() -> &'static Mutex<HashMap<CacheKey, Slot>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Slot>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The key of entity `name`, generated on first use and cached for the process.
///
/// Different keys can be generated concurrently; the same key is generated only once.
pub(crate) fn key_for(seed: u64, name: &str, alg: KeyAlg) -> Result<Arc<PrivateKey>, Error> {
    let slot: Slot = {
        let mut map = cache().lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry((seed, name.to_owned(), alg)).or_default())
    };
    let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(key) = guard.as_ref() {
        return Ok(Arc::clone(key));
    }
    let key = Arc::new(disk_cache::load_or_generate(alg, rng_seed(seed, name))?);
    *guard = Some(Arc::clone(&key));
    Ok(key)
}

/// Generates (or finds in the cache) the keys of all `entities` using every core.
///
/// Purely an optimisation: if threads cannot be spawned, keys are generated lazily later.
pub(crate) fn prewarm(seed: u64, entities: &[(&str, KeyAlg)]) -> Result<(), Error> {
    let mut todo: Vec<(&str, KeyAlg)> = entities.to_vec();
    // Most expensive first, for a better balance between workers.
    todo.sort_by_key(|(_, alg)| std::cmp::Reverse(alg.cost()));
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(todo.len());
    if workers <= 1 {
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let work = || -> Result<(), Error> {
        while let Some((name, alg)) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
            key_for(seed, name, *alg)?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        let mut result = Ok(());
        for handle in handles {
            match handle.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                // A panicking worker leaves its keys ungenerated; they are made lazily.
                Err(_) => {}
            }
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_seed_depends_on_seed_and_name() {
        assert_ne!(rng_seed(1, "a"), rng_seed(2, "a"));
        assert_ne!(rng_seed(1, "a"), rng_seed(1, "b"));
        assert_eq!(rng_seed(1, "a"), rng_seed(1, "a"));
    }

    #[test]
    fn ec_keys_are_deterministic_and_cached() -> Result<(), Error> {
        let a = key_for(99, "unit-ec", KeyAlg::P256)?;
        let b = key_for(99, "unit-ec", KeyAlg::P256)?;
        assert!(Arc::ptr_eq(&a, &b));
        let fresh = PrivateKey::generate(KeyAlg::P256, rng_seed(99, "unit-ec"))?;
        assert_eq!(a.pkcs8_der()?, fresh.pkcs8_der()?);
        let other = key_for(100, "unit-ec", KeyAlg::P256)?;
        assert_ne!(a.pkcs8_der()?, other.pkcs8_der()?);
        Ok(())
    }

    #[test]
    fn ecdsa_rejects_sha1() -> Result<(), Error> {
        let k = key_for(99, "unit-ec", KeyAlg::P256)?;
        assert!(matches!(
            k.sign(SigDigest::Sha1, b"x"),
            Err(Error::UnsupportedDigest { .. })
        ));
        Ok(())
    }
}

/// An on-disk cache of generated keys shared by every process (test binaries, the CLI's
/// `demo`): RSA generation dominates the cost of a test PKI, and keys are a pure function
/// of `(seed, name, algorithm)`.
///
/// Directory: `$KENPO_TESTPKI_KEY_CACHE`, else `<temp dir>/kenpo-testpki-keys-v1`; set the
/// variable to `off` to disable. Files are written atomically (temporary file + rename); an
/// unreadable or corrupt entry is regenerated. The cache never changes *which* key is used,
/// only whether it is recomputed.
mod disk_cache {
    use std::path::PathBuf;

    use pkcs8::{DecodePrivateKey, EncodePrivateKey};

    use super::{KeyAlg, PrivateKey};
    use crate::Error;

    fn dir() -> Option<PathBuf> {
        match std::env::var_os("KENPO_TESTPKI_KEY_CACHE") {
            Some(v) if v == "off" => None,
            Some(v) => Some(PathBuf::from(v)),
            None => Some(std::env::temp_dir().join("kenpo-testpki-keys-v1")),
        }
    }

    fn file(alg: KeyAlg, rng_seed: &[u8; 32]) -> Option<PathBuf> {
        let hex: String = rng_seed.iter().map(|b| format!("{b:02x}")).collect();
        Some(dir()?.join(format!("{hex}-{}.p8", alg.label())))
    }

    fn load(alg: KeyAlg, der: &[u8]) -> Option<PrivateKey> {
        match alg {
            KeyAlg::Rsa(bits) => {
                let k = rsa::RsaPrivateKey::from_pkcs8_der(der).ok()?;
                (rsa::traits::PublicKeyParts::n(&k).bits() == bits)
                    .then(|| PrivateKey::Rsa(Box::new(k)))
            }
            KeyAlg::P256 => p256::SecretKey::from_pkcs8_der(der)
                .ok()
                .map(PrivateKey::P256),
            KeyAlg::P384 => p384::SecretKey::from_pkcs8_der(der)
                .ok()
                .map(PrivateKey::P384),
        }
    }

    fn store(path: &std::path::Path, key: &PrivateKey) {
        let der = match key {
            PrivateKey::Rsa(k) => k.to_pkcs8_der(),
            PrivateKey::P256(k) => k.to_pkcs8_der(),
            PrivateKey::P384(k) => k.to_pkcs8_der(),
        };
        let (Ok(der), Some(parent)) = (der, path.parent()) else {
            return;
        };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let tmp = parent.join(format!(
            ".tmp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        if std::fs::write(&tmp, der.as_bytes()).is_ok() && std::fs::rename(&tmp, path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    /// The cached key, or a freshly generated one (then cached, best effort).
    pub(super) fn load_or_generate(alg: KeyAlg, rng_seed: [u8; 32]) -> Result<PrivateKey, Error> {
        let path = file(alg, &rng_seed);
        if let Some(key) = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|der| load(alg, &der))
        {
            return Ok(key);
        }
        let key = PrivateKey::generate(alg, rng_seed)?;
        if let Some(p) = &path {
            store(p, &key);
        }
        Ok(key)
    }
}
