//! Hashing the document as a stream: constant memory whatever its size.

use std::io::Read;

use kenpo_core::alg::{Digest, DigestAlgorithm, Hasher};

/// Read size: large enough that syscalls do not matter next to hashing, small enough to
/// stay in L2/L3 cache.
pub(crate) const BLOCK: usize = 256 * 1024;

/// The digests of one document: for the signature's message-digest and SHA-256 (for the
/// audit log and reports; the same value when the signature uses SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentDigests {
    /// Digest with the signature algorithm's hash (the message-digest attribute).
    pub signed: Digest,
    /// SHA-256 of the document.
    pub sha256: Digest,
    /// Length in bytes.
    pub len: u64,
}

/// Incremental hashing with one or two algorithms.
#[derive(Debug, Clone)]
pub(crate) struct DocumentHasher {
    signed: Hasher,
    sha256: Option<Hasher>,
    len: u64,
}

impl DocumentHasher {
    pub(crate) fn new(alg: DigestAlgorithm) -> Self {
        Self {
            signed: alg.hasher(),
            sha256: (alg != DigestAlgorithm::Sha256).then(|| DigestAlgorithm::Sha256.hasher()),
            len: 0,
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.signed.update(data);
        if let Some(h) = &mut self.sha256 {
            h.update(data);
        }
        self.len += data.len() as u64;
    }

    pub(crate) fn finalize(self) -> DocumentDigests {
        let signed = self.signed.finalize();
        let sha256 = match self.sha256 {
            Some(h) => h.finalize(),
            None => signed,
        };
        DocumentDigests {
            signed,
            sha256,
            len: self.len,
        }
    }
}

/// Reads `reader` to the end in [`BLOCK`]-sized pieces, feeding `sink` each piece.
pub(crate) fn stream<R: Read>(
    mut reader: R,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; BLOCK];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                sink(chunk)?;
                total += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Hashes everything `reader` yields.
pub(crate) fn digest_reader<R: Read>(
    alg: DigestAlgorithm,
    reader: R,
) -> std::io::Result<DocumentDigests> {
    let mut h = DocumentHasher::new(alg);
    stream(reader, |chunk| {
        h.update(chunk);
        Ok(())
    })?;
    Ok(h.finalize())
}
