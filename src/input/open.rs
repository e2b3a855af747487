//! Opening a source by what its first bytes say, not by its name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Deref;
use std::path::Path;
use std::time::{Duration, SystemTime};

use std::ops::Range;

use memmap2::{Advice, Mmap, UncheckedAdvice};

use crate::input::guard::Guard;
use crate::input::reflow::{is_spread_document, reflow, reflow_stream, MAX_REFLOW_BYTES};
use crate::input::walk::describe_io_error;

/// Files smaller than this are read into memory; a map costs more than it saves on them.
const MMAP_MIN_BYTES: u64 = 256 << 10;

/// A plain file modified less than this long ago is read with `read()`, not mapped: it is
/// likely still being written, rotated or truncated, and a map of it would show bytes changing
/// under the reader. Older files are mapped (faster: every core shares a big file), guarded
/// against truncation all the same (see [`crate::input::guard`]).
pub const RECENT: Duration = Duration::from_secs(60);

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

/// The whole bytes of a plain file.
#[derive(Debug)]
pub enum PlainBytes {
    /// Memory-mapped, guarded against the file shrinking (see [`crate::input::guard`]).
    Mapped(Guarded),
    /// Read into memory.
    Owned(Vec<u8>),
}

impl Deref for PlainBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            PlainBytes::Mapped(m) => &m.map,
            PlainBytes::Owned(v) => v,
        }
    }
}

impl PlainBytes {
    /// Tells the kernel a range has been searched and its pages may leave this process.
    ///
    /// File-backed pages stay in the page cache, so a later read costs a page fault, not I/O;
    /// without this, a search of many gigabytes shows (harmless but alarming) gigabytes of
    /// resident memory.
    pub fn release(&self, range: Range<usize>) {
        if let PlainBytes::Mapped(Guarded { map, .. }) = self {
            // SAFETY: the map is read-only and file-backed: MADV_DONTNEED only drops this
            // process's page-table entries, and any later access (by a thread still reading a
            // neighbouring chunk on a shared page) faults the same bytes back in from the file
            // (or, if the file shrank meanwhile, zeros: see `input::guard`). Errors only mean the advice was ignored.
            let _ = unsafe {
                map.unchecked_advise_range(UncheckedAdvice::DontNeed, range.start, range.len())
            };
        }
    }

    /// Where the file turned out shorter than when it was mapped (truncated while read): the
    /// bytes from this offset on read as zeros; every byte before it was read from the file.
    pub fn lost_at(&self) -> Option<usize> {
        match self {
            PlainBytes::Mapped(m) => m.guard.lost_at(),
            PlainBytes::Owned(_) => None,
        }
    }

    /// For a file truncated while read, how many of its bytes were read from it: up to
    /// [`PlainBytes::lost_at`], less the zeros the kernel shows past the new end in the last
    /// page the file still has.
    pub fn kept_before(&self) -> Option<usize> {
        let at = self.lost_at()?;
        let zeros = self[at.saturating_sub(64 << 10)..at]
            .iter()
            .rev()
            .take_while(|&&b| b == 0)
            .count();
        // Reading those bytes may itself have found more of the file gone.
        Some((at - zeros).min(self.lost_at().unwrap_or(at)))
    }
}

/// A map with its registration; the guard is dropped (unregistered) before the map is
/// unmapped, as the fields drop in order.
#[derive(Debug)]
pub struct Guarded {
    guard: Guard,
    map: Mmap,
}

/// An opened source.
pub enum Opened {
    /// Uncompressed text.
    Plain(PlainBytes),
    /// A compressed stream, decoded as it is read.
    Compressed(Compression, Box<dyn Read + Send>),
    /// A plain file being written to, read with `read()` into the reader's own buffer (see
    /// [`RECENT`]); `len` is its length when opened: a read that ends short of it met a
    /// truncation.
    Read(Box<dyn Read + Send>, u64),
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

/// Opens a file: compressed files as decoding streams, plain files whole.
pub fn open_file(path: &Path) -> io::Result<Opened> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let len = meta.len();
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
    let recent = meta
        .modified()
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_none_or(|age| age < RECENT);
    if len >= MMAP_MIN_BYTES && recent {
        if let Some(opened) = open_read(file, len)? {
            return Ok(opened);
        }
        file = File::open(path)?;
        file.seek(SeekFrom::Start(got as u64))?;
    }
    let guarded = if len >= MMAP_MIN_BYTES {
        map_guarded(&file)?
    } else {
        None
    };
    let bytes = if let Some(guarded) = guarded {
        PlainBytes::Mapped(guarded)
    } else {
        let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        data.extend_from_slice(&head[..got]);
        file.read_to_end(&mut data)?;
        PlainBytes::Owned(data)
    };
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
        return Ok(Opened::Plain(PlainBytes::Owned(reflow(&bytes))));
    }
    Ok(Opened::Plain(bytes))
}

/// A plain file to read with `read()`: `None` when it holds a document spread over lines
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
    // Bytes appended after the open are left for the next search, as a map leaves them.
    let rest = file.take(len.saturating_sub(got as u64));
    Ok(Some(Opened::Read(
        Box::new(io::Cursor::new(probe).chain(rest)),
        len,
    )))
}

/// Maps a file, registered with [`crate::input::guard`]; `None` when it cannot be guarded
/// (the file is then read into memory).
fn map_guarded(file: &File) -> io::Result<Option<Guarded>> {
    // SAFETY: the map is read-only and lives as long as the search. If another process
    // truncates the file meanwhile, a read past the new end faults (SIGBUS); the guard turns
    // the lost pages into zeros and notes where the loss starts, and the search reports the
    // file as truncated. Appends past the mapped length are not seen.
    let map = unsafe { Mmap::map(file)? };
    let Some(guard) = Guard::register(map.as_ptr(), map.len()) else {
        return Ok(None);
    };
    // Read-ahead suits a front-to-back scan; failure only loses the hint.
    let _ = map.advise(Advice::Sequential);
    Ok(Some(Guarded { guard, map }))
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
