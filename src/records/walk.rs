//! The one line walker: every scan visits the lines of a block through [`walk_lines`], which
//! owns the block's bounds (a split line belongs to the block where its first piece starts,
//! and is read whole) and hands each visited line, or split line, to the scan. What differs
//! between scans is only which lines they visit ([`Visit`]): every line ([`EveryLine`], for
//! views of every trace) or the lines the prefilter hits (the one-trace search).

use crate::records::block::Block;
use crate::records::geometry::{
    block_limit, is_piece, line_end, run_end, run_start, skip_foreign_pieces,
};

/// Which lines of a block a walk visits.
pub trait Visit {
    /// The start of the next line to visit that starts at or after `pos` (a line start) and
    /// holds something before `limit`; `None` when there is none.
    fn next_line(&self, hay: &[u8], pos: usize, limit: usize) -> Option<usize>;
}

/// Every line.
#[derive(Debug, Clone, Copy, Default)]
pub struct EveryLine;

impl Visit for EveryLine {
    #[inline]
    fn next_line(&self, _hay: &[u8], pos: usize, limit: usize) -> Option<usize> {
        (pos < limit).then_some(pos)
    }
}

/// A line the walk visits: one line, or the pieces of a split line (CRI `P` lines, Docker
/// fragments), `first..end` of the block's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Visited {
    /// Where the line (or its first piece) starts.
    pub first: usize,
    /// Where it (or its last piece) ends, at the newline or the end of the bytes.
    pub end: usize,
    /// It is a split line.
    pub piece: bool,
    /// Where the walk goes on unless the scan says further (past a stack trace it took).
    pub next: usize,
}

/// Walks the lines of `block` that `visit` selects, handing each to `scan`, which returns
/// where the walk resumes (at least [`Visited::next`]). Returns where the next block of the
/// same source must start.
#[inline]
pub fn walk_lines(
    block: &Block<'_>,
    visit: &impl Visit,
    mut scan: impl FnMut(&Visited) -> usize,
) -> usize {
    let hay = block.bytes;
    let to = block.to.min(hay.len());
    // A split line belongs to the block where its first piece starts.
    let mut pos = skip_foreign_pieces(hay, block.from);
    let limit = block_limit(hay, pos, to, block.more_follows);
    while pos < limit {
        let Some(start) = visit.next_line(hay, pos, limit) else {
            break;
        };
        let piece = is_piece(hay, start, pos);
        let (first, last) = if piece {
            (run_start(hay, start, pos), run_end(hay, start))
        } else {
            (start, start)
        };
        let end = line_end(hay, last);
        let next = end.saturating_add(1).min(hay.len());
        pos = scan(&Visited {
            first,
            end,
            piece,
            next,
        })
        .max(next);
    }
    limit
}
