//! The explorer's reader: one thread that reads the inputs through the stages every other
//! mode uses (`--all`'s read for the list, the one-trace search to open a trace, `--diff`'s
//! comparison) and hands the results to the screen, which never waits for it.
//!
//! Files are read in steps, with previews of the list between them. Standard input is
//! copied to a file read as it grows (see [`super::live`]).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{Config, Inputs, Selection};
use crate::explore::live::StdinCopy;
use crate::modes::all::{read, report_reading, Preview};
use crate::modes::collect::{Collected, Keep};
use crate::modes::trace::{find, Lookup};
use crate::render::diff::{write_diff, DiffInput};
use crate::render::term::RenderOptions;
use crate::traces::compare::{compare, Shape};
use crate::traces::filter::TraceFilter;
use crate::traces::gates::Gates;
use crate::traces::summary::Row;
use crate::traces::Trace;

/// A live stream's copy is looked at this often.
const LIVE_EVERY: Duration = Duration::from_millis(200);

/// What the screen asks of the reader.
pub enum Request {
    /// Every trace, the lines tested against this filter's line conditions.
    Read(TraceFilter),
    /// One trace, by an id in any spelling.
    Open(String),
    /// Two traces compared (ids), as text for the pager, `width` columns wide.
    Compare(String, String, usize),
}

/// What the reader hands back.
pub enum Reply {
    /// Every trace (after a [`Request::Read`], or because a live stream grew).
    Rows(Rows),
    /// A trace asked for, or why it is not there.
    Trace {
        /// The id as asked.
        asked: String,
        /// The trace (boxed: it is large).
        trace: Result<Box<Trace>, String>,
    },
    /// A comparison, or why there is none.
    Compared(Result<String, String>),
}

/// The rows of one reading.
pub struct Rows {
    /// The traces whose lines met the line conditions, sorted by start.
    pub rows: Vec<Row>,
    /// Traces seen.
    pub seen: usize,
    /// What reading met (errors, damaged files), one line each.
    pub messages: Vec<String>,
    /// The line conditions this reading tested (see [`super::prompt::line_key`]).
    pub line_key: Vec<String>,
    /// Standard input is still open: more readings will follow.
    pub live: bool,
    /// Whether these are the reading's rows or a preview while files are read.
    pub part: Part,
    /// The reading is over (a live stream's reading is over at its end).
    pub done: bool,
}

/// What a [`Rows`] holds of its reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Every row of the reading.
    Whole,
    /// The first preview: the traces of the first part read (some of them partly); it
    /// replaces the list.
    First,
    /// A later preview: the traces new or grown since the last one, which replace the rows of
    /// the same ids or join the list.
    Update,
}

/// Runs the reader until the screen hangs up: answers `requests` on `replies`, and reads a
/// live stream as it grows.
pub fn serve(
    config: Config,
    stdin: Option<(PathBuf, Arc<AtomicBool>)>,
    requests: Receiver<Request>,
    replies: Sender<Reply>,
) {
    let mut live = stdin.map(|(path, done)| StdinCopy::new(&config, path, done));
    let mut filter = TraceFilter::default();
    loop {
        let wait = match live.as_ref().is_some_and(StdinCopy::behind) {
            true => Duration::ZERO,
            false => LIVE_EVERY,
        };
        let request = match requests.recv_timeout(wait) {
            Ok(r) => Some(r),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let reply = match (request, live.as_mut()) {
            (Some(Request::Read(f)), Some(copy)) => {
                filter = f;
                copy.restart(&config, &filter);
                match copy.read_more(&filter, &super::prompt::line_key(&filter)) {
                    Some(rows) => Reply::Rows(rows),
                    None => continue,
                }
            }
            (Some(Request::Read(f)), None) => {
                filter = f;
                Reply::Rows(read_rows(&config, &filter, Some(&replies)))
            }
            (Some(Request::Open(id)), _) => Reply::Trace {
                trace: open(&config, &id),
                asked: id,
            },
            (Some(Request::Compare(a, b, width)), _) => {
                Reply::Compared(compare_text(&config, &a, &b, width))
            }
            (None, Some(copy)) => {
                match copy.read_more(&filter, &super::prompt::line_key(&filter)) {
                    Some(rows) => Reply::Rows(rows),
                    None => continue,
                }
            }
            (None, None) => continue,
        };
        if replies.send(reply).is_err() {
            return;
        }
    }
}

/// Previews may take at most this share of a reading's time: the first is sent once the
/// first step is read, a next one only when its cost (guessed as the last one's) keeps all of
/// them within the share, and none past [`PREVIEW_UNTIL`] of the bytes: the whole list is near
/// by then. A preview summarises the traces new or grown since the last one.
const PREVIEW_SHARE: f64 = 0.1;
const PREVIEW_UNTIL: f64 = 0.6;

/// When previews are due.
struct Pacing {
    started: Instant,
    /// Time spent on previews.
    spent: Duration,
    /// The bytes read at the last preview, and what it took.
    last: Option<(u64, Duration)>,
}

impl Pacing {
    fn due(&self, (total, read): (u64, u64)) -> bool {
        if read as f64 > total as f64 * PREVIEW_UNTIL {
            return false;
        }
        let Some((then, took)) = self.last else {
            return true;
        };
        let guess = match read > then {
            true => took,
            false => return false,
        };
        (self.spent + guess).as_secs_f64() <= self.started.elapsed().as_secs_f64() * PREVIEW_SHARE
    }
}

/// Reads every trace whose lines meet `filter`'s line conditions (the trace conditions are
/// the screen's to apply: they change without a reading); with `previews`, previews of the
/// rows go there while the files are read.
pub fn read_rows(config: &Config, filter: &TraceFilter, previews: Option<&Sender<Reply>>) -> Rows {
    let line_filter = filter.line_conditions();
    let gates = Gates::default();
    let keep = Keep::rows(&line_filter, &gates);
    let selection = Selection {
        filter: line_filter.clone(),
        limit: None,
    };
    let key = super::prompt::line_key(filter);
    let mut pacing = Pacing {
        started: Instant::now(),
        spent: Duration::ZERO,
        last: None,
    };
    let mut preview = |make: &mut dyn FnMut() -> Collected| {
        let Some(replies) = previews else { return };
        let (total, read, _) = crate::progress::observed();
        if !pacing.due((total, read)) {
            return;
        }
        let started = Instant::now();
        let collected = make();
        let _ = replies.send(Reply::Rows(Rows {
            seen: collected.seen,
            rows: collected.rows,
            messages: Vec::new(),
            line_key: key.clone(),
            live: false,
            part: match pacing.last {
                None => Part::First,
                Some(_) => Part::Update,
            },
            done: false,
        }));
        let took = started.elapsed();
        pacing.spent += took;
        pacing.last = Some((read, took));
    };
    let stepwise: Option<Preview<'_>> = match previews {
        Some(_) => Some(&mut preview),
        None => None,
    };
    let (_, searched, collected) = read(config, &selection, &keep, None, stepwise);
    let mut said = Vec::new();
    let _ = report_reading(config, &searched, &collected, &mut said);
    Rows {
        seen: collected.seen,
        rows: collected.rows,
        messages: lines_of(&said),
        line_key: key,
        live: false,
        part: Part::Whole,
        done: true,
    }
}

/// Finds one trace as `tracegrep ID` does.
pub fn open(config: &Config, id: &str) -> Result<Box<Trace>, String> {
    let mut said = Vec::new();
    match find(config, id, &mut said) {
        Ok(Lookup::Found(found)) => Ok(Box::new(found.trace)),
        Ok(Lookup::Missing { .. }) => {
            // `tracegrep -i logz/` (a typo) asks for a trace named so: say both.
            let path = id.contains(std::path::MAIN_SEPARATOR) || id.starts_with('.');
            let also = match path {
                true => ", and no file or directory of that name",
                false => "",
            };
            Err(format!("no line of trace {id}{also}"))
        }
        Ok(Lookup::Ambiguous) => Err(lines_of(&said).join(" ")),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// Compares two traces as `tracegrep A --diff B` does, as plain text.
fn compare_text(config: &Config, a: &str, b: &str, width_cols: usize) -> Result<String, String> {
    let a = Shape::of_trace(&*open(config, a)?);
    let b = Shape::of_trace(&*open(config, b)?);
    let diff = compare(&a, &b);
    let mut text = Vec::new();
    let input = DiffInput {
        a: &a,
        b: &b,
        diff: &diff,
    };
    let opts = RenderOptions {
        color: false,
        width_cols,
    };
    write_diff(&mut text, &input, &opts).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// The lines written to `said`, without the `tracegrep: ` each starts with.
fn lines_of(said: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(said)
        .lines()
        .map(|l| l.strip_prefix("tracegrep: ").unwrap_or(l).to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The configuration the reader runs with: no progress bar on stderr (the screen is the
/// terminal), and standard input read through its copy.
pub fn reader_config(config: &Config, stdin_copy: Option<&PathBuf>) -> Config {
    let mut config = config.clone();
    config.stderr_is_terminal = false;
    if let Some(path) = stdin_copy {
        config.inputs = Inputs::Paths(vec![path.clone()]);
    }
    config
}
