//! [`JobQueue`]: the bounded queue between the walker and the workers.
//!
//! A bounded channel whose producer waits for room wakes the walker for every job a worker
//! takes once the queue is full (one futex wake and two context switches per file, on
//! machines where the workers already use every core). This queue wakes the walker only once it has drained to a
//! low-water mark, and wakes a worker only when one is idle, so a steady run makes few
//! wake-ups per thousand files. Memory stays bounded by the capacity.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    /// No more items will be pushed.
    closed: bool,
    /// The producer waits for room.
    producer_waiting: bool,
    /// Consumers waiting for an item.
    idle: usize,
}

/// A bounded multi-consumer queue with hysteresis (see the module docs).
#[derive(Debug)]
pub(crate) struct JobQueue<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
    low_water: usize,
}

impl<T> JobQueue<T> {
    /// A queue holding at most `capacity` items (at least 2).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Self {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                closed: false,
                producer_waiting: false,
                idle: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
            low_water: capacity / 2,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `item`, waiting while the queue is full (or until `give_up` says so, checked
    /// at least every 50 ms: the item is then handed back).
    pub(crate) fn push(&self, item: T, give_up: impl Fn() -> bool) -> Result<(), T> {
        let mut s = self.lock();
        while s.items.len() >= self.capacity {
            if give_up() {
                return Err(item);
            }
            s.producer_waiting = true;
            s = self
                .not_full
                .wait_timeout(s, std::time::Duration::from_millis(50))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        s.producer_waiting = false;
        s.items.push_back(item);
        let wake = s.idle > 0;
        drop(s);
        if wake {
            self.not_empty.notify_one();
        }
        Ok(())
    }

    /// No more items: consumers drain what is left, then get `None`.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.not_empty.notify_all();
    }

    /// The next item, waiting while the queue is empty and open; `None` once it is closed
    /// and drained.
    pub(crate) fn pop(&self) -> Option<T> {
        let mut s = self.lock();
        loop {
            if let Some(item) = s.items.pop_front() {
                let wake = s.producer_waiting && s.items.len() <= self.low_water;
                if wake {
                    s.producer_waiting = false;
                }
                drop(s);
                if wake {
                    self.not_full.notify_one();
                }
                return Some(item);
            }
            if s.closed {
                return None;
            }
            s.idle += 1;
            s = self
                .not_empty
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
            s.idle -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JobQueue;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn every_item_reaches_exactly_one_consumer() {
        let q = Arc::new(JobQueue::new(8));
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while let Some(i) = q.pop() {
                        got.push(i);
                    }
                    got
                })
            })
            .collect();
        for i in 0..10_000u32 {
            q.push(i, || false).unwrap();
        }
        q.close();
        let mut all: Vec<u32> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn a_full_queue_holds_the_producer_until_it_gives_up() {
        let q = JobQueue::new(2);
        q.push(1, || false).unwrap();
        q.push(2, || false).unwrap();
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(120));
                stop.store(true, Ordering::Relaxed);
            });
            assert_eq!(q.push(3, || stop.load(Ordering::Relaxed)), Err(3));
        });
        assert_eq!(q.pop(), Some(1));
        q.push(3, || false).unwrap();
        q.close();
        assert_eq!((q.pop(), q.pop(), q.pop()), (Some(2), Some(3), None));
    }
}
