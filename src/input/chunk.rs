//! Newline-aligned chunks of a file read whole (a small file, or a document put back on
//! one line each), so even one of them is searched on every core.

use std::ops::Range;

/// Chunk size for parallel scans: big enough that per-task overhead vanishes, small enough
/// that two cores share even a single file.
pub const CHUNK_BYTES: usize = 8 << 20;

/// Splits `bytes` into ranges of about `target` bytes, each ending just after a newline (or at
/// the end). Every byte is in exactly one range.
pub fn split_lines(bytes: &[u8], target: usize) -> Vec<Range<usize>> {
    let target = target.max(1);
    let mut out = Vec::with_capacity(bytes.len() / target + 1);
    let mut start = 0;
    while start < bytes.len() {
        let want = start.saturating_add(target);
        let end = if want >= bytes.len() {
            bytes.len()
        } else {
            memchr::memchr(b'\n', &bytes[want..]).map_or(bytes.len(), |i| want + i + 1)
        };
        out.push(start..end);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_on_line_boundaries() {
        let text = b"aa\nbbbb\nc\n\nddddd";
        for target in 1..text.len() + 2 {
            let chunks = split_lines(text, target);
            let joined: Vec<u8> = chunks
                .iter()
                .flat_map(|r| text[r.clone()].to_vec())
                .collect();
            assert_eq!(joined, text);
            for r in &chunks[..chunks.len() - 1] {
                assert_eq!(text[r.end - 1], b'\n');
            }
        }
        assert!(split_lines(b"", 4).is_empty());
    }
}
