//! The top-level keys of the last line a thread skimmed, in order, each with what the field
//! table says of it: most files are written by one library, so the next line usually starts
//! with the same keys in the same order.
//!
//! The skimmer asks the shape first: when the bytes at hand are exactly the next learned key
//! with its quotes, its colon and the spaces after it as the last line wrote them (so no
//! escape and no longer key can match), the key's string scan, its table lookup and the
//! punctuation after it are skipped. Anything else is read and looked up as before and
//! relearned from there on. The walk itself is unchanged, so a wrong guess costs a
//! comparison, never a wrong answer.

use std::cell::RefCell;

use crate::records::bytes::starts_with;
use crate::records::fields::{FieldTable, PathInfo};

/// The top-level keys a thread has met, each with the two keys that last followed it.
///
/// Keys are nodes; [`START`] stands for the object's `{`. Lines of one library differ by
/// optional keys (an error, a duration), so "what followed this key" guesses right far more
/// often than "what came at this position last time" (on the generator's twelve conventions:
/// 96 % of keys with two successors, 90 % with one, 77 % by position).
#[derive(Debug)]
pub(crate) struct Shape {
    /// The [`FieldTable::generation`] the answers came from.
    table: u64,
    /// Each key with its quotes, its colon and the whitespace after it, as last seen
    /// (`"trace_id":`), back to back.
    needles: Vec<u8>,
    /// Node `n + 1` is key `n`: where its needle starts and ends in `needles`, and the
    /// table's answer.
    keys: Vec<Key>,
    /// For each node (the start first), the two nodes that followed it last ([`START`]
    /// where none did yet), the latest first.
    next: Vec<[Node; 2]>,
    /// A key's node by a hash of its bytes, for the guesses that missed (direct-mapped: a
    /// collision only makes a second node for a key, which costs a guess, never an answer).
    by_hash: [Node; 256],
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            table: 0,
            needles: Vec::new(),
            keys: Vec::new(),
            next: Vec::new(),
            by_hash: [START; 256],
        }
    }
}

/// A node of a [`Shape`]: [`START`] or a key.
pub(crate) type Node = u8;

/// The node before the first key of an object.
pub(crate) const START: Node = 0;

#[derive(Debug, Clone, Copy)]
struct Key {
    start: u32,
    end: u32,
    /// The key's own length, without quotes.
    len: u32,
    info: Option<PathInfo>,
}

/// A key the shape guessed right: its node, how many bytes it took up to its value, its
/// length without quotes, and what the table says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Guess {
    pub(crate) node: Node,
    pub(crate) needle_len: usize,
    pub(crate) key_len: usize,
    pub(crate) info: Option<PathInfo>,
}

/// Needle bytes a shape holds before it starts over (a key respelled with other spaces is
/// appended, not rewritten in place).
const MAX_NEEDLE_BYTES: usize = 1 << 16;

/// How many keys a shape holds (nodes are bytes); when a thread meets more, it starts over.
const MAX_KEYS: usize = 255;

/// A byte of hash of a key: its length and first and last bytes, mixed.
fn key_hash(key: &[u8]) -> u8 {
    let (first, last) = match key {
        [] => (0, 0),
        [first, .., last] => (*first, *last),
        [only] => (*only, *only),
    };
    let mixed = (key.len() as u32)
        .wrapping_mul(0x9E37_79B1)
        .wrapping_add(u32::from(first) << 8 | u32::from(last))
        .wrapping_mul(0x85EB_CA6B);
    (mixed >> 24) as u8
}

impl Shape {
    /// A key that followed `prev` before, if `rest` starts with it as last spelled.
    #[inline]
    pub(crate) fn predict(&mut self, prev: Node, rest: &[u8]) -> Option<Guess> {
        let followers = *self.next.get(usize::from(prev))?;
        for (rank, node) in followers.into_iter().enumerate() {
            let key = usize::from(node)
                .checked_sub(1)
                .and_then(|k| self.keys.get(k))?;
            let needle = &self.needles[key.start as usize..key.end as usize];
            if starts_with(rest, needle) {
                if rank == 1 {
                    self.next[usize::from(prev)] = [node, followers[0]];
                }
                return Some(Guess {
                    node,
                    needle_len: needle.len(),
                    key_len: key.len as usize,
                    info: key.info,
                });
            }
        }
        None
    }

    /// `key` (without quotes) followed `prev`, spelled `needle` (from its opening quote to its
    /// value): remembered as its successor. Returns the key's node ([`START`] when the shape
    /// was full and started over).
    pub(crate) fn learn(
        &mut self,
        prev: Node,
        key: &[u8],
        needle: &[u8],
        info: Option<PathInfo>,
    ) -> Node {
        debug_assert!(needle.len() >= key.len() + 2 && needle[1..=key.len()] == *key);
        if self.next.is_empty() {
            self.next.push([START; 2]);
        }
        let slot = usize::from(key_hash(key));
        let known = usize::from(self.by_hash[slot]).checked_sub(1).filter(|&k| {
            let Key { start, len, .. } = self.keys[k];
            let spelled = &self.needles[start as usize + 1..(start + 1 + len) as usize];
            spelled == key
        });
        let node = match known {
            Some(index) => {
                let Key { start, end, .. } = self.keys[index];
                if &self.needles[start as usize..end as usize] != needle {
                    // Respelled (other spaces around the colon): the new spelling is guessed.
                    let Some((start, end)) = self.store_needle(needle) else {
                        return START;
                    };
                    (self.keys[index].start, self.keys[index].end) = (start, end);
                }
                index + 1
            }
            None => {
                if self.keys.len() == MAX_KEYS {
                    self.forget();
                    return START;
                }
                let Some((start, end)) = self.store_needle(needle) else {
                    return START;
                };
                self.keys.push(Key {
                    start,
                    end,
                    len: key.len() as u32,
                    info,
                });
                self.next.push([START; 2]);
                self.by_hash[slot] = self.keys.len() as Node;
                self.keys.len()
            }
        };
        let node = node as Node;
        if let Some(slot) = self.next.get_mut(usize::from(prev)) {
            if slot[0] != node {
                *slot = [node, slot[0]];
            }
        }
        node
    }

    /// Appends a needle; where it lies, or `None` (and the shape forgotten) when the shape
    /// already holds [`MAX_NEEDLE_BYTES`].
    fn store_needle(&mut self, needle: &[u8]) -> Option<(u32, u32)> {
        if self.needles.len() + needle.len() > MAX_NEEDLE_BYTES {
            self.forget();
            return None;
        }
        let start = self.needles.len() as u32;
        self.needles.extend_from_slice(needle);
        Some((start, self.needles.len() as u32))
    }

    fn forget(&mut self) {
        self.needles.clear();
        self.keys.clear();
        self.next.clear();
        self.by_hash = [START; 256];
    }
}

thread_local! {
    static SHAPE: RefCell<Shape> = RefCell::new(Shape::default());
}

/// Runs `f` with this thread's shape for `table` (forgotten if it was learned with another).
pub(crate) fn with_shape<R>(table: &FieldTable, f: impl FnOnce(&mut Shape) -> R) -> R {
    SHAPE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut shape) => {
            if shape.table != table.generation() {
                shape.forget();
                shape.table = table.generation();
            }
            f(&mut shape)
        }
        // Re-entered (cannot happen today): a fresh shape, learned and dropped.
        Err(_) => f(&mut Shape::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_predicted_only_when_its_exact_bytes_follow_the_same_key() {
        let info = Some(PathInfo::default());
        let mut shape = Shape::default();
        let guess = |node, needle_len, key_len, info| {
            Some(Guess {
                node,
                needle_len,
                key_len,
                info,
            })
        };
        let time = shape.learn(START, b"time", b"\"time\":", None);
        let trace = shape.learn(time, b"trace_id", b"\"trace_id\":", info);
        assert_eq!(shape.predict(START, b"\"time\":1"), guess(time, 7, 4, None));
        assert_eq!(
            shape.predict(time, b"\"trace_id\":\"a\""),
            guess(trace, 11, 8, info)
        );
        assert_eq!(shape.predict(time, b"\"trace_idx\":\"a\""), None);
        assert_eq!(shape.predict(time, b"\"trace_id\" :\"a\""), None);
        assert_eq!(shape.predict(time, b"\"trace_i"), None);
        assert_eq!(shape.predict(trace, b"\"x\":"), None);
        // An optional key in between: learned, and the key after it is found again.
        let error = shape.learn(time, b"error", b"\"error\":", None);
        assert_eq!(
            shape.learn(error, b"trace_id", b"\"trace_id\":", info),
            trace
        );
        assert_eq!(
            shape.predict(error, b"\"trace_id\":1"),
            guess(trace, 11, 8, info)
        );
        assert_eq!(
            shape.predict(time, b"\"error\":1"),
            guess(error, 8, 5, None)
        );
        // Both followers of `time` are guessed; a third pushes the older out.
        assert_eq!(
            shape.predict(time, b"\"trace_id\":1"),
            guess(trace, 11, 8, info)
        );
        let level = shape.learn(time, b"level", b"\"level\":", None);
        assert_eq!(
            shape.predict(time, b"\"level\":1"),
            guess(level, 8, 5, None)
        );
        assert_eq!(
            shape.predict(time, b"\"trace_id\":1"),
            guess(trace, 11, 8, info)
        );
        assert_eq!(shape.predict(time, b"\"error\":1"), None);
        // Respelled with spaces: the same key, guessed as last spelled.
        assert_eq!(
            shape.learn(level, b"trace_id", b"\"trace_id\" : ", info),
            trace
        );
        assert_eq!(shape.predict(level, b"\"trace_id\":1"), None);
        assert_eq!(
            shape.predict(level, b"\"trace_id\" : 1"),
            guess(trace, 13, 8, info)
        );
    }

    #[test]
    fn a_shape_full_of_needles_starts_over_and_learns_again() {
        let mut shape = Shape::default();
        let long = vec![b'k'; MAX_NEEDLE_BYTES / 2];
        let needle = |key: &[u8]| [&b"\""[..], key, b"\":"].concat();
        let first = shape.learn(START, &long, &needle(&long), None);
        assert_ne!(first, START);
        // A second long key does not fit: forgotten, then learned from an empty shape.
        let mut other = long.clone();
        other[0] = b'j';
        assert_eq!(shape.learn(first, &other, &needle(&other), None), START);
        assert!(shape.keys.is_empty() && shape.needles.is_empty());
        let time = shape.learn(START, b"time", b"\"time\":", None);
        assert_eq!(
            shape.predict(START, b"\"time\":1").map(|g| g.node),
            Some(time)
        );
    }
}
