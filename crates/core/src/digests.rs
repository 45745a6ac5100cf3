//! [`CertDigests`]: certificate digests remembered across verifications.
//!
//! Every CAdES signature and every RFC 3161 token names its signer's certificate by hash
//! (ESS signing-certificate). A batch meets the same signer and TSA certificates in file
//! after file; hashing a 1–2 KiB certificate each time costs more than finding the answer
//! again. Entries are found by the certificate's whole encoding (compared in full), so an
//! answer is never given for another certificate.

use crate::alg::{Digest, DigestAlgorithm};
use crate::memo::DerMemo;

/// Certificates remembered at most (then the memo starts afresh): bounded memory
/// whatever the input.
const MAX_CERTS: usize = 4096;

/// Digests of certificates computed before (see the module docs).
#[derive(Debug)]
pub struct CertDigests {
    memo: DerMemo<Digest>,
}

impl Default for CertDigests {
    fn default() -> Self {
        Self {
            memo: DerMemo::new(MAX_CERTS),
        }
    }
}

impl CertDigests {
    /// An empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process's memo (a digest is a pure function of the octets, so every verifier,
    /// one-shot ones too, may share it; it keeps at most 4,096 certificates' digests).
    pub fn process() -> &'static Self {
        static MEMO: std::sync::OnceLock<CertDigests> = std::sync::OnceLock::new();
        MEMO.get_or_init(Self::new)
    }

    /// `alg` over `cert` (DER, as received): remembered, or computed and remembered.
    pub fn digest(&self, alg: DigestAlgorithm, cert: &[u8]) -> Digest {
        if let Some(d) = self.memo.get(cert, |d| d.algorithm() == alg) {
            return d;
        }
        let d = alg.digest(cert);
        // Kept as the shared certificate's encoding, the one callers hold (found then
        // without comparing octets); an unreadable one as a copy.
        let which = |d: &Digest| d.algorithm() == alg;
        match crate::shared_cert::shared(cert) {
            Ok(c) => self.memo.insert_kept(c.der_shared(), d, which),
            Err(_) => self.memo.insert(cert, d, which),
        }
        d
    }

    /// Certificate digests remembered.
    pub fn len(&self) -> usize {
        self.memo.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.memo.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_per_certificate_and_algorithm() {
        let memo = CertDigests::new();
        let a = vec![0x30u8; 300];
        let mut b = a.clone();
        b[0] = 0x31; // same length and tail as `a`
        for _ in 0..2 {
            for alg in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
                assert_eq!(memo.digest(alg, &a), alg.digest(&a));
                assert_eq!(memo.digest(alg, &b), alg.digest(&b));
            }
        }
        assert_eq!(memo.len(), 4);
        assert_ne!(
            memo.digest(DigestAlgorithm::Sha256, &a),
            memo.digest(DigestAlgorithm::Sha256, &b)
        );
    }

    #[test]
    fn the_process_memo_is_one_memo_and_answers_as_computed() {
        let memo = CertDigests::process();
        assert!(std::ptr::eq(memo, CertDigests::process()));
        let cert = vec![0x30u8, 0x03, 0x02, 0x01, 0x07];
        for _ in 0..2 {
            for alg in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
                assert_eq!(memo.digest(alg, &cert), alg.digest(&cert));
            }
        }
        assert!(!memo.is_empty());
    }
}
