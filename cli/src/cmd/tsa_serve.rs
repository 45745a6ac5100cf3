//! `kenpo-sign tsa serve --listen 127.0.0.1:PORT --cert PEM --key PEM [--chain PEM]...
//! [--policy OID] [--state DIR] [--accuracy-ms N] [--max-request-bytes N]
//! [--header-timeout-secs S] [--body-timeout-secs S] [--idle-timeout-secs S]
//! [--max-connections N] [--max-requests-per-connection N]`
//!
//! Connection limits (timeouts, connection cap, requests per connection) keep clients that
//! hold connections open without sending (slowloris) from blocking real requests; see
//! [`kenpo_tsa::server::http`]. Serves until SIGINT or SIGTERM, then finishes in-flight
//! requests and exits 0. Serial
//! numbers persist in `--state`; every token is logged as one JSON line in
//! `STATE/audit.jsonl`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use const_oid::ObjectIdentifier as Oid;
use kenpo_tsa::server::http::{self, HttpOptions, serve_with};
use kenpo_tsa::server::{Tsa, TsaConfig};

use crate::exit::{self, CliError};

/// `--policy` when none is given: the project's test TSA policy, under the enterprise arc
/// reserved for documentation (RFC 5612), as the demo and the tests use.
pub const DEFAULT_POLICY: &str = "1.3.6.1.4.1.32473.27.3.1";

/// `--state` when none is given, relative to the working directory.
pub const DEFAULT_STATE: &str = "kenpo-tsa-state";

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (port 0: the OS picks one; the address is printed).
    #[arg(long)]
    pub listen: String,
    /// TSA certificate (critical EKU timeStamping).
    #[arg(long)]
    pub cert: PathBuf,
    /// TSA private key (PKCS#8, PEM or DER).
    #[arg(long)]
    pub key: PathBuf,
    /// Chain certificates to include in tokens (repeatable).
    #[arg(long)]
    pub chain: Vec<PathBuf>,
    /// TSA policy OID of the tokens (when a request names none). Default: the project's
    /// test policy 1.3.6.1.4.1.32473.27.3.1 (documentation arc, RFC 5612) — a production
    /// TSA names its own.
    #[arg(long, value_name = "OID")]
    pub policy: Option<String>,
    /// Further policies accepted in reqPolicy (repeatable).
    #[arg(long)]
    pub accept_policy: Vec<String>,
    /// State directory: serial numbers and audit log (created; keep it across restarts).
    #[arg(long, default_value = DEFAULT_STATE)]
    pub state: PathBuf,
    /// Accuracy of genTime in milliseconds (default 1000).
    #[arg(long)]
    pub accuracy_ms: Option<u64>,
    /// Largest accepted request in bytes.
    #[arg(long, default_value_t = kenpo_tsa::server::http::DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_bytes: usize,
    /// Seconds a client has to send a request's header (from connecting, or from the
    /// first byte of a further request); slower connections are closed.
    #[arg(long, value_name = "SECS", default_value_t = http::DEFAULT_HEADER_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body once the header is in (else 408 and
    /// a badRequest rejection), and to take the answer.
    #[arg(long, value_name = "SECS", default_value_t = http::DEFAULT_BODY_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,
    /// Seconds an idle keep-alive connection is kept open between requests.
    #[arg(long, value_name = "SECS", default_value_t = http::DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// Open connections at most; more are answered 503 and closed at once. Keep it well
    /// below the process's file-descriptor limit (`ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = http::DEFAULT_MAX_CONNECTIONS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// Requests served on one connection before it is closed.
    #[arg(long, value_name = "N", default_value_t = http::DEFAULT_MAX_REQUESTS_PER_CONNECTION,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests_per_connection: u64,
}

fn oid(s: &str) -> Result<Oid, CliError> {
    Oid::new(s).map_err(|e| CliError::Usage(format!("policy {s}: {e}")))
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let policy = args.policy.as_deref().unwrap_or(DEFAULT_POLICY);
    if args.policy.is_none() {
        eprintln!(
            "kenpo-sign: warning: tokens carry the test policy {DEFAULT_POLICY}; give --policy \
             with your TSA's own policy OID in production"
        );
    }
    let mut config = TsaConfig::from_files(
        &args.cert,
        &args.key,
        &args.chain,
        oid(policy)?,
        kenpo_core::crypto::default_backend(),
    )
    .map_err(|e| CliError::op("TSA configuration", e))?;
    config.accepted_policies = args
        .accept_policy
        .iter()
        .map(|p| oid(p))
        .collect::<Result<_, _>>()?;
    if let Some(ms) = args.accuracy_ms {
        config = config.with_accuracy(Some(Duration::from_millis(ms)));
    }
    let tsa = Arc::new(Tsa::open(config, &args.state).map_err(|e| CliError::op("TSA", e))?);
    let options = HttpOptions::default()
        .with_max_request_bytes(args.max_request_bytes)
        .with_header_timeout(Duration::from_secs(args.header_timeout_secs))
        .with_body_timeout(Duration::from_secs(args.body_timeout_secs))
        .with_idle_timeout(Duration::from_secs(args.idle_timeout_secs))
        .with_max_connections(usize::try_from(args.max_connections).unwrap_or(usize::MAX))
        .with_max_requests_per_connection(args.max_requests_per_connection);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::op("runtime", e))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| CliError::op(format!("cannot listen on {}", args.listen), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::op("listener", e))?;
        outln!(
            "kenpo-sign TSA listening on http://{addr}/ (state {})",
            args.state.display()
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        serve_with(listener, tsa, options, shutdown_signal())
            .await
            .map_err(|e| CliError::op("TSA server", e))
    })?;
    eprintln!("kenpo-sign TSA stopped");
    Ok(exit::OK)
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
