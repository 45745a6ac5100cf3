//! The one error type of the crate.

use thiserror::Error;

/// Why a PDF could not be read or updated. Every variant names its cause; a hostile file
/// yields one of these, never a panic.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PdfError {
    /// Reading the input (or writing the output) failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with a `%PDF-` header within its first kilobyte.
    #[error("not a PDF: no %PDF- header in the first 1024 bytes")]
    NotPdf,
    /// No `startxref` keyword with an offset near the end of the file.
    #[error("no startxref near the end of the file (truncated or not a PDF)")]
    NoStartXref,
    /// The syntax at an offset could not be read.
    #[error("PDF syntax error at byte {offset}: {what}")]
    Syntax {
        /// Absolute byte offset in the file.
        offset: u64,
        /// What was expected or found.
        what: &'static str,
    },
    /// A cross-reference section (table or stream) is malformed.
    #[error("bad cross-reference section at byte {offset}: {what}")]
    Xref {
        /// Absolute byte offset of the section.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// The `/Prev` chain of cross-reference sections loops.
    #[error("the /Prev chain of cross-reference sections loops back to byte {offset}")]
    XrefLoop {
        /// The offset met twice.
        offset: u64,
    },
    /// An indirect object is referenced but not found (or not where the xref says).
    #[error("object {num} {generation} R not found")]
    MissingObject {
        /// Object number.
        num: u32,
        /// Generation number.
        generation: u16,
    },
    /// A required entry is missing or has the wrong type.
    #[error("{what}")]
    Structure {
        /// What is wrong, in words.
        what: &'static str,
    },
    /// A stream uses a filter this reader does not decode.
    #[error("stream filter /{0} is not supported")]
    UnsupportedFilter(String),
    /// A compressed stream could not be decompressed.
    #[error("corrupt compressed stream at byte {offset}")]
    Decompress {
        /// Offset of the stream's data.
        offset: u64,
    },
    /// The file is encrypted (trailer `/Encrypt`).
    #[error(
        "the PDF is encrypted: encrypted PDF files are not supported; decrypt it first (e.g. qpdf --decrypt)"
    )]
    Encrypted,
    /// A caller-given budget was exceeded.
    #[error("PDF budget exceeded: {what} (limit {limit})")]
    Budget {
        /// Which budget.
        what: &'static str,
        /// Its limit.
        limit: u64,
    },
    /// The signature container does not fit the reserved `/Contents` placeholder.
    #[error("the signature ({need} bytes) does not fit the reserved /Contents ({capacity} bytes)")]
    ContentsTooSmall {
        /// Bytes of the signature container.
        need: usize,
        /// Bytes reserved.
        capacity: usize,
    },
}

impl PdfError {
    pub(crate) fn syntax(offset: u64, what: &'static str) -> Self {
        PdfError::Syntax { offset, what }
    }
    pub(crate) fn structure(what: &'static str) -> Self {
        PdfError::Structure { what }
    }
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, PdfError>;
