//! A minimal HTTP/1.1 server on std: one thread per connection (at most
//! [`MAX_CONNECTIONS`] at a time), one request per connection (`Connection: close`),
//! bodies only with `Content-Length` and at most [`MAX_BODY`] bytes, I/O timeouts.
//! Malformed requests get a 4xx answer; nothing a client sends can panic the server.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Largest request line plus headers accepted, in bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Connections served at the same time; more are answered 503 at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Write timeout of a connection, and the time a client has to send its whole request.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the accept loop sleeps when no connection is waiting.
const POLL: Duration = Duration::from_millis(5);

/// A request as read from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target without its query string.
    pub path: String,
    /// The body (empty without one).
    pub body: Vec<u8>,
}

/// What to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Content-Type of the body, if any.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// 200 with `body` of type `content_type`.
    pub fn ok(content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type: Some(content_type),
            body,
        }
    }

    /// A bodiless answer with `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
        }
    }
}

/// Answers requests.
pub(super) type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// The running accept loop.
pub(super) struct Server {
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Stops accepting, waits for the connections being served, joins the threads.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves `listener` with `handler` on a new thread until [`Server::stop`].
pub(super) fn spawn(listener: TcpListener, handler: Handler) -> io::Result<Server> {
    listener.set_nonblocking(true)?;
    let stop = Arc::new(AtomicBool::new(false));
    let accept = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("testpki-service".into())
            .spawn(move || accept_loop(&listener, &handler, &stop))?
    };
    Ok(Server {
        stop,
        accept: Some(accept),
    })
}

fn accept_loop(listener: &TcpListener, handler: &Handler, stop: &AtomicBool) {
    let active = Arc::new(AtomicUsize::new(0));
    let conns: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
    while !stop.load(Ordering::SeqCst) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                std::thread::sleep(POLL);
                continue;
            }
        };
        let mut list = conns.lock().unwrap_or_else(PoisonError::into_inner);
        list.retain(|h| !h.is_finished());
        if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            refuse(&stream);
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (handler, counter) = (Arc::clone(handler), Arc::clone(&active));
        let refused = stream.try_clone().ok();
        let spawned = std::thread::Builder::new()
            .name("testpki-conn".into())
            .spawn(move || {
                serve(stream, &handler);
                counter.fetch_sub(1, Ordering::SeqCst);
            });
        match spawned {
            Ok(h) => list.push(h),
            Err(_) => {
                active.fetch_sub(1, Ordering::SeqCst);
                if let Some(s) = refused {
                    refuse(&s);
                }
            }
        }
    }
    let list = std::mem::take(&mut *conns.lock().unwrap_or_else(PoisonError::into_inner));
    for h in list {
        let _ = h.join();
    }
}

/// Answers 503 without reading the request.
fn refuse(stream: &TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    if write_response(stream, &Response::status(503)).is_ok() {
        drain(stream);
    }
}

fn serve(stream: TcpStream, handler: &Handler) {
    if stream.set_nonblocking(false).is_err() || stream.set_write_timeout(Some(IO_TIMEOUT)).is_err()
    {
        return;
    }
    let response = match read_request(&stream) {
        Ok(request) => handler(&request),
        Err(HttpError::Io) => return,
        Err(e) => Response::status(e.status()),
    };
    if write_response(&stream, &response).is_ok() {
        drain(&stream);
    }
}

/// After answering, reads (and drops) what the client may still send for a moment, so that
/// closing with unread data does not reset the connection before the answer arrives.
fn drain(mut stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 4096];
    let mut total = 0usize;
    while total < 4 * MAX_BODY {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

/// Why a request could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpError {
    /// The connection failed or closed early: nobody to answer.
    Io,
    /// Not HTTP/1.x, or a malformed line or header.
    BadRequest,
    /// A body without Content-Length.
    LengthRequired,
    /// A body larger than [`MAX_BODY`].
    BodyTooLarge,
    /// Request line and headers larger than [`MAX_HEAD`].
    HeadTooLarge,
    /// Transfer-Encoding (chunked bodies are not supported).
    NotImplemented,
}

impl HttpError {
    fn status(self) -> u16 {
        match self {
            Self::Io | Self::BadRequest => 400,
            Self::LengthRequired => 411,
            Self::BodyTooLarge => 413,
            Self::HeadTooLarge => 431,
            Self::NotImplemented => 501,
        }
    }
}

/// Reads from a stream until a deadline (a slow client cannot hold a thread for longer).
struct DeadlineReader<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl Read for DeadlineReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut s = self.stream;
        s.read(buf)
    }
}

/// One line (without CRLF), charged to `budget`.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<String, HttpError> {
    let mut buf = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX).saturating_add(1);
    let n = reader
        .take(limit)
        .read_until(b'\n', &mut buf)
        .map_err(|_| HttpError::Io)?;
    if n == 0 {
        return Err(HttpError::Io);
    }
    if n > *budget {
        return Err(HttpError::HeadTooLarge);
    }
    *budget -= n;
    if buf.pop() != Some(b'\n') {
        return Err(HttpError::Io);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map_err(|_| HttpError::BadRequest)
}

fn read_request(stream: &TcpStream) -> Result<Request, HttpError> {
    let mut reader = BufReader::new(DeadlineReader {
        stream,
        deadline: Instant::now() + IO_TIMEOUT,
    });
    let mut budget = MAX_HEAD;
    let line = read_line(&mut reader, &mut budget)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::BadRequest);
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(HttpError::BadRequest);
    }
    let mut length: Option<usize> = None;
    let mut expect_continue = false;
    loop {
        let header = read_line(&mut reader, &mut budget)?;
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').ok_or(HttpError::BadRequest)?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let n: usize = value.parse().map_err(|_| HttpError::BadRequest)?;
                if length.is_some_and(|l| l != n) {
                    return Err(HttpError::BadRequest);
                }
                length = Some(n);
            }
            "transfer-encoding" => return Err(HttpError::NotImplemented),
            "expect" => expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    let length = match (length, method) {
        (Some(n), _) => n,
        (None, "POST" | "PUT") => return Err(HttpError::LengthRequired),
        (None, _) => 0,
    };
    if length > MAX_BODY {
        return Err(HttpError::BodyTooLarge);
    }
    if expect_continue && length > 0 {
        let mut w = stream;
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| HttpError::Io)?;
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(|_| HttpError::Io)?;
    let path = target.split('?').next().unwrap_or(target).to_owned();
    Ok(Request {
        method: method.to_owned(),
        path,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

fn write_response(mut stream: &TcpStream, response: &Response) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n",
        response.status,
        reason(response.status),
        response.body.len()
    );
    if let Some(ct) = response.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("Cache-Control: no-store\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}
