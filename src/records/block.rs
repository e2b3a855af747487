//! A block of lines to scan, and the two traits every scan and every mode meet at.
//!
//! A [`Block`] is a run of whole lines of one source: a chunk of a file read whole, or a stream's
//! buffer. A [`BlockScan`] reads the lines of a block into a sink of its choosing: the
//! one-trace search into the records of the trace, the every-line scan into a [`LineSink`]
//! that a mode implements. The search worker drives both the same way; both are generic, so
//! no line goes through a virtual call.

use crate::diag::Diagnostics;
use crate::records::{AnyLine, LineIds, LineRef, LineView, SourceId};

/// Lines to scan: those of `bytes` that start in `from..to`.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// The source's bytes (all of a file read whole, or a stream's current buffer).
    pub bytes: &'a [u8],
    /// First line to scan; must be a line start.
    pub from: usize,
    /// Lines starting at or after this are left to the next block.
    pub to: usize,
    /// Where `bytes[0]` is in the source.
    pub base_offset: u64,
    /// The source.
    pub source: SourceId,
    /// The source goes on past `bytes` (a stream read block by block): a split line at the
    /// end is then left for the next call.
    pub more_follows: bool,
}

impl<'a> Block<'a> {
    /// The lines of a file read whole that start in `range` (a chunk of it).
    pub fn of_chunk(
        bytes: &'a [u8],
        range: &std::ops::Range<usize>,
        source: SourceId,
    ) -> Block<'a> {
        Block {
            bytes,
            from: range.start,
            to: range.end,
            base_offset: 0,
            source,
            more_follows: false,
        }
    }

    /// A stream's buffer, `offset` bytes into `source`, all of it to scan.
    pub fn of_stream(
        bytes: &'a [u8],
        offset: u64,
        source: SourceId,
        more_follows: bool,
    ) -> Block<'a> {
        Block {
            bytes,
            from: 0,
            to: bytes.len(),
            base_offset: offset,
            source,
            more_follows,
        }
    }
}

/// What a mode does with each line that carries a trace id, in a scan of every line.
pub trait LineSink {
    /// One line: its fields, its ids (decoded once), where it lives, and the service its
    /// source stands for when the line names none (see [`crate::records::service`]).
    fn line(&mut self, line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>);

    /// A JSON line without a trace id. Most sinks ignore it; the completeness checks look
    /// for lines whose id field lost its value (see [`crate::records::context`]).
    #[inline(always)]
    fn untraced(&mut self, _line: &LineView<'_>, _at: LineRef, _fallback: Option<&str>) {}
}

impl<F> LineSink for F
where
    F: FnMut(&AnyLine<'_>, &LineIds, LineRef, Option<&str>),
{
    fn line(&mut self, line: &AnyLine<'_>, ids: &LineIds, at: LineRef, fallback: Option<&str>) {
        self(line, ids, at, fallback)
    }
}

/// A scan that reads blocks of lines into a sink of type `K`.
pub trait BlockScan<K> {
    /// What the scan of one unit (a chunk of a file, or a whole stream) carries from a block
    /// to the next, so that the answer does not depend on where a stream's reads cut it.
    type State: Default;

    /// Scans the lines of `block` into `sink`, counting what it meets in `diag`; `fallback`
    /// is the service the block's source stands for. Returns where the next call for the same
    /// source must start (a stream leaves a split line at its end for the next block).
    fn scan_block(
        &self,
        block: &Block<'_>,
        fallback: Option<&str>,
        state: &mut Self::State,
        diag: &mut Diagnostics,
        sink: &mut K,
    ) -> usize;
}
