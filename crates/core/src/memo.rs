//! [`DerMemo`]: what a run has worked out about DER objects (certificates), remembered for
//! the files that meet them again — bounded, shared between threads.
//!
//! Entries are found by a hash of the object's length and last [`HASHED_TAIL`] octets (a
//! certificate ends with its signature value, which tells any two apart) under
//! process-random keys, and compare the whole object: a shared hash only costs a
//! comparison, and crafted collisions cannot be predicted. When full, the memo starts
//! afresh.
//!
//! The hash is two folded 64×64→128-bit multiplications of the keyed input words (the
//! mixing of foldhash and wyhash): a lookup runs on every certificate of every file, and
//! SipHash over the same 24 octets cost about ten times as much.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// Octets of an object's end that are hashed: 128 bits of a signature value. (Crafted
/// objects can share any tail whatever its length; they then share a bucket, where the
/// whole encoding is compared.)
pub const HASHED_TAIL: usize = 16;

/// Values per DER object; several values may be kept for one object (told apart by the
/// `which` predicate of [`DerMemo::get`] and [`DerMemo::insert`]).
#[derive(Debug)]
pub struct DerMemo<T> {
    table: RwLock<Table<T>>,
    hasher: TailHasher,
    capacity: usize,
}

/// The hash of an object's length and tail under four process-random keys (see the module
/// docs).
#[derive(Debug)]
struct TailHasher {
    keys: [u64; 4],
}

/// The product's two halves, exclusive-ored: every input bit reaches the middle bits.
fn folded_multiply(x: u64, y: u64) -> u64 {
    let product = u128::from(x) * u128::from(y);
    (product as u64) ^ ((product >> 64) as u64)
}

impl TailHasher {
    /// A hasher under the process's keys, drawn once (a verifier builds several memos for
    /// every one-shot call; drawing four keys costs four SipHash runs).
    fn new() -> Self {
        static KEYS: OnceLock<[u64; 4]> = OnceLock::new();
        let keys = *KEYS.get_or_init(|| {
            let random = RandomState::new();
            [0u64, 1, 2, 3].map(|i| random.hash_one(i))
        });
        Self { keys }
    }

    fn hash(&self, der: &[u8]) -> u64 {
        // The last 16 octets, read in place; a shorter object is padded with zeros in front.
        let mut words = [0u8; HASHED_TAIL];
        let tail: &[u8; HASHED_TAIL] = match der.last_chunk() {
            Some(t) => t,
            None => {
                words[HASHED_TAIL - der.len()..].copy_from_slice(der);
                &words
            }
        };
        let (lo, hi) = tail.split_at(8);
        let [a, b] = [lo, hi].map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
        let len = u64::try_from(der.len()).unwrap_or(u64::MAX);
        let [k0, k1, k2, k3] = self.keys;
        folded_multiply(folded_multiply(a ^ k0, b ^ k1) ^ k2, len ^ k3)
    }
}

/// An object (DER) and one value for it.
type Entry<T> = (Arc<[u8]>, T);

/// Whether `kept`, an encoding a memo keeps, and `der` are the same octets. When `der` is
/// `kept` itself (a caller holding the very encoding the memo keeps, e.g. a shared
/// certificate's, see [`DerMemo::insert_kept`]) that is known without comparing them: the
/// memo holds `kept` alive and never changes it, so no other object can sit at its
/// address. Else the octets are compared.
pub fn same_octets(kept: &[u8], der: &[u8]) -> bool {
    (std::ptr::eq(kept.as_ptr(), der.as_ptr()) && kept.len() == der.len()) || kept == der
}

/// The table's own hasher: its keys are already hashes under the memo's process-random
/// hasher, so they are used as they are (hashing them again would only cost time).
#[derive(Debug, Default, Clone, Copy)]
struct KeyedHash(u64);

impl Hasher for KeyedHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by the table; anything else still hashes soundly.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Debug)]
struct Table<T> {
    entries: HashMap<u64, Vec<Entry<T>>, BuildHasherDefault<KeyedHash>>,
    len: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            entries: HashMap::default(),
            len: 0,
        }
    }
}

impl<T: Clone> DerMemo<T> {
    /// A memo that keeps at most `capacity` values (then starts afresh).
    pub fn new(capacity: usize) -> Self {
        Self {
            table: RwLock::new(Table::default()),
            hasher: TailHasher::new(),
            capacity,
        }
    }

    fn key(&self, der: &[u8]) -> u64 {
        self.hasher.hash(der)
    }

    /// The value remembered for `der` that `which` accepts.
    pub fn get(&self, der: &[u8], which: impl Fn(&T) -> bool) -> Option<T> {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .get(&self.key(der))?
            .iter()
            .find(|(d, v)| same_octets(d, der) && which(v))
            .map(|(_, v)| v.clone())
    }

    /// Remembers `value` for `der` (a copy is kept) in place of the values `which`
    /// accepts for it.
    pub fn insert(&self, der: &[u8], value: T, which: impl Fn(&T) -> bool) {
        self.insert_kept(Arc::from(der), value, which);
    }

    /// [`DerMemo::insert`] keeping `der` itself, not a copy: callers that look the object
    /// up with that very encoding (a [`crate::shared_cert::SharedCert`]'s) are found
    /// without comparing its octets ([`same_octets`]).
    pub fn insert_kept(&self, der: Arc<[u8]>, value: T, which: impl Fn(&T) -> bool) {
        let key = self.key(&der);
        let mut w = self.table.write().unwrap_or_else(PoisonError::into_inner);
        if w.len >= self.capacity {
            *w = Table::default();
        }
        let list = w.entries.entry(key).or_default();
        let before = list.len();
        list.retain(|(d, v)| !(same_octets(d, &der) && which(v)));
        let removed = before - list.len();
        list.push((der, value));
        w.len = w.len + 1 - removed;
    }

    /// How many values are kept.
    pub fn len(&self) -> usize {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_object_and_predicate() {
        let memo: DerMemo<(u8, &str)> = DerMemo::new(10);
        let a = vec![1u8; 100];
        let mut b = a.clone();
        b[0] = 2; // same length and tail: same hash, another object
        memo.insert(&a, (1, "a1"), |v| v.0 == 1);
        memo.insert(&a, (2, "a2"), |v| v.0 == 2);
        memo.insert(&b, (1, "b1"), |v| v.0 == 1);
        assert_eq!(memo.get(&a, |v| v.0 == 1), Some((1, "a1")));
        assert_eq!(memo.get(&a, |v| v.0 == 2), Some((2, "a2")));
        assert_eq!(memo.get(&b, |v| v.0 == 1), Some((1, "b1")));
        assert_eq!(memo.get(&b, |v| v.0 == 2), None);
        assert_eq!(memo.len(), 3);
        memo.insert(&a, (1, "a1 again"), |v| v.0 == 1);
        assert_eq!(memo.get(&a, |v| v.0 == 1), Some((1, "a1 again")));
        assert_eq!(memo.len(), 3);
    }

    #[test]
    fn the_hash_reads_the_length_and_every_tail_bit() {
        let h = TailHasher::new();
        let base: Vec<u8> = (0..40).collect();
        let k = h.hash(&base);
        let mut head = base.clone();
        head[0] ^= 1; // before the tail: the whole-object comparison tells them apart
        assert_eq!(h.hash(&head), k);
        for i in base.len() - HASHED_TAIL..base.len() {
            for bit in 0..8 {
                let mut t = base.clone();
                t[i] ^= 1 << bit;
                assert_ne!(h.hash(&t), k, "octet {i} bit {bit}");
            }
        }
        let mut longer = vec![0u8];
        longer.extend_from_slice(&base);
        assert_ne!(h.hash(&longer), k);
        assert_ne!(h.hash(&[]), h.hash(&[0]));
        assert_ne!(h.hash(&[0]), h.hash(&[0, 0]));
        // The keys are drawn once per process: every memo hashes alike.
        assert_eq!(TailHasher::new().hash(&base), k, "keys are the process's");
    }

    #[test]
    fn a_kept_encoding_is_found_by_itself_and_by_its_copies() {
        let memo: DerMemo<&str> = DerMemo::new(10);
        let kept: Arc<[u8]> = Arc::from(vec![7u8; 64]);
        memo.insert_kept(Arc::clone(&kept), "kept", |_| true);
        let copy = kept.to_vec(); // the same octets elsewhere
        assert_eq!(memo.get(&kept, |_| true), Some("kept"));
        assert_eq!(memo.get(&copy, |_| true), Some("kept"));
        assert_eq!(
            memo.get(&kept[..63], |_| true),
            None,
            "a prefix is another object"
        );
        let mut other = kept.to_vec();
        other[0] = 8; // same length and tail
        assert_eq!(memo.get(&other, |_| true), None);
        assert!(same_octets(&kept, &kept));
        assert!(same_octets(&kept, &copy));
        assert!(!same_octets(&kept, &other));
        assert!(!same_octets(&kept, &kept[..63]));
        assert!(same_octets(&[], &[]));
        // Replacing by a copy: one value, still found by the kept memory.
        memo.insert(&copy, "copy", |_| true);
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.get(&kept, |_| true), Some("copy"));
    }

    #[test]
    fn a_full_memo_starts_afresh() {
        let memo: DerMemo<usize> = DerMemo::new(4);
        for i in 0..4u8 {
            memo.insert(&[i], usize::from(i), |_| true);
        }
        assert_eq!(memo.len(), 4);
        memo.insert(&[9], 9, |_| true);
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.get(&[9], |_| true), Some(9));
        assert_eq!(memo.get(&[0], |_| true), None);
    }
}
