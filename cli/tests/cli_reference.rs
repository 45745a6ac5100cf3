//! docs/CLI-REFERENCE.md is the `--help` of every command and sub-command, as the binary
//! prints it: this test fails when a flag is added, renamed or re-worded without the
//! reference following. `KENPO_BLESS=1 cargo test -p kenpo-sign-cli --test cli_reference`
//! rewrites the file from the binary.
#![allow(clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kenpo-sign");

/// `kenpo-sign ARGS… --help`, as a user's shell without colours or a terminal gets it.
fn help(args: &[String]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .arg("--help")
        // No KENPO_* defaults shown as set, no terminal width, no colours.
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .expect("run kenpo-sign --help");
    assert!(
        out.status.success(),
        "kenpo-sign {args:?} --help failed: {out:?}"
    );
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The sub-command names a help text lists under `Commands:` (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line == "Commands:" {
            inside = true;
            continue;
        }
        if inside {
            let Some(rest) = line.strip_prefix("  ") else {
                break;
            };
            if rest.starts_with(' ') {
                continue; // a wrapped description
            }
            if let Some(name) = rest.split_whitespace().next().filter(|n| *n != "help") {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The reference: every command's help, depth first, in the order the binary lists them.
fn reference() -> String {
    let mut doc = String::from(
        "# kenpo-sign command reference\n\n\
         Every command's `--help`, exactly as the binary prints it (generated: \
         `KENPO_BLESS=1 cargo test -p kenpo-sign-cli --test cli_reference`; a test fails \
         when this file and the binary disagree). [CLI.md](CLI.md) explains exit codes, \
         JSON outputs and the batch report; [README](../README.md) has worked examples.\n",
    );
    let mut stack = vec![Vec::<String>::new()];
    while let Some(path) = stack.pop() {
        let text = help(&path);
        let title = if path.is_empty() {
            "kenpo-sign".to_owned()
        } else {
            format!("kenpo-sign {}", path.join(" "))
        };
        doc.push_str(&format!(
            "\n## `{title}`\n\n```text\n{}\n```\n",
            text.trim_end()
        ));
        let mut subs = subcommands(&text);
        subs.reverse();
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            stack.push(p);
        }
    }
    doc
}

#[test]
fn the_cli_reference_is_the_binary_help() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/CLI-REFERENCE.md");
    let now = reference();
    assert!(
        now.contains("## `kenpo-sign verify`"),
        "verify missing: {now}"
    );
    assert!(
        now.contains("## `kenpo-sign tsa serve`"),
        "nested command missing"
    );
    if std::env::var_os("KENPO_BLESS").is_some() {
        std::fs::write(&path, &now).expect("write docs/CLI-REFERENCE.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == now,
        "docs/CLI-REFERENCE.md is not the binary's help; regenerate it with \
         KENPO_BLESS=1 cargo test -p kenpo-sign-cli --test cli_reference"
    );
}
