//! `kenpo-sign man [-o DIR]`: manual pages (roff) generated from the clap definition.
//!
//! Without `-o` the page of `kenpo-sign` itself goes to standard output
//! (`kenpo-sign man | man -l -`); with `-o DIR` one page per command is written there,
//! `kenpo-sign.1`, `kenpo-sign-verify.1`, `kenpo-sign-tsa-serve.1`, … (each atomically).

use std::path::{Path, PathBuf};

use crate::exit::{self, CliError};
use crate::files;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write one page per command into DIR (created) instead of printing the main page.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The roff page of one command.
fn render(cmd: clap::Command) -> Result<Vec<u8>, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut page)
        .map_err(|e| CliError::op("cannot render the manual page", e))?;
    Ok(page)
}

/// Writes the page of `cmd` and of each visible sub-command under `dir`; returns the
/// files written.
fn write_pages(
    cmd: &clap::Command,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    let name = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned();
    let path = dir.join(format!("{name}.1"));
    files::write_atomic(&path, &render(cmd.clone())?)?;
    written.push(path);
    Ok(())
}

/// Runs the command for `cmd` (the whole `kenpo-sign` command).
pub fn run(args: &Args, cmd: clap::Command) -> Result<u8, CliError> {
    let mut cmd = cmd.disable_help_subcommand(true);
    // Display names (`kenpo-sign-tsa-serve`) are set when the command is built.
    cmd.build();
    match &args.out {
        None => {
            let page = render(cmd)?;
            use std::io::Write as _;
            std::io::stdout()
                .lock()
                .write_all(&page)
                .map_err(|e| CliError::op("cannot write the manual page", e))?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::op(format!("cannot create {}", dir.display()), e))?;
            let mut written = Vec::new();
            write_pages(&cmd, dir, &mut written)?;
            outln!("wrote {} manual pages to {}", written.len(), dir.display());
        }
    }
    Ok(exit::OK)
}
