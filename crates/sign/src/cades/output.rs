//! Writing signatures to files atomically ([`kenpo_core::atomic`]): a locked temporary
//! file in the output's directory, written and synced; only when everything succeeded is
//! it renamed over the output, still under its lock. On any error the temporary file is
//! removed and the output path is left untouched; one left by a killed run is removed by
//! the next writer in that directory. A replaced output keeps its mode, a new one gets
//! the usual mode of new files (0666 less the umask).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::atomic::{AtomicWriter, Staged};

use super::assemble::Framing;
use super::copy::{self, CopyError};
use super::digest::{DocumentDigests, DocumentHasher, stream};
use super::error::SignError;

/// A fully written, synced temporary file waiting to be renamed over its output (locked
/// until then).
#[derive(Debug)]
pub(crate) struct Pending {
    tmp: Staged,
    pub len: u64,
}

fn temp_for(out: &Path) -> Result<Staged, SignError> {
    AtomicWriter::new().stage(out).map_err(|e| {
        SignError::io(
            format!("creating a temporary file for {}", out.display()),
            e,
        )
    })
}

fn finish(tmp: Staged, len: u64) -> Result<Pending, SignError> {
    tmp.sync()
        .map_err(|e| SignError::io(format!("syncing {}", tmp.temp_path().display()), e))?;
    Ok(Pending { tmp, len })
}

/// Writes `bytes` to a temporary file for `out`.
pub(crate) fn write_bytes(out: &Path, bytes: &[u8]) -> Result<Pending, SignError> {
    let mut tmp = temp_for(out)?;
    tmp.write_all(bytes)
        .map_err(|e| SignError::io(format!("writing {}", tmp.temp_path().display()), e))?;
    finish(tmp, bytes.len() as u64)
}

/// Writes `prefix ‖ document ‖ suffix` to a temporary file for `out`, streaming the
/// document and hashing it again on the way: if it is not the document that was signed
/// (`expected`), nothing is kept.
pub(crate) fn write_attached(
    out: &Path,
    framing: &Framing,
    doc: &Path,
    expected: &DocumentDigests,
) -> Result<Pending, SignError> {
    let changed = || SignError::DocumentChanged {
        path: doc.to_path_buf(),
    };
    let mut tmp = temp_for(out)?;
    let werr = |p: &Path, e| SignError::io(format!("writing {}", p.display()), e);
    let tmp_path = tmp.temp_path().to_path_buf();
    tmp.write_all(&framing.prefix)
        .map_err(|e| werr(&tmp_path, e))?;
    let file =
        File::open(doc).map_err(|e| SignError::io(format!("reading {}", doc.display()), e))?;
    let alg: DigestAlgorithm = expected.signed.algorithm();
    let mut hasher = DocumentHasher::new(alg);
    let mut write_failed = None;
    let copied = {
        let f = tmp.file();
        stream(file, |chunk| {
            hasher.update(chunk);
            f.write_all(chunk).inspect_err(|_| write_failed = Some(()))
        })
    };
    match copied {
        Ok(n) if n == expected.len => {}
        Ok(_) => return Err(changed()),
        Err(e) if write_failed.is_some() => return Err(werr(&tmp_path, e)),
        Err(e) => return Err(SignError::io(format!("reading {}", doc.display()), e)),
    }
    if hasher.finalize() != *expected {
        return Err(changed());
    }
    tmp.write_all(&framing.suffix)
        .map_err(|e| werr(&tmp_path, e))?;
    finish(tmp, framing.total_len(expected.len))
}

/// A temporary file for an output that holds a copy of a document so far, with the hash
/// state after the document (see [`copy_document`]).
#[derive(Debug)]
pub(crate) struct Copied {
    tmp: Staged,
    /// The document's hash state, to be continued with what follows it.
    pub hasher: DocumentHasher,
    /// The document's length.
    pub len: u64,
}

/// Copies `doc` into a new temporary file for `out`, hashing it on the way with `alg`
/// (and SHA-256) in one pass ([`copy`]): what is then signed is exactly what was
/// written. Dropped without [`Copied::append`], the temporary file is removed.
pub(crate) fn copy_document(
    out: &Path,
    doc: &Path,
    alg: DigestAlgorithm,
) -> Result<Copied, SignError> {
    let read_err = |e| SignError::io(format!("reading {}", doc.display()), e);
    let file = File::open(doc).map_err(read_err)?;
    let mut tmp = temp_for(out)?;
    let tmp_path = tmp.temp_path().to_path_buf();
    let direct = copy::open_direct(&tmp_path, tmp.file());
    let mut hasher = DocumentHasher::new(alg);
    match copy::copy_hashing(file, tmp.file(), direct, &mut hasher) {
        Ok(len) => Ok(Copied { tmp, hasher, len }),
        Err(CopyError::Read(e)) => Err(read_err(e)),
        Err(CopyError::Write(e)) => {
            Err(SignError::io(format!("writing {}", tmp_path.display()), e))
        }
    }
}

impl Copied {
    /// Appends `suffix` after the document and syncs the file.
    pub(crate) fn append(mut self, suffix: &[u8]) -> Result<Pending, SignError> {
        let tmp_path = self.tmp.temp_path().to_path_buf();
        self.tmp
            .write_all(suffix)
            .map_err(|e| SignError::io(format!("writing {}", tmp_path.display()), e))?;
        finish(self.tmp, self.len + suffix.len() as u64)
    }
}

impl Pending {
    /// Renames the temporary file over the output (under its lock) and syncs the
    /// directory.
    pub(crate) fn commit(self) -> Result<u64, SignError> {
        let out = self.tmp.out_path().to_path_buf();
        self.tmp
            .commit()
            .map_err(|e| SignError::io(format!("renaming into {}", out.display()), e))?;
        Ok(self.len)
    }
}
