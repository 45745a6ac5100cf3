//! [`LinkCache`]: certificate signatures already verified, shared between the path
//! validations and revocation checks of a run (a batch meets the same CA and TSA
//! certificates in every file, and a revocation check re-checks the link the path
//! validation has just verified); also the CRLs that verified against their issuer
//! certificate (a batch meets the same CRLs, supplied or embedded, in every file).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, PoisonError};

// The end octets hashed, as for every DerMemo: 128 bits of the certificate's signature
// value and of the key's modulus or point, which differ between any two (the key still
// compares everything, see `Link`).
use kenpo_core::memo::HASHED_TAIL;

/// Entries kept at most (then the cache starts afresh): a few MiB whatever the input.
const MAX_LINKS: usize = 4096;

/// One verified link: the whole certificate (tbsCertificate, algorithm and signature) and
/// the issuer's SubjectPublicKeyInfo, compared in full.
#[derive(PartialEq, Eq)]
struct Link {
    cert: Vec<u8>,
    issuer_spki: Vec<u8>,
}

/// Borrowed form of [`Link`] for lookups without copying.
struct LinkRef<'a> {
    cert: &'a [u8],
    issuer_spki: &'a [u8],
}

/// The hash of a link: lengths, the certificate's last octets and the issuer key's last
/// octets. Equality compares every octet, so two links that hash alike are still told
/// apart; the process-random hasher keeps crafted collisions from being predictable.
fn hash_link<H: Hasher>(cert: &[u8], issuer_spki: &[u8], state: &mut H) {
    let tail = |b: &[u8]| b.len().saturating_sub(HASHED_TAIL);
    cert.len().hash(state);
    issuer_spki.len().hash(state);
    state.write(cert.get(tail(cert)..).unwrap_or_default());
    state.write(issuer_spki.get(tail(issuer_spki)..).unwrap_or_default());
}

impl Hash for Link {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_link(&self.cert, &self.issuer_spki, state);
    }
}

impl<'a> std::borrow::Borrow<dyn LinkKey + 'a> for Link {
    fn borrow(&self) -> &(dyn LinkKey + 'a) {
        self
    }
}

/// What [`Link`] and [`LinkRef`] share, so that a set of owned links can be searched with
/// a borrowed one.
trait LinkKey {
    fn parts(&self) -> (&[u8], &[u8]);
}

impl LinkKey for Link {
    fn parts(&self) -> (&[u8], &[u8]) {
        (&self.cert, &self.issuer_spki)
    }
}

impl LinkKey for LinkRef<'_> {
    fn parts(&self) -> (&[u8], &[u8]) {
        (self.cert, self.issuer_spki)
    }
}

impl PartialEq for dyn LinkKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn LinkKey + '_ {}

impl Hash for dyn LinkKey + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (cert, spki) = self.parts();
        hash_link(cert, spki, state);
    }
}

/// Certificate→issuer-key links whose signature verified, kept as the certificate and the
/// issuer's SubjectPublicKeyInfo themselves (compared in full on every lookup); and
/// CRL→issuer-certificate pairs that passed [`crate::Crl::verify_signature`], kept as the
/// CRL and the whole issuer certificate (whose names, basicConstraints and keyUsage that
/// check reads too; a certificate never equals a SubjectPublicKeyInfo, so the two kinds
/// cannot be taken for each other). Only successes are kept: a failing signature is
/// checked (and counted against the signature budget) every time.
///
/// Share one between a run's [`crate::Checker`] ([`crate::Checker::with_link_cache`]) and
/// its path validators (kenpo-verify's `PathValidator::with_link_cache`).
#[derive(Default)]
pub struct LinkCache {
    links: Mutex<HashSet<Link>>,
}

impl std::fmt::Debug for LinkCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkCache")
            .field("links", &self.len())
            .finish()
    }
}

impl LinkCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the signature of `cert` (DER) verified with the key `issuer_spki` (DER)
    /// before.
    pub fn contains(&self, cert: &[u8], issuer_spki: &[u8]) -> bool {
        let key = LinkRef { cert, issuer_spki };
        self.links
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&key as &dyn LinkKey)
    }

    /// Remembers that the signature of `cert` verified with the key `issuer_spki`.
    pub fn insert(&self, cert: &[u8], issuer_spki: &[u8]) {
        let mut links = self.links.lock().unwrap_or_else(PoisonError::into_inner);
        if links.len() >= MAX_LINKS {
            links.clear();
        }
        links.insert(Link {
            cert: cert.to_vec(),
            issuer_spki: issuer_spki.to_vec(),
        });
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
    fn links_bind_certificate_and_issuer_key_in_full() {
        let c = LinkCache::new();
        let cert = vec![7u8; 300];
        assert!(!c.contains(&cert, b"spki"));
        c.insert(&cert, b"spki");
        assert!(c.contains(&cert, b"spki"));
        assert!(!c.contains(&cert, b"other"));
        // Same length and same hashed tail, another first octet: not the same link.
        let mut forged = cert.clone();
        forged[0] = 8;
        assert!(!c.contains(&forged, b"spki"));
        // Split differently between certificate and key.
        assert!(!c.contains(&cert[..299], b"7spki"));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let c = LinkCache::new();
        for i in 0..MAX_LINKS + 5 {
            c.insert(&i.to_be_bytes(), b"k");
        }
        assert!(c.len() <= MAX_LINKS);
    }
}
