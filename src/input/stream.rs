//! Reading a stream (stdin, a decompressor) as blocks of whole lines in a fixed buffer.

use std::io::{self, ErrorKind, Read};

/// Initial block buffer; it grows only while a single line is longer than it.
pub const STREAM_BUFFER_BYTES: usize = 1 << 20;

/// Reads `reader` to its end, calling `scan(block, offset, more_follows)` with blocks of whole
/// lines (the last block may end without a newline), `offset` the position of `block[0]` in
/// the stream and `more_follows` false for the last block. `scan` returns how many bytes of
/// the block it consumed; the rest is offered again, with more, in the next call. Returns the number of bytes read, or the error that stopped the read together
/// with the bytes read before it (everything up to the error has been scanned).
pub fn scan_stream<R: Read>(
    mut reader: R,
    mut scan: impl FnMut(&[u8], u64, bool) -> usize,
) -> Result<u64, (io::Error, u64)> {
    let mut buf = vec![0u8; STREAM_BUFFER_BYTES];
    let mut filled = 0usize;
    let mut base = 0u64;
    loop {
        if filled == buf.len() {
            // One line fills the whole buffer: grow it rather than cut the line.
            buf.resize(buf.len() * 2, 0);
        }
        let (n, failure) = match reader.read(&mut buf[filled..]) {
            Ok(n) => (n, None),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => (0, Some(e)),
        };
        filled += n;
        let at_end = n == 0;
        let complete = if at_end {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None => continue,
            }
        };
        if complete > 0 {
            let used = scan(&buf[..complete], base, !at_end).min(complete);
            // At the end everything was offered; nothing can be carried further.
            let used = if at_end { filled } else { used };
            if used == 0 && filled == buf.len() {
                // Nothing could be used yet (one split line fills the buffer): grow it.
                buf.resize(buf.len() * 2, 0);
            }
            buf.copy_within(used..filled, 0);
            filled -= used;
            base += used as u64;
        }
        if let Some(e) = failure {
            return Err((e, base + filled as u64));
        }
        if at_end {
            return Ok(base);
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
