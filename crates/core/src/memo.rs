//! [`DerMemo`]: values worked out about DER objects (certificates, keys), kept by the
//! caller that owns the memo (a verification context) — bounded, shareable between
//! threads.
//!
//! Entries are found by the object's length and last [`HASHED_TAIL`] octets (a certificate
//! ends with its signature value, which tells any two apart) hashed with the standard
//! library's randomly keyed hasher, and compare the whole object: a shared hash only costs
//! a comparison. When full, the memo starts afresh.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

/// Octets of an object's end that are hashed: 128 bits of a signature value.
pub const HASHED_TAIL: usize = 16;

/// An object's length and last [`HASHED_TAIL`] octets (zero-padded in front).
type Key = (usize, [u8; HASHED_TAIL]);

fn key(der: &[u8]) -> Key {
    let mut tail = [0u8; HASHED_TAIL];
    let end = der
        .get(der.len().saturating_sub(HASHED_TAIL)..)
        .unwrap_or_default();
    tail[HASHED_TAIL - end.len()..].copy_from_slice(end);
    (der.len(), tail)
}

/// An object (DER) and one value for it.
type Entry<T> = (Arc<[u8]>, T);

/// The entries by key, and how many values they hold.
type Table<T> = (HashMap<Key, Vec<Entry<T>>>, usize);

/// Values per DER object; several values may be kept for one object (told apart by the
/// `which` predicate of [`DerMemo::get`] and [`DerMemo::insert`]).
#[derive(Debug)]
pub struct DerMemo<T> {
    table: RwLock<Table<T>>,
    capacity: usize,
}

impl<T: Clone> DerMemo<T> {
    /// A memo that keeps at most `capacity` values (then starts afresh).
    pub fn new(capacity: usize) -> Self {
        Self {
            table: RwLock::default(),
            capacity,
        }
    }

    /// The value remembered for `der` that `which` accepts.
    pub fn get(&self, der: &[u8], which: impl Fn(&T) -> bool) -> Option<T> {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        table
            .0
            .get(&key(der))?
            .iter()
            .find(|(d, v)| **d == *der && which(v))
            .map(|(_, v)| v.clone())
    }

    /// Remembers `value` for `der` (a copy is kept) in place of the values `which`
    /// accepts for it.
    pub fn insert(&self, der: &[u8], value: T, which: impl Fn(&T) -> bool) {
        let mut guard = self.table.write().unwrap_or_else(PoisonError::into_inner);
        let (table, len) = &mut *guard;
        if *len >= self.capacity {
            table.clear();
            *len = 0;
        }
        let list = table.entry(key(der)).or_default();
        let before = list.len();
        list.retain(|(d, v)| !(**d == *der && which(v)));
        list.push((Arc::from(der), value));
        *len = *len + list.len() - before;
    }

    /// How many values are kept.
    pub fn len(&self) -> usize {
        self.table.read().unwrap_or_else(PoisonError::into_inner).1
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
        b[0] = 2; // same length and tail: same key, another object
        memo.insert(&a, (1, "a1"), |v| v.0 == 1);
        memo.insert(&a, (2, "a2"), |v| v.0 == 2);
        memo.insert(&b, (1, "b1"), |v| v.0 == 1);
        assert_eq!(memo.get(&a, |v| v.0 == 1), Some((1, "a1")));
        assert_eq!(memo.get(&a, |v| v.0 == 2), Some((2, "a2")));
        assert_eq!(memo.get(&b, |v| v.0 == 1), Some((1, "b1")));
        assert_eq!(memo.get(&b, |v| v.0 == 2), None);
        assert_eq!(
            memo.get(&a[..99], |_| true),
            None,
            "a prefix is another object"
        );
        assert_eq!(memo.len(), 3);
        memo.insert(&a, (1, "a1 again"), |v| v.0 == 1);
        assert_eq!(memo.get(&a, |v| v.0 == 1), Some((1, "a1 again")));
        assert_eq!(memo.len(), 3);
        memo.insert(&[], (0, "empty"), |_| true);
        assert_eq!(memo.get(&[], |_| true), Some((0, "empty")));
        assert_eq!(memo.get(&[0], |_| true), None);
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
