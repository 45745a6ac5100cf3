//! The error type of the test PKI generator.

use std::path::PathBuf;

use time::OffsetDateTime;

/// Everything that can go wrong while generating or writing the test PKI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No entity with this name exists in the test PKI.
    #[error("unknown test PKI entity `{0}`")]
    UnknownEntity(String),

    /// No CRL is issued by an entity with this name.
    #[error("no CRL issued by `{0}` in the test PKI")]
    UnknownCrl(String),

    /// A certificate or CRL time is outside what X.509 can express (before 1970 here).
    #[error("time {0} cannot be expressed in a certificate")]
    TimeOutOfRange(OffsetDateTime),

    /// ASN.1 DER encoding or decoding failed.
    #[error("ASN.1 DER error: {0}")]
    Der(#[from] der::Error),

    /// Encoding a public key as SubjectPublicKeyInfo failed.
    #[error("public key encoding failed: {0}")]
    Spki(#[from] spki::Error),

    /// Encoding a private key as PKCS#8 failed.
    #[error("private key encoding failed: {0}")]
    Pkcs8(#[from] pkcs8::Error),

    /// RSA key generation failed.
    #[error("RSA key generation failed: {0}")]
    Rsa(#[from] rsa::Error),

    /// Producing a signature failed.
    #[error("signing failed: {0}")]
    Signature(#[from] signature::Error),

    /// The requested digest cannot be used with the issuer's key (e.g. SHA-1 with ECDSA here).
    #[error("digest {digest} is not supported with a {key} issuer key")]
    UnsupportedDigest {
        /// The digest that was asked for.
        digest: &'static str,
        /// The issuer key type.
        key: &'static str,
    },

    /// The built-in entity table is inconsistent (an issuer is listed after its subject).
    #[error("internal test PKI table error: {0}")]
    Table(String),

    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}
