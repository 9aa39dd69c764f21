//! Reading the turn log: single turn keys and chunks (see `chunks`) alike, whether the turn is
//! still in the overlay or in sled, and whether sled holds a chunk itself or a reference to it
//! in the turn files (`turn_files`).

use super::chunks::{self, Chunk};
use super::records::{self, TurnRecord};
use super::turn_files::{ChunkRef, REF};
use super::{keys, Store, StoreError};
use sled::IVec;
use std::ops::Bound::{Excluded, Included};

/// Turns a replay reads at once.
const REPLAY_PAGE: usize = 512;

fn corrupt(key: &[u8], message: &str) -> StoreError {
    StoreError::Corrupt {
        key: format!("{key:?}"),
        message: message.into(),
    }
}

fn decode(seq: u64, bytes: &[u8]) -> Result<TurnRecord, StoreError> {
    records::decode(&keys::turn(seq), bytes)
}

impl Store {
    pub fn turn(&self, seq: u64) -> Result<Option<TurnRecord>, StoreError> {
        if let Some(v) = self.get(keys::turn(seq))? {
            return decode(seq, &v).map(Some);
        }
        let Some((k, v)) = self.chunk_at(seq)? else {
            return Ok(None);
        };
        let bytes = self.chunk_bytes(&k, v)?;
        let chunk = Chunk::parse(&bytes).map_err(|e| corrupt(&k, e))?;
        chunk.get(seq).map(|r| decode(seq, r)).transpose()
    }

    /// Up to `limit` turns numbered `from..end`, in order.
    pub fn turns(
        &self,
        from: u64,
        end: u64,
        limit: usize,
    ) -> Result<Vec<(u64, TurnRecord)>, StoreError> {
        if from >= end || limit == 0 {
            return Ok(Vec::new());
        }
        let start = match self.chunk_at(from)? {
            Some((k, _)) => k.to_vec(),
            None => keys::turn(from).to_vec(),
        };
        let mut out = Vec::new();
        // The lowest number still wanted: a turn met twice (in the overlay and in a chunk
        // being applied at that moment) is taken once.
        let mut next = from;
        for kv in self.range(Included(start), Excluded(keys::turn(end).to_vec())) {
            let (k, v) = kv?;
            let bytes;
            let held: Vec<(u64, &[u8])> = if chunks::is_chunk(&k) {
                bytes = self.chunk_bytes(&k, v)?;
                let chunk = Chunk::parse(&bytes).map_err(|e| corrupt(&k, e))?;
                chunk.turns().collect()
            } else {
                keys::turn_seq(&k)
                    .map(|seq| (seq, &v[..]))
                    .into_iter()
                    .collect()
            };
            for (seq, bytes) in held {
                if seq < next || seq >= end {
                    continue;
                }
                out.push((seq, decode(seq, bytes)?));
                next = seq + 1;
                if out.len() >= limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    /// Every turn from `from` on, in order, read a page at a time so a long replay never holds
    /// more than a page of records.
    pub fn replay(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, TurnRecord), StoreError>> + '_ {
        let mut next = from;
        let mut page = std::collections::VecDeque::new();
        let mut done = false;
        std::iter::from_fn(move || {
            if page.is_empty() && !done {
                match self.turns(next, u64::MAX, REPLAY_PAGE) {
                    Ok(turns) => {
                        done = turns.len() < REPLAY_PAGE;
                        if let Some((last, _)) = turns.last() {
                            next = last + 1;
                        }
                        page.extend(turns);
                    }
                    Err(e) => {
                        done = true;
                        return Some(Err(e));
                    }
                }
            }
            page.pop_front().map(Ok)
        })
    }

    /// The number the next turn will have: every turn written so far is below it.
    pub fn next_turn(&self) -> Result<u64, StoreError> {
        let last = self.last_key([keys::TURN])?;
        self.after(last)
    }

    /// As `next_turn`, for the turns sled holds (not those still in the overlay).
    pub(super) fn next_turn_in_sled(&self) -> Result<u64, StoreError> {
        let last = self.tree.scan_prefix([keys::TURN]).keys().next_back();
        self.after(last.transpose()?)
    }

    /// One past the turn a last turn key names (a chunk's last turn).
    fn after(&self, last: Option<IVec>) -> Result<u64, StoreError> {
        let Some(k) = last else {
            return Ok(0);
        };
        let first = keys::turn_seq(&k).unwrap_or_default();
        if !chunks::is_chunk(&k) {
            return Ok(first + 1);
        }
        // Chunks are only ever in sled, and never removed.
        let v = self.tree.get(&k)?.unwrap_or_default();
        Ok(chunk_last(&k, &v)?.map_or(first, |s| s + 1))
    }

    /// A chunk's bytes: the value itself, or the bytes its reference points to, checked.
    pub(super) fn chunk_bytes(&self, key: &[u8], value: IVec) -> Result<IVec, StoreError> {
        if value.first() != Some(&REF) {
            return Ok(value);
        }
        let r = ChunkRef::decode(&value)
            .ok_or_else(|| corrupt(key, "a damaged reference to a turn chunk"))?;
        Ok(IVec::from(self.turn_files.read(&r)?))
    }

    /// The chunk in sled that holds turn `seq`, if one does: its key and its value as sled
    /// holds it (a chunk, or a reference: see `chunk_bytes`).
    fn chunk_at(&self, seq: u64) -> Result<Option<(IVec, IVec)>, StoreError> {
        // The greatest key at or before `seq`'s chunk key: a chunk starting at or before it.
        let Some((k, v)) = self
            .tree
            .range(..=chunks::key(seq))
            .next_back()
            .transpose()?
        else {
            return Ok(None);
        };
        if !chunks::is_chunk(&k) {
            return Ok(None);
        }
        let last = chunk_last(&k, &v)?;
        Ok(last.filter(|&last| last >= seq).map(|_| (k, v)))
    }
}

/// The last turn a chunk's value holds (a reference says, without reading its file).
fn chunk_last(key: &[u8], value: &[u8]) -> Result<Option<u64>, StoreError> {
    if value.first() == Some(&REF) {
        return ChunkRef::decode(value)
            .map(|r| Some(r.last))
            .ok_or_else(|| corrupt(key, "a damaged reference to a turn chunk"));
    }
    Chunk::parse(value)
        .map(|c| c.last())
        .map_err(|e| corrupt(key, e))
}

#[cfg(test)]
mod tests;
