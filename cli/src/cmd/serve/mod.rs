//! `kenpo-sign serve [--listen 127.0.0.1:PORT] --trust PEM_OR_DIR... [--cert-store ...]
//! [--crl FILE]... [--offline] [--policy default|rule27-sign|rule27-archive|FILE] [--max-upload BYTES] [--token TOKEN]
//! [--lang ja|en]`: a local verification page and REST API (routes in [`api`]).
//!
//! One [`Verifier`] (trust anchors, parsed CRLs, fetched revocation data, verified
//! certificate links) serves every request; verifications run on tokio's blocking pool,
//! at most `--jobs` at once. Uploads are held in memory only and never logged. Connections
//! are limited as in `tsa serve` (header, body and idle timeouts, a connection cap).
//!
//! An address other than loopback is refused without a token (`--token` or
//! `KENPO_SERVE_TOKEN`); with a token every request needs `Authorization: Bearer TOKEN`.
//! The server speaks plain HTTP: beyond this machine, put it behind a TLS proxy.

pub mod api;
pub mod multipart;
pub mod page;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kenpo_tsa::server::http::{HttpOptions, serve_router};
use kenpo_verify::validate::{Verifier, VerifyOptions};
use tokio::sync::Semaphore;

use crate::cmd::sign::ProfileArg;
use crate::cmd::tsa_serve::shutdown_signal;
use crate::cmd::verify::RevocationArg;
use crate::exit::{self, CliError};
use crate::{LangArg, files};

/// Default `--listen`: loopback only, plain HTTP, port 8319 (for EN 319 102-1; the
/// examples run `testpki serve` on 8480 and a TSA on 3180).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8319";
/// Default `--max-upload`: 32 MiB for the whole form (signature and content).
pub const DEFAULT_MAX_UPLOAD: u64 = 32 << 20;
/// Environment variable holding the token when `--token` is not given.
pub const TOKEN_ENV: &str = "KENPO_SERVE_TOKEN";

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (plain HTTP; port 0: the OS picks one; the address is
    /// printed). An address other than loopback needs --token.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: String,
    /// Trust anchors (file or directory; repeatable).
    #[arg(long, required = true)]
    pub trust: Vec<PathBuf>,
    /// Intermediate certificates (file or directory; repeatable).
    #[arg(long)]
    pub cert_store: Vec<PathBuf>,
    /// CRLs (repeatable).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// OCSP responses (repeatable).
    #[arg(long)]
    pub ocsp_response: Vec<PathBuf>,
    /// Certificate profile the signer must satisfy.
    #[arg(long, value_enum, default_value_t = ProfileArg::Any)]
    pub profile: ProfileArg,
    /// Never fetch anything over the network.
    #[arg(long)]
    pub offline: bool,
    /// Keep fetched CRLs and OCSP responses in DIR between runs and use them while
    /// current (also with --offline).
    #[arg(long, value_name = "DIR", env = "KENPO_REVOCATION_CACHE")]
    pub revocation_cache: Option<PathBuf>,
    /// Fetch revocation data and issuer certificates only from HOST (its default port)
    /// or HOST:PORT (repeatable; default: wherever the certificates point).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub fetch_allow: Vec<kenpo_revocation::fetch::AllowedOrigin>,
    /// What missing revocation data means (default: the policy's mode, else hard).
    #[arg(long, value_enum)]
    pub revocation: Option<RevocationArg>,
    /// Validation policy of a request that names none (a request's `policy` field may name
    /// a built-in one: default, rule27-sign, rule27-archive). Built-ins as for verify, or a
    /// policy FILE (JSON or TOML, docs/POLICY.md).
    #[arg(long, default_value = "default")]
    pub policy: String,
    /// Largest request (the uploaded files and the form around them) in bytes; suffixes
    /// K, M, G. Larger uploads are refused with 413 while they arrive.
    #[arg(long, value_name = "BYTES", value_parser = crate::cmd::batch::parse_size,
          default_value_t = DEFAULT_MAX_UPLOAD)]
    pub max_upload: u64,
    /// Bearer token every request must carry (`Authorization: Bearer TOKEN`); required
    /// on an address other than loopback. Prefer the environment variable: a command
    /// line is visible to other users.
    #[arg(long, env = TOKEN_ENV, hide_env_values = true)]
    pub token: Option<String>,
    /// Language of the page when the browser asks for neither (default Japanese).
    #[arg(long, value_enum, default_value_t = LangArg::Ja)]
    pub lang: LangArg,
    /// Verifications run at once at most (default: the number of CPUs); more wait.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
    /// Seconds a client has to send a request's header.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body once the header is in (else 408),
    /// and to take the answer.
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,
    /// Seconds an idle keep-alive connection is kept open between requests.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// Open connections at most; more are answered 503 and closed at once.
    #[arg(long, value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// Size limit of the certificate, CRL and OCSP files read at startup.
    #[command(flatten)]
    pub limit: files::InputLimit,
}

/// The address to bind, refused when it is not loopback and there is no token.
fn listen_address(listen: &str, token: Option<&str>) -> Result<SocketAddr, CliError> {
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| CliError::Usage(format!("--listen {listen}: {e} (use HOST:PORT)")))?
        .collect();
    let first = *addrs
        .first()
        .ok_or_else(|| CliError::Usage(format!("--listen {listen}: no address")))?;
    let loopback = addrs.iter().all(|a| a.ip().is_loopback());
    if !loopback && token.is_none() {
        return Err(CliError::Usage(format!(
            "--listen {listen} is reachable from other machines: give a token with \
             {TOKEN_ENV}=TOKEN (or --token TOKEN) so that every request must carry \
             \"Authorization: Bearer TOKEN\", or listen on 127.0.0.1"
        )));
    }
    Ok(first)
}

/// Runs the command.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let policy = crate::cmd::verify::load_policy(&args.policy)?;
    let token = match args.token.as_deref() {
        Some(t) if t.trim().is_empty() => {
            return Err(CliError::Usage(format!(
                "the token (--token or {TOKEN_ENV}) is empty"
            )));
        }
        t => t,
    };
    let addr = listen_address(&args.listen, token)?;
    let limit = args.limit;
    let verifier = Verifier::new(
        VerifyOptions::default()
            .with_policy(policy.clone())
            .with_anchors(files::certificates_limited(&args.trust, limit)?)
            .with_cert_store(files::certificates_limited(&args.cert_store, limit)?)
            .with_crls(files::der_files_limited(&args.crl, limit)?)
            .with_ocsp_responses(files::der_files_limited(&args.ocsp_response, limit)?)
            .with_profile(args.profile.into())
            .with_offline(args.offline)
            .with_revocation_cache(args.revocation_cache.clone())
            .with_fetch_allow(args.fetch_allow.clone())
            .with_at(None)
            .with_revocation(crate::cmd::verify::revocation_mode(
                args.revocation,
                &policy,
            )),
    );
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        |n| usize::try_from(n).unwrap_or(usize::MAX),
    );
    let body_timeout = Duration::from_secs(args.body_timeout_secs);
    let service = Arc::new(api::Service {
        verifier: Arc::new(verifier),
        permits: Semaphore::new(jobs.min(Semaphore::MAX_PERMITS)),
        token: token.map(str::to_owned),
        max_upload: usize::try_from(args.max_upload).unwrap_or(usize::MAX),
        body_timeout,
        pages: page::Pages::new(match args.lang {
            LangArg::Ja => page::PageLang::Ja,
            LangArg::En => page::PageLang::En,
        }),
        policy,
    });
    let options = HttpOptions::default()
        .with_header_timeout(Duration::from_secs(args.header_timeout_secs))
        .with_body_timeout(body_timeout)
        .with_idle_timeout(Duration::from_secs(args.idle_timeout_secs))
        .with_max_connections(usize::try_from(args.max_connections).unwrap_or(usize::MAX));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::op("runtime", e))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| CliError::op(format!("cannot listen on {addr}"), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::op("listener", e))?;
        outln!(
            "kenpo-sign serve listening on http://{addr}/ ({} verifications at once, token {})",
            jobs,
            if token.is_some() {
                "required"
            } else {
                "not required"
            }
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        serve_router(listener, api::router(service), &options, shutdown_signal())
            .await
            .map_err(|e| CliError::op("server", e))
    })?;
    eprintln!("kenpo-sign serve stopped");
    Ok(exit::OK)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn other_than_loopback_needs_a_token() {
        assert!(listen_address("127.0.0.1:0", None).is_ok());
        assert!(listen_address("[::1]:0", None).is_ok());
        let e = listen_address("0.0.0.0:0", None).unwrap_err();
        assert!(matches!(e, CliError::Usage(_)));
        assert!(e.to_string().contains(TOKEN_ENV), "{e}");
        assert!(listen_address("0.0.0.0:0", Some("t")).is_ok());
        assert!(listen_address("no port", None).is_err());
    }
}
