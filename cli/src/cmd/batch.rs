//! `kenpo-sign batch DIR --trust PEM_OR_DIR... --report OUT.jsonl [--cert-store PEM_OR_DIR]...
//! [--crl FILE]... [--jobs N] [--offline] [--resume] [--profile hpki|accredited|any]
//! [--policy default|rule27-sign|rule27-archive|FILE] [--archive --tsa URL --out DIR]`
//!
//! One JSON line per signature or unsigned file, written and flushed as it finishes, then
//! the summary line (`kenpo_verify::batch`). Exit code: 4 when any line carries an error or
//! the report cannot be written (it is then cut back to its last complete line, so every
//! line it holds is whole), else the worst verdict (1 over 3 over 0). A progress line
//! (every file counted, detached contents included) is drawn on stderr when it is a
//! terminal; a summary table ([`super::batch_summary`]) is printed on stdout at the end.

use std::fs::File;
use std::io::{IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kenpo_tsa::client::ClientConfig;
use kenpo_verify::batch::{
    ArchiveConfig, Batch, BatchConfig, DEFAULT_MAX_FILE_BYTES, Poll, Progress, ResumeIndex, start,
};
use kenpo_verify::lt::{ExtendOptions, Target};
use kenpo_verify::plan::PlanOptions;
use kenpo_verify::validate::{Verifier, VerifyOptions};

use crate::cmd::batch_html::HtmlCollector;
use crate::cmd::batch_summary::Collector;
use crate::cmd::sign::ProfileArg;
use crate::cmd::verify::RevocationArg;
use crate::exit::{CliError, OPERATIONAL};
use crate::{LangArg, files};

/// When to draw the progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressArg {
    /// When stderr is a terminal.
    Auto,
    /// Always (on stderr).
    Always,
    /// Never.
    Never,
}

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to walk.
    pub dir: PathBuf,
    /// Trust anchors (file or directory; repeatable).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// The report (JSON lines).
    #[arg(long)]
    pub report: PathBuf,
    /// Intermediate certificates (file or directory; repeatable).
    #[arg(long)]
    pub cert_store: Vec<PathBuf>,
    /// CRLs (repeatable; parsed once for the whole run).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// OCSP responses (repeatable).
    #[arg(long)]
    pub ocsp_response: Vec<PathBuf>,
    /// Parallel verifications (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Never fetch anything over the network.
    #[arg(long)]
    pub offline: bool,
    /// Keep fetched CRLs and OCSP responses in DIR between runs and use them while
    /// current (also with --offline).
    #[arg(long, value_name = "DIR", env = "KENPO_REVOCATION_CACHE")]
    pub revocation_cache: Option<PathBuf>,
    /// Fetch revocation data and issuer certificates only from HOST (its default port)
    /// or HOST:PORT (repeatable; default: wherever the certificates point). Redirects never
    /// leave the host and port first asked either way.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub fetch_allow: Vec<kenpo_revocation::fetch::AllowedOrigin>,
    /// Skip files whose error-free line in the existing report has the same SHA-256; the
    /// old summary is replaced.
    #[arg(long)]
    pub resume: bool,
    /// Certificate profile the signers must satisfy.
    #[arg(long, value_enum, default_value_t = ProfileArg::Any)]
    pub profile: ProfileArg,
    /// Validation time (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    /// What missing revocation data means (default: the policy's mode, else hard).
    #[arg(long, value_enum)]
    pub revocation: Option<RevocationArg>,
    #[arg(long, value_name = "default|rule27-sign|rule27-archive|FILE", default_value = "default", help = crate::cmd::verify::POLICY_HELP)]
    pub policy: String,
    /// Time-stamp unsigned files (intake token `OUT/…/FILE.tsr`) and extend passing
    /// signatures to B-LTA (`OUT/…/FILE.p7s`).
    #[arg(long, requires_all = ["tsa", "out"])]
    pub archive: bool,
    /// TSA URLs for `--archive` (repeatable, tried in order).
    #[arg(long, requires = "archive")]
    pub tsa: Vec<String>,
    /// Output directory for `--archive` (mirrors the tree of DIR).
    #[arg(long, requires = "archive")]
    pub out: Option<PathBuf>,
    /// Most TSA requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub tsa_concurrency: usize,
    /// Per-file size limit (bytes; suffixes K, M, G).
    #[arg(long, value_parser = parse_size, default_value_t = DEFAULT_MAX_FILE_BYTES)]
    pub max_file_size: u64,
    /// Per-file time limit in seconds.
    #[arg(long, default_value_t = 120)]
    pub time_limit: u64,
    /// Progress line on stderr.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
    /// Also write a self-contained printable HTML page of the run to FILE (atomically, at
    /// the end): counts by verdict and policy, files not passed first with their reasons,
    /// a row per file, renewal-due timeline. Its language follows --lang.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Language of the summary table printed at the end (default: from the locale).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Time zone of the summary table's times.
    #[command(flatten)]
    pub tz: crate::tz::TzArg,
    /// Size limit of the input files held in memory.
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// `123`, `64K`, `256M`, `2G` (binary multiples).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix {c:?} (K, M or G)")),
            };
            (s.get(..i).unwrap_or_default(), m)
        }
        _ => (s, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("not a size: {s:?}"))
}

/// Opens the report: appended to after the last complete line with `--resume`, else new.
fn open_report(path: &Path, resume: bool) -> Result<(Report, Option<ResumeIndex>), CliError> {
    let ctx = || format!("cannot open the report {}", path.display());
    if resume && path.exists() {
        let old = files::read(path)?;
        let (index, keep) = ResumeIndex::from_report(&old);
        let keep = u64::try_from(keep).unwrap_or(u64::MAX);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| CliError::op(ctx(), e))?;
        f.set_len(keep)
            .and_then(|()| f.seek(SeekFrom::Start(keep)).map(drop))
            .map_err(|e| CliError::op(ctx(), e))?;
        return Ok((Report::new(f, path, keep), Some(index)));
    }
    let f = File::create(path).map_err(|e| CliError::op(ctx(), e))?;
    Ok((Report::new(f, path, 0), None))
}

/// The report file, which only ever ends with a complete line: a line that cannot be
/// written whole (full disk, file-size limit) is cut off again.
struct Report {
    file: File,
    path: PathBuf,
    /// Length of the report up to the end of its last complete line.
    complete: u64,
    /// Lines this run has written.
    written: u64,
}

impl Report {
    fn new(file: File, path: &Path, complete: u64) -> Self {
        Self {
            file,
            path: path.to_path_buf(),
            complete,
            written: 0,
        }
    }

    /// Appends one line (`\n` added). On failure the report is truncated back to its last
    /// complete line and the error says what the report now holds.
    fn append(&mut self, json: &serde_json::Value, what: &str) -> Result<(), CliError> {
        let mut line = json.to_string().into_bytes();
        line.push(b'\n');
        match self.file.write_all(&line).and_then(|()| self.file.flush()) {
            Ok(()) => {
                self.complete += line.len() as u64;
                self.written += 1;
                Ok(())
            }
            Err(e) => Err(self.cut_back(what, &e)),
        }
    }

    /// Truncates to the last complete line after a failed write and describes the state.
    fn cut_back(&mut self, what: &str, e: &std::io::Error) -> CliError {
        let cut = self
            .file
            .set_len(self.complete)
            .and_then(|()| self.file.seek(SeekFrom::Start(self.complete)).map(drop))
            .and_then(|()| self.file.sync_all());
        let state = match cut {
            Ok(()) => format!(
                "the report ends with its last complete line ({} line(s) written by this run)",
                self.written
            ),
            Err(e2) => format!(
                "its last line may be incomplete: it could not be cut back to the last \
                 complete line ({e2}); {} line(s) before it were written by this run",
                self.written
            ),
        };
        CliError::Operational(format!(
            "cannot write {what} to the report {}: {e}; {state}. Free space (or raise the \
             file-size limit) and run again with --resume to finish",
            self.path.display()
        ))
    }

    /// Makes the report durable.
    fn sync(&mut self) -> Result<(), CliError> {
        self.file
            .sync_all()
            .map_err(|e| CliError::op(format!("cannot sync the report {}", self.path.display()), e))
    }
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    if !args.dir.is_dir() {
        return Err(CliError::Operational(format!(
            "{} is not a readable directory",
            args.dir.display()
        )));
    }
    let policy = crate::cmd::verify::load_policy(&args.policy)?;
    let revocation = crate::cmd::verify::revocation_mode(args.revocation, &policy);
    let opts = VerifyOptions::default()
        .with_policy(policy)
        .with_anchors(files::certificates_limited(&args.trust, args.limit)?)
        .with_cert_store(files::certificates_limited(&args.cert_store, args.limit)?)
        .with_crls(files::der_files_limited(&args.crl, args.limit)?)
        .with_ocsp_responses(files::der_files_limited(&args.ocsp_response, args.limit)?)
        .with_profile(args.profile.into())
        .with_offline(args.offline)
        .with_revocation_cache(args.revocation_cache.clone())
        .with_fetch_allow(args.fetch_allow.clone())
        .with_at(files::parse_at(args.at.as_deref())?)
        .with_revocation(revocation);
    let mut config = BatchConfig::new(Arc::new(Verifier::new(opts.clone())));
    let html = args.html.clone().map(|path| {
        let plan = PlanOptions::new(opts.at.unwrap_or_else(time::OffsetDateTime::now_utc))
            .with_anchors(opts.anchors.clone())
            .with_cert_store(opts.cert_store.clone());
        (path, plan)
    });
    config.jobs = args.jobs.unwrap_or(0);
    config.max_file_bytes = args.max_file_size;
    config.time_limit = Duration::from_secs(args.time_limit.max(1));
    if args.archive
        && let Some(out) = &args.out
    {
        let tsa = ClientConfig::new(args.tsa.clone());
        let mut a = ArchiveConfig::new(tsa.clone(), out.clone());
        a.max_concurrent_requests = args.tsa_concurrency.max(1);
        a.extend = Some(
            ExtendOptions::new(Target::BLta, Some(tsa), opts.anchors)
                .with_cert_store(opts.cert_store)
                .with_crls(opts.crls)
                .with_ocsp_responses(opts.ocsp_responses)
                .with_profile(opts.profile)
                .with_offline(opts.offline)
                .with_revocation_cache(opts.revocation_cache.clone())
                .with_fetch_allow(opts.fetch_allow.clone()),
        );
        config.archive = Some(a);
    }
    let (mut report, resume) = open_report(&args.report, args.resume)?;
    config.resume = resume;
    config.exclude = vec![args.report.clone()];
    let batch = start(&args.dir, config).map_err(|e| CliError::op("batch", e))?;
    let show = match args.progress {
        ProgressArg::Auto => std::io::stderr().is_terminal(),
        ProgressArg::Always => true,
        ProgressArg::Never => false,
    };
    let table = Table {
        lang: LangArg::resolve(args.lang),
        tz: args.tz.tz,
        html,
    };
    drive(batch, &mut report, show, table)
}

/// How the summary table (and the HTML page) is printed.
#[derive(Debug)]
struct Table {
    lang: kenpo_verify::report::Lang,
    tz: crate::tz::Zone,
    /// `--html`: where, and the planner's options for the renewal dates.
    html: Option<(PathBuf, PlanOptions)>,
}

/// Writes the lines as they come, then the summary.
fn drive(mut batch: Batch, report: &mut Report, show: bool, table: Table) -> Result<u8, CliError> {
    let mut bar = show.then(Bar::new);
    let mut failure = None;
    let mut not_passed = Collector::default();
    let mut page = HtmlCollector::default();
    loop {
        match batch.recv_timeout(Duration::from_millis(200)) {
            Poll::Result(r) => {
                not_passed.add(&r);
                if let Some((_, plan)) = &table.html {
                    page.add(&r, table.lang, Some(plan));
                }
                if r.resumed.is_none()
                    && failure.is_none()
                    && let Err(e) = report.append(&r.to_json(), "a line (the run was stopped)")
                {
                    batch.cancel();
                    failure = Some(e);
                }
            }
            Poll::Pending => {}
            Poll::Finished => break,
        }
        if let Some(b) = &mut bar {
            b.draw(batch.progress());
        }
    }
    if let Some(b) = &mut bar {
        b.finish(batch.progress());
    }
    for w in batch.take_warnings() {
        eprintln!("kenpo-sign: warning: {w}");
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let summary = batch.summary();
    report.append(&summary.to_json(), "the summary")?;
    report.sync()?;
    let files = batch.progress().files_done;
    let ended = crate::tz::format(time::OffsetDateTime::now_utc(), table.tz);
    let text = not_passed.render(&summary, files, &report.path, table.lang);
    out!("{text}");
    if let Some((path, _)) = &table.html {
        let html = crate::tz::localize(&page.render(&summary, &report.path, table.lang), table.tz);
        kenpo_core::atomic::AtomicWriter::new()
            .write(path, html.as_bytes())
            .map_err(|e| {
                CliError::op(format!("cannot write the HTML page {}", path.display()), e)
            })?;
    }
    outln!(
        "{} {ended}",
        if table.lang == kenpo_verify::report::Lang::Ja {
            "終了:"
        } else {
            "finished:"
        }
    );
    if summary.errors > 0 {
        eprintln!(
            "kenpo-sign: {} file(s) could not be processed; see the \"error\" fields of {}",
            summary.errors,
            report.path.display()
        );
    }
    Ok(summary.exit_code().min(OPERATIONAL))
}

/// The progress line: files done/total, rate, ETA; redrawn at most 5 times a second.
struct Bar {
    started: Instant,
    last: Option<Instant>,
}

impl Bar {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            last: None,
        }
    }

    fn draw(&mut self, p: Progress) {
        if self
            .last
            .is_some_and(|l| l.elapsed() < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(Instant::now());
        self.render(p);
    }

    /// The final state, left on its own line.
    fn finish(&mut self, p: Progress) {
        self.render(p);
        eprintln!();
    }

    fn render(&self, p: Progress) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        // Files, not report lines: a signature's detached content counts too.
        let (done, found) = (p.files_done, p.files_found);
        let rate = done as f64 / secs;
        let total = if p.walk_finished {
            found.to_string()
        } else {
            format!("{found}+")
        };
        let eta = if p.walk_finished && rate > 0.0 {
            let left = found.saturating_sub(done) as f64 / rate;
            format!("{}:{:02}", (left / 60.0) as u64, (left % 60.0) as u64)
        } else {
            "--:--".into()
        };
        let width = 24usize;
        let filled = done
            .saturating_mul(width as u64)
            .checked_div(found)
            .map_or(0, |f| usize::try_from(f).unwrap_or(width));
        let bar: String = (0..width)
            .map(|i| if i < filled { '#' } else { '-' })
            .collect();
        eprint!("\r[{bar}] {done}/{total} files  {rate:.1}/s  ETA {eta} ");
        let _ = std::io::stderr().flush();
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert!(parse_size("1T").is_err());
        assert!(parse_size("x").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
