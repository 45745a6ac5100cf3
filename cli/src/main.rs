//! `kenpo-sign`: long-term electronic signatures for Japanese health-insurance work.
//!
//! A thin binary over the kenpo-* library crates; the command-line contract is
//! `../shared/CLI.md` (exit codes in [`exit`]).
#![forbid(unsafe_code)]

/// `println!` to stdout that ignores a closed pipe (`kenpo-sign verify … | head`) instead
/// of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` counterpart of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod cmd;
mod exit;
mod files;
mod tz;

/// mimalloc rather than the system allocator: a verification allocates a few dozen small
/// objects (report texts, parsed views), a batch does so on every worker thread, and
/// mimalloc's thread-local free lists make each allocation cheaper (the verification
/// benchmarks, which use it too, measure about 2 % less time for a reused verifier and 3 %
/// for a one-shot call; `--features bench-system-alloc` measures them with the system's).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// Report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// 日本語.
    Ja,
    /// English.
    En,
}

impl LangArg {
    /// The report language: the flag, else the locale.
    pub fn resolve(arg: Option<Self>) -> kenpo_verify::report::Lang {
        match arg {
            Some(Self::Ja) => kenpo_verify::report::Lang::Ja,
            Some(Self::En) => kenpo_verify::report::Lang::En,
            None => kenpo_verify::report::Lang::from_locale(),
        }
    }
}

/// Output format of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
}

/// kenpo-sign — 健康保険組合の電子署名・タイムスタンプ・長期署名ツール
#[derive(Debug, Parser)]
#[command(name = "kenpo-sign", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a document (CAdES B-B / B-T) with a key file, PKCS#12 or a PKCS#11 token.
    Sign(Box<cmd::sign::Args>),
    /// Get an RFC 3161 time-stamp for a file; writes the whole TimeStampResp.
    Timestamp(cmd::timestamp::Args),
    /// Verify a time-stamp response or token against the data it covers.
    TimestampVerify(cmd::timestamp_verify::Args),
    /// Verify a CAdES/CMS signature (EN 319 102-1 verdict).
    Verify(cmd::verify::Args),
    /// Validate a certificate and its path (RFC 5280, revocation, profile).
    VerifyCert(cmd::verify_cert::Args),
    /// Time-stamping authority.
    Tsa {
        #[command(subcommand)]
        command: TsaCommand,
    },
    /// Write the reproducible test PKI (test-only keys) to a directory.
    Testpki(cmd::testpki::Args),
    /// Run the main job on built-in defaults: test PKI, local TSA, time-stamp, verify.
    Demo(cmd::demo::Args),
    /// Extend a signature to B-LT / B-LTA, or renew the archive time-stamp of a B-LTA.
    Extend(Box<cmd::extend::Args>),
    /// Renewal planner: when each signature needs its next archive time-stamp, and why.
    Plan(cmd::plan::Args),
    /// Structural dump of a signature, time-stamp, certificate or CRL (no validation).
    Inspect(cmd::inspect::Args),
    /// Verify every signature under a folder in parallel; one JSON line per file.
    Batch(Box<cmd::batch::Args>),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::completions::Args),
    /// Print the manual page (roff), or write one page per command with -o DIR.
    Man(cmd::man::Args),
    /// Serve a verification page (GET /) and REST API (POST /api/v1/verify) over HTTP
    /// until SIGINT/SIGTERM; uploads stay in memory.
    Serve(Box<cmd::serve::Args>),
}

#[derive(Debug, Subcommand)]
enum TsaCommand {
    /// Serve RFC 3161 over HTTP (`POST /`, `GET /health`) until SIGINT/SIGTERM.
    Serve(cmd::tsa_serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Sign(a) => cmd::sign::run(a),
        Command::Timestamp(a) => cmd::timestamp::run(a),
        Command::TimestampVerify(a) => cmd::timestamp_verify::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::VerifyCert(a) => cmd::verify_cert::run(a),
        Command::Tsa {
            command: TsaCommand::Serve(a),
        } => cmd::tsa_serve::run(a),
        Command::Testpki(a) => cmd::testpki::run(a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Extend(a) => cmd::extend::run(a),
        Command::Plan(a) => cmd::plan::run(a),
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Batch(a) => cmd::batch::run(a),
        Command::Completions(a) => cmd::completions::run(a, Cli::command()),
        Command::Man(a) => cmd::man::run(a, Cli::command()),
        Command::Serve(a) => cmd::serve::run(a),
    };
    exit::finish(result)
}
