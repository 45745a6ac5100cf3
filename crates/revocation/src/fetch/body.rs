//! Reading a response body under a size limit, in memory bounded by that limit.
//!
//! The body is read into a list of chunks, each allocated at its final size (a chunk
//! never grows, so nothing is reallocated and copied while reading), never more than
//! `limit + 1` bytes in all: the read that passes the limit is the last one, and no
//! chunk is allocated beyond it. A body of one chunk is returned as it is; a longer one is
//! joined once into a buffer of its exact size, each chunk released as it is copied.
//!
//! (Growing one `Vec` by doubling instead reaches a capacity of the next power of two past
//! the limit — 128 MiB for the 100 MiB CRL limit — and every step copies the previous
//! buffer: with an allocator that keeps freed memory, a body cut at the limit cost about
//! 256 MiB.)

use std::io::Read;

use super::FetchError;

/// Size of the first chunk when the length is not announced.
const FIRST_CHUNK: usize = 64 * 1024;
/// Largest chunk allocated at once (also for an announced length: a hostile server may
/// announce much and send little).
const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// Reads `reader` to its end, at most `limit` bytes: [`FetchError::TooLarge`] as soon as
/// one more byte arrives. `announced` is the Content-Length, when there is one (already
/// checked against `limit` by the caller); `check` runs before every read (a deadline).
pub(super) fn read_limited<R: Read>(
    reader: &mut R,
    limit: u64,
    announced: Option<u64>,
    mut check: impl FnMut() -> Result<(), FetchError>,
    classify: impl Fn(std::io::Error) -> FetchError,
) -> Result<Vec<u8>, FetchError> {
    // Room for one byte past the limit: reading it proves the body too large.
    let budget = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let first = match announced {
        // One more than announced, so the end is seen without another chunk.
        Some(n) => usize::try_from(n.saturating_add(1)).unwrap_or(usize::MAX),
        None => FIRST_CHUNK,
    };
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0usize;
    let mut next_size = first.clamp(1, MAX_CHUNK);
    'read: loop {
        let size = next_size.min(budget - total);
        if size == 0 {
            return Err(FetchError::TooLarge { limit });
        }
        let mut chunk = vec![0u8; size];
        let mut filled = 0;
        while filled < size {
            check()?;
            match reader.read(&mut chunk[filled..]) {
                Ok(0) => {
                    chunk.truncate(filled);
                    total += filled;
                    if filled > 0 {
                        chunks.push(chunk);
                    }
                    break 'read;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(classify(e)),
            }
        }
        total += filled;
        chunks.push(chunk);
        if total as u64 > limit {
            return Err(FetchError::TooLarge { limit });
        }
        // Chunks double (bounded), so a large body takes few of them.
        next_size = total.clamp(FIRST_CHUNK, MAX_CHUNK);
    }
    if (total as u64) > limit {
        return Err(FetchError::TooLarge { limit });
    }
    Ok(join(chunks, total))
}

/// The chunks as one buffer of `total` bytes.
fn join(mut chunks: Vec<Vec<u8>>, total: usize) -> Vec<u8> {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut body = Vec::with_capacity(total);
    for chunk in chunks.drain(..) {
        body.extend_from_slice(&chunk);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An endless stream of 0x30 octets that counts what it hands out.
    struct Endless {
        given: u64,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            buf.fill(0x30);
            self.given += buf.len() as u64;
            Ok(buf.len())
        }
    }

    /// `len` octets, then the end.
    struct Finite {
        left: usize,
    }

    impl Read for Finite {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.left).min(10_000);
            buf[..n].fill(0x30);
            self.left -= n;
            Ok(n)
        }
    }

    fn read(r: &mut impl Read, limit: u64, announced: Option<u64>) -> Result<Vec<u8>, FetchError> {
        read_limited(
            r,
            limit,
            announced,
            || Ok(()),
            |e| FetchError::Transport(e.to_string()),
        )
    }

    #[test]
    fn an_endless_body_stops_one_byte_past_the_limit() {
        for limit in [0, 1, 1000, 999_999, 5 * 1024 * 1024 + 3] {
            let mut r = Endless { given: 0 };
            assert_eq!(
                read(&mut r, limit, None),
                Err(FetchError::TooLarge { limit })
            );
            assert_eq!(r.given, limit + 1, "limit {limit}");
        }
    }

    #[test]
    fn a_body_at_the_limit_is_whole_and_its_buffer_no_larger() {
        for (len, limit) in [
            (0, 10),
            (10, 10),
            (999_999, 1_000_000),
            (1_000_000, 1_000_000),
        ] {
            for announced in [None, Some(len as u64)] {
                let body = read(&mut Finite { left: len }, limit, announced).unwrap_or_default();
                assert_eq!(body.len(), len, "{len} / {limit} / {announced:?}");
                assert!(body.iter().all(|&b| b == 0x30));
                assert!(
                    body.capacity() as u64 <= limit + 1,
                    "capacity {} for {len} bytes, limit {limit}",
                    body.capacity()
                );
            }
        }
        let mut r = Finite { left: 11 };
        assert_eq!(
            read(&mut r, 10, None),
            Err(FetchError::TooLarge { limit: 10 })
        );
    }

    #[test]
    fn the_check_stops_the_read() {
        let mut r = Endless { given: 0 };
        let mut calls = 0;
        let got = read_limited(
            &mut r,
            u64::MAX,
            None,
            || {
                calls += 1;
                if calls > 3 {
                    Err(FetchError::Offline)
                } else {
                    Ok(())
                }
            },
            |e| FetchError::Transport(e.to_string()),
        );
        assert_eq!(got, Err(FetchError::Offline));
    }
}
