//! The README's shell examples marked `<!-- readme-test -->` run as they stand, with the
//! real binary first on `PATH`, in an empty folder (each block makes what it needs, e.g.
//! with `kenpo-sign demo --dir demo`), under `bash -e -o pipefail`: every command must
//! succeed. And the README's other examples keep what was fixed in them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kenpo-sign");
const MARK: &str = "<!-- readme-test -->";

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap()
}

/// The ```sh blocks that follow a [`MARK`] line.
fn marked_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.trim() != MARK {
            continue;
        }
        let fence = lines.next().unwrap_or_default();
        assert_eq!(
            fence.trim(),
            "```sh",
            "{MARK} must be followed by a ```sh block"
        );
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        blocks.push(body.join("\n"));
    }
    blocks
}

#[test]
fn marked_readme_blocks_run() {
    let blocks = marked_blocks(&readme());
    assert!(!blocks.is_empty(), "no {MARK} block in README.md");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for block in &blocks {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", block])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env_remove("KENPO_REVOCATION_CACHE")
            .output()
            .expect("bash");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "README block failed ({:?}):\n{block}\n--- stdout\n{out}\n--- stderr\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        );
        if block.contains("application.csv.bt.p7s") {
            // The B-T signature's time-stamp is checked (the TSA CA's CRL is given): B-T,
            // not a PASSED B-B over an invalid time-stamp.
            assert!(out.contains("TOTAL_PASSED (B-T)"), "{out}");
            assert!(!out.contains("INVALID"), "{out}");
        }
    }
}

/// Offline `verify` examples with CRLs give the TSA CA's CRL too (else the time-stamp is
/// ignored and the verdict is a PASSED B-B); the README points at docs/CLI.md, not at a
/// file outside the repository; it says that `demo --dir` keeps what it made.
#[test]
fn readme_examples_keep_their_fixes() {
    let text = readme();
    let mut command = String::new();
    for line in text.lines() {
        command.push_str(line.trim_end_matches('\\'));
        if line.ends_with('\\') {
            continue;
        }
        if command.contains("kenpo-sign verify ")
            && command.contains("--offline")
            && command.contains("--crl ")
        {
            assert!(
                command.contains("--crl pki/tsa-ca.crl"),
                "offline verify without the TSA CA's CRL: {command}"
            );
        }
        command.clear();
    }
    assert!(!text.contains("shared/CLI.md"), "link docs/CLI.md instead");
    assert!(text.contains("docs/CLI.md"));
    assert!(text.contains("demo --dir"));
}
