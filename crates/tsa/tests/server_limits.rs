//! Connection limits of the HTTP front under hostile clients: header, body and idle
//! timeouts, the connection cap and the per-connection request limit, each on a real
//! server on 127.0.0.1 with real TCP sockets. Timeouts are set short (about a second) so
//! the tests stay quick; every wait is bounded by a generous limit, no speed is asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use const_oid::ObjectIdentifier as Oid;
use kenpo_core::alg::DigestAlgorithm;
use kenpo_tsa::server::Tsa;
use kenpo_tsa::server::http::{HttpOptions, LocalServer, QUERY_CONTENT_TYPE};
use kenpo_tsa::{
    FailInfo, PkiStatus, TimeStampRequest, TimeStampResponse, VerifyOptions, verify_token,
};

const POLICY: Oid = Oid::new_unwrap("1.2.392.200081.99.1");

/// The bound on every wait in these tests: far beyond any configured timeout.
const BOUND: Duration = Duration::from_secs(20);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A running server with its runtime.
struct Server {
    rt: tokio::runtime::Runtime,
    server: Option<LocalServer>,
    tsa: Arc<Tsa>,
    addr: SocketAddr,
}

impl Server {
    fn start(options: HttpOptions) -> Self {
        let (rt, server, tsa) = common::serve_local(POLICY, options, None);
        let addr = server.addr();
        Self {
            rt,
            server: Some(server),
            tsa,
            addr,
        }
    }

    /// Shuts down (bounded) and checks the listener is gone.
    fn stop(mut self) {
        let server = self.server.take().unwrap();
        self.rt
            .block_on(async { tokio::time::timeout(BOUND, server.shutdown()).await })
            .expect("graceful shutdown finishes within the bound")
            .unwrap();
        assert!(TcpStream::connect(self.addr).is_err());
    }
}

/// One HTTP response read off a socket.
#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

/// Reads one response (Content-Length framed); `Ok(None)` on EOF before its first octet.
fn read_reply(s: &mut TcpStream) -> io::Result<Option<Reply>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte)? {
            0 if buf.is_empty() => return Ok(None),
            0 => return Err(io::Error::new(ErrorKind::UnexpectedEof, "EOF in the head")),
            _ => buf.push(byte[0]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let status = head
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no status line: {head}")))?;
    let len = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)?;
    Ok(Some(Reply { status, head, body }))
}

/// Whether the server closed `s`: EOF (after anything it still had to say) or a reset.
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(BOUND)).unwrap();
    let mut sink = Vec::new();
    match s.read_to_end(&mut sink) {
        Ok(_) => true,
        Err(e) => matches!(
            e.kind(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
        ),
    }
}

fn post_head(len: usize, keep_alive: bool) -> String {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    format!(
        "POST / HTTP/1.1\r\nHost: tsa\r\nContent-Type: {QUERY_CONTENT_TYPE}\r\n\
         Content-Length: {len}\r\nConnection: {connection}\r\n\r\n"
    )
}

/// One time-stamp request on a fresh connection; an error when the connection is refused
/// or closed before an answer (as over the connection cap).
fn try_timestamp(addr: SocketAddr, data: &[u8]) -> Result<(), String> {
    let req = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(data));
    let der = req.to_der();
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(BOUND)).unwrap();
    s.write_all(post_head(der.len(), false).as_bytes())
        .and_then(|()| s.write_all(&der))
        .map_err(|e| format!("write: {e}"))?;
    let reply = read_reply(&mut s)
        .map_err(|e| format!("read: {e}"))?
        .ok_or("closed without an answer")?;
    if reply.status != 200 {
        return Err(format!("status {}", reply.status));
    }
    let resp = TimeStampResponse::parse(&reply.body).unwrap();
    assert_eq!(
        resp.status.status,
        Ok(PkiStatus::Granted),
        "{}",
        resp.status
    );
    let opts = VerifyOptions::default()
        .with_expected_imprint(Some(&req.imprint))
        .with_expected_nonce(req.nonce.as_deref())
        .with_required_policy(Some(POLICY));
    verify_token(resp.token.unwrap(), &opts).unwrap();
    Ok(())
}

/// A granted, verified token, retrying refused connections until [`BOUND`].
fn timestamp(addr: SocketAddr, data: &[u8]) {
    let start = Instant::now();
    loop {
        match try_timestamp(addr, data) {
            Ok(()) => return,
            Err(e) if start.elapsed() > BOUND => panic!("no answer within {BOUND:?}: {e}"),
            Err(_) => thread::sleep(ms(50)),
        }
    }
}

/// Slowloris: `idle` connections that send nothing and `slow` ones that send a header one
/// octet every 100 ms, watched from one thread until the server has closed all of them or
/// [`BOUND`] has passed. Joins to the number of connections still open.
fn slowloris(addr: SocketAddr, idle: usize, slow: usize) -> thread::JoinHandle<usize> {
    let mut socks: Vec<(TcpStream, bool)> = (0..idle + slow)
        .map(|i| {
            let s = TcpStream::connect(addr).unwrap();
            s.set_nonblocking(true).unwrap();
            (s, i >= idle)
        })
        .collect();
    thread::spawn(move || {
        let header = b"POST / HTTP/1.1\r\nHost: tsa\r\nX-Slow: ";
        let start = Instant::now();
        let mut sent = 0usize;
        let mut buf = [0u8; 512];
        while !socks.is_empty() && start.elapsed() < BOUND {
            socks.retain_mut(|(s, slow)| {
                let open = match s.read(&mut buf) {
                    Ok(0) => false,
                    Ok(_) => true,
                    Err(e) => e.kind() == ErrorKind::WouldBlock,
                };
                if open && *slow {
                    let b = header.get(sent).copied().unwrap_or(b'a');
                    return match s.write(&[b]) {
                        Ok(_) => true,
                        Err(e) => e.kind() == ErrorKind::WouldBlock,
                    };
                }
                open
            });
            sent += 1;
            thread::sleep(ms(100));
        }
        socks.len()
    })
}

#[test]
fn real_requests_are_answered_during_a_slowloris_and_the_attackers_are_cut_off() {
    let srv = Server::start(
        HttpOptions::default()
            .with_header_timeout(ms(1500))
            .with_idle_timeout(ms(1500))
            .with_max_connections(256),
    );
    let attack = slowloris(srv.addr, 60, 60);
    for i in 0..5 {
        timestamp(srv.addr, format!("during the attack {i}").as_bytes());
    }
    let still_open = attack.join().unwrap();
    assert_eq!(
        still_open, 0,
        "idle and trickling connections are closed by the server"
    );
    timestamp(srv.addr, b"after the attack");
    assert_eq!(srv.tsa.issued(), 6);
    srv.stop();
}

#[test]
fn idle_and_half_open_connections_are_closed_after_their_timeouts() {
    let srv = Server::start(
        HttpOptions::default()
            .with_header_timeout(ms(500))
            .with_idle_timeout(ms(800)),
    );
    // Opened and nothing sent.
    let mut silent = TcpStream::connect(srv.addr).unwrap();
    // Half a header.
    let mut partial = TcpStream::connect(srv.addr).unwrap();
    partial
        .write_all(b"POST / HTTP/1.1\r\nHost: tsa\r\n")
        .unwrap();
    // A header without its body (the body timeout applies, see below) is not idle; a
    // kept-alive connection after a complete exchange is.
    let mut kept = TcpStream::connect(srv.addr).unwrap();
    kept.set_read_timeout(Some(BOUND)).unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: tsa\r\n\r\n")
        .unwrap();
    let reply = read_reply(&mut kept).unwrap().unwrap();
    assert_eq!(reply.status, 200);
    assert!(
        !reply
            .head
            .to_ascii_lowercase()
            .contains("connection: close")
    );

    assert!(closed_by_server(&mut silent), "silent connection closed");
    assert!(closed_by_server(&mut partial), "half-sent header closed");
    assert!(closed_by_server(&mut kept), "idle keep-alive closed");
    timestamp(srv.addr, b"still serving");
    srv.stop();
}

#[test]
fn connections_over_the_cap_are_closed_and_the_server_recovers() {
    let srv = Server::start(
        HttpOptions::default()
            .with_header_timeout(Duration::from_secs(60))
            .with_max_connections(8),
    );
    // Fill the cap with connections that send nothing (held for the 60 s header timeout).
    let held: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    // The server takes connections in order: the next ones are over the cap.
    for _ in 0..5 {
        let mut extra = TcpStream::connect(srv.addr).unwrap();
        extra.set_read_timeout(Some(BOUND)).unwrap();
        let mut answer = Vec::new();
        let closed = match extra.read_to_end(&mut answer) {
            Ok(_) => true,
            Err(e) => e.kind() == ErrorKind::ConnectionReset,
        };
        assert!(closed, "a connection over the cap is closed at once");
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 503"),
            "{answer}"
        );
    }
    assert!(try_timestamp(srv.addr, b"over the cap").is_err());
    assert_eq!(srv.tsa.issued(), 0);
    // Once the held connections go away, requests are served again.
    for s in &held {
        s.shutdown(Shutdown::Both).unwrap();
    }
    drop(held);
    timestamp(srv.addr, b"after the cap");
    srv.stop();
}

#[test]
fn a_trickling_body_is_cut_off_with_408() {
    let srv = Server::start(
        HttpOptions::default()
            .with_header_timeout(Duration::from_secs(10))
            .with_body_timeout(ms(800)),
    );
    let der = TimeStampRequest::new(DigestAlgorithm::Sha256.digest(b"slow body")).to_der();
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(BOUND)).unwrap();
    s.write_all(post_head(der.len(), true).as_bytes()).unwrap();
    // One octet every 200 ms: the whole body would take far longer than the body timeout.
    let mut writer = s.try_clone().unwrap();
    let trickle = thread::spawn(move || {
        for b in der {
            if writer.write_all(&[b]).is_err() {
                return;
            }
            thread::sleep(ms(200));
        }
    });
    let reply = read_reply(&mut s).unwrap().expect("an answer");
    assert_eq!(reply.status, 408, "{}", reply.head);
    let resp = TimeStampResponse::parse(&reply.body).unwrap();
    assert_eq!(resp.status.status, Ok(PkiStatus::Rejection));
    assert_eq!(resp.status.fail_info, vec![FailInfo::BadRequest]);
    assert!(resp.token.is_none());
    assert!(
        resp.status.text.join(" ").contains("body"),
        "{}",
        resp.status
    );
    assert!(closed_by_server(&mut s));
    trickle.join().unwrap();
    assert_eq!(srv.tsa.issued(), 0);
    timestamp(srv.addr, b"after the slow body");
    srv.stop();
}

#[test]
fn a_connection_serves_at_most_the_configured_number_of_requests() {
    let srv = Server::start(HttpOptions::default().with_max_requests_per_connection(3));
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(BOUND)).unwrap();
    for i in 1..=3 {
        s.write_all(b"GET /health HTTP/1.1\r\nHost: tsa\r\n\r\n")
            .unwrap();
        let reply = read_reply(&mut s).unwrap().expect("an answer");
        assert_eq!(reply.status, 200);
        let close = reply
            .head
            .to_ascii_lowercase()
            .contains("connection: close");
        assert_eq!(close, i == 3, "request {i}: {}", reply.head);
    }
    assert!(closed_by_server(&mut s));
    srv.stop();
}

#[test]
fn shutdown_does_not_wait_for_slowloris_connections() {
    let srv = Server::start(
        HttpOptions::default()
            .with_header_timeout(Duration::from_secs(120))
            .with_idle_timeout(Duration::from_secs(120)),
    );
    let mut partial: Vec<TcpStream> = (0..5)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            s.write_all(b"POST / HTTP/1.1\r\nHost: tsa\r\nX-Slow: a")
                .unwrap();
            s
        })
        .collect();
    let mut silent: Vec<TcpStream> = (0..5)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    timestamp(srv.addr, b"before shutdown");
    srv.stop();
    for s in partial.iter_mut().chain(silent.iter_mut()) {
        assert!(closed_by_server(s));
    }
}
