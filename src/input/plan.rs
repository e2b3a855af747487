//! The plan of a parallel read: every source opened (read whole, or as a stream) and cut
//! into units of work, one per chunk of a file read whole or per stream.

use std::io::Read;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::input::chunk::{split_lines, CHUNK_BYTES};
use crate::input::open::{open_file, Compression, Opened, PlainBytes};
use crate::input::range::{line_ranges, RangeReader};
use crate::input::walk::{collect_files, path_error};
use crate::input::Source;
use crate::records::SourceId;

/// A source read as one stream: a compressed file, or a range of a large plain file.
pub struct StreamSource {
    /// Which source.
    pub source: SourceId,
    /// Its format (`None`: a range of a plain file).
    pub compression: Option<Compression>,
    /// For a range of a plain file, its length (the file was at least this long when opened):
    /// a read that ends short of it met a truncation.
    pub expected_len: Option<u64>,
    /// Where the reader's first byte is in the source (a range of a large plain file starts
    /// past 0).
    pub base: u64,
    /// The decoding reader.
    pub reader: Box<dyn Read + Send>,
}

/// Every source, opened.
pub struct Plan {
    /// All sources, in walk order; ids index this.
    pub sources: Vec<Source>,
    /// Small plain files, read whole.
    pub plain: Vec<(SourceId, PlainBytes)>,
    /// Compressed files.
    pub streams: Vec<StreamSource>,
    /// `PATH: reason` for sources that could not be read (they make the exit status 2).
    pub errors: Vec<String>,
    /// `PATH: reason` for sources skipped on purpose (binary files).
    pub notes: Vec<String>,
}

/// A piece of work for one thread.
pub enum Unit<'a> {
    /// A newline-aligned range of a plain file.
    Chunk {
        /// Which source.
        source: SourceId,
        /// All of its bytes.
        bytes: &'a PlainBytes,
        /// The lines to read.
        range: Range<usize>,
    },
    /// A compressed file, or a range of a large plain file.
    Stream(StreamSource),
}

impl Plan {
    /// Walks the paths and opens every file (cheap: a map or a decoder).
    pub fn open(paths: &[PathBuf]) -> Plan {
        let (files, walk_errors) = collect_files(paths);
        let mut plan = Plan {
            sources: files.iter().map(|p| Source::file(p)).collect(),
            plain: Vec::new(),
            streams: Vec::new(),
            errors: walk_errors.iter().map(ToString::to_string).collect(),
            notes: Vec::new(),
        };
        for (i, path) in files.iter().enumerate() {
            let source = i as SourceId;
            match open_file(path) {
                Ok(Opened::Plain(bytes)) => plan.plain.push((source, bytes)),
                Ok(Opened::Compressed(compression, reader)) => plan.streams.push(StreamSource {
                    source,
                    compression: Some(compression),
                    expected_len: None,
                    base: 0,
                    reader,
                }),
                Ok(Opened::Large(file, len)) => {
                    let ranges = line_ranges(&file, len, CHUNK_BYTES as u64);
                    let file = Arc::new(file);
                    plan.streams
                        .extend(ranges.into_iter().map(|range| StreamSource {
                            source,
                            compression: None,
                            expected_len: Some(range.end - range.start),
                            base: range.start,
                            reader: Box::new(RangeReader::new(Arc::clone(&file), range)),
                        }));
                }
                Ok(Opened::Binary) => plan
                    .notes
                    .push(format!("{}: binary file, skipped", path.display())),
                Err(e) => plan.errors.push(path_error(path, &e)),
            }
        }
        plan
    }

    /// Bytes of the plain files, read whole or as streams (what a progress bar counts: a compressed
    /// file's decoded size is unknown until it is read).
    pub fn plain_bytes(&self) -> u64 {
        let whole: u64 = self.plain.iter().map(|(_, b)| b.len() as u64).sum();
        let streamed: u64 = self.streams.iter().filter_map(|s| s.expected_len).sum();
        whole + streamed
    }
}

impl Unit<'_> {
    /// The bytes of a plain file this unit covers (0 for a compressed file): its share of
    /// [`Plan::plain_bytes`].
    pub fn plain_len(&self) -> u64 {
        match self {
            Unit::Chunk { range, .. } => range.len() as u64,
            Unit::Stream(stream) => stream.expected_len.unwrap_or(0),
        }
    }
}

/// The units of work: compressed files first (each is one thread's work, and the biggest
/// one started last would finish alone), then the ranges of large files and the chunks of
/// small ones, in input order.
pub fn units(plain: &[(SourceId, PlainBytes)], mut streams: Vec<StreamSource>) -> Vec<Unit<'_>> {
    // Stable: a file's ranges keep their order.
    streams.sort_by_key(|s| s.expected_len.is_some());
    let mut units: Vec<Unit<'_>> = streams.into_iter().map(Unit::Stream).collect();
    for (source, bytes) in plain {
        for range in split_lines(bytes, CHUNK_BYTES) {
            units.push(Unit::Chunk {
                source: *source,
                bytes,
                range,
            });
        }
    }
    units
}
