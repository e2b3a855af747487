//! Reading a stream (stdin, a decompressor) as blocks of whole lines in a fixed buffer.

use std::io::{self, ErrorKind, Read};

/// Initial block buffer; it grows only while a single line is longer than it.
pub const STREAM_BUFFER_BYTES: usize = 1 << 20;

/// The longest line a stream of unknown length keeps (stdin, a compressed file; a plain file
/// read with `read()` keeps lines up to its own length): a longer one (a gigabyte of zeros
/// decompressed from a megabyte) is skipped to its end and reported, so memory stays within
/// 256 MB of the input's size whatever the stream holds (the buffer grows by doubling).
pub const MAX_LINE_BYTES: usize = 128 << 20;

/// Lines a stream skipped for being longer than [`MAX_LINE_BYTES`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Overlong {
    /// How many.
    pub lines: u64,
    /// Where the first one starts in the stream.
    pub first_at: u64,
}

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
    /// Inside a line too long to keep: bytes are dropped up to its end.
    skipping: bool,
    overlong: Overlong,
    /// The longest line kept; 0 stands for [`MAX_LINE_BYTES`].
    max_line: usize,
}

impl Carry {
    /// An empty carry with room for `bytes`, keeping lines up to `max_line` bytes (at least
    /// [`MAX_LINE_BYTES`]).
    pub fn with_capacity(bytes: usize, max_line: usize) -> Carry {
        let mut buf = SPARE.with(|spare| spare.take());
        // A spare buffer's old bytes are as good as zeros: only `filled` bytes are read.
        buf.resize(bytes, 0);
        Carry {
            max_line,
            buf,
            filled: 0,
            base: 0,
            skipping: false,
            overlong: Overlong::default(),
        }
    }

    /// Adds bytes that arrived.
    pub fn push(&mut self, more: &[u8]) {
        if self.filled + more.len() > self.max_line() {
            self.drop_held();
        }
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
            if self.buf.len() >= self.max_line() {
                self.drop_held();
            } else {
                self.buf.resize(self.grown(), 0);
            }
        }
        let n = reader.read(&mut self.buf[self.filled..])?;
        self.filled += n;
        Ok(n)
    }

    /// Hands the whole lines held to `scan(block, offset, more_follows)` and keeps what it
    /// leaves for the next call; with `ended`, everything held is handed over (the last line
    /// may end without a newline) and nothing is kept.
    pub fn scan(&mut self, ended: bool, scan: impl FnOnce(&[u8], u64, bool) -> usize) {
        if self.skipping {
            // The rest of a line too long to keep: dropped up to its newline.
            match memchr::memchr(b'\n', &self.buf[..self.filled]) {
                Some(i) => {
                    self.consume(i + 1);
                    self.skipping = false;
                }
                None => {
                    self.consume(self.filled);
                    return;
                }
            }
        }
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
            if self.buf.len() >= self.max_line() {
                self.drop_held();
                return;
            }
            self.buf.resize(self.grown(), 0);
        }
        self.consume(used);
    }

    /// The next size of a full buffer: doubled, but never past what the stream can hold (a
    /// plain file's length), so a file that is one long line costs its size, not twice it.
    fn grown(&self) -> usize {
        let doubled = (self.buf.len() * 2).max(STREAM_BUFFER_BYTES);
        if self.max_line > MAX_LINE_BYTES {
            doubled.min(self.max_line.saturating_add(1))
        } else {
            doubled
        }
    }

    fn max_line(&self) -> usize {
        self.max_line.max(MAX_LINE_BYTES)
    }

    /// Forgets the first `used` bytes held.
    fn consume(&mut self, used: usize) {
        self.buf.copy_within(used..self.filled, 0);
        self.filled -= used;
        self.base += used as u64;
    }

    /// Drops what is held (the start of a line longer than [`MAX_LINE_BYTES`]) and the rest
    /// of that line as it arrives, noting it.
    fn drop_held(&mut self) {
        if !self.skipping {
            if self.overlong.lines == 0 {
                self.overlong.first_at = self.base;
            }
            self.overlong.lines += 1;
        }
        self.skipping = true;
        self.consume(self.filled);
    }

    /// The lines skipped for being longer than [`MAX_LINE_BYTES`].
    pub fn overlong(&self) -> Overlong {
        self.overlong
    }

    /// Where the bytes held end in the stream: the bytes it has been given.
    pub fn end(&self) -> u64 {
        self.base + self.filled as u64
    }
}

thread_local! {
    /// A buffer of a finished [`Carry`], for the thread's next one: a search reads one unit
    /// after another, and a fresh megabyte each time was zeroed and faulted in again.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Drop for Carry {
    fn drop(&mut self) {
        // Only the usual size is kept: a buffer grown for one long line goes back.
        if self.buf.capacity() == STREAM_BUFFER_BYTES {
            let buf = std::mem::take(&mut self.buf);
            SPARE.with(|spare| spare.set(buf));
        }
    }
}

/// How a stream's read ended.
#[derive(Debug)]
pub struct StreamEnd {
    /// Bytes read.
    pub bytes: u64,
    /// The error that stopped the read (everything before it was scanned, but for a line it
    /// cut short).
    pub error: Option<io::Error>,
    /// Lines skipped for being longer than [`MAX_LINE_BYTES`].
    pub overlong: Overlong,
}

/// Reads `reader` to its end, calling `scan(block, offset, more_follows)` with blocks of whole
/// lines (the last block may end without a newline; lines longer than `max_line`, at least
/// [`MAX_LINE_BYTES`], are skipped and counted), `offset` the position of `block[0]` in
/// the stream and `more_follows` false for the last block. `scan` returns how many bytes of
/// the block it consumed; the rest is offered again, with more, in the next call. A read that
/// fails leaves the line it cut unscanned (the failure is reported instead of a damaged line).
pub fn scan_stream<R: Read>(
    mut reader: R,
    max_line: usize,
    mut scan: impl FnMut(&[u8], u64, bool) -> usize,
) -> StreamEnd {
    let mut carry = Carry::with_capacity(STREAM_BUFFER_BYTES, max_line);
    loop {
        let (n, failure) = match carry.read_from(&mut reader) {
            Ok(n) => (n, None),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => (0, Some(e)),
        };
        let at_end = n == 0 && failure.is_none();
        carry.scan(at_end, &mut scan);
        if failure.is_some() || at_end {
            return StreamEnd {
                bytes: carry.end(),
                error: failure,
                overlong: carry.overlong(),
            };
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
        let total = scan_stream(&text[..], 0, |block, offset, _| {
            assert_eq!(offset as usize, seen.len());
            assert!(block.ends_with(b"\n"));
            seen.extend_from_slice(block);
            block.len()
        })
        .bytes;
        assert_eq!(seen, text);
        assert_eq!(total as usize, text.len());
    }

    #[test]
    fn a_line_longer_than_the_buffer_arrives_whole() {
        let mut text = vec![b'x'; STREAM_BUFFER_BYTES * 3];
        text.extend_from_slice(b"\nend");
        let mut blocks = Vec::new();
        let end = scan_stream(&text[..], 0, |block, _, _| {
            blocks.push(block.len());
            block.len()
        });
        assert!(end.error.is_none());
        assert_eq!(blocks, [STREAM_BUFFER_BYTES * 3 + 1, 3]);
    }

    #[test]
    fn a_line_longer_than_the_cap_is_skipped_and_noted() {
        let mut text = b"first\n".to_vec();
        text.resize(text.len() + MAX_LINE_BYTES + 5, b'x');
        text.extend_from_slice(b"\nlast\n");
        let mut seen = Vec::new();
        let end = scan_stream(&text[..], 0, |block, _, _| {
            seen.extend_from_slice(block);
            block.len()
        });
        assert_eq!(seen, b"first\nlast\n");
        assert_eq!(end.bytes, text.len() as u64);
        assert_eq!(
            end.overlong,
            Overlong {
                lines: 1,
                first_at: 6
            }
        );
    }
}
