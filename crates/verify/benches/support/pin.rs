//! Runs a benchmark on one CPU.
//!
//! On a shared virtual machine a single-threaded loop that the scheduler moves between CPUs
//! now and then loses its caches; in about one run in three the whole run was 10–25 %
//! slower, while `openssl speed` (a child of the benchmark) was not. Pinned, the runs agree
//! within 3 %. The benchmark pins itself by running again under `taskset -c CPU` (the CPU
//! it started on); `openssl speed`, its child, inherits the same CPU, so ours and the
//! reference are measured alike. `--no-pin` runs unpinned.

use std::process::Command;

/// Set in the pinned run (the CPU number), so that it does not pin again.
const PINNED: &str = "KENPO_BENCH_PINNED";

/// Re-runs this benchmark under `taskset` on the CPU it is running on and exits with that
/// run's status; returns (running unpinned) with `--no-pin`, inside the pinned run, or
/// where `taskset` cannot run. Returns what the benchmark should print about it.
pub fn pin_to_one_cpu() -> String {
    if let Ok(cpu) = std::env::var(PINNED) {
        return format!("pinned to CPU {cpu} (taskset; openssl speed runs there too)");
    }
    if std::env::args().any(|a| a == "--no-pin") {
        return "not pinned to a CPU (--no-pin)".into();
    }
    let cpu = current_cpu().unwrap_or(0);
    let Ok(exe) = std::env::current_exe() else {
        return "not pinned to a CPU (own path unknown)".into();
    };
    let run = Command::new("taskset")
        .arg("-c")
        .arg(cpu.to_string())
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(PINNED, cpu.to_string())
        .status();
    match run {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => format!("not pinned to a CPU (taskset: {e})"),
    }
}

/// The CPU this process last ran on: field 39 of `/proc/self/stat`.
fn current_cpu() -> Option<usize> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after it do not.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(36)?.parse().ok()
}
