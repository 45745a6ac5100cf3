//! # kenpo-tsa — RFC 3161 time-stamping
//!
//! The lowest layer of kenpo-sign: every signature gets a trusted time, and received files
//! get an intake time-stamp.
//!
//! * [`TimeStampRequest`], [`TimeStampResponse`], [`TstInfo`], [`StatusInfo`]: the RFC 3161
//!   structures;
//! * [`verify_token`]: verification of a TimeStampToken (signature, ESSCertID(v2), EKU,
//!   genTime within the TSA certificate, imprint, nonce, policy) with a hook for path
//!   validation ([`TsaCertValidator`]);
//! * [`AnchorChain`]: a simple anchor-based check of the TSA certificate for callers without
//!   kenpo-verify;
//! * [`client`]: blocking and async HTTP client with nonce, failover, limits and basic auth;
//! * [`server`]: a TSA (token issuance, persistent serials, audit log, axum HTTP front).
//!
//! Signed and hashed bytes are always spans of the original input: a token is embedded
//! and verified exactly as the TSA sent it.
#![forbid(unsafe_code)]

mod asn1;
mod chain;
pub mod client;
mod error;
mod request;
mod response;
pub mod server;
mod status;
mod token;
mod tstinfo;

pub use chain::AnchorChain;
pub use error::FormatError;
pub use request::TimeStampRequest;
pub use response::{TimeStampResponse, encode_response, is_response};
pub use status::{FailInfo, PkiStatus, StatusInfo};
pub use token::{
    CheckedToken, ParsedToken, TokenError, TsaCertValidator, VerifiedToken, VerifyOptions,
    check_token_view, verify_token, verify_token_view,
};
pub use tstinfo::{Accuracy, TstInfo};
