//! File input and atomic output.

use std::path::Path;

use crate::exit::CliError;

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::op(format!("cannot read {}", path.display()), e))
}

/// Certificates from DER or PEM files (each may hold several PEM certificates), or from
/// every `*.pem`/`*.cer`/`*.crt`/`*.der` file of a directory.
pub fn certificates(paths: &[std::path::PathBuf]) -> Result<Vec<Vec<u8>>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| CliError::op(format!("cannot read {}", p.display()), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| matches!(x, "pem" | "cer" | "crt" | "der"))
                })
                .collect();
            entries.sort();
            for f in entries {
                out.extend(cert_file(&f)?);
            }
        } else {
            out.extend(cert_file(p)?);
        }
    }
    Ok(out)
}

fn cert_file(p: &Path) -> Result<Vec<Vec<u8>>, CliError> {
    kenpo_core::cert::certificates_from_pem_or_der(&read(p)?)
        .map_err(|e| CliError::op(format!("{} holds no usable certificate", p.display()), e))
}

/// DER bytes of a file given as DER or PEM (first PEM block, any label).
pub fn der_or_pem(path: &Path) -> Result<Vec<u8>, CliError> {
    let data = read(path)?;
    if !data.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(data);
    }
    let text = String::from_utf8_lossy(&data);
    let start = text.find("-----BEGIN ").unwrap_or(0);
    der::pem::decode_vec(text[start..].as_bytes())
        .map(|(_, der)| der)
        .map_err(|e| CliError::op(format!("bad PEM in {}", path.display()), e))
}

/// Writes `bytes` to `path` atomically: a locked temporary file in the same directory,
/// fsync, rename, fsync of the directory. Nothing is left behind on failure; stale
/// temporary files that killed runs left in that directory are removed first. A replaced
/// file keeps its permission bits (and owner and group where allowed); a new one gets the
/// usual mode of new files (0666 less the umask). See [`kenpo_verify::batch::atomic`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    kenpo_verify::batch::atomic::AtomicWriter::new()
        .write(path, bytes)
        .map_err(|e| CliError::op(format!("cannot write {}", path.display()), e))
}

/// Hashes a file as a stream (constant memory).
pub fn hash_file(
    path: &Path,
    alg: kenpo_core::alg::DigestAlgorithm,
) -> Result<kenpo_core::alg::Digest, CliError> {
    let ctx = || format!("cannot read {}", path.display());
    let mut f = std::fs::File::open(path).map_err(|e| CliError::op(ctx(), e))?;
    let mut h = alg.hasher();
    std::io::copy(&mut f, &mut h).map_err(|e| CliError::op(ctx(), e))?;
    Ok(h.finalize())
}

/// DER bytes of each file (DER or PEM), in order.
pub fn der_files(paths: &[std::path::PathBuf]) -> Result<Vec<Vec<u8>>, CliError> {
    paths.iter().map(|p| der_or_pem(p)).collect()
}

/// Parses `--at` (RFC 3339).
pub fn parse_at(at: Option<&str>) -> Result<Option<time::OffsetDateTime>, CliError> {
    at.map(|s| {
        kenpo_core::timefmt::parse_rfc3339(s).map_err(|e| CliError::Usage(format!("--at: {e}")))
    })
    .transpose()
}
