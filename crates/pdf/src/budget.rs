//! The caller-given limits that bound time and memory on hostile input.

/// Limits the reader keeps while it reads one file. Every limit is checked before the
/// memory it guards is allocated; exceeding one is [`crate::PdfError::Budget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Budget {
    /// Most cross-reference entries kept (all sections together).
    pub max_objects: usize,
    /// Most cross-reference sections followed along `/Prev` and `/XRefStm`.
    pub max_xref_sections: usize,
    /// Deepest nesting of arrays and dictionaries, and of page-tree / field-tree walks.
    pub max_depth: usize,
    /// Largest decoded stream (bytes), and largest raw stream read into memory.
    pub max_stream_bytes: usize,
    /// Largest text of one object read from the file (bytes, stream data excluded).
    pub max_object_bytes: usize,
    /// Most fields visited in the AcroForm tree (and pages in the page tree).
    pub max_fields: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_objects: 2_000_000,
            max_xref_sections: 4096,
            max_depth: 64,
            max_stream_bytes: 64 << 20,
            max_object_bytes: 16 << 20,
            max_fields: 100_000,
        }
    }
}

impl Budget {
    /// The default budget (2 million objects, 64 MiB decoded per stream, depth 64).
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`Budget::max_objects`].
    pub fn with_max_objects(mut self, n: usize) -> Self {
        self.max_objects = n;
        self
    }
    /// Sets [`Budget::max_stream_bytes`].
    pub fn with_max_stream_bytes(mut self, n: usize) -> Self {
        self.max_stream_bytes = n;
        self
    }
    /// Sets [`Budget::max_depth`].
    pub fn with_max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }
}
