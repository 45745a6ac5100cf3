//! Which files to plan: named files, and in directories (recursively) `*.p7s`, `*.p7m`,
//! `*.pkcs7`, `*.pdf`, `*.xml` and any other file that starts like a CMS SignedData.
//!
//! Symbolic links met in a directory are never followed out of the named directory: a link
//! whose target lies outside it is neither read nor walked and is reported as a
//! [`SkippedLink`] (like `batch`'s `"kind":"skipped"` lines). A link to a file inside it is
//! planned as that file; links to directories are not walked (no loops).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Directories are followed at most this deep.
const MAX_DEPTH: usize = 32;

/// DER of `OID 1.2.840.113549.1.7.2` (id-signedData).
const SIGNED_DATA_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];

/// One file to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInput {
    /// The file.
    pub path: PathBuf,
    /// Its name says it is a signature (`.p7s`, `.p7m`, `.pkcs7`): not parsing is an
    /// error, not "unsigned".
    pub signature_name: bool,
}

fn has_signature_name(p: &Path) -> bool {
    crate::batch::is_signature_name(p.as_os_str())
}

/// A `*.pdf` or `*.xml`: planned when it holds signatures (else reported unsigned).
fn is_document_name(p: &Path) -> bool {
    p.extension()
        .and_then(std::ffi::OsStr::to_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf") || e.eq_ignore_ascii_case("xml"))
}

/// Whether the first bytes look like a CMS ContentInfo with signedData (DER/BER) or a
/// PEM CMS/PKCS7 block.
fn looks_like_cms(p: &Path) -> bool {
    let mut head = [0u8; 64];
    let n = match std::fs::File::open(p).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(_) => return false,
    };
    let head = &head[..n];
    if head.first() == Some(&0x30) {
        return head
            .windows(SIGNED_DATA_OID.len())
            .take(8)
            .any(|w| w == SIGNED_DATA_OID);
    }
    head.windows(16)
        .any(|w| w == b"-----BEGIN PKCS7" || w.starts_with(b"-----BEGIN CMS-"))
}

/// A symbolic link met in a walked directory whose target lies outside it: not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLink {
    /// The link.
    pub path: PathBuf,
    /// Where it points (resolved), when that could be found.
    pub target: Option<PathBuf>,
}

/// What [`collect`] found: the files to plan and the links skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Collected {
    /// The files to plan.
    pub inputs: Vec<PlanInput>,
    /// Links leaving their walked directory, not read.
    pub skipped: Vec<SkippedLink>,
}

/// The file `p` as a plan input, if it is one (by name or by its first bytes).
fn input_of(path: PathBuf) -> Option<PlanInput> {
    let signature_name = has_signature_name(&path);
    (signature_name || looks_like_cms(&path) || is_document_name(&path)).then_some(PlanInput {
        path,
        signature_name,
    })
}

/// A link met in the walk of `root` (resolved): skipped when its target is outside `root`
/// (or cannot be resolved), else planned when it names a file.
fn link(p: PathBuf, root: &Path, out: &mut Collected) {
    match std::fs::canonicalize(&p) {
        Ok(t) if t.starts_with(root) => {
            if t.is_file()
                && let Some(i) = input_of(p)
            {
                out.inputs.push(i);
            }
        }
        target => out.skipped.push(SkippedLink {
            path: p,
            target: target.ok(),
        }),
    }
}

fn walk(dir: &Path, root: &Path, depth: usize, out: &mut Collected) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if depth < MAX_DEPTH {
                walk(&p, root, depth + 1, out)?;
            }
        } else if meta.is_file() {
            out.inputs.extend(input_of(p));
        } else if meta.is_symlink() {
            link(p, root, out);
        }
    }
    Ok(())
}

/// The files to plan for `paths`: each named file, and the signature files found in each
/// named directory. A directory that cannot be listed is an error naming it.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<PlanInput>, (PathBuf, std::io::Error)> {
    collect(paths).map(|c| c.inputs)
}

/// [`collect_inputs`], with the symbolic links skipped because they leave their directory.
pub fn collect(paths: &[PathBuf]) -> Result<Collected, (PathBuf, std::io::Error)> {
    let mut out = Collected::default();
    for p in paths {
        if p.is_dir() {
            let root = std::fs::canonicalize(p).map_err(|e| (p.clone(), e))?;
            walk(p, &root, 0, &mut out).map_err(|e| (p.clone(), e))?;
        } else {
            out.inputs.push(PlanInput {
                path: p.clone(),
                signature_name: has_signature_name(p),
            });
        }
    }
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn links_leaving_the_folder_are_skipped_and_reported() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.p7s");
        std::fs::write(&secret, b"0").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("own.p7s"), b"0").unwrap();
        std::os::unix::fs::symlink(&secret, d.join("out.p7s")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.join("outdir")).unwrap();
        std::os::unix::fs::symlink(d.join("own.p7s"), d.join("in.p7s")).unwrap();
        let c = collect(&[d.to_path_buf()]).unwrap();
        let planned: Vec<_> = c.inputs.iter().map(|i| i.path.clone()).collect();
        assert_eq!(planned, [d.join("in.p7s"), d.join("own.p7s")]);
        let skipped: Vec<_> = c.skipped.iter().map(|s| s.path.clone()).collect();
        assert_eq!(skipped, [d.join("out.p7s"), d.join("outdir")]);
        assert_eq!(
            c.skipped[0].target,
            Some(std::fs::canonicalize(&secret).unwrap())
        );
    }
}
