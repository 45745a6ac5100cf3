//! Throughput of the TSA server against the machine's RSA-2048 signing speed.
//!
//! `cargo bench -p kenpo-tsa --bench server` (optionally `-- --requests N --clients C`).
//!
//! Starts the server in-process on 127.0.0.1:0 (RSA-2048 TSA key from kenpo-testpki, serial
//! state and audit log in a temporary directory, as `tsa serve` runs), drives it with
//! concurrent loopback clients, and prints tokens/s beside `openssl speed -seconds 2
//! rsa2048` as the ratio tokens/s ÷ (sign/s × cores used), where cores used is the number of
//! server worker threads (= available cores; the clients run on the same cores). Two kinds
//! of client: minimal keep-alive HTTP/1.1 connections (what the server costs) and reqwest
//! (what a typical client sees). It also times `verify_token` against openssl's verify/s.
//!
//! The machine may carry other load that drifts over seconds: every measurement runs in
//! three rounds, each right after its own `openssl speed` run, and the medians of the rates
//! and of the per-round ratios are printed. Defaults: 5,000 requests per round, 16
//! concurrent clients.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_core::crypto::default_backend;
use kenpo_tsa::server::http::{HttpOptions, LocalServer, QUERY_CONTENT_TYPE};
use kenpo_tsa::server::{Tsa, TsaConfig};
use kenpo_tsa::{PkiStatus, TimeStampRequest, TimeStampResponse, VerifyOptions, verify_token};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const POLICY: Oid = Oid::new_unwrap("1.2.392.200081.99.1");
/// Every figure is the best of this many rounds.
const ROUNDS: usize = 3;

struct Args {
    requests: usize,
    clients: usize,
}

fn args() -> Args {
    let mut a = Args {
        requests: 5000,
        clients: 16,
    };
    let argv: Vec<String> = std::env::args().collect();
    for w in argv.windows(2) {
        match w[0].as_str() {
            "--requests" => a.requests = w[1].parse().unwrap(),
            "--clients" => a.clients = w[1].parse().unwrap(),
            _ => {}
        }
    }
    a
}

/// `(sign/s, verify/s)` from `openssl speed -seconds 2 rsa2048`.
fn openssl_speed() -> Option<(f64, f64)> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "2", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("rsa 2048 bits"))?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match nums.as_slice() {
        [.., sign, verify] => Some((*sign, *verify)),
        _ => None,
    }
}

/// CPU seconds (user + system) used by this process so far, from /proc (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ
}

fn requests(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            TimeStampRequest::new(DigestAlgorithm::Sha256.digest(format!("doc {i}").as_bytes()))
                .to_der()
        })
        .collect()
}

/// One keep-alive HTTP/1.1 connection sending requests until `next` passes `total`.
async fn raw_client(
    addr: std::net::SocketAddr,
    reqs: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicUsize>,
    total: usize,
) -> usize {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut done = 0;
    let mut head = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            return done;
        }
        let body = &reqs[i % reqs.len()];
        let mut msg = format!(
            "POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: {QUERY_CONTENT_TYPE}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        msg.extend_from_slice(body);
        w.write_all(&msg).await.unwrap();
        // Response head, then Content-Length bytes.
        head.clear();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(r.read_u8().await.unwrap());
        }
        let head_text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        assert!(head_text.starts_with("http/1.1 200"), "{head_text}");
        let len: usize = head_text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap();
        let mut resp = vec![0u8; len];
        r.read_exact(&mut resp).await.unwrap();
        let parsed = TimeStampResponse::parse(&resp).unwrap();
        assert_eq!(parsed.status.status, Ok(PkiStatus::Granted));
        done += 1;
    }
}

async fn reqwest_client(
    url: String,
    reqs: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicUsize>,
    total: usize,
) -> usize {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut done = 0;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            return done;
        }
        let resp = client
            .post(&url)
            .header("Content-Type", QUERY_CONTENT_TYPE)
            .body(reqs[i % reqs.len()].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let body = resp.bytes().await.unwrap();
        assert_eq!(
            TimeStampResponse::parse(&body).unwrap().status.status,
            Ok(PkiStatus::Granted)
        );
        done += 1;
    }
}

#[derive(Clone, Copy, Debug)]
enum Client {
    Raw,
    Reqwest,
}

/// A rate measured in ROUNDS rounds, each right after an `openssl speed` run: medians of
/// the rate, of openssl's rate and of their per-round ratio.
struct Paired {
    rate: f64,
    openssl: Option<f64>,
    ratio: Option<f64>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Runs `measure` ROUNDS times, each paired with `openssl speed` (`pick` selects sign/s or
/// verify/s); the ratio is rate ÷ (openssl rate × `cores`).
fn paired(cores: usize, pick: fn((f64, f64)) -> f64, mut measure: impl FnMut() -> f64) -> Paired {
    let (mut rates, mut refs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let reference = openssl_speed().map(pick);
        let rate = measure();
        rates.push(rate);
        if let Some(r) = reference {
            refs.push(r);
            ratios.push(rate / (r * cores as f64));
        }
    }
    Paired {
        rate: median(rates).unwrap_or(f64::NAN),
        openssl: median(refs),
        ratio: median(ratios),
    }
}

fn print_paired(label: &str, unit: &str, cores: usize, p: &Paired, extra: &str) {
    print!("{label:<44} {:>8.1} {unit}{extra}", p.rate);
    match (p.openssl, p.ratio) {
        (Some(o), Some(r)) => {
            println!("  | openssl {o:.1}/s  ratio ÷ (openssl × {cores}) = {r:.3}")
        }
        _ => println!("  | openssl unavailable"),
    }
}

/// Serves on `cores` worker threads and drives `total` requests per round over `clients`
/// connections. Returns the paired measurement and the CPU cores busy while driving.
fn run(
    tsa: &Arc<Tsa>,
    options: HttpOptions,
    client: Client,
    clients: usize,
    total: usize,
    cores: usize,
) -> (Paired, f64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(LocalServer::start(Arc::clone(tsa), options))
        .unwrap();
    let reqs = Arc::new(requests(1000));
    let drive = |total: usize| {
        let next = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (reqs, next) = (Arc::clone(&reqs), Arc::clone(&next));
                match client {
                    Client::Raw => rt.spawn(raw_client(server.addr(), reqs, next, total)),
                    Client::Reqwest => rt.spawn(reqwest_client(server.url(), reqs, next, total)),
                }
            })
            .collect();
        rt.block_on(async {
            let mut n = 0;
            for t in tasks {
                n += t.await.unwrap();
            }
            assert_eq!(n, total);
        });
    };
    drive(clients * 10); // warm-up: connections, pools, caches
    let (mut cpu, mut wall) = (0.0, 0.0);
    let p = paired(
        cores,
        |s| s.0,
        || {
            let cpu0 = cpu_seconds();
            let t0 = Instant::now();
            drive(total);
            let w = t0.elapsed().as_secs_f64();
            wall += w;
            cpu += cpu_seconds().zip(cpu0).map_or(f64::NAN, |(b, a)| b - a);
            total as f64 / w
        },
    );
    rt.block_on(server.shutdown()).unwrap();
    (p, cpu / wall)
}

/// Rate of `f` over `n` calls (after n/10 warm-up calls).
fn per_second(n: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let t0 = Instant::now();
    for _ in 0..n {
        f();
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

fn main() {
    let args = args();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pki = kenpo_testpki::generate(&kenpo_testpki::Config::default()).unwrap();
    let tsa_entity = pki.entity("tsa").unwrap();
    let key = default_backend()
        .load_pkcs8(&tsa_entity.key_pkcs8_der)
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let config = TsaConfig::new(tsa_entity.cert_der.clone(), Arc::clone(&key), POLICY);
    let tsa = Arc::new(Tsa::open(config, state.path()).unwrap());
    println!(
        "kenpo-tsa server benchmark: {} requests/round, {} clients, {cores} cores, backend {}, median of {ROUNDS} rounds",
        args.requests,
        args.clients,
        default_backend().name()
    );
    let sign = |s: (f64, f64)| s.0;

    // One thread, no HTTP: the RSA signature alone, then a whole token.
    let digest = DigestAlgorithm::Sha256.digest(b"x");
    let alg = key.default_algorithm();
    let raw = paired(1, sign, || {
        per_second(1000, || {
            key.sign_digest(alg, &digest).unwrap();
        })
    });
    print_paired(
        &format!("{} RSA-2048 sign (1 thread)", default_backend().name()),
        "sign/s",
        1,
        &raw,
        "",
    );
    let req = requests(1).remove(0);
    let respond = paired(1, sign, || {
        per_second(1000, || {
            assert!(tsa.respond(&req).outcome.is_granted());
        })
    });
    print_paired(
        "Tsa::respond (1 thread, no HTTP)",
        "tokens/s",
        1,
        &respond,
        "",
    );

    for (client, blocking) in [
        (Client::Raw, false),
        (Client::Raw, true),
        (Client::Reqwest, false),
        (Client::Reqwest, true),
    ] {
        let options = HttpOptions::default().with_sign_on_blocking_pool(blocking);
        let (p, busy) = run(&tsa, options, client, args.clients, args.requests, cores);
        let mode = if blocking { "spawn_blocking" } else { "inline" };
        let label = format!("HTTP, {client:?} clients, signing {mode}");
        print_paired(
            &label,
            "tokens/s",
            cores,
            &p,
            &format!(" (CPU busy {busy:.2})"),
        );
        // The goal is per core *used*: tokens/s ÷ (openssl sign/s × busy cores).
        if let Some(o) = p.openssl {
            println!(
                "{:<44} per core used: {:.3}",
                "",
                p.rate / (o * busy.max(0.01))
            );
        }
    }

    // Token verification against openssl's verify/s.
    let der = tsa.respond(&req).response_der;
    let token = TimeStampResponse::parse(&der)
        .unwrap()
        .token
        .unwrap()
        .to_vec();
    let parsed = TimeStampRequest::parse(&req).unwrap();
    let opts = VerifyOptions::default()
        .with_expected_imprint(Some(&parsed.imprint))
        .with_expected_nonce(parsed.nonce.as_deref());
    let verify = paired(
        1,
        |s| s.1,
        || {
            per_second(20000, || {
                verify_token(&token, &opts).unwrap();
            })
        },
    );
    print_paired("verify_token (1 thread)", "verifications/s", 1, &verify, "");
}
