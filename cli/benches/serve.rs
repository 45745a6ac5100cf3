//! Throughput of `kenpo-sign serve` on loopback: the real binary (built with the bench),
//! one reused verification context, small attached CAdES B-B signatures of the test PKI
//! posted by K client threads over keep-alive connections. Prints requests per second;
//! asserts nothing about speed (every answer must be TOTAL_PASSED).
//!
//! ```sh
//! cargo bench -p kenpo-sign-cli --bench serve
//! KENPO_BENCH_REQUESTS=20000 KENPO_BENCH_CLIENTS=8 cargo bench -p kenpo-sign-cli --bench serve
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kenpo-sign");
const BOUNDARY: &str = "kenpo-bench-boundary";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kenpo(args: &[&str]) {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// An attached B-B signature over a small document, signed by the test PKI in `dir`.
fn fixture(dir: &Path) -> Vec<u8> {
    let d = |n: &str| dir.join(n).to_str().unwrap().to_owned();
    kenpo(&["testpki", dir.to_str().unwrap()]);
    std::fs::write(dir.join("doc.csv"), "資格取得届,12345678\n").unwrap();
    kenpo(&[
        "sign",
        &d("doc.csv"),
        "--cert",
        &d("hpki-signer.pem"),
        "--key",
        &d("hpki-signer.key.pem"),
        "--chain",
        &d("hpki-sign-ca.pem"),
        "--attached",
        "--yes",
        "-o",
        &d("doc.p7m"),
    ]);
    std::fs::read(dir.join("doc.p7m")).unwrap()
}

/// One HTTP/1.1 request on a kept-alive connection (reconnecting when the server closes
/// it); the body of the answer.
struct Client {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
    request: Vec<u8>,
}

impl Client {
    fn post(&mut self) -> Vec<u8> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => {
                let s = TcpStream::connect(&self.addr).unwrap();
                s.set_nodelay(true).unwrap();
                self.conn.insert(BufReader::new(s))
            }
        };
        conn.get_mut().write_all(&self.request).unwrap();
        let mut length = 0;
        let mut close = false;
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        loop {
            line.clear();
            conn.read_line(&mut line).unwrap();
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            close |= l == "connection: close";
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body).unwrap();
        if close {
            self.conn = None;
        }
        body
    }
}

fn main() {
    // `cargo bench` passes --bench; a filter argument that is not ours means another bench.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "serve")
    {
        return;
    }
    let requests = env_or("KENPO_BENCH_REQUESTS", 5_000);
    let clients = env_or("KENPO_BENCH_CLIENTS", 4).max(1);
    let dir = tempfile::tempdir().unwrap();
    let sig = fixture(dir.path());
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let mut server: Child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--offline", "--trust"])
        .args([d("root-ca.pem"), "--crl".into(), d("hpki-sign-ca.crl")])
        .args(["--crl".into(), d("root-ca.crl")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();

    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"signature\"; filename=\"s\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&sig);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut request = format!(
        "POST /api/v1/verify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; \
         boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let client = || Client {
        addr: addr.clone(),
        conn: None,
        request: request.clone(),
    };

    // Warm-up (and a check of the verdict).
    let mut warm = client();
    for _ in 0..50 {
        let answer = warm.post();
        let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    }

    let per_client = requests.div_ceil(clients);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            let mut c = client();
            s.spawn(move || {
                for _ in 0..per_client {
                    let answer = c.post();
                    assert!(
                        answer.windows(12).any(|w| w == b"TOTAL_PASSED"),
                        "{}",
                        String::from_utf8_lossy(&answer)
                    );
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let total = per_client * clients;
    println!(
        "serve: {total} verifications of a {}-byte CAdES B-B with {clients} client threads \
         in {:.2} s: {:.0} requests/s ({} CPUs)",
        sig.len(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        std::thread::available_parallelism().map_or(1, usize::from),
    );
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = server.kill();
    let _ = server.wait();
}
