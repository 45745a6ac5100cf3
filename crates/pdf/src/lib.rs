//! # kenpo-pdf
//!
//! The PDF container for PAdES, with no cryptography: what is signed and hashed is always
//! a span of the input, and every output is an **incremental update** that keeps each
//! input byte in place.
//!
//! * Reading ([`Document`]): over bytes in memory or over any `Read + Seek`
//!   ([`SeekSource`]), so a 1 GiB file is read in windows, never whole. Header,
//!   `startxref`, cross-reference tables and streams (Flate with PNG predictors), hybrid
//!   files (`/XRefStm`), object streams, the `/Prev` chain with loop detection, the
//!   revisions (each `%%EOF`), trailer, catalog, first page, signature fields with their
//!   `/Kids`, signature dictionaries (with the exact file offsets of `/Contents`),
//!   `/Perms` and the DSS. Hostile input yields a [`PdfError`] within the caller's
//!   [`Budget`]; an encrypted file is [`PdfError::Encrypted`].
//! * Modification analysis ([`diff`]): what the updates after a revision changed, each
//!   change typed and classified ([`ChangeKind`]), and their [`ModificationLevel`].
//! * Writing: [`prepare_signature`] (a signature or document time-stamp field with a
//!   `/Contents` placeholder and its exact `/ByteRange`, see [`Prepared`]) and [`add_dss`].
//!
//! ```
//! # fn main() -> Result<(), kenpo_pdf::PdfError> {
//! let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
//! 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R>>endobj\n\
//! xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n\
//! trailer<</Size 4/Root 1 0 R>>\nstartxref\n142\n%%EOF\n";
//! let mut doc = kenpo_pdf::Document::open(&pdf[..], kenpo_pdf::Budget::default())?;
//! let opts = kenpo_pdf::SignatureOptions::new(kenpo_pdf::SubFilter::EtsiCadesDetached, 8192);
//! let mut prepared = kenpo_pdf::prepare_signature(&mut doc, &opts)?;
//! // hash pdf ‖ prepared.head() ‖ prepared.tail(), sign, then:
//! prepared.fill_contents(&[0x30, 0x00])?;
//! let out = prepared.to_vec(pdf);
//! assert!(out.starts_with(pdf));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod budget;
mod diff;
mod document;
mod error;
mod filter;
mod lexer;
mod object;
mod prepare;
mod signatures;
mod source;
mod writer;
mod xref;

pub use budget::Budget;
pub use diff::{AnnotationChange, Change, ChangeKind, Diff, ModificationLevel, OtherChange, diff};
pub use document::{Document, Revision};
pub use error::{PdfError, Result};
pub use object::{Dict, ObjRef, Object, PdfString, Stream, StreamData};
pub use prepare::{
    DssAdditions, Prepared, SignatureOptions, SubFilter, add_dss, prepare_signature,
};
pub use signatures::{Dss, FieldLock, LockAction, SigType, SignatureDict, SignatureField, text};
pub use source::{SeekSource, Source};
pub use xref::{XrefKind, XrefSection};

/// Whether `bytes` (the start of a file) is a PDF: `%PDF-` within the first 1024 bytes.
pub fn is_pdf(bytes: &[u8]) -> bool {
    memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some()
}
