//! The typed errors of this crate.

/// Why an XML document, a signature structure or a reference could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// The input is larger than [`crate::Limits::max_bytes`].
    #[error("the XML document has {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The input's size.
        size: usize,
        /// The limit that was given.
        limit: usize,
    },
    /// The document declares or is in an encoding other than UTF-8 (or US-ASCII).
    #[error("the XML document is encoded as {0}; only UTF-8 is read (convert it to UTF-8 first)")]
    UnsupportedEncoding(String),
    /// The bytes are not valid UTF-8.
    #[error("the XML document is not valid UTF-8 (byte {0})")]
    NotUtf8(usize),
    /// The document has a DOCTYPE (DTDs and entity declarations are refused: XXE, entity expansion).
    #[error("the XML document has a DOCTYPE declaration; DTDs and entities are refused")]
    Doctype,
    /// The document nests elements deeper than [`crate::Limits::max_depth`].
    #[error("the XML document nests elements deeper than {0}")]
    TooDeep(u32),
    /// The document has more nodes than [`crate::Limits::max_nodes`].
    #[error("the XML document has more than {0} nodes")]
    TooManyNodes(usize),
    /// The document is not well-formed XML.
    #[error("the XML document is not well-formed: {0}")]
    Malformed(String),
    /// Canonicalisation failed.
    #[error("canonicalisation failed: {0}")]
    Canonicalization(String),
    /// An algorithm URI this crate does not implement.
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// A required element is missing from a signature structure.
    #[error("the signature has no {0} element")]
    Missing(&'static str),
    /// An element of a signature structure is not what XMLDSig or XAdES allows.
    #[error("invalid {element}: {reason}")]
    Invalid {
        /// The element (or attribute) concerned.
        element: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A base64 value could not be decoded.
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    /// An ID value is carried by more than one element (signature-wrapping defence).
    #[error("the ID {0:?} appears more than once in the document; references to it are refused")]
    DuplicateId(String),
    /// A same-document reference names an ID no element carries.
    #[error("no element has the ID {0:?}")]
    UnknownId(String),
    /// A reference URI that is neither same-document nor resolvable by the caller.
    #[error("cannot resolve the reference URI {0:?} (give the file with --content)")]
    Unresolved(String),
    /// Writing the octets to the caller's writer failed.
    #[error("writing the reference octets failed: {0}")]
    Write(String),
}
