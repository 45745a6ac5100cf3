//! Client errors: one typed cause per failed attempt, and the configuration errors.

use crate::error::FormatError;
use crate::status::{FailInfo, PkiStatus, StatusInfo};
use crate::token::TokenError;

/// Why one TSA URL did not yield a valid time-stamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    /// The TCP connection or the TLS handshake failed (refused, DNS, certificate…).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The connect timeout or the whole-request timeout expired.
    #[error("timed out")]
    Timeout,
    /// The connection broke or the HTTP exchange was invalid after connecting.
    #[error("HTTP transport error: {0}")]
    Transport(String),
    /// The TSA answered with a non-success HTTP status (redirects are not followed).
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The Content-Type is not `application/timestamp-reply` (the value received; empty
    /// when absent).
    #[error("wrong content type {0:?}, expected application/timestamp-reply")]
    WrongContentType(String),
    /// The response body exceeds the configured limit; it was not read further.
    #[error("response larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not a DER TimeStampResp.
    #[error("malformed TimeStampResp: {0}")]
    Malformed(FormatError),
    /// The TSA did not grant the request: PKIStatus rejection (with failInfo), waiting,
    /// revocationWarning/Notification or an unknown status.
    #[error("TSA refused the request: {status}")]
    Rejected {
        /// The PKIStatusInfo received (status, statusString, failInfo).
        status: StatusInfo,
    },
    /// The status is granted but the response carries no token.
    #[error("status granted but the response carries no token")]
    NoToken,
    /// The token does not verify: imprint for other data, nonce mismatch, bad signature,
    /// wrong policy, untrusted TSA certificate…
    #[error("invalid time-stamp token: {0}")]
    Token(TokenError),
}

impl AttemptError {
    /// The failInfo bits of a refusal (empty for other errors).
    pub fn fail_info(&self) -> &[FailInfo] {
        match self {
            Self::Rejected { status } => &status.fail_info,
            _ => &[],
        }
    }

    /// The PKIStatus of a refusal (`Err(code)` for an unknown status value).
    pub fn pki_status(&self) -> Option<Result<PkiStatus, u64>> {
        match self {
            Self::Rejected { status } => Some(status.status),
            _ => None,
        }
    }

    /// The token error, if the token was received but not accepted.
    pub fn token_error(&self) -> Option<&TokenError> {
        match self {
            Self::Token(e) => Some(e),
            _ => None,
        }
    }

    /// True when no HTTP answer was obtained: connection failure, timeout, broken
    /// transport.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Timeout | Self::Transport(_))
    }
}

/// One URL tried and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {error}")]
pub struct Attempt {
    /// The URL (any password in it replaced by `***`).
    pub url: String,
    /// The cause.
    pub error: AttemptError,
}

/// Why no time-stamp was obtained.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The configuration lists no URL.
    #[error("no TSA URL configured")]
    NoUrls,
    /// SHA-1 was asked for (configured digest or given imprint).
    #[error("SHA-1 is refused for new time-stamps; use SHA-256, SHA-384 or SHA-512")]
    Sha1Refused,
    /// A URL cannot be parsed or is not `http`/`https`.
    #[error("bad TSA URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given (password replaced when parsable).
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP client or its runtime could not be set up (e.g. an unusable TLS root).
    #[error("HTTP client setup failed: {0}")]
    Setup(String),
    /// The data to be time-stamped could not be read.
    #[error("cannot read the data to time-stamp: {0}")]
    Io(#[from] std::io::Error),
    /// Every URL was tried and failed; the attempts are in the order tried.
    #[error("{}", describe_attempts(attempts))]
    AllFailed {
        /// One entry per URL.
        attempts: Vec<Attempt>,
    },
}

fn describe_attempts(attempts: &[Attempt]) -> String {
    match attempts {
        [one] => format!("time-stamping failed at {one}"),
        _ => {
            let list: Vec<String> = attempts.iter().map(ToString::to_string).collect();
            format!(
                "time-stamping failed at all {} TSAs: {}",
                attempts.len(),
                list.join("; ")
            )
        }
    }
}

impl ClientError {
    /// The failed attempts (empty for configuration and read errors).
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            Self::AllFailed { attempts } => attempts,
            _ => &[],
        }
    }

    /// True when every URL failed without an HTTP answer (connect, timeout, transport):
    /// "TSA unreachable".
    pub fn is_unreachable(&self) -> bool {
        let a = self.attempts();
        !a.is_empty() && a.iter().all(|a| a.error.is_unreachable())
    }

    /// True for errors in the configuration or the request (URLs, SHA-1, client setup),
    /// found before any network traffic.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Self::NoUrls | Self::Sha1Refused | Self::BadUrl { .. } | Self::Setup(_)
        )
    }

    /// The failInfo bits of every refusal among the attempts.
    pub fn fail_info(&self) -> Vec<FailInfo> {
        let mut v: Vec<FailInfo> = Vec::new();
        for f in self.attempts().iter().flat_map(|a| a.error.fail_info()) {
            if !v.contains(f) {
                v.push(*f);
            }
        }
        v
    }
}
