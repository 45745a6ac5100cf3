//! The persistent cache directory ([`crate::FetchConfig::cache_dir`]): fetched CRLs and
//! OCSP responses kept between runs.
//!
//! * `DIR/crl/<hex SHA-256 of the URL>.crl`: the CRL last fetched from that URL (DER);
//! * `DIR/ocsp/<hex SHA-256 of URL ‖ 0 ‖ issuer name hash ‖ issuer key hash ‖ serial>.der`:
//!   the `OCSPResponse` last fetched from that responder for that certificate (hashes
//!   SHA-256, serial as its canonical INTEGER contents).
//!
//! Files are written atomically ([`kenpo_core::atomic`]: a locked temporary file in the
//! same directory, then a rename), so concurrent runs never see half a file, and a
//! temporary file left by a killed run is removed by the next write in its directory. What is read back is data like any other: the
//! checker applies every signature and scope check to it, and decides whether it is
//! current. Unreadable, oversized or corrupt files are ignored and replaced by the next
//! fetch.

use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::atomic::AtomicWriter;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Subdirectory of CRLs.
const CRL_DIR: &str = "crl";
/// Subdirectory of OCSP responses.
const OCSP_DIR: &str = "ocsp";

/// Lower-case hex SHA-256 of `parts` concatenated.
fn sha256_hex(parts: &[&[u8]]) -> String {
    DigestAlgorithm::Sha256.digest(&parts.concat()).to_hex()
}

/// The cache file of the CRL fetched from `url`.
pub(crate) fn crl_path(dir: &Path, url: &str) -> PathBuf {
    dir.join(CRL_DIR)
        .join(format!("{}.crl", sha256_hex(&[url.as_bytes()])))
}

/// The cache file of the OCSP response of responder `url` for the certificate with
/// issuer name `issuer_name` (DER), issuer public key bits `issuer_key` and serial
/// `serial` (canonical INTEGER contents).
pub(crate) fn ocsp_path(
    dir: &Path,
    url: &str,
    issuer_name: &[u8],
    issuer_key: &[u8],
    serial: &[u8],
) -> PathBuf {
    let name_hash = DigestAlgorithm::Sha256.digest(issuer_name);
    let key_hash = DigestAlgorithm::Sha256.digest(issuer_key);
    let name = sha256_hex(&[
        url.as_bytes(),
        &[0],
        name_hash.as_bytes(),
        key_hash.as_bytes(),
        serial,
    ]);
    dir.join(OCSP_DIR).join(format!("{name}.der"))
}

/// The contents of `path`, at most `limit` bytes; `Ok(None)` when there is no such file,
/// `Err` (saying why) when it cannot be read or is too large.
pub(crate) fn read(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cache {}: {e}", path.display())),
    };
    let too_large = || {
        format!(
            "cache {}: larger than the limit of {limit} bytes, ignored",
            path.display()
        )
    };
    let len = file
        .metadata()
        .map_err(|e| format!("cache {}: {e}", path.display()))?
        .len();
    if len > limit {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| format!("cache {}: {e}", path.display()))?;
    if body.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Some(body))
}

/// Writes `data` to `path` atomically (creating its directory) with
/// [`kenpo_core::atomic`]: a locked temporary file in the same directory, then a rename
/// over `path`; temporary files of killed runs in that directory are removed. Says why not.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cache {} not written: {e}", path.display());
    let dir = path
        .parent()
        .ok_or_else(|| format!("cache {} not written: no directory", path.display()))?;
    std::fs::create_dir_all(dir).map_err(fail)?;
    AtomicWriter::new().write(path, data).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_hashes() {
        let dir = Path::new("/c");
        let a = crl_path(dir, "http://127.0.0.1/a.crl");
        assert_eq!(a, crl_path(dir, "http://127.0.0.1/a.crl"));
        assert_ne!(a, crl_path(dir, "http://127.0.0.1/b.crl"));
        assert_eq!(a.parent(), Some(Path::new("/c/crl")));
        let stem = a.file_stem().map(|s| s.to_string_lossy().into_owned());
        assert_eq!(stem.as_ref().map(String::len), Some(64));
        let o = ocsp_path(dir, "http://x.invalid/ocsp", b"n", b"k", &[1]);
        assert_ne!(o, ocsp_path(dir, "http://x.invalid/ocsp", b"n", b"k", &[2]));
        assert_ne!(o, ocsp_path(dir, "http://y.invalid/ocsp", b"n", b"k", &[1]));
        assert_eq!(o.extension().and_then(|e| e.to_str()), Some("der"));
    }

    #[test]
    fn write_then_read_with_limits() {
        let dir = tempfile::tempdir().unwrap();
        let path = crl_path(dir.path(), "http://127.0.0.1/a.crl");
        assert_eq!(read(&path, 10), Ok(None));
        write_atomic(&path, b"0123456789").unwrap();
        assert_eq!(read(&path, 10), Ok(Some(b"0123456789".to_vec())));
        assert!(read(&path, 9).is_err());
        write_atomic(&path, b"new").unwrap();
        assert_eq!(read(&path, 10), Ok(Some(b"new".to_vec())));
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn a_killed_writers_temporary_file_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = crl_path(dir.path(), "http://127.0.0.1/a.crl");
        let crl_dir = path.parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&crl_dir).unwrap();
        // What a run killed mid-write leaves: our temporary name, nobody holding its lock.
        let stale = crl_dir.join(".kenpo-tmp-x.crl.0123456789abcdef.wip");
        std::fs::write(&stale, b"partial").unwrap();
        write_atomic(&path, b"crl").unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&crl_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, [path.file_name().unwrap().to_owned()]);
    }
}
