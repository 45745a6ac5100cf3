//! Connections of the HTTP front, driven on hyper directly so that hostile clients cannot
//! hold the server: a cap on open connections, header / idle / send deadlines on every
//! socket, a cap on requests per connection, and a shutdown that answers requests in
//! progress but does not wait for idle or half-sent ones.
//!
//! | phase of a connection | deadline | then |
//! |---|---|---|
//! | opened, or first octet of a further request, until its header is in | header timeout | closed |
//! | header in, until the handler has answered | none here (the handler bounds the body) | — |
//! | answered, waiting for the next request | idle timeout | closed |
//! | an answer the client does not take | body timeout | closed |
//!
//! The deadlines live in [`Deadlines`], a wrapper around the socket: a read that is still
//! pending at its phase's deadline fails with `TimedOut`, and hyper drops the connection.
//! The service tells the wrapper when a request starts and when it has been answered.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};

use super::http::HttpOptions;

/// Largest request header (request line and fields) accepted: 16 KiB. A time-stamp
/// request's header is about 200 octets.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most header fields accepted in one request.
const MAX_HEADER_FIELDS: usize = 32;
/// Pause after `accept` fails for lack of resources (descriptors, memory), so the loop
/// does not spin while connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// What a connection over the cap is told before it is closed.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\
Retry-After: 1\r\nConnection: close\r\n\r\n";

/// The limits taken from [`HttpOptions`], clamped to workable values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    header: Duration,
    body: Duration,
    idle: Duration,
    max_connections: u32,
    max_requests: u64,
}

impl From<&HttpOptions> for Limits {
    fn from(o: &HttpOptions) -> Self {
        let most = u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX);
        Self {
            header: o.header_timeout,
            body: o.body_timeout,
            idle: o.idle_timeout,
            max_connections: u32::try_from(o.max_connections)
                .unwrap_or(most)
                .clamp(1, most),
            max_requests: o.max_requests_per_connection.max(1),
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each until `shutdown`
/// completes; then stops accepting, closes idle and half-sent connections, answers the
/// requests in progress and returns when every connection is closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) if is_per_connection(&e) => continue,
            Err(_) => {
                // Out of descriptors or memory: wait for connections to close.
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            // Over the cap: say so if the socket takes it right away, and close.
            let _ = stream.try_write(OVER_CAPACITY);
            continue;
        };
        // Small request/response exchanges: do not wait for Nagle.
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            router.clone(),
            limits,
            slot,
            stopping.clone(),
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it is closed.
    let _ = slots.acquire_many(limits.max_connections).await;
    Ok(())
}

/// `accept` errors that concern one connection only (it was reset before it was taken).
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// Serves one connection; `slot` is released when it is closed.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    slot: OwnedSemaphorePermit,
    mut stopping: watch::Receiver<bool>,
) {
    let _slot = slot;
    let clock = Arc::new(Clock::new(Instant::now()));
    let io = TokioIo::new(Deadlines::new(stream, Arc::clone(&clock), limits));
    let service = Counted {
        router: TowerToHyperService::new(router),
        clock: Arc::clone(&clock),
        served: AtomicU64::new(0),
        max_requests: limits.max_requests,
    };
    let mut builder = http1::Builder::new();
    builder
        .max_headers(MAX_HEADER_FIELDS)
        .max_header_size(MAX_HEADER_BYTES);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    // Shutting down: no further request on this connection; one in progress is answered,
    // an idle or half-sent one is closed now.
    conn.as_mut().graceful_shutdown();
    clock.close();
    let _ = conn.await;
}

/// Where a connection stands, shared by its socket wrapper and its service.
#[derive(Debug)]
struct Clock {
    state: Mutex<State>,
    /// Answered and no read polled since: hyper does not read again on its own after
    /// writing an answer, so the idle deadline would not be armed; the socket wakes the
    /// connection once when the answer is flushed.
    rearm: AtomicBool,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// Shutting down: no more waiting for headers or further requests.
    closing: bool,
    /// The task of a pending read, woken when `closing` is set.
    reader: Option<Waker>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A header is awaited or arriving, since the instant given.
    Header(Instant),
    /// A request is being handled.
    Busy,
    /// Answered, waiting for a further request, since the instant given.
    Idle(Instant),
}

impl Clock {
    fn new(opened: Instant) -> Self {
        Self {
            state: Mutex::new(State {
                phase: Phase::Header(opened),
                closing: false,
                reader: None,
            }),
            rearm: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Octets arrived: on an idle connection, a further request has begun.
    fn received(&self, now: Instant) {
        let mut s = self.lock();
        if matches!(s.phase, Phase::Idle(_)) {
            s.phase = Phase::Header(now);
        }
    }

    fn busy(&self) {
        self.lock().phase = Phase::Busy;
    }

    fn answered(&self, now: Instant) {
        self.lock().phase = Phase::Idle(now);
        self.rearm.store(true, Ordering::Release);
    }

    /// Whether the connection must be woken to arm the idle deadline (once per answer).
    fn take_rearm(&self) -> bool {
        self.rearm.swap(false, Ordering::AcqRel)
    }

    /// Shutdown: a pending read for a header or a further request fails now.
    fn close(&self) {
        let reader = {
            let mut s = self.lock();
            s.closing = true;
            s.reader.take()
        };
        if let Some(w) = reader {
            w.wake();
        }
    }

    /// For a read that found nothing: when it must give up and why (`None`: no deadline).
    fn read_deadline(&self, limits: &Limits, waker: &Waker) -> Option<Deadline> {
        let mut s = self.lock();
        if matches!(s.phase, Phase::Idle(_)) {
            self.rearm.store(false, Ordering::Release);
        }
        match &s.reader {
            Some(w) if w.will_wake(waker) => {}
            _ => s.reader = Some(waker.clone()),
        }
        let (since, timeout, why) = match s.phase {
            Phase::Busy => return None,
            Phase::Header(since) => (since, limits.header, "request header not complete"),
            Phase::Idle(since) => (since, limits.idle, "idle connection"),
        };
        if s.closing {
            return Some(Deadline::Now("server shutting down"));
        }
        since
            .checked_add(timeout)
            .map(|at| Deadline::At(at, why, timeout))
    }
}

/// When a pending read gives up.
#[derive(Debug, Clone, Copy)]
enum Deadline {
    Now(&'static str),
    At(Instant, &'static str, Duration),
}

/// The service of one connection: counts requests, keeps the [`Clock`] informed and asks
/// for the connection to be closed after the last allowed request.
struct Counted {
    router: TowerToHyperService<Router>,
    clock: Arc<Clock>,
    served: AtomicU64,
    max_requests: u64,
}

impl hyper::service::Service<Request<Incoming>> for Counted {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.clock.busy();
        let served = self.served.fetch_add(1, Ordering::Relaxed) + 1;
        let last = served >= self.max_requests;
        let answer = hyper::service::Service::call(&self.router, request);
        let clock = Arc::clone(&self.clock);
        Box::pin(async move {
            let mut response = answer.await?;
            if last {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            clock.answered(Instant::now());
            Ok(response)
        })
    }
}

/// A socket whose reads and writes give up at the deadlines of the connection's phase.
struct Deadlines {
    tcp: TcpStream,
    clock: Arc<Clock>,
    limits: Limits,
    read_timer: Pin<Box<Sleep>>,
    write_timer: Pin<Box<Sleep>>,
    /// Since when writes have been pending (the client does not take the answer).
    write_stalled: Option<Instant>,
}

impl Deadlines {
    fn new(tcp: TcpStream, clock: Arc<Clock>, limits: Limits) -> Self {
        let far = Instant::now();
        Self {
            tcp,
            clock,
            limits,
            read_timer: Box::pin(tokio::time::sleep_until(far)),
            write_timer: Box::pin(tokio::time::sleep_until(far)),
            write_stalled: None,
        }
    }

    /// Polls `timer` for `at`: ready once the deadline has passed.
    fn expired(timer: &mut Pin<Box<Sleep>>, at: Instant, cx: &mut Context<'_>) -> bool {
        if timer.deadline() != at {
            timer.as_mut().reset(at);
        }
        timer.as_mut().poll(cx).is_ready()
    }

    fn timed_out(why: &str, after: Option<Duration>) -> io::Error {
        let msg = match after {
            Some(d) => format!("{why} within {} ms", d.as_millis()),
            None => why.to_owned(),
        };
        io::Error::new(io::ErrorKind::TimedOut, msg)
    }

    /// A write that made no progress: fails once the client has not taken the answer for
    /// the body timeout.
    fn write_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let since = *self.write_stalled.get_or_insert_with(Instant::now);
        match since.checked_add(self.limits.body) {
            Some(at) if Self::expired(&mut self.write_timer, at, cx) => Poll::Ready(
                Self::timed_out("answer not taken by the client", Some(self.limits.body)),
            ),
            _ => Poll::Pending,
        }
    }

    fn wrote<T>(
        &mut self,
        result: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        match result {
            Poll::Pending => self.write_pending(cx).map(Err),
            done => {
                self.write_stalled = None;
                if self.clock.take_rearm() {
                    cx.waker().wake_by_ref();
                }
                done
            }
        }
    }
}

impl AsyncRead for Deadlines {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.clock.received(Instant::now());
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.clock.read_deadline(&this.limits, cx.waker()) {
                None => Poll::Pending,
                Some(Deadline::Now(why)) => Poll::Ready(Err(Self::timed_out(why, None))),
                Some(Deadline::At(at, why, after)) => {
                    if Self::expired(&mut this.read_timer, at, cx) {
                        Poll::Ready(Err(Self::timed_out(why, Some(after))))
                    } else {
                        Poll::Pending
                    }
                }
            },
        }
    }
}

impl AsyncWrite for Deadlines {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.tcp).poll_write(cx, buf);
        this.wrote(r, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs);
        this.wrote(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.tcp).poll_flush(cx);
        this.wrote(r, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.tcp).poll_shutdown(cx);
        this.wrote(r, cx)
    }
}
