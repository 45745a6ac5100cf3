//! Every committed fuzz finding, run again: each file under `fuzz/regressions/<target>/`
//! goes through its target (a panic fails the test and names the file). With
//! `KENPO_FUZZ_CORPUS=DIR` set, every file under `DIR/<target>/` (a corpus written by
//! `scripts/fuzz`) is run too.
//!
//! A new finding becomes a test by copying the input libFuzzer saved under
//! `fuzz/artifacts/<target>/` to `fuzz/regressions/<target>/<short-name>` (see
//! docs/FUZZING.md).
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};

use kenpo_fuzz_targets::{TARGETS, Target};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Runs `target` on every file in `dir`; returns how many ran, or the failing file.
fn run_dir(name: &str, target: Target, dir: &Path) -> usize {
    let files = inputs(dir);
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display()));
        let outcome = std::panic::catch_unwind(|| target(&data));
        assert!(
            outcome.is_ok(),
            "fuzz target `{name}` panicked on {} (see the message above)",
            f.display()
        );
    }
    files.len()
}

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../regressions")
}

#[test]
fn every_regression_input_runs_clean() {
    let mut total = 0;
    for (name, target) in TARGETS {
        total += run_dir(name, *target, &regressions_dir().join(name));
    }
    // The committed findings (see docs/FUZZING.md); a lost directory is a lost test.
    assert!(
        total > 0,
        "no regression input under {}",
        regressions_dir().display()
    );
}

#[test]
fn every_regression_directory_names_a_target() {
    let entries = std::fs::read_dir(regressions_dir())
        .into_iter()
        .flatten()
        .flatten();
    for dir in entries.map(|e| e.path()).filter(|p| p.is_dir()) {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(
            kenpo_fuzz_targets::target(name).is_some(),
            "{} is not the name of a fuzz target",
            dir.display()
        );
    }
}

#[test]
fn a_given_corpus_runs_clean() {
    let Some(corpus) = std::env::var_os("KENPO_FUZZ_CORPUS") else {
        eprintln!("KENPO_FUZZ_CORPUS not set: no corpus run");
        return;
    };
    let corpus = PathBuf::from(corpus);
    let mut total = 0;
    for (name, target) in TARGETS {
        total += run_dir(name, *target, &corpus.join(name));
    }
    eprintln!("{total} corpus inputs ran clean");
}

#[test]
fn targets_reject_trivial_inputs_without_panicking() {
    for (_, target) in TARGETS {
        for input in [
            &b""[..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x80, 0, 0],
            &[0xff; 16],
        ] {
            target(input);
        }
    }
}

/// The shared XML material (DSS XAdES samples, C14N vectors, the e-prescription sample)
/// through the `xml` target: real signatures, broken ones and odd documents, no panic.
#[test]
fn shared_xml_runs_clean_through_the_xml_target() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let mut total = 0;
    for sub in [
        "conformance/dss-xades",
        "conformance/xml-c14n/santuario/c14n/in",
        "hpki-real",
    ] {
        let dir = shared.join(sub);
        let files: Vec<PathBuf> = inputs(&dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        for f in &files {
            let data = std::fs::read(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display()));
            let outcome = std::panic::catch_unwind(|| kenpo_fuzz_targets::xml(&data));
            assert!(
                outcome.is_ok(),
                "the xml target panicked on {}",
                f.display()
            );
        }
        total += files.len();
    }
    if total == 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "shared XML material missing (required under CI)"
        );
        eprintln!("SKIP: no shared XML material");
    }
}
