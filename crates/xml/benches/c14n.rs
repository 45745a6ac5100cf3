//! C14N throughput on a generated 50 MB document (`cargo bench -p kenpo-xml --bench c14n`):
//! the goal of issue 20 is C14N ≥ 200 MB/s on a 50 MB document, measured here as
//! **parse + render from bytes** (what a caller sees: `Document::parse` then
//! `canonicalize_to`), with render-only and parse-only beside it, and uppsala's tokenizer
//! alone (its `PullParser`, no tree: the ceiling of any canonicaliser built on it).
//!
//! Each figure is the median of `KENPO_BENCH_RUNS` (default 3) runs, as MB/s of wall time
//! and of the thread's CPU time (`/proc/thread-self/schedstat`; on a shared machine the
//! CPU figure is the one that does not depend on the other load). With `xmllint` on the
//! PATH, its `--exc-c14n` (parse + render) on the same file runs in the same run. The load
//! (`/proc/loadavg`) is printed first. No assertion on speed.

use std::time::Instant;

use kenpo_xml::{C14nMethod, C14nOptions, Document, Limits};

fn generate(target: usize) -> String {
    let mut s = String::with_capacity(target + 1024);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<root xmlns=\"urn:example:a\" xmlns:p=\"urn:example:p\" xmlns:unused=\"urn:example:u\">\n");
    let mut i = 0u64;
    while s.len() < target {
        s.push_str(&format!(
            "  <p:item id=\"i{i}\" b=\"x &amp; y\" a=\"1\"><name>処方 {i} &lt;text&gt;</name><!-- c --><v  z=\"2\"   y='3'>{}</v><e/></p:item>\n",
            i * 7
        ));
        i += 1;
    }
    s.push_str("</root>\n");
    s
}

/// Nanoseconds this thread has run on a CPU (0 where the kernel does not say).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Runs `f` `runs` times; the median wall and CPU seconds, or `None` if a run failed.
fn measure(runs: usize, mut f: impl FnMut() -> bool) -> Option<(f64, f64)> {
    let mut wall = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_ns());
        if !f() {
            return None;
        }
        wall.push(t.elapsed().as_secs_f64());
        cpu.push((cpu_ns().saturating_sub(c)) as f64 / 1e9);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Some((median(&mut wall), median(&mut cpu)))
}

fn report(what: &str, mb: f64, m: Option<(f64, f64)>) {
    match m {
        Some((wall, cpu)) => println!(
            "{what:<44} {:7.1} MB/s wall {:7.1} MB/s CPU",
            mb / wall,
            if cpu > 0.0 { mb / cpu } else { f64::NAN }
        ),
        None => println!("{what:<44} failed"),
    }
}

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "c14n")
    {
        return;
    }
    let size: usize = std::env::var("KENPO_XML_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000_000);
    let runs: usize = std::env::var("KENPO_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    let text = generate(size);
    let mb = text.len() as f64 / 1e6;
    let limits = Limits::default();
    println!(
        "{mb:.1} MB document, median of {runs} runs; load average {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    report(
        "tokenize only (uppsala PullParser, no tree)",
        mb,
        measure(runs, || {
            let mut p = uppsala::PullParser::new(&text)
                .with_forbid_dtd(true)
                .with_max_entity_expansion(0)
                .with_max_depth(256);
            let mut n = 0usize;
            loop {
                match p.next_event() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => break n > 0,
                    Err(_) => break false,
                }
            }
        }),
    );
    report(
        "parse (Document::parse: tree + ID table)",
        mb,
        measure(runs, || Document::parse(text.as_bytes(), &limits).is_ok()),
    );
    let Ok(doc) = Document::parse(text.as_bytes(), &limits) else {
        eprintln!("parse failed");
        return;
    };
    let methods = [
        C14nMethod::Inclusive10,
        C14nMethod::Inclusive11,
        C14nMethod::Exclusive,
        C14nMethod::ExclusiveWithComments,
    ];
    for method in methods {
        report(
            &format!("render only {method:?}"),
            mb,
            measure(runs, || {
                doc.canonicalize_to(method, &C14nOptions::new(), &mut std::io::sink())
                    .is_ok()
            }),
        );
    }
    // An enveloped signature's reference: the whole document less one subtree (here
    // the first item), comments dropped through the node-set.
    if let Some(item) = doc.first_element("urn:example:p", "item") {
        report(
            "render only Exclusive, one subtree left out",
            mb,
            measure(runs, || {
                doc.canonicalize_to(
                    C14nMethod::Exclusive,
                    &C14nOptions::new().exclude(item),
                    &mut std::io::sink(),
                )
                .is_ok()
            }),
        );
    }
    drop(doc);
    for method in methods {
        report(
            &format!("parse + render {method:?} (goal ≥ 200)"),
            mb,
            measure(runs, || {
                Document::parse(text.as_bytes(), &limits).is_ok_and(|d| {
                    d.canonicalize_to(method, &C14nOptions::new(), &mut std::io::sink())
                        .is_ok()
                })
            }),
        );
    }
    let has_xmllint = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok();
    if has_xmllint {
        let dir = std::env::temp_dir().join(format!("kenpo-xml-bench-{}", std::process::id()));
        if std::fs::create_dir_all(&dir).is_ok() {
            let file = dir.join("doc.xml");
            if std::fs::write(&file, &text).is_ok() {
                let t = Instant::now();
                let ok = std::process::Command::new("xmllint")
                    .arg("--exc-c14n")
                    .arg(&file)
                    .stdout(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if ok {
                    println!(
                        "xmllint --exc-c14n (parse + render)          {:7.1} MB/s wall",
                        mb / t.elapsed().as_secs_f64()
                    );
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    } else {
        println!("xmllint not installed: no same-run comparison");
    }
}
