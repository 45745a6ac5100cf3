//! `kenpo_core::atomic`: stale temporary files are swept, live (locked) ones and
//! other names never; modes of replaced and new files; many writers at once in one folder.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use kenpo_core::atomic::{AtomicWriter, is_temp_name, sweep};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_pattern_is_ours_only() {
    assert!(is_temp_name(
        ".kenpo-tmp-a.p7s.0011223344556677.wip".as_ref()
    ));
    assert!(!is_temp_name(".kenpo-tmp-a.p7s.1234.0".as_ref()));
    assert!(!is_temp_name(".kenpo-tmp-Ab12Cd".as_ref()));
    assert!(!is_temp_name("a.wip".as_ref()));
    assert!(!is_temp_name(".a.p7s.x.tmp".as_ref()));
}

#[test]
fn sweep_removes_unlocked_temporaries_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let stale = d.join(".kenpo-tmp-x.p7s.0000000000000001.wip");
    std::fs::write(&stale, vec![7u8; 4096]).unwrap();
    let live = d.join(".kenpo-tmp-x.p7s.0000000000000002.wip");
    let held = std::fs::File::create(&live).unwrap();
    held.lock().unwrap();
    for other in [".kenpo-tmp-old", "x.p7s", "y.wip"] {
        std::fs::write(d.join(other), "keep").unwrap();
    }
    std::fs::create_dir(d.join(".kenpo-tmp-dir.wip")).unwrap();
    std::os::unix::fs::symlink(&live, d.join(".kenpo-tmp-link.wip")).unwrap();

    assert_eq!(sweep(d), 1);
    assert_eq!(
        names(d),
        [
            ".kenpo-tmp-dir.wip",
            ".kenpo-tmp-link.wip",
            ".kenpo-tmp-old",
            ".kenpo-tmp-x.p7s.0000000000000002.wip",
            "x.p7s",
            "y.wip"
        ]
    );
    // A shared lock (a reader) also keeps it.
    drop(held);
    let reader = std::fs::File::open(&live).unwrap();
    reader.lock_shared().unwrap();
    assert_eq!(sweep(d), 0);
    drop(reader);
    assert_eq!(sweep(d), 1);
    assert!(!live.exists());
}

#[test]
fn a_writer_sweeps_its_folder_and_leaves_nothing_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let stale = d.join(".kenpo-tmp-a.p7s.00000000000000ff.wip");
    std::fs::write(&stale, "partial").unwrap();
    let w = AtomicWriter::new();
    w.write(&d.join("a.p7s"), b"new").unwrap();
    assert_eq!(names(d), ["a.p7s"]);
    assert_eq!(std::fs::read(d.join("a.p7s")).unwrap(), b"new");
}

#[test]
fn a_replaced_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sig.p7s");
    for m in [0o644, 0o640, 0o600, 0o604, 0o664] {
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
        AtomicWriter::new().write(&p, b"new").unwrap();
        assert_eq!(mode(&p), m);
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
    }
}

#[test]
fn a_new_file_is_not_private() {
    // The umask of the test process is unknown: a new file gets 0666 less it, like one
    // made by `std::fs::write`.
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    std::fs::write(&reference, "").unwrap();
    let p = dir.path().join("new.p7s");
    AtomicWriter::new().write(&p, b"new").unwrap();
    assert_eq!(mode(&p), mode(&reference));
}

#[test]
fn many_writers_in_one_folder_never_remove_each_other() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let dir = Arc::clone(&dir);
            std::thread::spawn(move || {
                for i in 0..50 {
                    // A new writer each time: each sweeps the folder while others write.
                    let body = vec![u8::try_from(t).unwrap(); 64 * 1024];
                    AtomicWriter::new()
                        .write(&dir.path().join(format!("out-{t}-{i}")), &body)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n = names(dir.path());
    assert_eq!(n.len(), 8 * 50, "{n:?}");
    assert!(n.iter().all(|n| n.starts_with("out-")));
}

#[test]
fn a_staged_output_is_written_only_on_commit_and_holds_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("sig.p7s");
    std::fs::write(&out, "old").unwrap();
    let w = AtomicWriter::new();
    let mut staged = w.stage(&out).unwrap();
    std::io::Write::write_all(&mut staged, b"new").unwrap();
    let tmp = staged.temp_path().to_path_buf();
    assert!(is_temp_name(tmp.file_name().unwrap()));
    // Until the commit, another run's sweep leaves it alone and the output is untouched.
    assert_eq!(sweep(d), 0);
    assert!(tmp.exists());
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    staged.commit().unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"new");
    assert_eq!(names(d), ["sig.p7s"]);
    // Dropped without a commit: nothing written, nothing left.
    let mut staged = w.stage(&out).unwrap();
    std::io::Write::write_all(&mut staged, b"lost").unwrap();
    drop(staged);
    assert_eq!(std::fs::read(&out).unwrap(), b"new");
    assert_eq!(names(d), ["sig.p7s"]);
}
