//! Error types of the RFC 3161 layer.

use kenpo_core::der_span::SpanError;

/// A structure that could not be read: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {field}: {detail}")]
pub struct FormatError {
    /// The ASN.1 field.
    pub field: &'static str,
    /// What is wrong.
    pub detail: String,
}

impl FormatError {
    /// A new error for `field`.
    pub fn new(field: &'static str, detail: impl std::fmt::Display) -> Self {
        Self {
            field,
            detail: detail.to_string(),
        }
    }
}

impl From<SpanError> for FormatError {
    fn from(e: SpanError) -> Self {
        Self::new("DER", e)
    }
}
