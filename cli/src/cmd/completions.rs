//! `kenpo-sign completions bash|zsh|fish|elvish|powershell`: the shell completion script,
//! generated from the same clap definition as the parser (so it never lags a flag).
//!
//! Install, e.g. `kenpo-sign completions bash > ~/.local/share/bash-completion/completions/kenpo-sign`
//! or `kenpo-sign completions fish > ~/.config/fish/completions/kenpo-sign.fish`.

use clap_complete::Shell;

use crate::exit::{self, CliError};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell the script is for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the script for `cmd` (the whole `kenpo-sign` command) to standard output.
pub fn run(args: &Args, mut cmd: clap::Command) -> Result<u8, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "kenpo-sign", &mut script);
    use std::io::Write as _;
    std::io::stdout()
        .lock()
        .write_all(&script)
        .map_err(|e| CliError::op("cannot write the completion script", e))?;
    Ok(exit::OK)
}
