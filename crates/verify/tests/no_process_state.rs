//! No process-wide state in the library crates: what a verification works out belongs to a
//! caller-owned `kenpo_verify::Context`, so a result never depends on what the process did
//! before. Scans the sources of core, pdf, revocation, tsa, sign, verify and xml for
//! `static` items, `thread_local!` and lazily initialised cells; only the allow-listed ones
//! (constant tables, the PKCS#11 module registry) may exist.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// (file, the line's trimmed text) allowed to declare process-wide state.
const ALLOWED: &[(&str, &str)] = &[
    // Constant lookup tables, built once from constants.
    (
        "core/src/oid.rs",
        "static INDEX: OnceLock<[[Option<u8>; 128]; ARC_FAMILIES]> = OnceLock::new();",
    ),
    (
        "core/src/oid.rs",
        "static INDEX: OnceLock<HashMap<&'static [u8], Oid, BuildHasherDefault<Fnv>>> = OnceLock::new();",
    ),
    // One loaded PKCS#11 module per library path (a module may be initialised once per
    // process).
    (
        "sign/src/signer/pkcs11.rs",
        "static REG: OnceLock<Registry> = OnceLock::new();",
    ),
];

/// Whether a trimmed line declares process-wide state.
fn declares_state(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or_default();
    let is_static = [
        "static ",
        "pub static ",
        "pub(crate) static ",
        "pub(super) static ",
    ]
    .iter()
    .any(|p| code.starts_with(p))
        && !code.starts_with("static _");
    is_static
        || code.contains("thread_local!")
        || code.contains("LazyLock")
        || code.contains("LazyCell")
        || code.contains("lazy_static!")
        || code.contains("once_cell::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn library_crates_hold_no_process_wide_state() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    let mut scanned = 0;
    for krate in ["core", "pdf", "revocation", "tsa", "sign", "verify", "xml"] {
        let mut files = Vec::new();
        rust_files(&crates.join(krate).join("src"), &mut files);
        for f in files {
            scanned += 1;
            let rel = f
                .strip_prefix(&crates)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, line) in text.lines().enumerate() {
                let t = line.trim();
                if declares_state(t) && !ALLOWED.contains(&(rel.as_str(), t)) {
                    found.push(format!("{rel}:{}: {t}", i + 1));
                }
            }
        }
    }
    assert!(scanned > 100, "only {scanned} source files found");
    assert!(
        found.is_empty(),
        "process-wide state (keep it in a caller-owned context such as kenpo_verify::Context, or allow-list a constant table here):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_what_it_forbids() {
    for bad in [
        "static CACHE: OnceLock<Mutex<HashMap<u8, u8>>> = OnceLock::new();",
        "pub static COUNT: AtomicU64 = AtomicU64::new(0);",
        "thread_local! {",
        "static X: LazyLock<Vec<u8>> = LazyLock::new(Vec::new);",
    ] {
        assert!(declares_state(bad), "{bad}");
    }
    for fine in [
        "fn name(&self) -> &'static str {",
        "// static KEYS: OnceLock<u8>",
        "let s: &'static [u8] = b\"\";",
    ] {
        assert!(!declares_state(fine), "{fine}");
    }
}
