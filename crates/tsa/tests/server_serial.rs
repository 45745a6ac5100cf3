//! `SerialStore`: serials unique and strictly increasing across restarts, crashes (a real
//! child process that aborts) and threads; one store per directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use kenpo_tsa::server::SerialError;
use kenpo_tsa::server::SerialStore;
use kenpo_tsa::server::serial::{LOCK_FILE, STATE_FILE};

const CHILD_ENV: &str = "KENPO_TSA_SERIAL_CRASH_DIR";

fn mark(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join(STATE_FILE))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn take(store: &SerialStore, n: usize) -> Vec<u64> {
    (0..n).map(|_| store.next().unwrap()).collect()
}

#[test]
fn fresh_directory_starts_at_one_and_increments() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("nested/state");
    let store = SerialStore::open(&state).unwrap();
    assert_eq!(take(&store, 3), vec![1, 2, 3]);
    assert_eq!(store.dir(), Some(state.as_path()));
    assert_eq!(SerialStore::in_memory().next().unwrap(), 1);
}

#[test]
fn restart_continues_above_every_earlier_serial() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let store = SerialStore::open_with_block(dir.path(), 4).unwrap();
        let got = take(&store, 10);
        assert!(
            got.iter().all(|s| seen.last().is_none_or(|l| s > l)),
            "{got:?} after {seen:?}"
        );
        seen.extend(got);
        store.close().unwrap();
        assert!(
            !dir.path().join(LOCK_FILE).exists(),
            "close releases the lock"
        );
    }
    assert_eq!(
        seen,
        (1..=30).collect::<Vec<_>>(),
        "clean closes leave no gap"
    );
    // Dropping closes as well.
    {
        let store = SerialStore::open(dir.path()).unwrap();
        assert_eq!(store.next().unwrap(), 31);
    }
    assert_eq!(mark(dir.path()), 32);
    assert_eq!(SerialStore::open(dir.path()).unwrap().next().unwrap(), 32);
}

#[test]
fn the_persisted_mark_always_covers_what_was_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = SerialStore::open_with_block(dir.path(), 3).unwrap();
    for _ in 0..20 {
        let s = store.next().unwrap();
        assert!(
            mark(dir.path()) > s,
            "mark {} must exceed handed-out serial {s}",
            mark(dir.path())
        );
    }
    // One disk update per block, not per serial: 20 serials, block 3 → mark 22.
    assert_eq!(mark(dir.path()), 22);
    assert!(
        !dir.path().join(format!("{STATE_FILE}.tmp")).exists(),
        "temporary file renamed away"
    );
}

/// Runs in a child process only: takes serials, reports them and aborts without any cleanup.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = SerialStore::open_with_block(Path::new(&dir), 10).unwrap();
    let got = take(&store, 25);
    println!(
        "SERIALS {}",
        got.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
    );
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    std::process::abort();
}

#[test]
fn crash_never_reuses_a_serial() {
    let dir = tempfile::tempdir().unwrap();
    // Some history first.
    {
        let store = SerialStore::open_with_block(dir.path(), 10).unwrap();
        assert_eq!(take(&store, 5), vec![1, 2, 3, 4, 5]);
    }
    if !cfg!(target_os = "linux") {
        eprintln!("SKIP: stale-lock takeover needs /proc (Linux)");
        return;
    }
    let mut seen: Vec<u64> = (1..=5).collect();
    for _ in 0..2 {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "the child aborts");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("SERIALS ").map(|(_, s)| s))
            .unwrap_or_else(|| panic!("{stdout}"));
        let child: Vec<u64> = line.split(',').map(|s| s.parse().unwrap()).collect();
        assert_eq!(child.len(), 25);
        assert!(
            child[0] > *seen.last().unwrap(),
            "child {child:?} after {seen:?}"
        );
        seen.extend(child);
        assert!(
            dir.path().join(LOCK_FILE).exists(),
            "the crash left its lock behind"
        );
    }
    // The crashed owner's stale lock is taken over and nothing is reused; at most the unused
    // rest of one block is skipped.
    let store = SerialStore::open_with_block(dir.path(), 10).unwrap();
    let next = store.next().unwrap();
    let last = *seen.last().unwrap();
    assert!(
        next > last && next <= last + 10,
        "next {next} after crash at {last}"
    );
    let unique: HashSet<u64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len());
}

#[test]
fn a_second_open_of_a_directory_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = SerialStore::open(dir.path()).unwrap();
    let e = SerialStore::open(dir.path()).unwrap_err();
    match &e {
        SerialError::Locked { owner, lock, .. } => {
            assert_eq!(*owner, std::process::id().to_string());
            assert_eq!(*lock, dir.path().join(LOCK_FILE));
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("remove the lock file"), "{e}");
    // The refused open did not disturb the first store.
    assert_eq!(first.next().unwrap(), 1);
    drop(first);
    assert_eq!(SerialStore::open(dir.path()).unwrap().next().unwrap(), 2);
}

#[test]
fn a_leaked_store_keeps_the_directory_until_the_operator_removes_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = SerialStore::open_with_block(dir.path(), 100).unwrap();
    let got = take(&store, 7);
    std::mem::forget(store); // no clean close: like a process that hangs
    assert!(matches!(
        SerialStore::open(dir.path()),
        Err(SerialError::Locked { .. })
    ));
    std::fs::remove_file(dir.path().join(LOCK_FILE)).unwrap();
    let store = SerialStore::open(dir.path()).unwrap();
    let next = store.next().unwrap();
    assert!(next > *got.last().unwrap(), "{next} after {got:?}");
    assert_eq!(next, 101, "the reservation mark, not a reused serial");
}

#[test]
fn corrupt_or_unusable_state_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(STATE_FILE), "twelve\n").unwrap();
    let e = SerialStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(&e, SerialError::Corrupt { path, .. } if *path == dir.path().join(STATE_FILE)),
        "{e}"
    );
    assert!(
        !dir.path().join(LOCK_FILE).exists(),
        "a failed open releases the lock"
    );
    std::fs::write(dir.path().join(STATE_FILE), "0").unwrap();
    assert!(matches!(
        SerialStore::open(dir.path()),
        Err(SerialError::Corrupt { .. })
    ));
    std::fs::write(dir.path().join(STATE_FILE), format!("{}\n", u64::MAX)).unwrap();
    assert!(matches!(
        SerialStore::open(dir.path()),
        Err(SerialError::Exhausted)
    ));
    std::fs::write(dir.path().join(STATE_FILE), "41\n").unwrap();
    assert_eq!(SerialStore::open(dir.path()).unwrap().next().unwrap(), 41);
    assert!(matches!(
        SerialStore::open_with_block(dir.path(), 0),
        Err(SerialError::ZeroBlock)
    ));

    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let e = SerialStore::open(&file).unwrap_err();
    assert!(matches!(e, SerialError::Io { .. }), "{e}");
}

#[test]
fn threads_share_one_store_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SerialStore::open_with_block(dir.path(), 64).unwrap());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || take(&store, 1000))
        })
        .collect();
    let mut all = HashSet::new();
    for h in handles {
        let got = h.join().unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        all.extend(got);
    }
    assert_eq!(all.len(), 8000);
    assert_eq!(all.iter().max(), Some(&8000));
}
