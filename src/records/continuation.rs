//! Continuation lines: the non-JSON lines after a record (a stack trace, a goroutine dump)
//! that belong to it. The one-trace search attaches them to the record it keeps
//! ([`collect_continuation`]); the every-line scan keeps no text but tells them apart from
//! damage ([`Continuations`]), by the same rules.

use crate::records::envelope::{envelope_stream, envelope_text, unwrap_line};
use crate::records::geometry::{line_at, line_end};
use crate::records::Record;

/// The longest run of non-JSON lines attached to a record as its continuation.
pub(crate) const MAX_CONTINUATION_LINES: usize = 500;

/// Whether a non-JSON line opens a stack trace or similar continuation of the line before.
pub(crate) fn starts_continuation(line: &[u8]) -> bool {
    const OPENERS: &[&[u8]] = &[
        b"at ",
        b"Caused by",
        b"Traceback",
        b"File \"",
        b"goroutine ",
        b"panic:",
        b"Stack trace:",
        b"Exception",
        b"---",
        b"#0 ",
        b"thread '",
    ];
    matches!(line.first(), Some(b' ' | b'\t'))
        || OPENERS.iter().any(|o| line.starts_with(o))
        || names_an_exception(line)
}

/// `java.lang.IllegalStateException: …`, `ValueError: …`, `Error: boom`: the first line of a
/// stack trace in Java, Python, .NET and Node names the exception's type before a colon.
fn names_an_exception(line: &[u8]) -> bool {
    let head = match memchr::memchr(b':', line) {
        Some(colon) => &line[..colon],
        None => line,
    };
    let is_name = !head.is_empty()
        && head
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$'));
    is_name
        && (head.ends_with(b"Exception")
            || head.ends_with(b"Error")
            || head.ends_with(b"Throwable"))
}

/// `POD CONTAINER text` → `text`, for a line of the given pod in stern's default output.
pub(crate) fn strip_stern_prefix<'a>(line: &'a [u8], pod: &str) -> Option<&'a [u8]> {
    let rest = line.strip_prefix(pod.as_bytes())?.strip_prefix(b" ")?;
    let space = memchr::memchr(b' ', rest)?;
    Some(&rest[space + 1..])
}

/// Whether a payload starts a new record: a JSON object, possibly after a short text prefix
/// (`INFO  {"…`); stack frames start with whitespace or a keyword and are not.
pub(crate) fn starts_record(line: &[u8]) -> bool {
    if line.trim_ascii_start().starts_with(b"{") {
        return true;
    }
    !matches!(line.first(), Some(b' ' | b'\t'))
        && memchr::memmem::find(&line[..line.len().min(200)], b"{\"").is_some()
        && !names_an_exception(line)
}

/// How many lines of other pods may sit between a record and its stack trace in an
/// interleaved `kubectl logs -f` stream.
const MAX_FOREIGN_LINES: usize = 64;

/// Attaches the non-JSON lines after a record (a stack trace) to it. In an interleaved stream
/// only lines of the record's own pod count. Returns where the main scan may resume: past the
/// stack trace, or where it started if lines of other pods were passed over.
pub fn collect_continuation(
    hay: &[u8],
    start: usize,
    pod: Option<String>,
    record: &mut Record,
) -> usize {
    let mut pos = start;
    let mut resume = start;
    let mut pending_blank = 0usize;
    let mut foreign = 0usize;
    while pos < hay.len() && record.continuation.len() < MAX_CONTINUATION_LINES {
        let end = line_end(hay, pos);
        let mut env = unwrap_line(line_at(hay, pos));
        if env.pod.is_none() {
            // stern prefixes every line, JSON or not: `POD CONTAINER text`.
            if let Some(text) = pod
                .as_deref()
                .and_then(|p| strip_stern_prefix(env.payload, p))
            {
                env.payload = text;
                env.pod = pod.as_deref();
            }
        }
        // A JSON envelope around plain text (a stderr line through Docker, Fluent Bit, Vector
        // or journald) continues the record like a bare line would.
        let carried = if env.pod.is_none() && env.payload.starts_with(b"{\"") {
            envelope_text(env.payload)
        } else {
            None
        };
        let (line, stream): (&[u8], Option<String>) = match (&carried, env.pod) {
            (_, Some(pod)) => (env.payload, Some(pod.to_string())),
            (Some((text, stream)), None) => (text.as_bytes(), stream.clone()),
            (None, None) if env.payload.starts_with(b"{\"") => {
                (env.payload, envelope_stream(env.payload))
            }
            (None, None) => (env.payload, None),
        };
        if stream != pod {
            foreign += 1;
            if foreign > MAX_FOREIGN_LINES {
                break;
            }
            pos = end.saturating_add(1);
            continue;
        }
        let trimmed = line.trim_ascii_start();
        if starts_record(line) {
            break;
        }
        if trimmed.is_empty() {
            // Blank lines belong to the trace only if more of it follows (Go goroutine dumps).
            pending_blank += 1;
            if pending_blank > 1 {
                break;
            }
        } else if record.continuation.is_empty() && !starts_continuation(line) {
            break;
        } else {
            for _ in 0..pending_blank {
                record.continuation.push(Box::default());
            }
            pending_blank = 0;
            record.continuation.push(line.into());
            if foreign == 0 {
                resume = end.saturating_add(1);
            }
        }
        pos = end.saturating_add(1);
    }
    resume.min(hay.len())
}

/// How many streams (pods of an interleaved `kubectl logs --prefix`) at once may have a stack
/// trace under way; past it the least recent is forgotten and its stack trace counts as damage.
const MAX_OPEN_STREAMS: usize = 16;

/// The JSON lines that a stack trace may still follow, one per stream (the pod an envelope
/// names; `None` for a plain file), most recent first.
///
/// The one-trace search attaches the non-JSON lines after a record to it
/// (`collect_continuation`, whose rules these follow); this scan keeps no text, but tells those
/// lines apart from damage, so that "not JSON" on stderr counts only lines that are neither
/// JSON nor a record's stack trace. It is touched once per JSON line (the front entry, in a
/// plain file) and does real work only on lines that are not JSON.
///
/// It lives as long as the scan of one unit (a chunk of a file, or a whole stream), so a stack
/// trace that a stream's read cut in two still continues its record.
#[derive(Debug, Default)]
pub struct Continuations {
    open: Vec<OpenRecord>,
}

/// A stream's last JSON line and how much continued it.
#[derive(Debug)]
struct OpenRecord {
    /// The stream's name; owned so that the state outlives a block (allocated once per
    /// stream, not per line).
    pod: Option<Box<str>>,
    /// Continuation lines so far.
    lines: usize,
    /// Blank lines in a row since the last of them.
    blanks: u8,
}

impl Continuations {
    /// A JSON line of `pod`'s stream: what follows in that stream may continue it.
    pub fn record(&mut self, pod: Option<&str>) {
        match self.open.iter().position(|o| o.pod.as_deref() == pod) {
            Some(i) => {
                self.open[..=i].rotate_right(1);
                let front = &mut self.open[0];
                front.lines = 0;
                front.blanks = 0;
            }
            None => {
                self.open.truncate(MAX_OPEN_STREAMS - 1);
                let fresh = OpenRecord {
                    pod: pod.map(Box::from),
                    lines: 0,
                    blanks: 0,
                };
                self.open.insert(0, fresh);
            }
        }
    }

    /// An empty line: a second one in a row ends the latest stream's stack trace (Go dumps
    /// separate goroutines with one).
    pub fn blank(&mut self) {
        if let Some(o) = self.open.first_mut() {
            o.blanks = o.blanks.saturating_add(1);
            if o.blanks > 1 {
                self.open.remove(0);
            }
        }
    }

    /// A line of `pod`'s stream that is not JSON: whether it continues that stream's last JSON
    /// line (it opens a stack trace, or one is under way). A line that does not ends it.
    pub fn continues(&mut self, pod: Option<&str>, text: &[u8]) -> bool {
        let mut text = text;
        let found = self
            .open
            .iter()
            .position(|o| match (o.pod.as_deref(), pod) {
                // stern prefixes every line, JSON or not: `POD CONTAINER text`.
                (Some(own), None) => match strip_stern_prefix(text, own) {
                    Some(rest) => {
                        text = rest;
                        true
                    }
                    None => false,
                },
                (own, pod) => own == pod,
            });
        let Some(i) = found else {
            return false;
        };
        let o = &mut self.open[i];
        if text.trim_ascii().is_empty() {
            // Spaces alone: a blank line inside the stack trace.
            o.blanks = o.blanks.saturating_add(1);
            if o.blanks > 1 {
                self.open.remove(i);
                return false;
            }
            return true;
        }
        let continues = !starts_record(text)
            && o.blanks <= 1
            && o.lines < MAX_CONTINUATION_LINES
            && (o.lines > 0 || starts_continuation(text));
        if continues {
            o.lines += 1;
            o.blanks = 0;
        } else {
            self.open.remove(i);
        }
        continues
    }
}
