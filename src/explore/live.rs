//! The explorer's live standard input: copied, whole lines at a time, into a file (so that
//! a trace can be searched for again, as in any file), and read from that file as it grows,
//! each new piece once, through `--all`'s stream rules: a trace whose lines stopped coming
//! is finished, and the traces still open are shown as they stand, updated when they grow.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::config::Config;
use crate::diag::{source_summaries, Diagnostics};
use crate::explore::load::{Part, Rows};
use crate::input::walk::describe_io_error;
use crate::modes::all::line_scan;
use crate::modes::collect::{Collector, Keep};
use crate::modes::every::LiveStream;
use crate::records::ids::TraceKey;
use crate::records::lines::LineScan;
use crate::traces::filter::TraceFilter;
use crate::traces::gates::Gates;

/// A reading takes at most this much of the copy at a time, so the list shows a long
/// backlog (`cat big.log | tracegrep -i`) as it goes.
const MAX_PIECE: u64 = 32 << 20;

/// Starts copying standard input into `path`, whole lines at a time (a reading never sees
/// half a line); sets `done` at its end.
pub fn copy_stdin(path: PathBuf, done: Arc<AtomicBool>) -> std::io::Result<()> {
    let mut file = File::create(&path)?;
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 1 << 20];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            if let Some(last) = memchr::memrchr(b'\n', &pending) {
                if file.write_all(&pending[..=last]).is_err() {
                    break;
                }
                pending.drain(..=last);
            }
        }
        let _ = file.write_all(&pending);
        let _ = file.flush();
        done.store(true, Ordering::SeqCst);
    });
    Ok(())
}

/// Standard input's copy, read as it grows.
pub struct StdinCopy {
    path: PathBuf,
    /// The copy has reached the end of standard input.
    done: Arc<AtomicBool>,
    scan: LineScan,
    stream: LiveStream,
    /// The lines each open trace had when its row was last sent: only traces that changed
    /// are summarised again.
    sent: HashMap<TraceKey, u64>,
    /// Traces the stream rules finished so far.
    finished: usize,
    /// A piece was read since the start (the next rows replace the list, not update it).
    started: bool,
    /// The copy's end was read.
    ended: bool,
    /// Why the copy could not be read on, if it could not.
    error: Option<String>,
}

impl StdinCopy {
    /// The copy at `path`, whose writer sets `done` at the end of standard input.
    pub fn new(config: &Config, path: PathBuf, done: Arc<AtomicBool>) -> StdinCopy {
        StdinCopy {
            path,
            done,
            scan: line_scan(config, &TraceFilter::default()),
            stream: LiveStream::default(),
            sent: HashMap::new(),
            finished: 0,
            started: false,
            ended: false,
            error: None,
        }
    }

    /// Reads the copy again from its start, testing lines against `filter`'s line conditions.
    pub fn restart(&mut self, config: &Config, filter: &TraceFilter) {
        self.scan = line_scan(config, filter);
        self.stream = LiveStream::default();
        self.sent.clear();
        self.finished = 0;
        self.started = false;
        self.ended = false;
        self.error = None;
    }

    /// More of the copy waits to be read.
    pub fn behind(&self) -> bool {
        !self.ended && self.len() > self.stream.offset + MAX_PIECE
    }

    fn len(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// Reads what the copy gained since the last call (up to [`MAX_PIECE`]); returns the rows
    /// of the traces it finished or changed, if any, or the first rows of a reading.
    pub fn read_more(&mut self, filter: &TraceFilter, line_key: &[String]) -> Option<Rows> {
        if self.ended {
            return None;
        }
        // Whether the copy is done first, then its length: a copy done before the length
        // was read is read to its end.
        let done = self.done.load(Ordering::SeqCst);
        let len = self.len();
        let from = self.stream.offset;
        if len <= from && !done {
            return None;
        }
        let to = len.min(from + MAX_PIECE);
        let mut last = done && to == len;
        let mut bytes = Vec::new();
        let read = File::open(&self.path).and_then(|mut f| {
            f.seek(SeekFrom::Start(from))?;
            f.take(to - from).read_to_end(&mut bytes)
        });
        if let Err(e) = read {
            // The copy cannot be read on (its file removed, the disk failing): the reading
            // ends here, and says so.
            bytes.clear();
            last = true;
            self.error = Some(format!(
                "<stdin>: its copy could not be read after byte {from}: {}",
                describe_io_error(&e)
            ));
        }
        if !last {
            // Whole lines only: the copy's writer may be part-way through a line.
            let whole = memchr::memrchr(b'\n', &bytes).map_or(0, |i| i + 1);
            bytes.truncate(whole);
            if bytes.is_empty() && self.started {
                return None;
            }
        }
        let line_filter = filter.line_conditions();
        let (_, finished) = self.stream.feed(&self.scan, &line_filter, &bytes, !last);
        self.ended = last;
        let gates = Gates::default();
        let keep = Keep::rows(&line_filter, &gates);
        let mut collector = Collector::new(&keep, false);
        self.finished += finished.len();
        for (id, _) in &finished {
            self.sent.remove(id);
        }
        collector.add(finished);
        collector.add_changed(self.stream.open(), &mut self.sent);
        let collected = collector.finish();
        let part = match std::mem::replace(&mut self.started, true) {
            false => Part::First,
            true => Part::Update,
        };
        let diags = [("<stdin>", &self.stream.diag)];
        let mut messages: Vec<String> = self.error.iter().cloned().collect();
        messages.extend(source_summaries(diags, Diagnostics::scan_problems));
        Some(Rows {
            rows: collected.rows,
            seen: self.finished + self.stream.open().len(),
            messages,
            line_key: line_key.to_vec(),
            live: !last,
            part,
            done: last,
        })
    }
}
