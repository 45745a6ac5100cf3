//! Passwords and PINs: from the environment, else an interactive prompt without echo.
//!
//! Secrets are never taken only from the command line (argv is visible to other users
//! through `ps`).

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};

use super::SignerError;

/// Environment variable holding the PKCS#12 password.
pub const PASSWORD_ENV: &str = "KENPO_PASSWORD";
/// Environment variable holding the PKCS#11 user PIN.
pub const PIN_ENV: &str = "KENPO_PIN";

/// Reads a secret from the environment variable `var`; when it is not set and standard
/// input is a terminal, shows `prompt` on standard error and reads one line without echo
/// (terminal echo is switched off with `stty -echo` and restored afterwards, also on
/// error). Without a terminal the error names `var` so that the caller knows what to set.
///
/// An empty value in `var` is returned as is (an empty PKCS#12 password is legal). The
/// line's trailing newline is removed. Interrupting the prompt with Ctrl-C leaves the
/// terminal without echo (`stty echo` or `reset` restores it).
pub fn secret_from_env_or_prompt(var: &str, prompt: &str) -> Result<String, SignerError> {
    match std::env::var(var) {
        Ok(v) => return Ok(v),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(SignerError::Secret(format!("{var} is not valid UTF-8")));
        }
        Err(std::env::VarError::NotPresent) => {}
    }
    if !std::io::stdin().is_terminal() {
        return Err(SignerError::Secret(format!(
            "{var} is not set and standard input is not a terminal to prompt on: set {var}"
        )));
    }
    prompt_without_echo(prompt).map_err(|e| {
        SignerError::Secret(format!(
            "cannot read the secret from the terminal ({e}); set {var} instead"
        ))
    })
}

fn stty(arg: &str) -> std::io::Result<()> {
    let status = Command::new("stty")
        .arg(arg)
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("`stty {arg}` failed")))
    }
}

/// Restores terminal echo when dropped.
struct EchoGuard;

impl Drop for EchoGuard {
    fn drop(&mut self) {
        // Nothing more can be done if this fails; the prompt's result is already decided.
        let _ = stty("echo");
    }
}

fn prompt_without_echo(prompt: &str) -> std::io::Result<String> {
    let mut err = std::io::stderr();
    write!(err, "{prompt}")?;
    err.flush()?;
    // Never read a secret with echo on: if echo cannot be switched off, fail.
    stty("-echo")?;
    let guard = EchoGuard;
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    drop(guard);
    writeln!(err)?;
    if read? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "end of input",
        ));
    }
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
    Ok(line)
}
