//! File input and atomic output.

use std::path::Path;

use crate::exit::CliError;

/// Default of `--max-input-bytes`: the most bytes of one input file held in memory (the
/// signature, a certificate, a CRL or OCSP response, an inspected file). The same as
/// `batch --max-file-size`.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = kenpo_verify::batch::DEFAULT_MAX_FILE_BYTES;

/// The `--max-input-bytes` option of the commands that hold their input files in memory.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct InputLimit {
    /// Refuse (exit 4) any input file held in memory (signature, certificate, CRL, OCSP
    /// response, inspected file) larger than this many bytes; suffixes K, M, G. Detached
    /// content (--content, --data) is streamed and has no limit.
    #[arg(long = "max-input-bytes", value_name = "N", value_parser = crate::cmd::batch::parse_size,
          default_value_t = DEFAULT_MAX_INPUT_BYTES)]
    pub bytes: u64,
}

impl Default for InputLimit {
    fn default() -> Self {
        Self {
            bytes: DEFAULT_MAX_INPUT_BYTES,
        }
    }
}

impl InputLimit {
    /// No limit (the commands without `--max-input-bytes`).
    pub const NONE: Self = Self { bytes: u64::MAX };

    fn too_large(self, path: &Path, size: Option<u64>) -> CliError {
        let found = match size {
            Some(n) => format!(
                "has {n} bytes, over the input limit of {} bytes; it was not read",
                self.bytes
            ),
            None => format!(
                "holds more than the input limit of {} bytes; reading stopped there",
                self.bytes
            ),
        };
        CliError::Operational(format!(
            "{} {found}. If the file is genuine, raise the limit with --max-input-bytes N",
            path.display(),
        ))
    }
}

/// Reads a whole file, naming it in the error (no size limit: see [`read_limited`]).
pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    read_limited(path, InputLimit::NONE)
}

/// Reads a whole file of at most `limit` bytes, naming it in the error. The limit is
/// enforced while reading (a FIFO or a device has no useful size): at most `limit + 1`
/// bytes are ever read. A regular file whose size is already over the limit is refused
/// without reading.
pub fn read_limited(path: &Path, limit: InputLimit) -> Result<Vec<u8>, CliError> {
    let f = std::fs::File::open(path)
        .map_err(|e| CliError::op(format!("cannot read {}", path.display()), e))?;
    read_open(&f, path, limit)
}

/// [`read_limited`] of a file already open as `f` (named `path` in errors).
pub fn read_open(f: &std::fs::File, path: &Path, limit: InputLimit) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let ctx = || format!("cannot read {}", path.display());
    // The size of a regular file is only a hint (it may still grow): `take` bounds it.
    let hint = f
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len());
    if let Some(len) = hint
        && len > limit.bytes
    {
        return Err(limit.too_large(path, Some(len)));
    }
    let capacity = hint.map_or(0, |n| n.saturating_add(1).min(limit.bytes));
    let mut data = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    f.take(limit.bytes.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| CliError::op(ctx(), e))?;
    if u64::try_from(data.len()).unwrap_or(u64::MAX) > limit.bytes {
        return Err(limit.too_large(path, None));
    }
    Ok(data)
}

/// Certificates from DER or PEM files (each may hold several PEM certificates), or from
/// every `*.pem`/`*.cer`/`*.crt`/`*.der` file of a directory (no size limit: see
/// [`certificates_limited`]).
pub fn certificates(paths: &[std::path::PathBuf]) -> Result<Vec<Vec<u8>>, CliError> {
    certificates_limited(paths, InputLimit::NONE)
}

/// [`certificates`], each file at most `limit` bytes.
pub fn certificates_limited(
    paths: &[std::path::PathBuf],
    limit: InputLimit,
) -> Result<Vec<Vec<u8>>, CliError> {
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
                out.extend(cert_file(&f, limit)?);
            }
        } else {
            out.extend(cert_file(p, limit)?);
        }
    }
    Ok(out)
}

fn cert_file(p: &Path, limit: InputLimit) -> Result<Vec<Vec<u8>>, CliError> {
    kenpo_core::cert::certificates_from_pem_or_der(&read_limited(p, limit)?)
        .map_err(|e| CliError::op(format!("{} holds no usable certificate", p.display()), e))
}

/// DER bytes of a file given as DER or PEM (first PEM block, any label), of at most
/// `limit` bytes.
pub fn der_or_pem_limited(path: &Path, limit: InputLimit) -> Result<Vec<u8>, CliError> {
    let data = read_limited(path, limit)?;
    match kenpo_core::pem::first_block(&data) {
        Ok(Some(der)) => Ok(der),
        Ok(None) => Ok(data),
        Err(e) => Err(CliError::op(format!("bad PEM in {}", path.display()), e)),
    }
}

/// Writes `bytes` to `path` atomically: a locked temporary file in the same directory,
/// fsync, rename, fsync of the directory. Nothing is left behind on failure; stale
/// temporary files that killed runs left in that directory are removed first. A replaced
/// file keeps its permission bits (and owner and group where allowed); a new one gets the
/// usual mode of new files (0666 less the umask). See [`kenpo_core::atomic`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    kenpo_core::atomic::AtomicWriter::new()
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

/// DER bytes of each file (DER or PEM), in order, each at most `limit` bytes.
pub fn der_files_limited(
    paths: &[std::path::PathBuf],
    limit: InputLimit,
) -> Result<Vec<Vec<u8>>, CliError> {
    paths.iter().map(|p| der_or_pem_limited(p, limit)).collect()
}

/// Parses `--at` (RFC 3339).
pub fn parse_at(at: Option<&str>) -> Result<Option<time::OffsetDateTime>, CliError> {
    at.map(|s| {
        kenpo_core::timefmt::parse_rfc3339(s).map_err(|e| CliError::Usage(format!("--at: {e}")))
    })
    .transpose()
}

/// The output path: `out` when given (replaced if it exists), else `input` with
/// `.{ext}` appended, which must not exist unless `force` (a default name never replaces
/// a file silently).
pub fn default_output(
    out: Option<&Path>,
    input: &Path,
    ext: &str,
    force: bool,
) -> Result<std::path::PathBuf, CliError> {
    if let Some(o) = out {
        return Ok(o.to_path_buf());
    }
    let mut name = input.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    let path = std::path::PathBuf::from(name);
    if !force && std::fs::symlink_metadata(&path).is_ok() {
        return Err(CliError::Refused(format!(
            "{} already exists; nothing written. Give --force to replace it, or -o another path",
            path.display()
        )));
    }
    Ok(path)
}
