//! Opening a source by what its first bytes say, not by its name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Deref;
use std::path::Path;

use crate::input::reflow::{is_spread_document, reflow, reflow_stream, MAX_REFLOW_BYTES};
use crate::input::walk::describe_io_error;

/// Plain files smaller than this are read whole into memory (and cut into chunks like any
/// buffer); larger ones are cut into newline-aligned ranges read with positioned reads
/// ([`crate::input::range`]), block by block.
///
/// Plain files are never memory-mapped. Logs are truncated, rotated and rewritten while they
/// are searched: a mapped file that shrinks raises SIGBUS, and even with a handler that maps
/// zero pages over the lost range (tried, see docs/architecture.md) the bytes change under
/// views the scan has already validated. A file read into the reader's own buffers cannot
/// change under it, and its ranges are read on every core as a map's chunks were.
const STREAM_MIN_BYTES: u64 = 256 << 10;

/// How far into a plain file a NUL byte marks it as binary (as `rg` and `grep` look).
const BINARY_PROBE_BYTES: usize = 8 << 10;

/// A compression format told by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`1f 8b`), including concatenated members.
    Gzip,
    /// zstd (`28 b5 2f fd`), including several frames.
    Zstd,
}

impl Compression {
    /// The format's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// The whole bytes of a small plain file (or of a document spread over lines, put back on one
/// line each), read into memory.
#[derive(Debug)]
pub struct PlainBytes(Vec<u8>);

impl Deref for PlainBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// An opened source.
pub enum Opened {
    /// Uncompressed text.
    Plain(PlainBytes),
    /// A compressed stream, decoded as it is read.
    Compressed(Compression, Box<dyn Read + Send>),
    /// A large plain file, to be read in ranges into the reader's own buffers; `len` is its
    /// length when opened: bytes appended later are left for the next search, and a read that
    /// ends short of it met a truncation.
    Large(File, u64),
    /// Not text: a NUL byte near the start.
    Binary,
}

/// Tells compression from the first bytes.
pub fn sniff(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else {
        None
    }
}

/// Wraps a reader in the decoder its first bytes call for; plain streams pass through.
pub fn decode_stream<R: Read + Send + 'static>(
    reader: R,
) -> io::Result<(Option<Compression>, Box<dyn Read + Send>)> {
    let mut buffered = BufReader::with_capacity(256 << 10, reader);
    let head = buffered.fill_buf()?;
    let compression = sniff(head);
    let reader: Box<dyn Read + Send> = match compression {
        Some(Compression::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(buffered)),
        Some(Compression::Zstd) => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
        None => Box::new(buffered),
    };
    // Documents spread over lines are read whole and put on one line each.
    let mut decoded = BufReader::with_capacity(64 << 10, reader);
    if is_spread_document(decoded.fill_buf()?) {
        let flat = reflow_stream(decoded)?;
        return Ok((compression, Box::new(io::Cursor::new(flat))));
    }
    Ok((compression, Box::new(decoded)))
}

/// Opens a file: compressed files as decoding streams, small plain files whole, larger ones
/// left open to be read in ranges.
pub fn open_file(path: &Path) -> io::Result<Opened> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = [0u8; 4];
    let got = read_up_to(&mut file, &mut head)?;
    if let Some(compression) = sniff(&head[..got]) {
        drop(file);
        let (_, reader) = decode_stream(File::open(path)?).map_err(|e| {
            // Damage in the first block: nothing could be decoded.
            io::Error::new(
                e.kind(),
                format!(
                    "truncated or corrupt {} data ({}); kept the 0 bytes decoded before it",
                    compression.name(),
                    describe_io_error(&e)
                ),
            )
        })?;
        return Ok(Opened::Compressed(compression, reader));
    }
    if len >= STREAM_MIN_BYTES {
        if let Some(opened) = open_read(file, len)? {
            return Ok(opened);
        }
        file = File::open(path)?;
        file.seek(SeekFrom::Start(got as u64))?;
    }
    let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    data.extend_from_slice(&head[..got]);
    file.read_to_end(&mut data)?;
    let bytes = PlainBytes(data);
    let probe = &bytes[..bytes.len().min(BINARY_PROBE_BYTES)];
    if looks_binary(probe) {
        return Ok(Opened::Binary);
    }
    if is_spread_document(&bytes[..bytes.len().min(64 << 10)]) {
        if bytes.len() as u64 > MAX_REFLOW_BYTES {
            return Err(io::Error::other(format!(
                "a JSON document spread over lines larger than {} MiB",
                MAX_REFLOW_BYTES >> 20
            )));
        }
        return Ok(Opened::Plain(PlainBytes(reflow(&bytes))));
    }
    Ok(Opened::Plain(bytes))
}

/// A large plain file to read in ranges: `None` when it holds a document spread over lines
/// (read whole by the caller).
fn open_read(mut file: File, len: u64) -> io::Result<Option<Opened>> {
    file.seek(SeekFrom::Start(0))?;
    let mut probe = vec![0u8; BINARY_PROBE_BYTES.max(64 << 10)];
    let got = read_up_to(&mut file, &mut probe)?;
    probe.truncate(got);
    if looks_binary(&probe[..got.min(BINARY_PROBE_BYTES)]) {
        return Ok(Some(Opened::Binary));
    }
    if is_spread_document(&probe) {
        return Ok(None);
    }
    Ok(Some(Opened::Large(file, len)))
}

/// Whether the first bytes are a binary file's: a NUL byte among them (as `rg` and `grep`
/// decide) and, NUL bytes aside, no text. A log that a crash or a full disk left with a run of
/// NUL bytes is text with a damaged region: its lines are read and the NUL bytes counted.
fn looks_binary(probe: &[u8]) -> bool {
    if memchr::memchr(0, probe).is_none() {
        return false;
    }
    let (mut text, mut other) = (0usize, 0usize);
    for chunk in probe.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\0' => {}
                '\n' | '\r' | '\t' | '\x1b' => text += 1,
                c if c.is_control() => other += 1,
                _ => text += 1,
            }
        }
        other += chunk.invalid().len();
    }
    // Random bytes are about half controls and invalid UTF-8; text with escapes, far less.
    text == 0 || other * 20 > text
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
