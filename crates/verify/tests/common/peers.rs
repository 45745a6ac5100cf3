//! Python peers (pyHanko, signxml): the interpreter of `$KENPO_PEER_PYTHON` (`.ci/run`
//! makes a pinned venv and exports it), else `python3` when it has the module. Tests skip
//! without it, and fail under CI.

use std::path::PathBuf;
use std::process::Command;

/// A Python that imports `module`, if any (required under CI).
pub fn peer_python(module: &str) -> Option<String> {
    let py = std::env::var("KENPO_PEER_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "a python with {module} is required under CI (.ci/run makes one: KENPO_PEER_PYTHON)"
    );
    if !ok {
        eprintln!("SKIP: no python with {module} (set KENPO_PEER_PYTHON)");
    }
    ok.then_some(py)
}

/// A script of `crates/verify/tests/peers/`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}
