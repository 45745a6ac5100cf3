//! The network policy of `kenpo_revocation::fetch` against real loopback servers: no
//! redirect to another origin, no redirected POST, the allow-list, non-http URLs, and a
//! body size limit that holds while streaming.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kenpo_revocation::fetch::{AllowedOrigin, FetchConfig, FetchError, Fetcher, MAX_REDIRECTS};
use kenpo_revocation::{Checker, RevocationCheck, RevocationStatus};

use common::{cert, pki_for};

// ---- a server that counts -----------------------------------------------------------

/// What the server answers to one request.
#[derive(Clone)]
enum Answer {
    /// 200 with Content-Length.
    Body(Vec<u8>),
    /// A redirect with this status to this Location.
    Redirect(u16, String),
    /// 200 without Content-Length: `total` octets of 0x30, chunked or close-delimited,
    /// written 64 KiB at a time until done or the client goes away.
    Stream { total: u64, chunked: bool },
}

type Route = Arc<dyn Fn(&str, &str) -> Answer + Send + Sync>;

/// A loopback HTTP/1.1 server counting connections, requests and octets written.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    written: Arc<AtomicU64>,
    done: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    fn start(route: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let written = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let route: Route = Arc::new(route);
        let accept = {
            let (stop, connections, requests, written, done) = (
                stop.clone(),
                connections.clone(),
                requests.clone(),
                written.clone(),
                done.clone(),
            );
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (route, requests, written, done) = (
                        route.clone(),
                        requests.clone(),
                        written.clone(),
                        done.clone(),
                    );
                    std::thread::spawn(move || {
                        serve(conn, &*route, &requests, &written);
                        done.fetch_add(1, Ordering::SeqCst);
                    });
                }
            })
        };
        Self {
            addr,
            stop,
            connections,
            requests,
            written,
            done,
            accept: Some(accept),
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// (method, path) of every request read.
    fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().unwrap().clone()
    }

    /// Octets of body written so far.
    fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    /// Waits (at most `max`, a generous bound) until every connection has been served.
    fn wait_served(&self, max: Duration) {
        let start = Instant::now();
        while self.done.load(Ordering::SeqCst) < self.connections() && start.elapsed() < max {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(
    mut conn: TcpStream,
    route: &(dyn Fn(&str, &str) -> Answer + Send + Sync),
    requests: &Mutex<Vec<(String, String)>>,
    written: &AtomicU64,
) {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok();
    conn.set_write_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        requests
            .lock()
            .unwrap()
            .push((method.clone(), path.clone()));
        match route(&method, &path) {
            Answer::Body(b) => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len());
                if conn
                    .write_all(head.as_bytes())
                    .and_then(|()| conn.write_all(&b))
                    .is_err()
                {
                    return;
                }
                written.fetch_add(b.len() as u64, Ordering::SeqCst);
            }
            Answer::Redirect(status, location) => {
                let head = format!(
                    "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
                );
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
            }
            Answer::Stream { total, chunked } => {
                let head = if chunked {
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                } else {
                    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                };
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let piece = vec![0x30u8; 64 * 1024];
                let mut sent = 0u64;
                while sent < total {
                    let r = if chunked {
                        conn.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                            .and_then(|()| conn.write_all(&piece))
                            .and_then(|()| conn.write_all(b"\r\n"))
                    } else {
                        conn.write_all(&piece)
                    };
                    if r.is_err() {
                        return;
                    }
                    sent += piece.len() as u64;
                    written.fetch_add(piece.len() as u64, Ordering::SeqCst);
                }
                if chunked {
                    let _ = conn.write_all(b"0\r\n\r\n");
                }
                return;
            }
        }
    }
}

fn fetcher(config: FetchConfig) -> Fetcher {
    Fetcher::new(
        config
            .with_use_system_proxy(false)
            .with_timeout(Duration::from_secs(20)),
    )
}

fn unknown_reason(s: RevocationStatus) -> String {
    match s {
        RevocationStatus::Unknown { reason } => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

// ---- redirects ----------------------------------------------------------------------

#[test]
fn a_redirect_to_another_port_is_refused_and_that_server_never_asked() {
    let other = Server::start(|_, _| Answer::Body(b"internal".to_vec()));
    let target = format!("{}/admin", other.base());
    let first = {
        let target = target.clone();
        Server::start(move |_, _| Answer::Redirect(302, target.clone()))
    };
    let url = format!("{}/ca.crl", first.base());
    let got = fetcher(FetchConfig::default()).get(&url, 1 << 20);
    assert_eq!(
        got,
        Err(FetchError::CrossOriginRedirect {
            from: url.clone(),
            to: target.clone()
        })
    );
    let msg = got.unwrap_err().to_string();
    assert!(msg.contains(&url) && msg.contains(&target), "{msg}");
    assert_eq!(
        first.requests(),
        vec![("GET".to_owned(), "/ca.crl".to_owned())]
    );
    assert_eq!(other.connections(), 0, "{:?}", other.requests());

    // Another host name for the same address and port, or another scheme: other origins.
    for to in [
        format!("http://localhost:{}/ca.crl", first.port()),
        format!("https://127.0.0.1:{}/ca.crl", first.port()),
        "ftp://127.0.0.1/ca.crl".to_owned(),
        "file:///etc/passwd".to_owned(),
    ] {
        let s = {
            let to = to.clone();
            Server::start(move |_, _| Answer::Redirect(301, to.clone()))
        };
        let url = format!("{}/ca.crl", s.base());
        match fetcher(FetchConfig::default()).get(&url, 1 << 20) {
            Err(FetchError::CrossOriginRedirect { from, to: got }) => {
                assert_eq!((from, got), (url, to.clone()));
            }
            other => panic!("{to}: {other:?}"),
        }
        assert_eq!(s.requests().len(), 1, "{to}");
    }
}

#[test]
fn a_crl_distribution_point_redirected_elsewhere_is_unknown_naming_both_urls() {
    let other = Server::start(|_, _| Answer::Body(b"internal".to_vec()));
    let other_base = other.base();
    let first = Server::start(move |_, path| Answer::Redirect(302, format!("{other_base}{path}")));
    let pki = pki_for(&first.base());
    let checker = Checker::new()
        .with_system_proxy(false)
        .with_timeout(Duration::from_secs(10));
    let reason = unknown_reason(checker.status_at(
        &cert(&pki, "hpki-signer"),
        &cert(&pki, "hpki-sign-ca"),
        pki.now(),
    ));
    let from = format!("{}/crl/hpki-sign-ca.crl", first.base());
    let to = format!("{}/crl/hpki-sign-ca.crl", other.base());
    assert!(
        reason.contains(&format!("redirect from {from} to {to} refused")),
        "{reason}"
    );
    assert_eq!(other.connections(), 0, "{:?}", other.requests());
}

#[test]
fn a_redirected_post_is_never_followed_nor_sent_as_get() {
    for status in [301, 302, 303, 307, 308] {
        let other = Server::start(|_, _| Answer::Body(b"internal".to_vec()));
        let elsewhere = format!("{}/ocsp", other.base());
        let first = {
            let elsewhere = elsewhere.clone();
            Server::start(move |_, path| match path {
                "/ocsp" => Answer::Redirect(status, elsewhere.clone()),
                // A same-origin target too: still not followed.
                _ => Answer::Redirect(status, "/ocsp".to_owned()),
            })
        };
        for (path, to) in [
            ("/ocsp", elsewhere.clone()),
            ("/here", format!("{}/ocsp", first.base())),
        ] {
            let url = format!("{}{path}", first.base());
            let got = fetcher(FetchConfig::default()).post(
                &url,
                "application/ocsp-request",
                b"request",
                1 << 20,
            );
            assert_eq!(
                got,
                Err(FetchError::PostRedirect {
                    status,
                    from: url.clone(),
                    to
                }),
                "{status} {path}"
            );
        }
        let seen = first.requests();
        assert_eq!(seen.len(), 2, "{status}: {seen:?}");
        assert!(seen.iter().all(|(m, _)| m == "POST"), "{status}: {seen:?}");
        assert_eq!(other.connections(), 0, "{status}: {:?}", other.requests());
    }
}

#[test]
fn an_ocsp_responder_redirecting_its_post_is_not_followed() {
    let other = Server::start(|_, _| Answer::Body(b"internal".to_vec()));
    let other_base = other.base();
    let first = Server::start(move |_, path| Answer::Redirect(302, format!("{other_base}{path}")));
    let pki = pki_for(&first.base());
    let checker = Checker::new()
        .with_system_proxy(false)
        .with_timeout(Duration::from_secs(10));
    let reason = unknown_reason(checker.status_at(
        &cert(&pki, "accredited-signer"),
        &cert(&pki, "accredited-ca"),
        pki.now(),
    ));
    assert!(
        reason.contains(&format!(
            "HTTP 302 redirect of a POST from {}/ocsp to {}/ocsp refused",
            first.base(),
            other.base()
        )),
        "{reason}"
    );
    assert!(
        first
            .requests()
            .iter()
            .all(|(m, p)| m == "POST" || p != "/ocsp"),
        "{:?}",
        first.requests()
    );
    assert_eq!(other.connections(), 0, "{:?}", other.requests());
}

#[test]
fn a_same_origin_redirect_is_followed_for_get() {
    // The server learns its own port once bound, for an absolute same-origin Location.
    let own = Arc::new(std::sync::OnceLock::<String>::new());
    let s = {
        let own = own.clone();
        Server::start(move |_, path| match path {
            "/old.crl" => Answer::Redirect(301, "mid.crl".to_owned()),
            "/mid.crl" => Answer::Redirect(
                308,
                format!("{}/new.crl", own.get().cloned().unwrap_or_default()),
            ),
            "/new.crl" => Answer::Body(b"the CRL".to_vec()),
            // A loop: every hop within the origin, but without end.
            _ => Answer::Redirect(302, "/loop".to_owned()),
        })
    };
    own.set(s.base()).unwrap();
    check_same_origin(&s);
}

fn check_same_origin(s: &Server) {
    let f = fetcher(FetchConfig::default());
    assert_eq!(
        f.get(&format!("{}/old.crl", s.base()), 1 << 20).unwrap(),
        b"the CRL"
    );
    let url = format!("{}/loop", s.base());
    assert_eq!(
        f.get(&url, 1 << 20),
        Err(FetchError::TooManyRedirects {
            url,
            max: MAX_REDIRECTS
        })
    );
    let paths: Vec<String> = s.requests().into_iter().map(|(_, p)| p).collect();
    assert_eq!(paths[..3], ["/old.crl", "/mid.crl", "/new.crl"]);
    let loops = paths.iter().filter(|p| *p == "/loop").count();
    assert_eq!(loops, MAX_REDIRECTS + 1);
}

// ---- allow-list, schemes, offline ---------------------------------------------------

#[test]
fn the_allow_list_refuses_other_origins_without_connecting() {
    let listed = Server::start(|_, _| Answer::Body(b"ok".to_vec()));
    let unlisted = Server::start(|_, _| Answer::Body(b"internal".to_vec()));
    let allow: AllowedOrigin = format!("127.0.0.1:{}", listed.port()).parse().unwrap();
    let f = fetcher(FetchConfig::default().with_allow(vec![allow]));
    assert_eq!(
        f.get(&format!("{}/a.crl", listed.base()), 100).unwrap(),
        b"ok"
    );
    for url in [
        format!("{}/a.crl", unlisted.base()),
        format!("http://localhost:{}/a.crl", unlisted.port()),
    ] {
        let got = f.get(&url, 100);
        assert_eq!(got, Err(FetchError::NotAllowed { url: url.clone() }));
        assert!(got.unwrap_err().to_string().contains("--fetch-allow"));
        assert_eq!(
            f.post(&url, "application/ocsp-request", b"x", 100),
            Err(FetchError::NotAllowed { url })
        );
    }
    assert_eq!(unlisted.connections(), 0);
    assert_eq!(listed.connections(), 1);

    // Through the checker: the certificate's URLs are not contacted at all.
    let pki = pki_for(&unlisted.base());
    let checker = Checker::new().with_system_proxy(false).with_fetch_config(
        FetchConfig::default()
            .with_allow(vec![
                format!("127.0.0.1:{}", listed.port()).parse().unwrap(),
            ])
            .with_use_system_proxy(false),
    );
    let reason = unknown_reason(checker.status_at(
        &cert(&pki, "hpki-signer"),
        &cert(&pki, "hpki-sign-ca"),
        pki.now(),
    ));
    assert!(reason.contains("not in the fetch allow-list"), "{reason}");
    assert_eq!(unlisted.connections(), 0);
}

#[test]
fn only_http_and_https_urls_are_fetched() {
    let f = fetcher(FetchConfig::default());
    for url in [
        "ldap://ldap.example.invalid/cn=CA?certificateRevocationList",
        "file:///etc/passwd",
        "ftp://127.0.0.1/ca.crl",
        "gopher://127.0.0.1:70/",
    ] {
        let scheme = url.split(':').next().unwrap().to_owned();
        assert_eq!(
            f.get(url, 100),
            Err(FetchError::UnsupportedScheme { scheme }),
            "{url}"
        );
    }
}

#[test]
fn offline_contacts_nothing() {
    let s = Server::start(|_, _| Answer::Body(b"ok".to_vec()));
    let f = fetcher(FetchConfig::default().with_offline(true));
    assert_eq!(
        f.get(&format!("{}/a.crl", s.base()), 100),
        Err(FetchError::Offline)
    );
    assert_eq!(
        f.post(&format!("{}/ocsp", s.base()), "a/b", b"x", 100),
        Err(FetchError::Offline)
    );
    let pki = pki_for(&s.base());
    let checker = Checker::new().with_system_proxy(false).offline(true);
    let _ = checker.status_at(
        &cert(&pki, "hpki-signer"),
        &cert(&pki, "hpki-sign-ca"),
        pki.now(),
    );
    assert_eq!(s.connections(), 0);
}

// ---- size limit while streaming -----------------------------------------------------

#[test]
fn a_streamed_body_past_the_limit_stops_the_read_early() {
    const LIMIT: u64 = 1_000_000;
    const TOTAL: u64 = 256 * 1024 * 1024;
    for chunked in [true, false] {
        let s = Server::start(move |_, _| Answer::Stream {
            total: TOTAL,
            chunked,
        });
        let got = fetcher(FetchConfig::default()).get(&format!("{}/big.crl", s.base()), LIMIT);
        assert_eq!(
            got,
            Err(FetchError::TooLarge { limit: LIMIT }),
            "chunked {chunked}"
        );
        s.wait_served(Duration::from_secs(30));
        // The server could write the limit plus what the sockets buffer, far from all.
        let written = s.written();
        assert!(
            written < 64 * 1024 * 1024,
            "chunked {chunked}: the server wrote {written} octets"
        );
    }
}

#[test]
fn a_streamed_body_at_the_limit_is_read_into_a_buffer_no_larger() {
    // 1,000,000 octets sent in 64 KiB pieces with no length announced: the buffer
    // returned must not have grown past the limit (doubling would give 1 MiB).
    const LIMIT: u64 = 1_000_000;
    for chunked in [true, false] {
        let s = Server::start(move |_, _| Answer::Stream {
            total: 15 * 64 * 1024,
            chunked,
        });
        let body = fetcher(FetchConfig::default())
            .get(&format!("{}/at-limit.crl", s.base()), LIMIT)
            .unwrap();
        assert_eq!(body.len(), 15 * 64 * 1024);
        assert!(
            body.capacity() as u64 <= LIMIT + 1,
            "chunked {chunked}: capacity {} for a limit of {LIMIT}",
            body.capacity()
        );
    }
}
