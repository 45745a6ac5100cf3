//! Exit codes of the command-line contract (`../shared/CLI.md`) and the error type that
//! carries them. (Code 3, verdict INDETERMINATE, arrives with `verify`.)

use std::process::ExitCode;

/// Success; for verification: everything passed.
pub const OK: u8 = 0;
/// Verdict FAILED / TOTAL_FAILED, or an operation refused for a stated reason.
pub const FAILED: u8 = 1;
/// Usage error (clap's default).
pub const USAGE: u8 = 2;
/// Operational error: unreadable file, unreachable TSA, bad key or password.
pub const OPERATIONAL: u8 = 4;

/// A command failure with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Refused or failed verification (exit 1).
    #[error("{0}")]
    Refused(String),
    /// Operational error (exit 4).
    #[error("{0}")]
    Operational(String),
    /// Usage error found after parsing (exit 2).
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Self::Refused(_) => FAILED,
            Self::Operational(_) => OPERATIONAL,
            Self::Usage(_) => USAGE,
        }
    }

    /// An operational error with context.
    pub fn op(context: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
        Self::Operational(format!("{context}: {e}"))
    }
}

/// Converts a command result to the process exit code, printing the error.
pub fn finish(result: Result<u8, CliError>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("kenpo-sign: error: {e}");
            ExitCode::from(e.code())
        }
    }
}
