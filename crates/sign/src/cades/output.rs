//! Writing signatures to files atomically: a temporary file in the output's directory,
//! written, synced and renamed over the output only when everything succeeded. On any error
//! the temporary file is removed and the output path is left untouched.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use kenpo_core::alg::DigestAlgorithm;
use tempfile::NamedTempFile;

use super::assemble::Framing;
use super::digest::{DocumentDigests, DocumentHasher, stream};
use super::error::SignError;

/// A fully written, synced temporary file waiting to be renamed over `out`.
#[derive(Debug)]
pub(crate) struct Pending {
    tmp: NamedTempFile,
    out: PathBuf,
    pub len: u64,
}

fn dir_of(out: &Path) -> &Path {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_for(out: &Path) -> Result<NamedTempFile, SignError> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "signature".into());
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir_of(out))
        .map_err(|e| {
            SignError::io(
                format!("creating a temporary file for {}", out.display()),
                e,
            )
        })
}

fn finish(tmp: NamedTempFile, out: &Path, len: u64) -> Result<Pending, SignError> {
    tmp.as_file()
        .sync_all()
        .map_err(|e| SignError::io(format!("syncing {}", tmp.path().display()), e))?;
    Ok(Pending {
        tmp,
        out: out.to_path_buf(),
        len,
    })
}

/// Writes `bytes` to a temporary file for `out`.
pub(crate) fn write_bytes(out: &Path, bytes: &[u8]) -> Result<Pending, SignError> {
    let mut tmp = temp_for(out)?;
    tmp.write_all(bytes)
        .map_err(|e| SignError::io(format!("writing {}", tmp.path().display()), e))?;
    finish(tmp, out, bytes.len() as u64)
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
    let tmp_path = tmp.path().to_path_buf();
    tmp.write_all(&framing.prefix)
        .map_err(|e| werr(&tmp_path, e))?;
    let file =
        File::open(doc).map_err(|e| SignError::io(format!("reading {}", doc.display()), e))?;
    let alg: DigestAlgorithm = expected.signed.algorithm();
    let mut hasher = DocumentHasher::new(alg);
    let mut write_failed = None;
    let copied = {
        let f = tmp.as_file_mut();
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
    finish(tmp, out, framing.total_len(expected.len))
}

impl Pending {
    /// Renames the temporary file over the output and syncs the directory.
    pub(crate) fn commit(self) -> Result<u64, SignError> {
        let out = self.out;
        let len = self.len;
        self.tmp
            .persist(&out)
            .map_err(|e| SignError::io(format!("renaming into {}", out.display()), e.error))?;
        // Make the rename durable (best effort: not every platform can sync directories).
        if let Ok(d) = File::open(dir_of(&out)) {
            let _ = d.sync_all();
        }
        Ok(len)
    }
}
