//! CMS `SignedData` (RFC 5652): a span-preserving [`view`] for reading and a [`build`]er
//! for writing.

pub mod augment;
pub mod build;
pub mod values;
pub mod view;

pub use augment::{AugmentError, Augmentation, augment};
pub use build::{SignerInfoBuilder, attribute, signed_data};
pub use values::AttributeValues;
pub use view::{AttributeView, Attributes, SignedDataView, SignerId, SignerInfoView};

use crate::der_span::SpanError;

/// Errors reading or writing CMS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    /// Low-level DER structure problem.
    #[error("DER structure: {0}")]
    Der(#[from] SpanError),
    /// A field could not be decoded.
    #[error("malformed {field}: {detail}")]
    Malformed {
        /// Which field.
        field: &'static str,
        /// Decoder message.
        detail: String,
    },
    /// The ContentInfo is not SignedData.
    #[error("content type {0} is not signedData")]
    NotSignedData(String),
    /// A signed attribute that must occur once occurs several times, or with several values.
    #[error("attribute {0} must occur exactly once with one value")]
    DuplicateAttribute(String),
    /// Building failed.
    #[error("cannot build CMS: {0}")]
    Build(String),
    /// Signing failed.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// An augmentation ([`augment()`]) was refused.
    #[error(transparent)]
    Augment(#[from] AugmentError),
}

pub(crate) fn malformed(field: &'static str, e: impl std::fmt::Display) -> CmsError {
    CmsError::Malformed {
        field,
        detail: e.to_string(),
    }
}
