//! Threads of a batch run: one walker feeding a bounded job queue, `jobs` workers (each
//! job under `catch_unwind`), a supervisor enforcing the per-file time limit (a job over
//! the limit gets its error line at once, its worker is abandoned and replaced), and the
//! consumer side, [`Batch`], receiving results as they finish.
//!
//! Completion is counted, not inferred from closed channels (an abandoned worker may never
//! return): the walker counts every job and ready line it hands on, and the run is over
//! when the walk has ended and that many results have been received.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::job::{Ctx, process};
use super::queue::JobQueue;
use super::result::{FileError, FileResult, Summary};
use super::walk::{FileId, Found, Job, walk};

/// How far a run has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Lines found so far (the total once `walk_finished`).
    pub found: u64,
    /// Lines finished.
    pub done: u64,
    /// The walk has ended: `found` is final.
    pub walk_finished: bool,
    /// Files found so far: every line's file plus the detached content paired with a
    /// signature (which has no line of its own); the total once `walk_finished`.
    pub files_found: u64,
    /// Files finished, counted as [`Progress::files_found`].
    pub files_done: u64,
}

/// How many files a line stands for: the file, plus its paired detached content.
fn files_of(content: Option<&std::path::Path>) -> u64 {
    1 + u64::from(content.is_some())
}

/// What [`Batch::recv_timeout`] got.
#[derive(Debug)]
pub enum Poll {
    /// One more result.
    Result(Box<FileResult>),
    /// Nothing within the timeout; the run goes on.
    Pending,
    /// The run is over (or was cancelled and everything started has reported).
    Finished,
}

struct Running {
    job: Job,
    started: Instant,
    claimed: Arc<AtomicBool>,
}

#[derive(Default)]
struct Slot {
    current: Mutex<Option<Running>>,
}

pub(crate) struct Shared {
    ctx: Ctx,
    cancel: Arc<AtomicBool>,
    stop: AtomicBool,
    expected: AtomicU64,
    /// Files behind the `expected` lines (see [`Progress::files_found`]).
    files_expected: AtomicU64,
    walk_done: AtomicBool,
    done: AtomicU64,
    warnings: Mutex<Vec<String>>,
    slots: Mutex<Vec<Arc<Slot>>>,
    queue: JobQueue<Job>,
    time_limit: Duration,
}

impl Shared {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.stop.load(Ordering::Relaxed)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}

fn spawn_worker(shared: &Arc<Shared>, results: &Sender<FileResult>) -> std::io::Result<()> {
    let slot = Arc::new(Slot::default());
    lock(&shared.slots).push(slot.clone());
    let (shared, results) = (shared.clone(), results.clone());
    std::thread::Builder::new()
        .name("kenpo-batch-worker".into())
        .spawn(move || worker(&shared, &slot, &results))
        .map(drop)
}

fn worker(shared: &Shared, slot: &Slot, results: &Sender<FileResult>) {
    loop {
        let Some(job) = shared.queue.pop() else {
            return;
        };
        if shared.cancelled() {
            shared.expected.fetch_sub(1, Ordering::AcqRel);
            shared
                .files_expected
                .fetch_sub(files_of(job.content.as_deref()), Ordering::AcqRel);
            continue;
        }
        let claimed = Arc::new(AtomicBool::new(false));
        *lock(&slot.current) = Some(Running {
            job: job.clone(),
            started: Instant::now(),
            claimed: claimed.clone(),
        });
        let started = Instant::now();
        let result =
            catch_unwind(AssertUnwindSafe(|| process(&shared.ctx, &job))).unwrap_or_else(|p| {
                let mut r = job
                    .result()
                    .with_error(FileError::Panic(panic_message(&*p)));
                r.elapsed = started.elapsed();
                r
            });
        *lock(&slot.current) = None;
        if claimed.swap(true, Ordering::AcqRel) {
            // The supervisor reported this job over its time limit and replaced us.
            return;
        }
        if results.send(result).is_err() {
            return;
        }
    }
}

fn supervisor(shared: &Arc<Shared>, results: &Sender<FileResult>) {
    let tick = (shared.time_limit / 4).clamp(Duration::from_millis(5), Duration::from_millis(100));
    while !shared.stop.load(Ordering::Relaxed) {
        std::thread::sleep(tick);
        let mut over = Vec::new();
        lock(&shared.slots).retain(|slot| {
            let cur = lock(&slot.current);
            let Some(run) = cur.as_ref() else {
                return true;
            };
            if run.started.elapsed() <= shared.time_limit
                || run.claimed.swap(true, Ordering::AcqRel)
            {
                return true;
            }
            let mut r = run
                .job
                .result()
                .with_error(FileError::TimeLimit(shared.time_limit));
            r.elapsed = run.started.elapsed();
            over.push(r);
            false
        });
        for r in over {
            let _ = results.send(r);
            if spawn_worker(shared, results).is_err() {
                lock(&shared.warnings).push("cannot start a replacement worker".into());
            }
        }
    }
}

fn walker(
    root: &std::path::Path,
    exclude: &HashSet<FileId>,
    shared: &Shared,
    results: &Sender<FileResult>,
) {
    /// Ends the walk even if it unwinds: workers drain the queue and stop, and the run
    /// finishes with what was found.
    struct Ended<'a>(&'a Shared);
    impl Drop for Ended<'_> {
        fn drop(&mut self) {
            self.0.queue.close();
            self.0.walk_done.store(true, Ordering::Release);
        }
    }
    let _ended = Ended(shared);
    walk(root, exclude, |found| {
        if shared.cancelled() {
            return false;
        }
        match found {
            Found::Job(j) => {
                let files = files_of(j.content.as_deref());
                shared.expected.fetch_add(1, Ordering::AcqRel);
                shared.files_expected.fetch_add(files, Ordering::AcqRel);
                if shared.queue.push(j, || shared.cancelled()).is_err() {
                    shared.expected.fetch_sub(1, Ordering::AcqRel);
                    shared.files_expected.fetch_sub(files, Ordering::AcqRel);
                    return false;
                }
            }
            Found::Done(r) => {
                shared.expected.fetch_add(1, Ordering::AcqRel);
                shared
                    .files_expected
                    .fetch_add(files_of(r.content.as_deref()), Ordering::AcqRel);
                let _ = results.send(*r);
            }
            Found::Warning(w) => lock(&shared.warnings).push(w),
        }
        true
    });
}

/// A running batch: results in the order they finish, then the summary.
///
/// Iterating blocks until the next result; [`Batch::recv_timeout`] does not block longer
/// than asked (for progress display). Dropping the batch stops it: no further job starts.
pub struct Batch {
    shared: Arc<Shared>,
    results: Receiver<FileResult>,
    /// How long the next empty poll of `results` sleeps (see [`Batch::recv_timeout`]).
    pause: Duration,
    received: u64,
    /// Files behind the received lines (see [`Progress::files_done`]).
    files_received: u64,
    summary: Summary,
    started: Instant,
    finished: bool,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("progress", &self.progress())
            .field("summary", &self.summary)
            .finish()
    }
}

/// Starts the threads of a run.
pub(crate) fn launch(
    root: std::path::PathBuf,
    exclude: HashSet<FileId>,
    ctx: Ctx,
    jobs: usize,
    time_limit: Duration,
    cancel: Arc<AtomicBool>,
) -> std::io::Result<Batch> {
    // A deep queue keeps the walker ahead of the workers without waking it per file (a
    // queued job is a path and a few flags: memory stays small and bounded).
    let queue = JobQueue::new(jobs.saturating_mul(64).max(256));
    let (res_tx, res_rx) = std::sync::mpsc::channel();
    let shared = Arc::new(Shared {
        ctx,
        cancel,
        stop: AtomicBool::new(false),
        expected: AtomicU64::new(0),
        files_expected: AtomicU64::new(0),
        walk_done: AtomicBool::new(false),
        done: AtomicU64::new(0),
        warnings: Mutex::new(Vec::new()),
        slots: Mutex::new(Vec::new()),
        queue,
        time_limit,
    });
    let batch = Batch {
        shared: shared.clone(),
        results: res_rx,
        pause: MIN_PAUSE,
        received: 0,
        files_received: 0,
        summary: Summary::default(),
        started: Instant::now(),
        finished: false,
    };
    for _ in 0..jobs.max(1) {
        spawn_worker(&shared, &res_tx)?;
    }
    let (s, r) = (shared.clone(), res_tx.clone());
    std::thread::Builder::new()
        .name("kenpo-batch-supervisor".into())
        .spawn(move || supervisor(&s, &r))?;
    let s = shared;
    std::thread::Builder::new()
        .name("kenpo-batch-walker".into())
        .spawn(move || walker(&root, &exclude, &s, &res_tx))?;
    Ok(batch)
}

/// First and longest sleep of an empty poll of the results. The consumer polls instead of
/// blocking on the channel: a blocked receiver costs every worker a futex wake-up per
/// file, while a poll that backs off from 0.2 ms to 10 ms when idle delays a line by at
/// most that and costs nothing while results stream in.
const MIN_PAUSE: Duration = Duration::from_micros(200);
/// Longest sleep of an empty poll (see [`MIN_PAUSE`]).
const MAX_PAUSE: Duration = Duration::from_millis(10);

impl Batch {
    /// Waits at most `timeout` for the next result. It polls with a sleep that grows from
    /// 0.2 ms to 10 ms while nothing arrives: a result waits at most that long, and workers
    /// never pay for waking a blocked consumer.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Poll {
        if self.finished {
            return Poll::Finished;
        }
        let deadline = Instant::now() + timeout;
        loop {
            if self.shared.walk_done.load(Ordering::Acquire)
                && self.received >= self.shared.expected.load(Ordering::Acquire)
            {
                self.finish();
                return Poll::Finished;
            }
            match self.results.try_recv() {
                Ok(r) => {
                    self.pause = MIN_PAUSE;
                    self.received += 1;
                    self.files_received += files_of(r.content.as_deref());
                    self.shared.done.store(self.received, Ordering::Relaxed);
                    self.summary.add(&r);
                    return Poll::Result(Box::new(r));
                }
                Err(TryRecvError::Disconnected) => {
                    self.finish();
                    return Poll::Finished;
                }
                Err(TryRecvError::Empty) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Poll::Pending;
                    }
                    std::thread::sleep(self.pause.min(left));
                    self.pause = (self.pause * 2).min(MAX_PAUSE);
                }
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.summary.seconds = self.started.elapsed().as_secs_f64();
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Stops the run: no further file starts; the iteration ends once the files in
    /// progress have reported (same as setting [`super::BatchConfig::cancel`]).
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// Counts so far (final once the iteration has ended).
    pub fn summary(&self) -> Summary {
        let mut s = self.summary.clone();
        if !self.finished {
            s.seconds = self.started.elapsed().as_secs_f64();
        }
        s
    }

    /// How far the run has got.
    pub fn progress(&self) -> Progress {
        Progress {
            found: self.shared.expected.load(Ordering::Acquire),
            done: self.received,
            walk_finished: self.shared.walk_done.load(Ordering::Acquire),
            files_found: self.shared.files_expected.load(Ordering::Acquire),
            files_done: self.files_received,
        }
    }

    /// Messages without a line of their own (symbolic links to directories already
    /// walked, a replacement worker that could not start), taken once.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.shared.warnings))
    }
}

impl Iterator for Batch {
    type Item = FileResult;

    fn next(&mut self) -> Option<FileResult> {
        loop {
            match self.recv_timeout(Duration::from_secs(3600)) {
                Poll::Result(r) => return Some(*r),
                Poll::Pending => {}
                Poll::Finished => return None,
            }
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}
