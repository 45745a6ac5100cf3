//! Copying a document into a staged output while hashing it, in one pass over the input:
//! what is hashed (and then signed) is exactly what is written.
//!
//! The calling thread reads [`BLOCK`]-sized blocks and hashes them while a second
//! (scoped) thread writes the previous ones, so writing costs little more than hashing.
//! On Linux the writes bypass the page cache (`O_DIRECT`, through a second handle on the
//! same temporary file) when the file system takes it: on the machines measured, putting
//! a GiB through the page cache cost the kernel more than hashing it, and a later `fsync`
//! then waited for all of it at once. Where `O_DIRECT` is refused (at open, or with
//! `EINVAL` on a write: an alignment the device does not take) the copy goes on with
//! ordinary writes. Either way the caller syncs the file before it is renamed.
//!
//! Memory: [`BUFFERS`] blocks, whatever the input's size.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::mpsc;

use super::digest::DocumentHasher;

/// Bytes read, hashed and written at a time.
pub(crate) const BLOCK: usize = 4 << 20;
/// Blocks in flight: one being read and hashed, one queued, one being written.
const BUFFERS: usize = 3;
/// Alignment of direct writes (buffer address, file offset, length).
const ALIGN: usize = 4096;

/// Why a copy stopped.
#[derive(Debug)]
pub(crate) enum CopyError {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
}

/// A block buffer whose data starts at an [`ALIGN`]ed address.
struct Block {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    fn new() -> Self {
        let buf = vec![0u8; BLOCK + ALIGN];
        let start = (ALIGN - buf.as_ptr().addr() % ALIGN) % ALIGN;
        Block { buf, start, len: 0 }
    }

    fn data(&self) -> &[u8] {
        self.buf
            .get(self.start..self.start + self.len)
            .unwrap_or_default()
    }

    /// Fills the block from `r` (short only at the end of the input): every block but
    /// the last is whole, so direct writes stay aligned.
    fn fill(&mut self, r: &mut impl Read) -> io::Result<usize> {
        let space = self
            .buf
            .get_mut(self.start..self.start + BLOCK)
            .unwrap_or_default();
        let mut n = 0;
        while n < space.len() {
            match r.read(space.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.len = n;
        Ok(n)
    }
}

/// Where the blocks go: `out` (an ordinary handle, at its current position, which must be
/// the start of the file when `direct` is given) and, if given, `direct`, a handle on the
/// same file opened for direct writes.
struct Sink<'a> {
    out: &'a mut File,
    direct: Option<File>,
    pos: u64,
}

impl Sink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if let Some(d) = &self.direct {
            match write_direct(d, self.out, data, self.pos) {
                Ok(()) => {
                    self.pos += data.len() as u64;
                    return Ok(());
                }
                // The device wants another alignment: ordinary writes from here on.
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                    self.direct = None;
                    self.out.seek(SeekFrom::Start(self.pos))?;
                }
                Err(e) => return Err(e),
            }
        }
        self.out.write_all(data)?;
        self.pos += data.len() as u64;
        Ok(())
    }

    /// Leaves `out` positioned after everything written.
    fn finish(self) -> io::Result<u64> {
        if self.direct.is_some() {
            self.out.seek(SeekFrom::Start(self.pos))?;
        }
        Ok(self.pos)
    }
}

/// Writes `data` at `pos`: its whole [`ALIGN`]ed part through `direct`, a partial last
/// piece (the input's end) through `out`.
#[cfg(unix)]
fn write_direct(direct: &File, out: &File, data: &[u8], pos: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let whole = data.len() / ALIGN * ALIGN;
    let (aligned, rest) = data.split_at(whole);
    if !aligned.is_empty() {
        direct.write_all_at(aligned, pos)?;
    }
    if !rest.is_empty() {
        out.write_all_at(rest, pos + whole as u64)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn write_direct(_: &File, _: &File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::InvalidInput.into())
}

/// A handle on the file at `path` for direct writes, if the platform and its file
/// system offer them and `path` still names `same` (the staged file).
#[cfg(target_os = "linux")]
pub(crate) fn open_direct(path: &std::path::Path, same: &File) -> Option<File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let f = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()?;
    let (a, b) = (f.metadata().ok()?, same.metadata().ok()?);
    ((a.dev(), a.ino()) == (b.dev(), b.ino())).then_some(f)
}

/// Direct writes are only used on Linux.
#[cfg(not(target_os = "linux"))]
pub(crate) fn open_direct(_: &std::path::Path, _: &File) -> Option<File> {
    None
}

/// Copies `input` to its end into `out` (from the start of the file if `direct`, a direct
/// handle from [`open_direct`], is given), feeding every byte to `hasher` on the way;
/// returns the number of bytes copied, with `out` positioned after them.
pub(crate) fn copy_hashing(
    mut input: impl Read,
    out: &mut File,
    direct: Option<File>,
    hasher: &mut DocumentHasher,
) -> Result<u64, CopyError> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Block>(BUFFERS);
    let (free_tx, free_rx) = mpsc::sync_channel::<Block>(BUFFERS);
    for _ in 0..BUFFERS {
        // Cannot fail: the receiver is alive and the channel has room for all of them.
        let _ = free_tx.send(Block::new());
    }
    let mut sink = Sink {
        out,
        direct,
        pos: 0,
    };
    std::thread::scope(|s| {
        let writer = s.spawn(move || -> io::Result<Sink<'_>> {
            for block in full_rx {
                sink.write(block.data())?;
                // The reader may be gone already (it stopped on an error).
                let _ = free_tx.send(block);
            }
            Ok(sink)
        });
        let mut read = Ok(());
        // A failed writer drops its channels: then the loop ends and the join says why.
        while let Ok(mut block) = free_rx.recv() {
            match block.fill(&mut input) {
                Ok(0) => break,
                Ok(_) => hasher.update(block.data()),
                Err(e) => {
                    read = Err(e);
                    break;
                }
            }
            if full_tx.send(block).is_err() {
                break;
            }
        }
        drop(full_tx);
        let sink = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")))
            .map_err(CopyError::Write)?;
        read.map_err(CopyError::Read)?;
        sink.finish().map_err(CopyError::Write)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenpo_core::alg::DigestAlgorithm;

    /// Bytes that differ from block to block and within blocks.
    fn input(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i >> 20) as u8)
            .collect()
    }

    #[test]
    fn copies_exactly_and_hashes_what_it_copies_with_and_without_direct_writes() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, ALIGN, BLOCK, 2 * BLOCK + ALIGN + 7, 3 * BLOCK - 1] {
            let data = input(len);
            for direct in [true, false] {
                let path = dir.path().join(format!("out-{len}-{direct}"));
                let mut out = File::create(&path).unwrap();
                let d = if direct {
                    open_direct(&path, &out)
                } else {
                    None
                };
                let mut h = DocumentHasher::new(DigestAlgorithm::Sha256);
                let n = copy_hashing(data.as_slice(), &mut out, d, &mut h).unwrap();
                assert_eq!(n, len as u64);
                // The position is after the copy: a suffix lands there.
                out.write_all(b"SUFFIX").unwrap();
                drop(out);
                let written = std::fs::read(&path).unwrap();
                assert_eq!(written.len(), len + 6, "{len} {direct}");
                assert!(written[..len] == data[..], "{len} {direct}: copy differs");
                assert_eq!(&written[len..], b"SUFFIX");
                let got = h.finalize();
                assert_eq!(got.len, len as u64);
                assert_eq!(got.sha256, DigestAlgorithm::Sha256.digest(&data));
            }
        }
    }

    #[test]
    fn a_read_error_is_reported_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = File::create(dir.path().join("out")).unwrap();
        let mut h = DocumentHasher::new(DigestAlgorithm::Sha256);
        // A directory opens as a file, but reading it fails.
        let input = File::open(dir.path()).unwrap();
        let r = copy_hashing(input, &mut out, None, &mut h);
        assert!(matches!(r, Err(CopyError::Read(_))), "{r:?}");
    }

    #[test]
    fn a_write_error_is_reported_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, b"").unwrap();
        // Open for reading only: every write fails.
        let mut out = File::open(&path).unwrap();
        let mut h = DocumentHasher::new(DigestAlgorithm::Sha256);
        let data = input(2 * BLOCK);
        let r = copy_hashing(data.as_slice(), &mut out, None, &mut h);
        assert!(matches!(r, Err(CopyError::Write(_))), "{r:?}");
    }
}
