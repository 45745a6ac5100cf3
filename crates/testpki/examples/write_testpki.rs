//! Writes the test PKI to a directory: `cargo run -p kenpo-testpki --example write_testpki -- OUTDIR [SEED [RFC3339]]`.
//!
//! (The `kenpo-sign testpki` command does the same with more options.)

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: write_testpki OUTDIR [SEED [RFC3339]]");
        return ExitCode::from(2);
    };
    let mut config = kenpo_testpki::Config::default();
    if let Some(seed) = args.next() {
        match seed.to_str().and_then(|s| s.parse().ok()) {
            Some(seed) => config.seed = seed,
            None => {
                eprintln!("SEED must be an unsigned integer");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(at) = args.next() {
        let parsed = at.to_str().and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        });
        match parsed {
            Some(at) => config.now = at,
            None => {
                eprintln!("the time must be RFC 3339, e.g. 2026-01-15T09:30:00Z");
                return ExitCode::from(2);
            }
        }
    }
    match kenpo_testpki::generate(&config).and_then(|pki| pki.write_to(&dir)) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
