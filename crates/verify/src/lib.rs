//! # kenpo-verify — validation (public shape)
//!
//! This crate will validate CAdES signatures and certificates per ETSI EN 319 102-1:
//! RFC 5280 path validation, OCSP/CRL revocation, time-stamp validation at genTime,
//! EN 319 102-1 indications, and long-term extension (B-LT, B-LTA, renewal).
//!
//! **Status:** RFC 5280 path validation ([`path`]) and the cryptographic checks of CMS
//! signatures ([`signature`]) exist; EN 319 102-1 verdicts, reports and long-term
//! extension arrive with their issues.
#![forbid(unsafe_code)]

pub mod path;
pub mod signature;

/// Main indication of a validation (EN 319 102-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indication {
    /// The signature passed every check.
    TotalPassed,
    /// A check failed in a way no further information can fix.
    TotalFailed,
    /// The checks could not conclude.
    Indeterminate,
}

/// Sub-indications (EN 319 102-1 §5.1.3, table 5), named as the standard names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types, missing_docs)]
pub enum SubIndication {
    FORMAT_FAILURE,
    HASH_FAILURE,
    SIG_CRYPTO_FAILURE,
    REVOKED,
    SIG_CONSTRAINTS_FAILURE,
    CHAIN_CONSTRAINTS_FAILURE,
    CERTIFICATE_CHAIN_GENERAL_FAILURE,
    CRYPTO_CONSTRAINTS_FAILURE,
    EXPIRED,
    NOT_YET_VALID,
    POLICY_PROCESSING_ERROR,
    SIGNATURE_POLICY_NOT_AVAILABLE,
    TIMESTAMP_ORDER_FAILURE,
    NO_SIGNING_CERTIFICATE_FOUND,
    NO_CERTIFICATE_CHAIN_FOUND,
    REVOKED_NO_POE,
    REVOKED_CA_NO_POE,
    OUT_OF_BOUNDS_NO_POE,
    OUT_OF_BOUNDS_NOT_REVOKED,
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    NO_POE,
    TRY_LATER,
    SIGNED_DATA_NOT_FOUND,
}
