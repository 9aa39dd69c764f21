//! What the journal holds and sled does not yet: the writes since the last apply, read as if
//! sled held them.
//!
//! A sled batch seals sled's I/O buffer, so applying each engine batch on its own cost one
//! `pwrite` and one `sync_file_range` on sled's threads per batch: a third of the machine at
//! full load. The journal already makes a write durable, so sled can take the writes later,
//! many batches at once: `Store::write` puts a write set here (after appending it to the
//! journal), `Store::apply` moves everything here into sled as one atomic batch carrying `j`
//! (the last journal record it covers), with the turns packed several to a chunk (`chunks`)
//! appended to the turn files (`turn_files`) and referred to by their keys. The
//! committer runs it in the background; every barrier and backup runs it first; a writer that
//! finds this too full runs it itself.
//!
//! Each key keeps only its newest write (a value, or a removal) and the record that made it;
//! an entry leaves only once a batch holding it is in sled, and only if nothing newer replaced
//! it meanwhile. Reads look here first, then in sled (`get`, `range` merging the two in key
//! order, `last`), so a reader never sees a write vanish.

use super::{chunks, keys};
use crate::journal::Lsn;
use sled::IVec;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Mutex;

/// The newest write of one key not yet in sled.
#[derive(Debug, Clone)]
struct Entry {
    lsn: Lsn,
    /// `None`: removed.
    value: Option<IVec>,
}

#[derive(Debug, Default)]
struct Inner {
    map: BTreeMap<IVec, Entry>,
    /// The last journal record put here (0 before any).
    last: Lsn,
    /// Bytes of keys and values held, roughly: what decides an apply is due.
    bytes: usize,
}

#[derive(Debug, Default)]
pub(super) struct Overlay {
    inner: Mutex<Inner>,
}

/// Whether no key can lie in `from..to` (a `BTreeMap` range panics on some of those).
fn empty_range(from: Bound<&[u8]>, to: Bound<&[u8]>) -> bool {
    match (from, to) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a) | Bound::Excluded(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
        _ => false,
    }
}

/// The turn number of a single turn's key (the kind write sets hold).
fn single_turn(key: &[u8]) -> Option<u64> {
    (key.len() == 9 && key[0] == keys::TURN)
        .then(|| keys::turn_seq(key))
        .flatten()
}

/// One key as the overlay knows it: its value, or that it is removed.
pub(super) type Known = (IVec, Option<IVec>);

impl Overlay {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes journal record `lsn`'s writes (records come in journal order).
    pub fn put(&self, lsn: Lsn, ops: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>) {
        let mut inner = self.lock();
        for (key, value) in ops {
            let key_len = key.len();
            let added = key_len + value.as_ref().map_or(0, Vec::len);
            let entry = Entry {
                lsn,
                value: value.map(IVec::from),
            };
            if let Some(old) = inner.map.insert(IVec::from(key), entry) {
                let gone = key_len + old.value.map_or(0, |v| v.len());
                inner.bytes = inner.bytes.saturating_sub(gone);
            }
            inner.bytes += added;
        }
        inner.last = lsn;
    }

    /// Bytes held (keys and values).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Everything held as one sled batch that also sets `j` to the last record it covers, that
    /// record's number, and the turns packed into chunks (key, value, last turn) for the batch
    /// to refer to once they are in the turn files; `None` when nothing is held.
    pub fn batch(&self) -> Option<(Lsn, sled::Batch, Vec<chunks::Packed>)> {
        // Under the lock only the references are taken (the engine's writes wait on it); the
        // packing and the batch are made after.
        let (last, held): (Lsn, Vec<Known>) = {
            let inner = self.lock();
            if inner.map.is_empty() {
                return None;
            }
            let held = inner.map.iter();
            (
                inner.last,
                held.map(|(k, e)| (k.clone(), e.value.clone())).collect(),
            )
        };
        let mut batch = sled::Batch::default();
        batch.insert(&[keys::APPLIED], &last.to_be_bytes());
        let mut turns = Vec::new();
        for (key, value) in held {
            match (value, single_turn(&key)) {
                (Some(v), Some(seq)) => turns.push((seq, v)),
                (Some(v), None) => batch.insert(key, v),
                (None, _) => batch.remove(key),
            }
        }
        Some((last, batch, chunks::pack(turns)))
    }

    /// Forgets the entries sled now holds: those written by records up to `through` (a newer
    /// write of the same key stays).
    pub fn applied(&self, through: Lsn) {
        let mut inner = self.lock();
        let mut freed = 0;
        inner.map.retain(|k, e| {
            let keep = e.lsn > through;
            if !keep {
                freed += k.len() + e.value.as_ref().map_or(0, |v| v.len());
            }
            keep
        });
        inner.bytes = inner.bytes.saturating_sub(freed);
    }

    /// `Some(value or removal)` if the overlay knows `key`; `None`: ask sled.
    pub fn get(&self, key: &[u8]) -> Option<Option<IVec>> {
        self.lock().map.get(key).map(|e| e.value.clone())
    }

    /// Whether the overlay holds `key` as removed.
    pub fn removed(&self, key: &[u8]) -> bool {
        matches!(self.lock().map.get(key), Some(Entry { value: None, .. }))
    }

    /// The keys known in `from..to` (removals included), in key order.
    pub fn range(&self, from: Bound<&[u8]>, to: Bound<&[u8]>) -> Vec<Known> {
        let inner = self.lock();
        if inner.map.is_empty() || empty_range(from, to) {
            return Vec::new();
        }
        inner
            .map
            .range::<[u8], _>((from, to))
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect()
    }
}

/// A key range's pairs from the overlay and sled together, in key order: the overlay's write
/// of a key wins over sled's, and a key the overlay removed is skipped.
pub(super) struct Merged {
    sled: std::iter::Peekable<sled::Iter>,
    over: std::iter::Peekable<std::vec::IntoIter<Known>>,
}

impl Merged {
    pub fn new(sled: sled::Iter, over: Vec<Known>) -> Merged {
        Merged {
            sled: sled.peekable(),
            over: over.into_iter().peekable(),
        }
    }
}

impl Iterator for Merged {
    type Item = Result<(IVec, IVec), sled::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let from_overlay = match (self.sled.peek(), self.over.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) | (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(Ok((s, _))), Some((o, _))) => match o.cmp(s) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal => {
                        // The overlay's write is the newer one.
                        self.sled.next();
                        true
                    }
                },
            };
            if !from_overlay {
                return self.sled.next();
            }
            let (key, value) = self.over.next()?;
            if let Some(value) = value {
                return Some(Ok((key, value)));
            }
        }
    }
}

impl Merged {
    /// Only the keys.
    pub fn keys(self) -> impl Iterator<Item = Result<IVec, sled::Error>> {
        self.map(|kv| kv.map(|(k, _)| k))
    }
}

/// The range of keys starting with `prefix`.
pub(super) fn prefix_range(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return (Bound::Included(prefix.to_vec()), Bound::Excluded(end));
        }
    }
    (Bound::Included(prefix.to_vec()), Bound::Unbounded)
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl super::Store {
    /// `key`'s value as written, whether sled holds it yet or not.
    pub(super) fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<IVec>, sled::Error> {
        let key = key.as_ref();
        match self.overlay.get(key) {
            Some(known) => Ok(known),
            None => self.tree.get(key),
        }
    }

    /// The pairs in `from..to` as written, in key order.
    pub(super) fn range(&self, from: Bound<Vec<u8>>, to: Bound<Vec<u8>>) -> Merged {
        // The overlay first: an entry that leaves it meanwhile is in sled by then.
        let over = self.overlay.range(as_slice(&from), as_slice(&to));
        Merged::new(self.tree.range((from, to)), over)
    }

    /// The pairs whose key starts with `prefix`, in key order.
    pub(super) fn prefix(&self, prefix: impl AsRef<[u8]>) -> Merged {
        let (from, to) = prefix_range(prefix.as_ref());
        self.range(from, to)
    }

    /// The greatest key starting with `prefix` that is written and not removed.
    pub(super) fn last_key(&self, prefix: impl AsRef<[u8]>) -> Result<Option<IVec>, sled::Error> {
        let (from, to) = prefix_range(prefix.as_ref());
        let over = self.overlay.range(as_slice(&from), as_slice(&to));
        let in_overlay = over.iter().rev().find(|(_, v)| v.is_some()).map(|(k, _)| k);
        let mut in_sled = None;
        for k in self.tree.range((from, to)).keys().rev() {
            let k = k?;
            if !self.overlay.removed(&k) {
                in_sled = Some(k);
                break;
            }
        }
        Ok(in_overlay.cloned().max(in_sled))
    }

    /// Moves what the overlay holds into sled as one atomic batch (with `j`); the last journal
    /// record sled then holds, or `None` if there was nothing to move. One at a time.
    pub fn apply(&self) -> Result<Option<Lsn>, super::StoreError> {
        let _one = self.applying.lock().unwrap_or_else(|p| p.into_inner());
        let Some((through, mut batch, chunks)) = self.overlay.batch() else {
            return Ok(None);
        };
        // The chunks durable in their files before sled refers to them.
        let bytes: Vec<(&[u8], u64)> = chunks.iter().map(|(_, v, last)| (&v[..], *last)).collect();
        let refs = self.turn_files.append(&bytes)?;
        if let Some(r) = refs.last() {
            let end = r.offset + u64::from(r.len);
            batch.insert(&keys::turn_file(r.file), &end.to_be_bytes());
        }
        for ((key, _, _), r) in chunks.iter().zip(refs) {
            batch.insert(key, r.encode());
        }
        self.tree.apply_batch(batch)?;
        self.overlay.applied(through);
        Ok(Some(through))
    }

    /// Bytes written and not yet applied to sled.
    pub fn unapplied_bytes(&self) -> usize {
        self.overlay.bytes()
    }
}

#[cfg(test)]
pub(crate) mod tests;
