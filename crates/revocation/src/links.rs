//! [`LinkCache`]: certificate signatures already verified, shared between the path
//! validations and revocation checks of a run (a batch meets the same CA and TSA
//! certificates in every file, and a revocation check re-checks the link the path
//! validation has just verified).

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use kenpo_core::alg::DigestAlgorithm;

/// Entries kept at most (then the cache starts afresh).
const MAX_LINKS: usize = 10_000;

/// Certificate→issuer-key links whose signature verified, keyed by a SHA-256 over the
/// whole certificate (tbsCertificate, algorithm and signature) and the issuer's
/// SubjectPublicKeyInfo. Only successes are kept: a failing signature is checked (and
/// counted against the signature budget) every time.
///
/// Share one between a run's [`crate::Checker`] ([`crate::Checker::with_link_cache`]) and
/// its path validators (kenpo-verify's `PathValidator::with_link_cache`).
#[derive(Debug, Default)]
pub struct LinkCache {
    links: Mutex<HashSet<[u8; 32]>>,
}

impl LinkCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key of `cert` (DER) signed by the key `issuer_spki` (DER).
    pub fn key(cert: &[u8], issuer_spki: &[u8]) -> [u8; 32] {
        let mut h = DigestAlgorithm::Sha256.hasher();
        h.update(&(cert.len() as u64).to_be_bytes());
        h.update(cert);
        h.update(issuer_spki);
        let mut k = [0u8; 32];
        k.copy_from_slice(h.finalize().as_bytes());
        k
    }

    /// Whether the link `key` verified before.
    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(key)
    }

    /// Remembers that the link `key` verified.
    pub fn insert(&self, key: [u8; 32]) {
        let mut links = self.links.lock().unwrap_or_else(PoisonError::into_inner);
        if links.len() >= MAX_LINKS {
            links.clear();
        }
        links.insert(key);
    }

    /// Links remembered.
    pub fn len(&self) -> usize {
        self.links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_bind_certificate_and_issuer_key() {
        let c = LinkCache::new();
        let k = LinkCache::key(b"cert", b"spki");
        assert_ne!(k, LinkCache::key(b"cert", b"other"));
        assert_ne!(k, LinkCache::key(b"cer", b"tspki"), "length-prefixed");
        assert!(!c.contains(&k));
        c.insert(k);
        assert!(c.contains(&k));
        assert_eq!(c.len(), 1);
    }
}
