//! The bytes of a segment: a header, then frames, and a buffered reader that parses them
//! without ever allocating more than the file holds.
//!
//! Segment: `BATONJNL` (8 bytes) + format version (u32 LE, 1). Frame: `[len u32][crc u32][lsn
//! u64][payload; len]`, little-endian, where crc is CRC-32 (IEEE) of the len bytes, the lsn bytes
//! and the payload, so a damaged length is caught as well as damaged data. The frames may be
//! followed by zero bytes to the end of the file (room the writer made ahead of itself): that is
//! where the segment ends, as the end of the file would be. No frame starts with 16 zero bytes
//! (its lsn is at least 1).

use std::io;

use super::{Lsn, SegmentFile, MAX_RECORD};

const MAGIC: [u8; 8] = *b"BATONJNL";
const VERSION: u32 = 1;
pub(crate) const HEADER_LEN: u64 = 12;
pub(crate) const FRAME_HEAD: u64 = 16;
/// How much the reader fetches at a time.
const CHUNK: usize = 64 << 10;

pub(crate) fn header() -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(&MAGIC);
    h[8..].copy_from_slice(&VERSION.to_le_bytes());
    h
}

fn crc(len: [u8; 4], lsn: [u8; 8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len);
    h.update(&lsn);
    h.update(payload);
    h.finalize()
}

/// Appends one frame to `out`; the caller has checked `payload.len() <= MAX_RECORD`.
pub(crate) fn encode(out: &mut Vec<u8>, lsn: Lsn, payload: &[u8]) {
    // MAX_RECORD fits in a u32, so this never saturates for a checked payload.
    let len = u32::try_from(payload.len())
        .unwrap_or(u32::MAX)
        .to_le_bytes();
    let lsn = lsn.to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc(len, lsn, payload).to_le_bytes());
    out.extend_from_slice(&lsn);
    out.extend_from_slice(payload);
}

/// What is at an offset of a segment.
#[derive(Debug)]
pub(crate) enum Frame {
    Record {
        lsn: Lsn,
        payload: Vec<u8>,
        end: u64,
    },
    /// The file ends exactly here, or only zero bytes follow.
    End,
    /// Not a whole, valid frame: why.
    Bad(&'static str),
}

/// Reads a segment through a buffer (one `read_at` per 64 KiB, not one per frame).
pub(crate) struct Reader {
    file: Box<dyn SegmentFile>,
    len: u64,
    buf: Vec<u8>,
    buf_at: u64,
}

impl Reader {
    pub(crate) fn new(file: Box<dyn SegmentFile>) -> io::Result<Reader> {
        let len = file.len()?;
        Ok(Reader {
            file,
            len,
            buf: Vec::new(),
            buf_at: 0,
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn into_file(self) -> Box<dyn SegmentFile> {
        self.file
    }

    /// `n` bytes at `at`; the caller has checked that they are inside the file.
    fn bytes(&mut self, at: u64, n: usize) -> io::Result<&[u8]> {
        let end = at + n as u64;
        let have = self.buf_at + self.buf.len() as u64;
        if at < self.buf_at || end > have {
            let want = n
                .max(CHUNK)
                .min(usize::try_from(self.len - at).unwrap_or(usize::MAX));
            self.buf.resize(want, 0);
            let mut filled = 0;
            while filled < want {
                let got = self
                    .file
                    .read_at(at + filled as u64, &mut self.buf[filled..])?;
                if got == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file is shorter than it said",
                    ));
                }
                filled += got;
            }
            self.buf_at = at;
        }
        let from = usize::try_from(at - self.buf_at).unwrap_or(usize::MAX);
        Ok(&self.buf[from..from + n])
    }

    /// Whether the file starts with a valid header.
    pub(crate) fn header_ok(&mut self) -> io::Result<bool> {
        if self.len < HEADER_LEN {
            return Ok(false);
        }
        Ok(self.bytes(0, HEADER_LEN as usize)? == header())
    }

    /// Whether every byte from `at` to the end of the file is zero.
    fn zeros_from(&mut self, at: u64) -> io::Result<bool> {
        let mut pos = at;
        while pos < self.len {
            let n = usize::try_from(self.len - pos)
                .unwrap_or(usize::MAX)
                .min(CHUNK);
            if self.bytes(pos, n)?.iter().any(|&b| b != 0) {
                return Ok(false);
            }
            pos += n as u64;
        }
        Ok(true)
    }

    /// The frame at `at` (whose lsn is not checked here).
    pub(crate) fn frame(&mut self, at: u64) -> io::Result<Frame> {
        let left = self.len.saturating_sub(at);
        if left == 0 {
            return Ok(Frame::End);
        }
        let head = usize::try_from(left.min(FRAME_HEAD)).unwrap_or(0);
        if self.bytes(at, head)?.iter().all(|&b| b == 0) && self.zeros_from(at)? {
            return Ok(Frame::End);
        }
        if left < FRAME_HEAD {
            return Ok(Frame::Bad("a frame header cut short"));
        }
        let head = self.bytes(at, FRAME_HEAD as usize)?;
        let len4: [u8; 4] = [head[0], head[1], head[2], head[3]];
        let want = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let mut lsn8 = [0u8; 8];
        lsn8.copy_from_slice(&head[8..16]);
        let len = u32::from_le_bytes(len4) as usize;
        // Checked before anything is allocated for the payload.
        if len > MAX_RECORD {
            return Ok(Frame::Bad("a length larger than any record"));
        }
        if len as u64 > left - FRAME_HEAD {
            return Ok(Frame::Bad("a frame cut short"));
        }
        let payload = self.bytes(at + FRAME_HEAD, len)?;
        if crc(len4, lsn8, payload) != want {
            return Ok(Frame::Bad("a checksum that does not match"));
        }
        let payload = payload.to_vec();
        Ok(Frame::Record {
            lsn: Lsn::from_le_bytes(lsn8),
            payload,
            end: at + FRAME_HEAD + len as u64,
        })
    }

    /// The lsn a frame at `at` claims, unchecked (to skip candidates cheaply).
    fn claimed_lsn(&mut self, at: u64) -> io::Result<Lsn> {
        let head = self.bytes(at, FRAME_HEAD as usize)?;
        let mut lsn8 = [0u8; 8];
        lsn8.copy_from_slice(&head[8..16]);
        Ok(Lsn::from_le_bytes(lsn8))
    }

    /// The first offset at or after `from` holding a valid frame numbered after `prev` (and
    /// no further than the rest of the file could number), if any.
    pub(crate) fn resync(&mut self, from: u64, prev: Lsn) -> io::Result<Option<u64>> {
        let mut at = from;
        while at + FRAME_HEAD <= self.len {
            let most = prev.saturating_add(1 + (self.len - at) / FRAME_HEAD);
            let lsn = self.claimed_lsn(at)?;
            if lsn > prev && lsn <= most {
                if let Frame::Record { .. } = self.frame(at)? {
                    return Ok(Some(at));
                }
            }
            at += 1;
        }
        Ok(None)
    }
}
