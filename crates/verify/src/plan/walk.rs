//! Which files to plan: named files, and in directories (recursively) `*.p7s`, `*.p7m`,
//! `*.pkcs7` and any other file that starts like a CMS SignedData.

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
    p.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "p7s" | "p7m" | "pkcs7"))
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

fn walk(dir: &Path, depth: usize, out: &mut Vec<PlanInput>) -> std::io::Result<()> {
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
                walk(&p, depth + 1, out)?;
            }
        } else if meta.is_file() {
            if has_signature_name(&p) {
                out.push(PlanInput {
                    path: p,
                    signature_name: true,
                });
            } else if looks_like_cms(&p) {
                out.push(PlanInput {
                    path: p,
                    signature_name: false,
                });
            }
        }
    }
    Ok(())
}

/// The files to plan for `paths`: each named file, and the signature files found in each
/// named directory. A directory that cannot be listed is an error naming it.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<PlanInput>, (PathBuf, std::io::Error)> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, 0, &mut out).map_err(|e| (p.clone(), e))?;
        } else {
            out.push(PlanInput {
                path: p.clone(),
                signature_name: has_signature_name(p),
            });
        }
    }
    Ok(out)
}
