//! The archive's writer (`kenpo_verify::batch::write_atomic`, on
//! [`kenpo_core::atomic`]): it creates folders and sweeps stale temporary files.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use kenpo_verify::batch::write_atomic;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_archive_writer_sweeps_and_creates_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join(".kenpo-tmp-a.p7s.00000000000000ff.wip"), "partial").unwrap();
    write_atomic(&d.join("sub/b.tsr"), b"tsr").unwrap();
    write_atomic(&d.join("c.tsr"), b"tsr").unwrap();
    assert_eq!(names(d), ["c.tsr", "sub"]);
    assert_eq!(names(&d.join("sub")), ["b.tsr"]);
}
