//! Test support for the client tests: a tiny threaded HTTP/1.1 server on 127.0.0.1 and a
//! TSA made of `openssl ts -reply` behind it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A received request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Request target.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Request {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a handler may use: the connection and the server's stop flag.
pub struct Conn<'a> {
    /// The client connection.
    pub stream: &'a mut TcpStream,
    stop: &'a AtomicBool,
}

impl Conn<'_> {
    /// Whether the server is being stopped.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Blocks until the server is stopped (a TSA that never answers).
    pub fn hang(&self) {
        while !self.stopped() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes a complete response with Content-Length.
    pub fn respond(&mut self, status: u16, content_type: Option<&str>, body: &[u8]) {
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        let _ = self.stream.write_all(head.as_bytes());
        let _ = self.stream.write_all(body);
        let _ = self.stream.flush();
    }

    /// Writes raw bytes; false once the peer has gone.
    pub fn write_raw(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }
}

type Handler = dyn Fn(&Request, &mut Conn<'_>) + Send + Sync;

/// A server on 127.0.0.1:0, stopped (and all its threads joined) on drop.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// Requests seen so far.
    pub requests: Arc<AtomicUsize>,
}

impl Server {
    /// Starts a server; `handler` runs on its own thread for each request.
    pub fn start(handler: impl Fn(&Request, &mut Conn<'_>) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let requests = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept = {
            let (stop, conns, requests) = (stop.clone(), conns.clone(), requests.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let (stop, handler, requests) =
                        (stop.clone(), handler.clone(), requests.clone());
                    let h = std::thread::spawn(move || {
                        // Bounded blocking: a peer that stops reading (e.g. an async test
                        // whose runtime is blocked in this server's drop) cannot hang us.
                        stream
                            .set_read_timeout(Some(Duration::from_secs(5)))
                            .unwrap();
                        stream
                            .set_write_timeout(Some(Duration::from_secs(1)))
                            .unwrap();
                        if let Some(req) = read_request(&mut stream) {
                            requests.fetch_add(1, Ordering::SeqCst);
                            handler(
                                &req,
                                &mut Conn {
                                    stream: &mut stream,
                                    stop: &stop,
                                },
                            );
                        }
                    });
                    conns.lock().unwrap().push(h);
                }
            })
        };
        Self {
            addr,
            stop,
            accept: Some(accept),
            conns,
            requests,
        }
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Number of requests handled.
    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        for h in self.conns.lock().unwrap().drain(..) {
            let _ = h.join();
        }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    read_request_from(&mut BufReader::new(stream.try_clone().ok()?))
}

fn read_request_from(r: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/")
}

/// Policies of the openssl TSA.
pub const DEFAULT_POLICY: &str = "1.2.3.4.1";
/// Another policy it accepts.
pub const OTHER_POLICY: &str = "1.2.3.4.5";

/// A TSA made of `openssl ts -reply` behind [`Server`].
pub struct OpensslTsa {
    /// The HTTP front.
    pub server: Server,
    /// Its working directory (config, serial, keys).
    pub dir: tempfile::TempDir,
    core: Arc<TsaCore>,
}

/// `openssl ts -reply` in a directory, one at a time (the serial file).
struct TsaCore {
    dir: PathBuf,
    lock: Mutex<u64>,
}

impl TsaCore {
    /// The DER TimeStampResp for a DER TimeStampReq, or openssl's output on failure.
    fn reply(&self, tsq: &[u8]) -> Result<Vec<u8>, String> {
        let mut n = self.lock.lock().unwrap();
        *n += 1;
        let (q, r) = (format!("req{n}.tsq"), format!("resp{n}.tsr"));
        std::fs::write(self.dir.join(&q), tsq).unwrap();
        let (ok, out) = crate::common::openssl(
            &self.dir,
            &[
                "ts",
                "-reply",
                "-config",
                "tsa.cnf",
                "-queryfile",
                &q,
                "-out",
                &r,
            ],
        );
        if ok {
            Ok(std::fs::read(self.dir.join(&r)).unwrap())
        } else {
            Err(out)
        }
    }
}

impl OpensslTsa {
    /// Starts the TSA with the test PKI's `tsa` certificate and key.
    pub fn start(pki: &crate::common::Pki) -> Self {
        Self::start_with_auth(pki, None)
    }

    /// Same, answering 401 unless the request carries exactly this Authorization value.
    pub fn start_with_auth(pki: &crate::common::Pki, authorization: Option<&str>) -> Self {
        let authorization = authorization.map(str::to_owned);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::copy(pki.path("tsa.pem"), d.join("tsa.pem")).unwrap();
        std::fs::copy(pki.path("tsa.key.pem"), d.join("tsa.key.pem")).unwrap();
        std::fs::copy(pki.path("tsa-ca.pem"), d.join("tsa-ca.pem")).unwrap();
        std::fs::write(d.join("serial"), "01\n").unwrap();
        let cnf = format!(
            "[tsa]\ndefault_tsa = tsa_config1\n\n[tsa_config1]\ndir = {dir}\nserial = $dir/serial\n\
             crypto_device = builtin\nsigner_cert = $dir/tsa.pem\ncerts = $dir/tsa-ca.pem\n\
             signer_key = $dir/tsa.key.pem\nsigner_digest = sha256\ndefault_policy = {DEFAULT_POLICY}\n\
             other_policies = {OTHER_POLICY}\ndigests = sha256, sha384, sha512\naccuracy = secs:1\n\
             ordering = no\ntsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            dir = d.display()
        );
        std::fs::write(d.join("tsa.cnf"), cnf).unwrap();
        let core = Arc::new(TsaCore {
            dir: d.to_path_buf(),
            lock: Mutex::new(0),
        });
        let server = {
            let core = core.clone();
            Server::start(move |req, conn| {
                if authorization.is_some()
                    && req.header("authorization") != authorization.as_deref()
                {
                    let body = b"authentication required";
                    let head = format!(
                        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"tsa\"\r\n\
                         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    conn.write_raw(head.as_bytes());
                    conn.write_raw(body);
                    return;
                }
                if req.method != "POST"
                    || req.header("content-type") != Some("application/timestamp-query")
                {
                    conn.respond(400, Some("text/plain"), b"bad request");
                    return;
                }
                match core.reply(&req.body) {
                    Ok(body) => conn.respond(200, Some("application/timestamp-reply"), &body),
                    Err(out) => conn.respond(500, Some("text/plain"), out.as_bytes()),
                }
            })
        };
        Self { server, dir, core }
    }

    /// The URL.
    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// An HTTPS front: `openssl s_server` terminates TLS (a server certificate for 127.0.0.1
/// under a throw-away CA) and relays the plaintext to a thread that answers with the
/// openssl TSA. Connections are served one after the other. Killed on drop.
pub struct TlsFront {
    child: Child,
    relay: Option<JoinHandle<()>>,
    /// `https://127.0.0.1:PORT/`.
    pub url: String,
    /// The CA certificate (DER) that issued the server certificate.
    pub ca_der: Vec<u8>,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    /// Starts the front for `tsa`.
    pub fn start(tsa: &OpensslTsa) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let run = |args: &[&str]| {
            let (ok, out) = crate::common::openssl(d, args);
            assert!(ok, "openssl {args:?}: {out}");
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        run(&[
            &["req", "-x509"],
            &ec[..],
            &[
                "-subj",
                "/CN=Test TLS CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat());
        run(&[
            &["req"],
            &ec[..],
            &[
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
            ],
        ]
        .concat());
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "leaf.pem",
        ]);
        run(&["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]);
        let ca_der = std::fs::read(d.join("ca.der")).unwrap();

        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut child = Command::new("openssl")
            .args([
                "s_server", "-quiet", "-cert", "leaf.pem", "-key", "leaf.key", "-accept",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(d)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it listens (the probe connection is refused by s_server's handshake,
        // which then accepts the next one).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "openssl s_server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let (mut to_tls, from_tls) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let core = tsa.core.clone();
        let relay = std::thread::spawn(move || {
            let mut from_tls = BufReader::new(from_tls);
            while let Some(req) = read_request_from(&mut from_tls) {
                let (status, ct, body) = match core.reply(&req.body) {
                    Ok(b) => ("200 OK", "application/timestamp-reply", b),
                    Err(e) => ("500 Error", "text/plain", e.into_bytes()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                if to_tls
                    .write_all(head.as_bytes())
                    .and_then(|()| to_tls.write_all(&body))
                    .and_then(|()| to_tls.flush())
                    .is_err()
                {
                    return;
                }
            }
        });
        Self {
            child,
            relay: Some(relay),
            url: format!("https://127.0.0.1:{port}/"),
            ca_der,
            _dir: dir,
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(h) = self.relay.take() {
            let _ = h.join();
        }
    }
}
