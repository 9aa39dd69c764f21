//! Turns packed several to a chunk when they move from the overlay into sled: the chunk's bytes
//! go to the turn files (`turn_files`) and its key in sled holds a reference to them; a chunk
//! an earlier release wrote, or a restore, is the key's value itself.
//!
//! sled charges per key (a tree walk, a page link, a node split every 16 keys), and a turn is
//! the one key every DM adds: a third of what applying cost. So `Store::apply` packs the turns
//! it moves into chunks of a few kilobytes, each one key `t` + first turn number + `0xFF`. In
//! key order a chunk sits after its first turn's single key and before the next turn's, so a
//! scan of the `t` space meets every turn in order, whether single (written by an earlier
//! release, or replayed from the journal at start-up) or in a chunk. A chunk is written once
//! and never changed.
//!
//! Value (version 1): the version byte, the count (u16 LE), then per turn its number (u64 LE)
//! and length (u32 LE), then the turns' records back to back. A chunk holds at most
//! [`CHUNK_BYTES`] of records (one larger turn goes alone), so a sled node of 17 chunks stays
//! under the size at which sled writes a node to a file of its own.

use super::keys;
use sled::IVec;

/// Records' bytes a chunk takes before a new one starts.
pub const CHUNK_BYTES: usize = super::VALUE_BYTES;

const VERSION: u8 = 1;
const HEAD: usize = 3;
const ENTRY: usize = 12;

/// The key of the chunk whose first turn is `first`.
pub fn key(first: u64) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[..9].copy_from_slice(&keys::turn(first));
    k[9] = 0xFF;
    k
}

/// Whether `k` is a chunk's key (else a single turn's, or not a turn key at all).
pub fn is_chunk(k: &[u8]) -> bool {
    k.len() == 10 && k[0] == keys::TURN && k[9] == 0xFF
}

/// A packed chunk: its key, its value and its last turn.
pub type Packed = (IVec, IVec, u64);

/// Packs turns (in number order) into chunks.
pub fn pack(turns: impl IntoIterator<Item = (u64, IVec)>) -> Vec<Packed> {
    let mut out = Vec::new();
    let mut group: Vec<(u64, IVec)> = Vec::new();
    let mut bytes = 0;
    for (seq, record) in turns {
        if !group.is_empty() && (bytes + record.len() > CHUNK_BYTES || group.len() == 0xFFFF) {
            out.push(encode(&group));
            group.clear();
            bytes = 0;
        }
        bytes += record.len();
        group.push((seq, record));
    }
    if !group.is_empty() {
        out.push(encode(&group));
    }
    out
}

fn encode(group: &[(u64, IVec)]) -> Packed {
    let size: usize = group.iter().map(|(_, r)| ENTRY + r.len()).sum();
    let mut v = Vec::with_capacity(HEAD + size);
    v.push(VERSION);
    v.extend_from_slice(&(group.len() as u16).to_le_bytes());
    for (seq, record) in group {
        v.extend_from_slice(&seq.to_le_bytes());
        v.extend_from_slice(&(record.len() as u32).to_le_bytes());
    }
    for (_, record) in group {
        v.extend_from_slice(record);
    }
    let last = group.last().map_or(0, |(seq, _)| *seq);
    (IVec::from(&key(group[0].0)[..]), IVec::from(v), last)
}

/// A chunk read back: its turns' numbers and records, checked against its length.
pub struct Chunk<'a> {
    entries: Vec<(u64, &'a [u8])>,
}

impl<'a> Chunk<'a> {
    /// Reads a chunk's value; never trusts a length beyond the bytes there are.
    pub fn parse(value: &'a [u8]) -> Result<Chunk<'a>, &'static str> {
        let Some((&VERSION, rest)) = value.split_first() else {
            return Err("a turn chunk of an unknown version");
        };
        let Some((count, mut rest)) = rest.split_first_chunk::<2>() else {
            return Err("a turn chunk cut in its count");
        };
        let count = u16::from_le_bytes(*count) as usize;
        if rest.len() < count * ENTRY {
            return Err("a turn chunk cut in its index");
        }
        let (index, mut bodies) = rest.split_at(count * ENTRY);
        rest = index;
        let mut entries = Vec::with_capacity(count);
        for entry in rest.chunks_exact(ENTRY) {
            let seq = u64::from_le_bytes(entry[..8].try_into().unwrap_or_default());
            let len = u32::from_le_bytes(entry[8..].try_into().unwrap_or_default()) as usize;
            if len > bodies.len() {
                return Err("a turn chunk cut in a record");
            }
            let (record, more) = bodies.split_at(len);
            bodies = more;
            entries.push((seq, record));
        }
        Ok(Chunk { entries })
    }

    /// The turns, in number order.
    pub fn turns(&self) -> impl Iterator<Item = (u64, &'a [u8])> + '_ {
        self.entries.iter().copied()
    }

    /// Turn `seq`'s record, if the chunk holds it.
    pub fn get(&self, seq: u64) -> Option<&'a [u8]> {
        self.entries
            .iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, r)| *r)
    }

    /// The highest turn number it holds.
    pub fn last(&self) -> Option<u64> {
        self.entries.last().map(|(s, _)| *s)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}
