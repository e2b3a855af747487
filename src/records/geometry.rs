//! Line geometry: where lines start and end in a block, which lines are pieces of one split
//! line (CRI `P` lines, Docker json-file fragments) and how the pieces join, and where a
//! block's scan must stop so that a split line is read whole, by one block.

use crate::records::envelope::{is_docker_fragment, unwrap_line, Envelope};

/// Where scanning of a block stops: at `to`, moved past the end of a split line that starts
/// before it, or back to its start when the rest has not arrived yet (`more_follows`).
pub fn block_limit(hay: &[u8], pos: usize, to: usize, more_follows: bool) -> usize {
    match last_line_start(hay, to) {
        Some(last) if last >= pos && is_partial_piece(line_at(hay, last)) => {
            let run_start = run_start(hay, last, pos);
            if more_follows && to >= hay.len() {
                run_start
            } else {
                line_end(hay, run_end(hay, last))
                    .saturating_add(1)
                    .min(hay.len())
                    .max(to)
            }
        }
        _ => to,
    }
}

/// Joins the pieces of a split line (CRI `P`…`F` payloads, Docker fragments' `log` texts).
/// Returns the joined bytes and the envelope of the first piece, whose time falls back to the
/// Docker time; the caller points the envelope's payload at the joined bytes.
pub fn join_pieces(run: &[u8], offset: u64) -> Option<(Vec<u8>, Envelope<'_>)> {
    let mut joined = Vec::with_capacity(run.len());
    let mut envelope: Option<Envelope<'_>> = None;
    let mut docker_time = None;
    for piece in run.split(|&b| b == b'\n') {
        let piece = trim_line(piece, offset);
        if piece.starts_with(b"{\"log\":\"") {
            let fragment: DockerFragment = serde_json::from_slice(piece).ok()?;
            joined.extend_from_slice(fragment.log.as_bytes());
            docker_time = fragment
                .time
                .as_deref()
                .and_then(crate::records::time::parse_time_text);
        } else {
            let env = unwrap_line(piece);
            joined.extend_from_slice(env.payload);
            envelope.get_or_insert(env);
        }
    }
    let mut env = envelope.unwrap_or_default();
    env.time = env.time.or(docker_time);
    Some((joined, env))
}

/// A Docker json-file line, for joining fragments.
#[derive(serde::Deserialize)]
struct DockerFragment {
    log: String,
    time: Option<String>,
}

/// A line without its `\r`, and without a byte-order mark at the start of a source.
pub fn trim_line(raw: &[u8], offset: u64) -> &[u8] {
    let line = raw.strip_suffix(b"\r").unwrap_or(raw);
    if offset == 0 {
        line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
    } else {
        line
    }
}

/// End (exclusive, at the newline or the end) of the line starting at `start`.
pub fn line_end(hay: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &hay[start.min(hay.len())..]).map_or(hay.len(), |i| start + i)
}

/// The line starting at `start`, without its newline and `\r`.
pub fn line_at(hay: &[u8], start: usize) -> &[u8] {
    let line = &hay[start..line_end(hay, start)];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Start of the line before the one starting at `start`, if it is at or after `floor`.
fn previous_line_start(hay: &[u8], start: usize, floor: usize) -> Option<usize> {
    if start == 0 || start <= floor {
        return None;
    }
    let before = &hay[floor..start - 1];
    Some(memchr::memrchr(b'\n', before).map_or(floor, |i| floor + i + 1))
}

/// Start of the last line that begins before `to`.
fn last_line_start(hay: &[u8], to: usize) -> Option<usize> {
    if to == 0 {
        return None;
    }
    let scan = &hay[..to - 1];
    Some(memchr::memrchr(b'\n', scan).map_or(0, |i| i + 1))
}

/// Whether a line says the next line continues it (CRI `P`, a Docker fragment).
fn is_partial_piece(line: &[u8]) -> bool {
    is_docker_fragment(line) || unwrap_line(line).partial
}

/// Whether the line at `start` is part of a split line: partial itself, or after one.
pub fn is_piece(hay: &[u8], start: usize, floor: usize) -> bool {
    starts_partial_piece(hay, start)
        || previous_line_start(hay, start, floor).is_some_and(|p| starts_partial_piece(hay, p))
}

/// [`is_partial_piece`] of the line starting at `start`. A line that opens its object at once
/// has neither a CRI timestamp nor a kubectl prefix, so only Docker's `{"log":"` can make it a
/// piece: most lines are decided by their first bytes, without looking for their end.
fn starts_partial_piece(hay: &[u8], start: usize) -> bool {
    let rest = &hay[start..];
    if rest.first() == Some(&b'{') && !rest.starts_with(b"{\"log\":\"") {
        return false;
    }
    is_partial_piece(line_at(hay, start))
}

/// First piece of the split line that the line at `start` belongs to (not before `floor`).
pub fn run_start(hay: &[u8], mut start: usize, floor: usize) -> usize {
    while let Some(prev) = previous_line_start(hay, start, floor) {
        if !is_partial_piece(line_at(hay, prev)) {
            break;
        }
        start = prev;
    }
    start
}

/// Last piece of the split line that the line at `start` belongs to.
pub fn run_end(hay: &[u8], mut start: usize) -> usize {
    while is_partial_piece(line_at(hay, start)) {
        let next = line_end(hay, start) + 1;
        if next >= hay.len() {
            break;
        }
        start = next;
    }
    start
}

/// Skips the pieces at `from` whose split line began before it: the previous block owns them.
pub fn skip_foreign_pieces(hay: &[u8], from: usize) -> usize {
    let Some(prev) = previous_line_start(hay, from, 0) else {
        return from;
    };
    if !is_partial_piece(line_at(hay, prev)) {
        return from;
    }
    let last = run_end(hay, from);
    line_end(hay, last).saturating_add(1).min(hay.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first-bytes shortcut agrees with reading each whole line.
    #[test]
    fn pieces_are_found_by_their_first_bytes_as_by_the_whole_line() {
        let hay: &[u8] = b"{\"a\":1}\n\
            {\"log\":\"part one\",\"stream\":\"stdout\",\"time\":\"2026-11-20T10:00:00Z\"}\n\
            {\"log\":\"part two\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-20T10:00:00Z\"}\n\
            2026-11-20T10:00:00.000000000Z stdout P {\"msg\":\n\
            2026-11-20T10:00:00.000000000Z stdout F \"x\"}\n\
            {\"log\":\"whole\\n\",\"stream\":\"stdout\"}\n\
            \n\
            {\"b\":2}\r\n";
        let mut start = 0;
        let mut seen = Vec::new();
        while start < hay.len() {
            let whole = is_partial_piece(line_at(hay, start));
            assert_eq!(starts_partial_piece(hay, start), whole, "line at {start}");
            seen.push((whole, is_piece(hay, start, 0)));
            start = line_end(hay, start) + 1;
        }
        let expected = [
            (false, false),
            (true, true),
            (false, true),
            (true, true),
            (false, true),
            (false, false),
            (false, false),
            (false, false),
        ];
        assert_eq!(seen, expected);
    }
}
