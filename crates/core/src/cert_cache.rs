//! [`CertCache`]: what a verification context has worked out about certificates — parsed
//! certificates, their digests — and the public keys it has parsed, owned by the caller.
//!
//! Every CAdES signature and every RFC 3161 token names its signer's certificate by hash
//! (ESS signing-certificate), and a batch meets the same signer, CA and TSA certificates
//! in file after file: a context that verifies many files keeps one cache, a one-shot
//! verification a fresh one. Entries are found by the whole encoding (compared in full),
//! so an answer is never given for another certificate.

use std::sync::Arc;

use crate::alg::{Digest, DigestAlgorithm};
use crate::cert::CertError;
use crate::crypto::KeyCache;
use crate::memo::DerMemo;
use crate::shared_cert::SharedCert;

/// Certificates (and digests) kept at most (then that memo starts afresh).
const MAX_CERTS: usize = 4096;

/// Larger encodings are parsed but not kept (real certificates are a few KiB): the cache
/// never holds more than 64 MiB of certificates whatever the input.
pub const MAX_KEPT_LEN: usize = 16 * 1024;

/// Parsed certificates, certificate digests and parsed public keys (see the module docs).
#[derive(Debug)]
pub struct CertCache {
    certs: DerMemo<Arc<SharedCert>>,
    digests: DerMemo<Digest>,
    keys: KeyCache,
}

impl Default for CertCache {
    fn default() -> Self {
        Self {
            certs: DerMemo::new(MAX_CERTS),
            digests: DerMemo::new(MAX_CERTS),
            keys: KeyCache::default(),
        }
    }
}

impl CertCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The parsed certificate for `der`: the one parsed before when there is one, else
    /// parsed now and kept. Unreadable encodings and encodings longer than
    /// [`MAX_KEPT_LEN`] are not kept (each call parses them).
    pub fn cert(&self, der: &[u8]) -> Result<Arc<SharedCert>, CertError> {
        if der.len() > MAX_KEPT_LEN {
            return SharedCert::parse(der).map(Arc::new);
        }
        if let Some(c) = self.certs.get(der, |_| true) {
            return Ok(c);
        }
        let c = Arc::new(SharedCert::parse(der)?);
        self.certs.insert(der, Arc::clone(&c), |_| true);
        Ok(c)
    }

    /// `alg` over `cert` (DER, as received: a certificate, or another object that files
    /// share, such as a CRL listed in an archive time-stamp's hash index): remembered, or
    /// computed and remembered.
    pub fn digest(&self, alg: DigestAlgorithm, cert: &[u8]) -> Digest {
        let which = |d: &Digest| d.algorithm() == alg;
        if let Some(d) = self.digests.get(cert, which) {
            return d;
        }
        let d = alg.digest(cert);
        if cert.len() <= MAX_KEPT_LEN {
            self.digests.insert(cert, d, which);
        }
        d
    }

    /// The crypto backend that verifies with the public keys parsed before (the default
    /// backend's algorithms; see [`KeyCache`]).
    pub fn keys(&self) -> &KeyCache {
        &self.keys
    }

    /// Certificates kept.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether no certificate is kept.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_per_certificate_and_algorithm() {
        let cache = CertCache::new();
        let a = vec![0x30u8; 300];
        let mut b = a.clone();
        b[0] = 0x31; // same length and tail as `a`
        for _ in 0..2 {
            for alg in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
                assert_eq!(cache.digest(alg, &a), alg.digest(&a));
                assert_eq!(cache.digest(alg, &b), alg.digest(&b));
            }
        }
        assert_eq!(cache.digests.len(), 4);
        assert_ne!(
            cache.digest(DigestAlgorithm::Sha256, &a),
            cache.digest(DigestAlgorithm::Sha256, &b)
        );
    }

    #[test]
    fn unreadable_encodings_are_errors_every_time() {
        let cache = CertCache::new();
        for _ in 0..2 {
            assert!(cache.cert(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        }
        assert!(cache.is_empty());
    }
}
