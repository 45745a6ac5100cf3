//! PAdES figures of issue 19, against peers run on the same files in the same run.
//!
//! 1. Verifying a signed ~1 MB PDF (B-B, test PKI `hpki-signer`; one page whose content
//!    stream is ~1 MB of drawing operators): the median wall time of `KENPO_BENCH_RUNS`
//!    (default 10) runs of `kenpo-sign verify FILE --offline --format json` (CRLs as
//!    files), of poppler's `pdfsig FILE` (checks the byte range digest and the CMS
//!    signature, and the certificate against its own NSS database, which does not hold
//!    the test root: "untrusted" is its answer here) and of one pyHanko validation per
//!    run (a new python process, as in `tests/pades_cli.rs`; its in-process validation
//!    time is printed too). Goals: pyHanko ÷ kenpo ≥ 100, pdfsig ÷ kenpo ≥ 2.
//! 2. Signing a `KENPO_BENCH_BIG_MB` (default 1024) MiB PDF written to a temporary
//!    directory: `kenpo-sign sign` (B-B) against `openssl dgst -sha256` on the same file
//!    (throughput ratio; goal ≥ 0.9) and the signer's peak RSS from `/usr/bin/time -v`
//!    (goal ≤ 128 MiB); and `dd conv=fsync` copying it, through the page cache and with
//!    `oflag=direct` (as kenpo-sign writes it on Linux), the floor of writing the signed
//!    copy. The big files are deleted at the end.
//!
//! Every process run must succeed; nothing is asserted about speed. Peers that are
//! missing are skipped with a message (pyHanko: `KENPO_PEER_PYTHON`, else `python3`).
//!
//! ```sh
//! cargo bench -p kenpo-sign-cli --bench pades
//! KENPO_BENCH_RUNS=30 KENPO_BENCH_BIG_MB=256 cargo bench -p kenpo-sign-cli --bench pades
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{BIN, p, pki, run, text};

/// The pyHanko validation (as in `tests/pades_cli.rs`), printing its in-process time in
/// ms after the imports and the document's state.
const VALIDATE: &str = r#"
import sys, json, time
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko.keys import load_cert_from_pemder
t = time.perf_counter()
roots = [load_cert_from_pemder(p) for p in sys.argv[2:]]
vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
with open(sys.argv[1], "rb") as f:
    r = PdfFileReader(f)
    st = validate_pdf_signature(r.embedded_signatures[0], signer_validation_context=vc)
ok = st.intact and st.valid and st.trusted
print(json.dumps({"ok": ok, "ms": (time.perf_counter() - t) * 1e3}))
"#;

/// Writes a one-page PDF whose content stream is `content_len` bytes of drawing
/// operators, streaming (constant memory whatever the size).
fn write_pdf(path: &Path, content_len: u64) {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut offsets = Vec::new();
    let mut pos = 0u64;
    let put = |w: &mut BufWriter<std::fs::File>, s: &[u8], pos: &mut u64| {
        w.write_all(s).unwrap();
        *pos += s.len() as u64;
    };
    put(&mut w, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", &mut pos);
    for obj in [
        &b"1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n"[..],
        b"2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n",
        b"3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>\nendobj\n",
    ] {
        offsets.push(pos);
        put(&mut w, obj, &mut pos);
    }
    // 32-byte lines: a short stroked segment each.
    let line = b"72 72 m 523 770 l 0.5 w S q Q\n\n";
    let lines = content_len / line.len() as u64;
    let len = lines * line.len() as u64;
    offsets.push(pos);
    put(
        &mut w,
        format!("4 0 obj\n<</Length {len}>>\nstream\n").as_bytes(),
        &mut pos,
    );
    let block = line.repeat(4096);
    let mut left = lines;
    while left > 0 {
        let n = left.min(4096);
        put(&mut w, &block[..n as usize * line.len()], &mut pos);
        left -= n;
    }
    put(&mut w, b"\nendstream\nendobj\n", &mut pos);
    let xref = pos;
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for o in &offsets {
        table.push_str(&format!("{o:010} 00000 n \n"));
    }
    table.push_str(&format!(
        "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
        offsets.len() + 1
    ));
    put(&mut w, table.as_bytes(), &mut pos);
    w.into_inner().unwrap().sync_all().unwrap();
}

/// `kenpo-sign sign DOC -o OUT` (B-B, test PKI `hpki-signer`), not yet run.
fn sign_cmd(doc: &Path, out: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("sign").arg(doc);
    c.args(["--cert", &p("hpki-signer.pem")])
        .args(["--key", &p("hpki-signer.key.pem")])
        .args(["--chain", &p("hpki-sign-ca.pem")])
        .args(["--profile", "hpki", "--yes", "-o"])
        .arg(out);
    c
}

/// Median wall time in ms of `runs` runs of `cmd` after one warm-up run, each checked by
/// `ok` on its output; the outputs' stdout of the timed runs too.
fn median_ms(
    runs: usize,
    mut cmd: impl FnMut() -> Command,
    ok: impl Fn(&std::process::Output) -> bool,
) -> (f64, Vec<Vec<u8>>) {
    let mut times = Vec::with_capacity(runs);
    let mut outs = Vec::with_capacity(runs);
    for i in 0..=runs {
        let mut c = cmd();
        c.stdin(Stdio::null());
        let t = Instant::now();
        let o = c.output().unwrap();
        let elapsed = t.elapsed().as_secs_f64() * 1e3;
        assert!(ok(&o), "{c:?}: {}", text(&o));
        if i > 0 {
            times.push(elapsed);
            outs.push(o.stdout);
        }
    }
    (median(&mut times), outs)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

fn verify_small(runs: usize, work: &Path) {
    let doc = work.join("1mb.pdf");
    let signed = work.join("1mb.signed.pdf");
    write_pdf(&doc, 1 << 20);
    let o = sign_cmd(&doc, &signed).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let size = std::fs::metadata(&signed).unwrap().len();

    let verify = || {
        let mut c = Command::new(BIN);
        c.arg("verify").arg(&signed);
        c.args(["--trust", &p("root-ca.pem")]);
        for crl in ["hpki-sign-ca.crl", "root-ca.crl"] {
            c.args(["--crl", &p(crl)]);
        }
        c.args(["--offline", "--format", "json"]);
        c
    };
    let (kenpo, _) = median_ms(runs, verify, |o| o.status.success());
    println!(
        "kenpo-sign verify --offline --format json of a {size}-byte signed PDF (B-B): \
         median {kenpo:.2} ms over {runs} runs"
    );

    if Path::new("/usr/bin/pdfsig").is_file() {
        let pdfsig = || {
            let mut c = Command::new("/usr/bin/pdfsig");
            c.arg(&signed);
            c
        };
        // pdfsig exits 0 when it could read the signatures; its NSS database does not
        // hold the test root, so the certificate is "untrusted" but the signature valid.
        let (ms, outs) = median_ms(runs, pdfsig, |o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("Signature is Valid")
        });
        let cert = String::from_utf8_lossy(&outs[0])
            .lines()
            .find(|l| l.contains("Certificate Validation"))
            .map(|l| l.trim().to_owned())
            .unwrap_or_default();
        println!(
            "pdfsig (poppler; digest and CMS signature valid, \"{cert}\" against its NSS db): \
             median {ms:.2} ms; ratio pdfsig ÷ kenpo-sign {:.1} (goal ≥ 2)",
            ms / kenpo
        );
    } else {
        println!("SKIP pdfsig: /usr/bin/pdfsig not found");
    }

    if let Some(py) = common::peer_python("pyhanko, pyhanko_certvalidator") {
        let pyhanko = || {
            let mut c = Command::new(&py);
            c.arg("-c").arg(VALIDATE).arg(&signed).arg(p("root-ca.pem"));
            c
        };
        let (ms, outs) = median_ms(runs, pyhanko, |o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("\"ok\": true")
        });
        let mut inner: Vec<f64> = outs
            .iter()
            .map(|o| {
                let v: serde_json::Value = serde_json::from_slice(o).unwrap();
                v["ms"].as_f64().unwrap()
            })
            .collect();
        let inner = median(&mut inner);
        println!(
            "pyHanko validate_pdf_signature (one python process per run): median {ms:.2} ms \
             ({inner:.2} ms in-process after imports); ratio pyHanko ÷ kenpo-sign {:.1} \
             (goal ≥ 100), in-process only {:.1}",
            ms / kenpo,
            inner / kenpo
        );
    }
}

/// Available bytes in the file system of `dir` (`df`), if it can be read.
fn free_bytes(dir: &Path) -> Option<u64> {
    let o = Command::new("df").args(["-Pk"]).arg(dir).output().ok()?;
    let s = String::from_utf8_lossy(&o.stdout).into_owned();
    let kb: u64 = s.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()?;
    Some(kb * 1024)
}

fn sign_big(work: &Path) {
    let mb = env_num("KENPO_BENCH_BIG_MB", 1024);
    let need = 2 * mb * (1 << 20) + (200 << 20);
    match free_bytes(work) {
        Some(free) if free >= need => {}
        free => {
            println!(
                "SKIP signing {mb} MiB: {} MiB free in {}, {} MiB needed",
                free.unwrap_or(0) >> 20,
                work.display(),
                need >> 20
            );
            return;
        }
    }
    let doc = work.join("big.pdf");
    let out = work.join("big.signed.pdf");
    write_pdf(&doc, mb << 20);
    let size = std::fs::metadata(&doc).unwrap().len() as f64;
    let mib = size / f64::from(1 << 20);

    let dgst = || {
        let mut c = Command::new("openssl");
        c.args(["dgst", "-sha256"]).arg(&doc);
        c
    };
    let openssl = common::openssl_available();
    // One openssl run warms the page cache; then the median of three, then kenpo-sign
    // (under /usr/bin/time -v for the peak RSS).
    let dgst_ms = openssl.then(|| median_ms(3, dgst, |o| o.status.success()).0);
    let time_v = Path::new("/usr/bin/time").is_file();
    let mut c = if time_v {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(BIN);
        let s = sign_cmd(&doc, &out);
        c.args(s.get_args());
        c
    } else {
        sign_cmd(&doc, &out)
    };
    let t = Instant::now();
    let o = c.output().unwrap();
    let sign_ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(o.status.success(), "{}", text(&o));
    let rss_kb = String::from_utf8_lossy(&o.stderr)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse::<u64>().ok());
    let out_len = std::fs::metadata(&out).unwrap().len();
    let _ = std::fs::remove_file(&out);
    let rate = mib / (sign_ms / 1e3);
    let rss = rss_kb.map_or("unknown (no /usr/bin/time)".to_owned(), |kb| {
        format!("{:.1} MiB", kb as f64 / 1024.0)
    });
    println!(
        "kenpo-sign sign (B-B) of a {mib:.0} MiB PDF ({out_len}-byte output, written and \
         synced): {sign_ms:.0} ms, {rate:.0} MiB/s, peak RSS {rss} (goal ≤ 128 MiB)"
    );
    if let Some(d) = dgst_ms {
        let drate = mib / (d / 1e3);
        println!(
            "openssl dgst -sha256 on the same file: {d:.0} ms, {drate:.0} MiB/s; \
             ratio kenpo-sign ÷ openssl throughput {:.2} (goal ≥ 0.9)",
            rate / drate
        );
    }
    // The floor of any signer that writes a new file holding the input (an incremental
    // update): one copy of it, synced (`dd conv=fsync`), on the same disk; buffered, and
    // with direct writes (kenpo-sign on Linux: the page cache is bypassed).
    let copy = work.join("big.copy");
    for (how, flags) in [
        ("", &["bs=1M", "conv=fsync"][..]),
        (
            " oflag=direct",
            &["bs=4M", "conv=fsync", "oflag=direct"][..],
        ),
    ] {
        let t = Instant::now();
        let o = Command::new("dd")
            .arg(format!("if={}", doc.display()))
            .arg(format!("of={}", copy.display()))
            .args(flags)
            .output()
            .unwrap();
        let dd_ms = t.elapsed().as_secs_f64() * 1e3;
        let _ = std::fs::remove_file(&copy);
        if o.status.success() {
            println!(
                "dd conv=fsync{how} (copy and sync, no hashing) of the same file: {dd_ms:.0} ms, \
                 {:.0} MiB/s; kenpo-sign's time ÷ (openssl dgst + dd) {:.2}",
                mib / (dd_ms / 1e3),
                sign_ms / (dgst_ms.unwrap_or(0.0) + dd_ms)
            );
        } else {
            println!("SKIP dd{how}: {}", text(&o));
        }
    }
    std::fs::remove_file(&doc).unwrap();
}

fn main() {
    // `cargo bench` passes --bench; a filter argument that is not ours means another bench.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "pades")
    {
        return;
    }
    let runs = env_num("KENPO_BENCH_RUNS", 10) as usize;
    // The PKI first (written by the binary), so that no run pays for it.
    let _ = pki();
    assert!(run(&["--version"]).status.success());
    let work = tempfile::tempdir().unwrap();
    verify_small(runs, work.path());
    sign_big(work.path());
}
