//! A large plain file cut into newline-aligned ranges, each read with positioned reads
//! (`pread`) into the reader's own buffer, so one file is searched on every core without
//! being memory-mapped.
//!
//! A mapped file that shrinks under the reader kills the process with SIGBUS; bytes read into
//! our own buffer cannot change once read. Positioned reads need no shared cursor, so the
//! ranges of one file are read by as many threads as there are cores, as the chunks of a
//! mapped file were.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

/// How much is read at a time while looking for the newline that ends a range.
const PROBE_BYTES: usize = 64 << 10;

/// Cuts the first `len` bytes of `file` into ranges of about `target` bytes, each ending just
/// after a newline (the last at `len`): every byte is in exactly one range, as
/// [`crate::input::chunk::split_lines`] cuts bytes in memory. A file that shrinks meanwhile
/// ends the cutting early; its last range still ends at `len`, and reading it reports the
/// shrink.
pub fn line_ranges(file: &File, len: u64, target: u64) -> Vec<Range<u64>> {
    let target = target.max(1);
    let mut out = Vec::with_capacity(usize::try_from(len / target + 1).unwrap_or(1));
    let mut probe = vec![0u8; PROBE_BYTES];
    let mut start = 0;
    while start < len {
        let end = match start.checked_add(target).filter(|&want| want < len) {
            Some(want) => next_line_start(file, want, len, &mut probe),
            None => len,
        };
        out.push(start..end);
        start = end;
    }
    out
}

/// Where the line after the one holding byte `from` starts: just past the first newline at or
/// after `from`, or `len` when there is none (or the file ends early).
fn next_line_start(file: &File, from: u64, len: u64, probe: &mut [u8]) -> u64 {
    let mut at = from;
    while at < len {
        let want = probe
            .len()
            .min(usize::try_from(len - at).unwrap_or(usize::MAX));
        let got = match read_at(file, &mut probe[..want], at) {
            Ok(0) | Err(_) => return len,
            Ok(n) => n,
        };
        if let Some(i) = memchr::memchr(b'\n', &probe[..got]) {
            return at + i as u64 + 1;
        }
        at += got as u64;
    }
    len
}

/// One range of a file, read front to back with positioned reads. It ends early (as a reader
/// at its end) when the file has shrunk below the range: the caller compares what it read with
/// the range's length.
pub struct RangeReader {
    file: Arc<File>,
    at: u64,
    end: u64,
}

impl RangeReader {
    /// A reader of `range` of `file`.
    pub fn new(file: Arc<File>, range: Range<u64>) -> RangeReader {
        RangeReader {
            file,
            at: range.start,
            end: range.end,
        }
    }
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end.saturating_sub(self.at)).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(&self.file, &mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::chunk::split_lines;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn ranges_match_the_chunks_of_the_same_bytes_in_memory() {
        let text = b"aa\nbbbb\nc\n\nddddd";
        let file = file_of(text);
        for target in 1..text.len() + 2 {
            let ranges = line_ranges(&file, text.len() as u64, target as u64);
            let chunks = split_lines(text, target);
            let as_u64: Vec<Range<u64>> = chunks
                .iter()
                .map(|r| r.start as u64..r.end as u64)
                .collect();
            assert_eq!(ranges, as_u64, "target {target}");
        }
        assert!(line_ranges(&file, 0, 4).is_empty());
    }

    #[test]
    fn a_line_longer_than_the_probe_is_one_range() {
        let mut text = vec![b'x'; PROBE_BYTES * 3];
        text.extend_from_slice(b"\nshort\n");
        let file = file_of(&text);
        let len = text.len() as u64;
        assert_eq!(
            line_ranges(&file, len, 10),
            [
                0..PROBE_BYTES as u64 * 3 + 1,
                PROBE_BYTES as u64 * 3 + 1..len
            ]
        );
    }

    #[test]
    fn a_reader_reads_its_range_and_stops_short_where_the_file_does() {
        let file = Arc::new(file_of(b"0123456789"));
        let mut got = String::new();
        RangeReader::new(file.clone(), 2..7)
            .read_to_string(&mut got)
            .unwrap();
        assert_eq!(got, "23456");
        file.set_len(4).unwrap();
        got.clear();
        RangeReader::new(file, 2..7)
            .read_to_string(&mut got)
            .unwrap();
        assert_eq!(got, "23", "a shrunk file ends the range early");
    }
}
