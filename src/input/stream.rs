//! Reading a stream (stdin, a decompressor) as blocks of whole lines in a fixed buffer.

use std::io::{self, ErrorKind, Read};

/// Initial block buffer; it grows only while a single line is longer than it.
pub const STREAM_BUFFER_BYTES: usize = 1 << 20;

/// The bytes of a stream not scanned yet: the lines that arrived since the last scan and the
/// start of a line whose rest has not arrived (or that the last scan left: the first pieces of
/// a split line). Shared by [`scan_stream`] and follow mode, which is handed bytes by reader
/// threads.
#[derive(Debug, Default)]
pub struct Carry {
    buf: Vec<u8>,
    filled: usize,
    /// Where `buf[0]` is in the stream.
    base: u64,
}

impl Carry {
    /// An empty carry with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Carry {
        Carry {
            buf: vec![0u8; bytes],
            filled: 0,
            base: 0,
        }
    }

    /// Adds bytes that arrived.
    pub fn push(&mut self, more: &[u8]) {
        let end = self.filled + more.len();
        if end > self.buf.len() {
            self.buf.resize(end, 0);
        }
        self.buf[self.filled..end].copy_from_slice(more);
        self.filled = end;
    }

    /// Reads once from `reader` into the room left (doubled first when there is none).
    pub fn read_from(&mut self, reader: &mut impl Read) -> io::Result<usize> {
        if self.filled == self.buf.len() {
            self.buf
                .resize((self.buf.len() * 2).max(STREAM_BUFFER_BYTES), 0);
        }
        let n = reader.read(&mut self.buf[self.filled..])?;
        self.filled += n;
        Ok(n)
    }

    /// Hands the whole lines held to `scan(block, offset, more_follows)` and keeps what it
    /// leaves for the next call; with `ended`, everything held is handed over (the last line
    /// may end without a newline) and nothing is kept.
    pub fn scan(&mut self, ended: bool, scan: impl FnOnce(&[u8], u64, bool) -> usize) {
        let complete = if ended {
            self.filled
        } else {
            memchr::memrchr(b'\n', &self.buf[..self.filled]).map_or(0, |i| i + 1)
        };
        if complete == 0 {
            return;
        }
        let used = scan(&self.buf[..complete], self.base, !ended).min(complete);
        let used = if ended { self.filled } else { used };
        if used == 0 && self.filled == self.buf.len() {
            // One line (or split line) longer than the buffer: room for more of it.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        self.buf.copy_within(used..self.filled, 0);
        self.filled -= used;
        self.base += used as u64;
    }

    /// Where the bytes held end in the stream: the bytes it has been given.
    pub fn end(&self) -> u64 {
        self.base + self.filled as u64
    }
}

/// Reads `reader` to its end, calling `scan(block, offset, more_follows)` with blocks of whole
/// lines (the last block may end without a newline), `offset` the position of `block[0]` in
/// the stream and `more_follows` false for the last block. `scan` returns how many bytes of
/// the block it consumed; the rest is offered again, with more, in the next call. Returns the
/// number of bytes read, or the error that stopped the read together with the bytes read
/// before it (everything up to the error has been scanned).
pub fn scan_stream<R: Read>(
    mut reader: R,
    mut scan: impl FnMut(&[u8], u64, bool) -> usize,
) -> Result<u64, (io::Error, u64)> {
    let mut carry = Carry::with_capacity(STREAM_BUFFER_BYTES);
    loop {
        let (n, failure) = match carry.read_from(&mut reader) {
            Ok(n) => (n, None),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => (0, Some(e)),
        };
        let at_end = n == 0;
        carry.scan(at_end, &mut scan);
        if let Some(e) = failure {
            return Err((e, carry.end()));
        }
        if at_end {
            return Ok(carry.end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_whole_lines_and_offsets_add_up() {
        let text: Vec<u8> = (0..50_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut seen = Vec::new();
        let total = scan_stream(&text[..], |block, offset, _| {
            assert_eq!(offset as usize, seen.len());
            assert!(block.ends_with(b"\n"));
            seen.extend_from_slice(block);
            block.len()
        })
        .unwrap();
        assert_eq!(seen, text);
        assert_eq!(total as usize, text.len());
    }

    #[test]
    fn a_line_longer_than_the_buffer_arrives_whole() {
        let mut text = vec![b'x'; STREAM_BUFFER_BYTES * 3];
        text.extend_from_slice(b"\nend");
        let mut blocks = Vec::new();
        scan_stream(&text[..], |block, _, _| {
            blocks.push(block.len());
            block.len()
        })
        .unwrap();
        assert_eq!(blocks, [STREAM_BUFFER_BYTES * 3 + 1, 3]);
    }
}
