//! secret_from_env_or_prompt: run in a child process (this binary again) so that the
//! environment and standard input are controlled without `unsafe` `set_var`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Stdio};

use kenpo_sign::signer::{PASSWORD_ENV, PIN_ENV, SignerError, secret_from_env_or_prompt};

const CHILD: &str = "KENPO_TEST_SECRET_CHILD";
const VAR: &str = "KENPO_TEST_SECRET_VALUE";

/// Runs `test_name` again in a child with `VAR` set to `value` (or unset) and stdin null.
fn child(test_name: &str, value: Option<&str>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::null());
    match value {
        Some(v) => cmd.env(VAR, v),
        None => cmd.env_remove(VAR),
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "{test_name} failed in the child process"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child did not run {test_name}"
    );
}

#[test]
fn secret_comes_from_the_environment() {
    if std::env::var_os(CHILD).is_none() {
        child("secret_comes_from_the_environment", Some("p@ss wörd"));
        return;
    }
    assert_eq!(
        secret_from_env_or_prompt(VAR, "Password: ").unwrap(),
        "p@ss wörd"
    );
}

#[test]
fn empty_secret_in_the_environment_is_kept() {
    if std::env::var_os(CHILD).is_none() {
        child("empty_secret_in_the_environment_is_kept", Some(""));
        return;
    }
    assert_eq!(secret_from_env_or_prompt(VAR, "Password: ").unwrap(), "");
}

#[test]
fn without_variable_or_terminal_the_error_names_the_variable() {
    if std::env::var_os(CHILD).is_none() {
        child(
            "without_variable_or_terminal_the_error_names_the_variable",
            None,
        );
        return;
    }
    let err = secret_from_env_or_prompt(VAR, "Password: ").unwrap_err();
    assert!(matches!(err, SignerError::Secret(_)), "{err:?}");
    assert!(err.to_string().contains(&format!("set {VAR}")), "{err}");
}

#[test]
fn variable_names_match_the_cli_contract() {
    assert_eq!(PASSWORD_ENV, "KENPO_PASSWORD");
    assert_eq!(PIN_ENV, "KENPO_PIN");
}
