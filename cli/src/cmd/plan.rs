//! `kenpo-sign plan FILE_OR_DIR... --trust PEM_OR_DIR... [--cert-store PEM_OR_DIR]...
//! [--margin-days N] [--at RFC3339] [--format text|json] [--lang ja|en] [--max-input-bytes N]`
//!
//! The renewal planner ([`kenpo_verify::plan`]): per signature file, the date by which the
//! next archive time-stamp is due and why. Exit 0 when nothing is overdue, 1 when something
//! is, 4 when a file or directory could not be read (or a file is larger than
//! `--max-input-bytes`: each signature file is held in memory while it is planned).

use std::path::PathBuf;

use kenpo_verify::plan::{
    DEFAULT_MARGIN_DAYS, FilePlan, MAX_MARGIN_DAYS, PlanOptions, PlanReport, collect, plan_bytes,
};

use crate::exit::CliError;
use crate::{Format, LangArg, files};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Signature files or directories (searched recursively).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Trust anchors (file or directory; repeatable).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// Intermediate certificates (file or directory; repeatable).
    #[arg(long)]
    pub cert_store: Vec<PathBuf>,
    /// Days before the earliest constraint by which renewal is due.
    #[arg(long, default_value_t = DEFAULT_MARGIN_DAYS,
          value_parser = clap::value_parser!(i64).range(0..=MAX_MARGIN_DAYS))]
    pub margin_days: i64,
    /// Planning time (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Report language (default: from the locale).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Time zone of text output.
    #[command(flatten)]
    pub tz: crate::tz::TzArg,
    /// Size limit of each file (held in memory while it is planned).
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// Now, to the second (as `verify` gives its default validation time).
fn now() -> time::OffsetDateTime {
    let t = time::OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let opts = PlanOptions::new(files::parse_at(args.at.as_deref())?.unwrap_or_else(now))
        .with_anchors(files::certificates_limited(&args.trust, args.limit)?)
        .with_cert_store(files::certificates_limited(&args.cert_store, args.limit)?)
        .with_margin_days(args.margin_days);
    let collected = collect(&args.inputs)
        .map_err(|(p, e)| CliError::op(format!("cannot read {}", p.display()), e))?;
    let inputs = &collected.inputs;
    // One file in memory at a time, each within the limit; a file that cannot be read is
    // that file's line (and said on stderr), the others are still planned.
    let plans = inputs
        .iter()
        .map(|i| {
            let name = i.path.display().to_string();
            match files::read_limited(&i.path, args.limit) {
                Ok(data) => plan_bytes(&name, &data, i.signature_name, &opts),
                Err(e) => {
                    eprintln!("kenpo-sign: error: {e}");
                    FilePlan::unreadable(&name, e.to_string())
                }
            }
        })
        .collect();
    let report = PlanReport::new(plans, &opts).with_skipped(collected.skipped.clone());
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&report.to_json()).unwrap_or_default() + "\n",
        Format::Text => {
            crate::tz::localize(&report.render_text(LangArg::resolve(args.lang)), args.tz.tz)
        }
    };
    // A closed pipe (`| head`) is not worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    Ok(report.exit_code())
}
