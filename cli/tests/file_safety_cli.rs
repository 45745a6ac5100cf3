//! File safety of the real `kenpo-sign` binary: stale temporary files of killed runs are
//! removed by the next run (never a live one of a concurrent run), replaced files keep
//! their mode and new ones get the usual mode of new files, private keys are 0600, and a
//! report that cannot be written whole is cut back to its last complete line.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{BIN, env, f, text};

/// Runs the binary through `sh` with `umask` set and `prelude` run first.
fn run_sh(prelude: &str, umask: &str, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("{prelude} umask {umask}; exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A B-T signature of a small document in `dir`: (document, signature).
fn signed(dir: &Path) -> (PathBuf, PathBuf) {
    let doc = dir.join("application.csv");
    std::fs::write(&doc, "保険者番号,氏名\n06270001,山田太郎\n").unwrap();
    let sig = dir.join("application.csv.p7s");
    let o = run_sh(
        "",
        "022",
        &[
            "sign",
            doc.to_str().unwrap(),
            "--cert",
            &f("hpki-signer.pem"),
            "--key",
            &f("hpki-signer.key.pem"),
            "--chain",
            &f("hpki-sign-ca.pem"),
            "--tsa",
            &env().tsa.url,
            "--trust",
            &f("root-ca.pem"),
            "--trust",
            &f("tsa-ca.pem"),
            "--level",
            "b-t",
            "--profile",
            "hpki",
            "--yes",
            "-o",
            sig.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    (doc, sig)
}

/// `extend SIG --to b-lt` with `out` (`-o FILE` or `--in-place`) under `umask`.
fn extend_lt(doc: &Path, sig: &Path, out: &[&str], umask: &str) -> Output {
    let (root, tsa_ca) = (f("root-ca.pem"), f("tsa-ca.pem"));
    let mut args = vec![
        "extend",
        sig.to_str().unwrap(),
        "--content",
        doc.to_str().unwrap(),
        "--to",
        "b-lt",
        "--trust",
        &root,
        "--trust",
        &tsa_ca,
    ];
    args.extend(out);
    run_sh("", umask, &args)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Defect 5: a killed run's temporary file (our name, no lock holder) is removed by the
/// next run writing in that folder; a live one (locked by its writer, here the test) and
/// files of other names are kept.
#[test]
fn extend_in_place_removes_stale_temporaries_and_keeps_live_ones() {
    let work = tempfile::tempdir().unwrap();
    let (doc, sig) = signed(work.path());
    // Exactly what a run killed during its write leaves: a partial file, nobody holding it.
    let stale = work
        .path()
        .join(".kenpo-tmp-application.csv.p7s.0123456789abcdef.wip");
    std::fs::write(&stale, vec![0x30; 1 << 20]).unwrap();
    // A concurrent run still writing: it holds the lock on its temporary file.
    let live = work
        .path()
        .join(".kenpo-tmp-application.csv.p7s.fedcba9876543210.wip");
    let live_file = std::fs::File::create(&live).unwrap();
    live_file.lock().unwrap();
    // Not ours (other name patterns, a directory): never touched.
    let others = [
        ".kenpo-tmp-abc123",
        ".application.csv.p7s.x1y2z3.tmp",
        "notes.wip",
    ];
    for o in others {
        std::fs::write(work.path().join(o), "x").unwrap();
    }
    let dir_like = work.path().join(".kenpo-tmp-folder.wip");
    std::fs::create_dir(&dir_like).unwrap();

    let o = extend_lt(&doc, &sig, &["--in-place"], "022");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !stale.exists(),
        "stale temporary left: {:?}",
        names(work.path())
    );
    assert!(live.exists(), "a live temporary was removed");
    for o in others {
        assert!(work.path().join(o).exists(), "{o} was removed");
    }
    assert!(dir_like.is_dir());
    let ours: Vec<String> = names(work.path())
        .into_iter()
        .filter(|n| n.starts_with(".kenpo-tmp-") && n.ends_with(".wip"))
        .collect();
    assert_eq!(
        ours,
        [
            ".kenpo-tmp-application.csv.p7s.fedcba9876543210.wip",
            ".kenpo-tmp-folder.wip"
        ],
        "only the live temporary (and the directory) remain"
    );

    // Once its writer is gone, the next run removes it too.
    drop(live_file);
    let o = extend_lt(&doc, &sig, &["--in-place"], "022");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!live.exists(), "{:?}", names(work.path()));
}

/// Defect 6: `--in-place` keeps the file's permission bits; a new output gets 0666 less
/// the umask, not 0600.
#[test]
fn extend_keeps_the_mode_in_place_and_gives_new_outputs_the_usual_mode() {
    let work = tempfile::tempdir().unwrap();
    let (doc, sig) = signed(work.path());
    for m in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&sig, std::fs::Permissions::from_mode(m)).unwrap();
        let o = extend_lt(&doc, &sig, &["--in-place"], "077");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_eq!(mode(&sig), m, "mode of {} after --in-place", sig.display());
    }
    for (umask, want) in [("022", 0o644), ("027", 0o640)] {
        let out = work.path().join(format!("lt-{umask}.p7s"));
        let o = extend_lt(&doc, &sig, &["-o", out.to_str().unwrap()], umask);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_eq!(mode(&out), want, "new output under umask {umask}");
    }
}

/// Every `*.key.pem` under `dir` is 0600, every other file 0644 (umask 022).
fn assert_key_modes(dir: &Path) {
    let mut keys = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".key.pem") {
            keys += 1;
            assert_eq!(mode(&p), 0o600, "{name}");
        } else if p.is_file() {
            assert_eq!(mode(&p), 0o644, "{name}");
        }
    }
    assert!(keys >= 5, "only {keys} key files in {}", dir.display());
}

/// Defect 9a: `testpki` writes private keys readable by their owner only, also over
/// older key files of wider mode.
#[test]
fn testpki_writes_private_keys_0600() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("pki");
    std::fs::create_dir(&dir).unwrap();
    let old = dir.join("tsa.key.pem");
    std::fs::write(&old, "old").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run_sh("", "022", &["testpki", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_key_modes(&dir);
    assert!(
        !names(&dir).iter().any(|n| n.ends_with(".tmp")),
        "{:?}",
        names(&dir)
    );
}

/// Defect 9a: `demo --dir` writes its test PKI's private keys 0600 as well.
#[test]
fn demo_writes_private_keys_0600() {
    let work = tempfile::tempdir().unwrap();
    let o = run_sh(
        "",
        "022",
        &[
            "demo",
            "--dir",
            work.path().to_str().unwrap(),
            "--lang",
            "en",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_key_modes(&work.path().join("pki"));
    assert_eq!(mode(&work.path().join("application.csv.p7s")), 0o644);
    assert_eq!(mode(&work.path().join("submission.csv.tsr")), 0o644);
}

/// Defect 8: the report hits a file-size limit (EFBIG, as on a full disk): it is cut
/// back to its last complete line, exit 4 with a message that says so.
#[test]
fn batch_report_over_a_size_limit_ends_with_a_complete_line() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("in");
    std::fs::create_dir(&root).unwrap();
    for i in 0..64 {
        std::fs::write(root.join(format!("submission-{i:03}.csv")), "a,b\n").unwrap();
    }
    let report = work.path().join("report.jsonl");
    let trust = f("root-ca.pem");
    // `ulimit -f 4`: at most 2 or 4 KiB (512- or 1024-byte blocks, by shell).
    let o = run_sh(
        "trap '' XFSZ; ulimit -f 4;",
        "022",
        &[
            "batch",
            root.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--trust",
            &trust,
            "--offline",
            "--jobs",
            "2",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let bytes = std::fs::read(&report).unwrap();
    assert!(!bytes.is_empty(), "some lines fit under the limit");
    assert!(bytes.len() <= 4096);
    assert_eq!(
        bytes.last(),
        Some(&b'\n'),
        "the report ends with a whole line"
    );
    let body = String::from_utf8(bytes).unwrap();
    for line in body.lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
        assert!(v["path"].is_string(), "{line}");
    }
    let msg = text(&o);
    assert!(msg.contains("cannot write"), "{msg}");
    assert!(msg.contains("last complete line"), "{msg}");
    assert!(!msg.contains("panicked"), "{msg}");
    // The stopped run can be finished with --resume once the limit is gone.
    let o = run_sh(
        "",
        "022",
        &[
            "batch",
            root.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--trust",
            &trust,
            "--offline",
            "--resume",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let body = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 65, "64 files and the summary");
    assert!(lines[64]["summary"].is_object());
}

/// `sign -o` to a new output under `umask`, at `level`, in `dir`.
fn sign_to(dir: &Path, out: &Path, level: &str, umask: &str) -> Output {
    let doc = dir.join("application.csv");
    if !doc.exists() {
        std::fs::write(&doc, "保険者番号,氏名\n06270001,山田太郎\n").unwrap();
    }
    let (root, tsa_ca) = (f("root-ca.pem"), f("tsa-ca.pem"));
    run_sh(
        "",
        umask,
        &[
            "sign",
            doc.to_str().unwrap(),
            "--cert",
            &f("hpki-signer.pem"),
            "--key",
            &f("hpki-signer.key.pem"),
            "--chain",
            &f("hpki-sign-ca.pem"),
            "--tsa",
            &env().tsa.url,
            "--trust",
            &root,
            "--trust",
            &tsa_ca,
            "--level",
            level,
            "--profile",
            "hpki",
            "--yes",
            "-o",
            out.to_str().unwrap(),
        ],
    )
}

/// `sign -o` wrote through a private (0600) temporary file that a kill left behind for
/// good: a new output now gets 0666 less the umask, a replaced one keeps its mode.
#[test]
fn sign_gives_new_outputs_the_usual_mode_and_keeps_a_replaced_ones() {
    let work = tempfile::tempdir().unwrap();
    for level in ["b-t", "b-lt"] {
        for (umask, want) in [("022", 0o644), ("027", 0o640)] {
            let out = work.path().join(format!("{level}-{umask}.p7s"));
            let o = sign_to(work.path(), &out, level, umask);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            assert_eq!(mode(&out), want, "new {level} output under umask {umask}");
            std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o604)).unwrap();
            let o = sign_to(work.path(), &out, level, "077");
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            assert_eq!(mode(&out), 0o604, "replaced {level} output");
        }
    }
}

/// `sign` (B-T, and B-LT with its B-T staging file) removes the temporary files a killed
/// run left in the output's folder, keeps live ones, and leaves none of its own.
#[test]
fn sign_removes_stale_temporaries_and_leaves_none() {
    for level in ["b-t", "b-lt"] {
        let work = tempfile::tempdir().unwrap();
        let stale = work.path().join(".kenpo-tmp-out.p7s.0123456789abcdef.wip");
        std::fs::write(&stale, vec![0x30; 4096]).unwrap();
        let live = work.path().join(".kenpo-tmp-out.p7s.fedcba9876543210.wip");
        let live_file = std::fs::File::create(&live).unwrap();
        live_file.lock().unwrap();
        let out = work.path().join("out.p7s");
        let o = sign_to(work.path(), &out, level, "022");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_eq!(
            names(work.path()),
            [
                ".kenpo-tmp-out.p7s.fedcba9876543210.wip",
                "application.csv",
                "out.p7s"
            ],
            "{level}"
        );
    }
}
