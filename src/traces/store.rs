//! The traces of one shard of a [`crate::traces::group::TraceMap`]: the accumulators side by
//! side in chunks, found through a table of their indices.
//!
//! Why not a `HashMap<TraceKey, Box<TraceAcc>>`: a million one-line traces are a million boxes
//! spread over the allocator's pages, interleaved with every other shard's, so summarising one
//! shard frees no page while its rows take new ones, and the peak is the map and the rows
//! together. Here a shard's accumulators lie in chunks of [`CHUNK`] that are freed whole as
//! they are consumed, and the table holds four bytes per trace instead of a key and a pointer.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::records::ids::TraceKey;
use crate::traces::acc::TraceAcc;

/// Accumulators per chunk (a chunk is 256 KiB when full; it grows by doubling until then, so
/// a shard of a few traces takes a few slots, not a chunk).
const CHUNK: usize = 1024;

/// A trace in its slot; `None` once removed (the slot is then reused).
type Slot = Option<(TraceKey, TraceAcc)>;

/// Traces by id, in insertion order.
#[derive(Debug, Clone, Default)]
pub(crate) struct TraceStore {
    /// Slot indices, hashed by the key in the slot, each with its key's hash: growing the
    /// table rehashes from these, without reading the keys in their chunks (at a hundred
    /// thousand traces a shard, each such read missed the caches), and a lookup compares
    /// keys only where the hashes agree.
    index: HashTable<Indexed>,
    chunks: Vec<Vec<Slot>>,
    /// Slots emptied by removals.
    free: Vec<u32>,
    /// The slot [`TraceStore::get_or_default`] last answered with: most lines belong to the
    /// trace of the line before them, whose key is then compared instead of hashed and
    /// looked up. Checked against the slot's key on every use, so removals need not clear it.
    last: u32,
}

/// A slot index and its key's [`hash`].
#[derive(Debug, Clone, Copy)]
struct Indexed {
    at: u32,
    hash: u32,
}

/// A key's hash, as kept beside its slot index.
fn hash(key: &TraceKey) -> u32 {
    // Fx's upper half is the better mixed.
    (FxBuildHasher.hash_one(key) >> 32) as u32
}

/// The kept hash spread over 64 bits for the table, which takes a bucket from the low bits
/// and a tag from the top seven.
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn slot(chunks: &[Vec<Slot>], at: u32) -> &Slot {
    &chunks[at as usize / CHUNK][at as usize % CHUNK]
}

fn slot_mut(chunks: &mut [Vec<Slot>], at: u32) -> &mut Slot {
    &mut chunks[at as usize / CHUNK][at as usize % CHUNK]
}

/// The key in slot `at`; `None` for an empty slot or one past the end.
fn key_at(chunks: &[Vec<Slot>], at: u32) -> Option<&TraceKey> {
    let chunk = chunks.get(at as usize / CHUNK)?;
    chunk.get(at as usize % CHUNK)?.as_ref().map(|(k, _)| k)
}

impl TraceStore {
    /// How many traces.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    fn find(&self, key: &TraceKey) -> Option<u32> {
        let chunks = &self.chunks;
        let h = hash(key);
        self.index
            .find(spread(h), |e| {
                e.hash == h && key_at(chunks, e.at) == Some(key)
            })
            .map(|e| e.at)
    }

    /// Whether `key` is here.
    pub(crate) fn contains_key(&self, key: &TraceKey) -> bool {
        self.find(key).is_some()
    }

    /// The trace `key`.
    pub(crate) fn get(&self, key: &TraceKey) -> Option<&TraceAcc> {
        let at = self.find(key)?;
        slot(&self.chunks, at).as_ref().map(|(_, a)| a)
    }

    /// The trace `key`, to change.
    pub(crate) fn get_mut(&mut self, key: &TraceKey) -> Option<&mut TraceAcc> {
        let at = self.find(key)?;
        slot_mut(&mut self.chunks, at).as_mut().map(|(_, a)| a)
    }

    /// The trace `key`, made empty if new.
    pub(crate) fn get_or_default(&mut self, key: &TraceKey) -> &mut TraceAcc {
        let at = if key_at(&self.chunks, self.last) == Some(key) {
            self.last
        } else {
            match self.find(key) {
                Some(at) => at,
                None => self.insert_new(key.clone(), TraceAcc::default()),
            }
        };
        self.last = at;
        match slot_mut(&mut self.chunks, at) {
            Some((_, acc)) => acc,
            None => unreachable!("an indexed slot holds a trace"),
        }
    }

    /// Adds a trace whose key is not here; returns its slot.
    fn insert_new(&mut self, key: TraceKey, acc: TraceAcc) -> u32 {
        let h = hash(&key);
        let at = match self.free.pop() {
            Some(at) => {
                *slot_mut(&mut self.chunks, at) = Some((key, acc));
                at
            }
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::new());
                }
                let full = (self.chunks.len() - 1) * CHUNK;
                let last = self.chunks.last_mut().expect("pushed above");
                last.push(Some((key, acc)));
                u32::try_from(full + last.len() - 1).expect("fewer than 4 billion traces a shard")
            }
        };
        self.index
            .insert_unique(spread(h), Indexed { at, hash: h }, |e| spread(e.hash));
        at
    }

    /// Adds `acc` as trace `key`, or folds it into the trace held (`acc` came later in input
    /// order unless `acc_first`).
    pub(crate) fn insert_or_merge(&mut self, key: TraceKey, acc: TraceAcc, acc_first: bool) {
        match self.get_mut(&key) {
            Some(mine) => mine.merge(acc, acc_first),
            None => {
                self.insert_new(key, acc);
            }
        }
    }

    /// Takes the trace `key` out.
    pub(crate) fn remove(&mut self, key: &TraceKey) -> Option<TraceAcc> {
        let chunks = &self.chunks;
        let h = hash(key);
        let (Indexed { at, .. }, _) = self
            .index
            .find_entry(spread(h), |e| {
                e.hash == h && key_at(chunks, e.at) == Some(key)
            })
            .ok()?
            .remove();
        self.free.push(at);
        slot_mut(&mut self.chunks, at).take().map(|(_, a)| a)
    }

    /// Every trace, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&TraceKey, &TraceAcc)> {
        self.chunks
            .iter()
            .flatten()
            .filter_map(|s| s.as_ref().map(|(k, a)| (k, a)))
    }

    /// Every trace, in insertion order, each chunk freed once it is consumed.
    pub(crate) fn into_traces(self) -> impl Iterator<Item = (TraceKey, TraceAcc)> {
        self.chunks
            .into_iter()
            .flat_map(|c| c.into_iter().flatten())
    }

    /// Takes out the traces `idle` picks.
    pub(crate) fn take_where(
        &mut self,
        idle: impl Fn(&TraceAcc) -> bool,
    ) -> Vec<(TraceKey, TraceAcc)> {
        let keys: Vec<TraceKey> = self
            .iter()
            .filter(|(_, a)| idle(a))
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .filter_map(|k| self.remove(&k).map(|a| (k, a)))
            .collect()
    }
}

impl PartialEq for TraceStore {
    /// The same traces, whatever the order they came in.
    fn eq(&self, other: &TraceStore) -> bool {
        self.len() == other.len()
            && self.iter().all(|(k, a)| {
                other
                    .find(k)
                    .and_then(|at| slot(&other.chunks, at).as_ref())
                    .is_some_and(|(_, b)| a == b)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_found_removed_and_their_slots_reused() {
        let mut store = TraceStore::default();
        for i in 0..3000u128 {
            store.get_or_default(&TraceKey::Full(i)).lines = i as u64;
        }
        assert_eq!(store.len(), 3000);
        assert_eq!(store.chunks.len(), 3);
        assert_eq!(
            store.get_mut(&TraceKey::Full(2500)).map(|a| a.lines),
            Some(2500)
        );
        assert_eq!(store.remove(&TraceKey::Full(7)).map(|a| a.lines), Some(7));
        assert!(store.remove(&TraceKey::Full(7)).is_none());
        assert!(!store.contains_key(&TraceKey::Full(7)));
        store.get_or_default(&TraceKey::Low64(7)).lines = 70;
        assert_eq!(store.free.len(), 0, "the emptied slot is taken again");
        assert_eq!(store.len(), 3000);
        let taken = store.take_where(|a| a.lines % 2 == 1);
        assert_eq!(taken.len(), 1499);
        let lines: Vec<u64> = store.into_traces().map(|(_, a)| a.lines).take(5).collect();
        assert_eq!(lines, [0, 2, 4, 6, 70]);
    }

    #[test]
    fn the_last_trace_found_is_its_own_key_s_even_after_its_slot_is_reused() {
        let mut store = TraceStore::default();
        store.get_or_default(&TraceKey::Full(9)).lines = 9;
        assert_eq!(store.get_or_default(&TraceKey::Full(9)).lines, 9);
        assert_eq!(store.remove(&TraceKey::Full(9)).map(|a| a.lines), Some(9));
        store.get_or_default(&TraceKey::Low64(9)).lines = 90;
        assert_eq!(store.get_or_default(&TraceKey::Full(9)).lines, 0);
        assert_eq!(store.get_or_default(&TraceKey::Low64(9)).lines, 90);
        assert_eq!(store.len(), 2);
    }
}
