//! Where the file's bytes come from: a slice in memory, or anything `Read + Seek` read in
//! windows so that a large file is never loaded whole.

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom};

use crate::error::Result;

/// Random access to the bytes of one file.
pub trait Source {
    /// The file's length in bytes.
    fn len(&self) -> u64;
    /// Whether the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Up to `n` bytes from `offset` (fewer only at the end of the file).
    fn read_at(&mut self, offset: u64, n: usize) -> Result<Cow<'_, [u8]>>;
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&mut self, offset: u64, n: usize) -> Result<Cow<'_, [u8]>> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(<[u8]>::len(self));
        let end = start.saturating_add(n).min(<[u8]>::len(self));
        Ok(Cow::Borrowed(&self[start..end]))
    }
}

/// A [`Source`] over `Read + Seek` (a file): reads only the windows asked for.
#[derive(Debug)]
pub struct SeekSource<R> {
    inner: R,
    len: u64,
}

impl<R: Read + Seek> SeekSource<R> {
    /// Wraps `inner`, measuring its length.
    pub fn new(mut inner: R) -> Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(SeekSource { inner, len })
    }
    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read + Seek> Source for SeekSource<R> {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&mut self, offset: u64, n: usize) -> Result<Cow<'_, [u8]>> {
        if offset >= self.len {
            return Ok(Cow::Owned(Vec::new()));
        }
        let n = usize::try_from((self.len - offset).min(n as u64)).unwrap_or(n);
        self.inner.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0u8; n];
        self.inner.read_exact(&mut buf)?;
        Ok(Cow::Owned(buf))
    }
}
