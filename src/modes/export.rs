//! Traces out of tracegrep: written as a Jaeger document or OTLP/JSON lines, or sent to an
//! OTLP/HTTP receiver (`--otlp-endpoint`; [`crate::push`] does the network).
//!
//! One trace comes with its lines. `--all` kept per trace only its span tree, so the lines
//! of the kept traces are read again, in passes of at most [`LINES_PER_PASS`] lines, each
//! pass's traces written (or sent) before the next is read: memory holds one pass of lines
//! however many traces there are. A stream cannot be read twice: from stdin, `--all` exports
//! the spans without their lines.

use std::io::Write;
use std::path::PathBuf;

use rustc_hash::FxHashMap as HashMap;

use crate::config::{Config, Inputs, Push};
use crate::modes::reread::reread_lines;
use crate::records::ids::SpanId;
use crate::records::lines::LineScan;
use crate::records::service::line_service_or_unknown;
use crate::records::{AnyLine, LineFields, LineIds, LineRef};
use crate::render::export::jaeger::DocumentWriter;
use crate::render::export::otlp::{Batcher, MAX_LINE_BYTES};
use crate::render::export::{otlp, ExportTrace, SpanLog};
use crate::traces::summary::Row;
use crate::traces::tree::{SpanKind, SpanTree};

/// Lines read back per pass of `--all` (some 230 bytes each once kept: about 120 MB).
pub const LINES_PER_PASS: u64 = 500_000;

/// The form traces leave in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One Jaeger document.
    Jaeger,
    /// OTLP/JSON lines.
    Otlp,
}

/// Where exported traces go: standard output in a format, or a receiver.
pub struct Exporter<'o> {
    out: &'o mut dyn Write,
    target: Target,
    traces: usize,
    spans: usize,
}

enum Target {
    Jaeger(Option<DocumentWriter>),
    Otlp,
    Push(Box<PushTarget>),
}

/// The request being filled, and the receiver it goes to.
struct PushTarget {
    batcher: Batcher,
    receiver: Receiver,
}

/// A receiver and what it answered so far.
struct Receiver {
    push: Push,
    sender: crate::push::Sender,
    requests: usize,
    rejected: u64,
    retried: u32,
}

impl<'o> Exporter<'o> {
    /// An exporter to `out` in `format`, or to the receiver of `push` when there is one.
    pub fn new(
        out: &'o mut dyn Write,
        format: ExportFormat,
        push: Option<&Push>,
    ) -> anyhow::Result<Exporter<'o>> {
        let target = match (push, format) {
            (Some(push), _) => Target::Push(Box::new(PushTarget {
                batcher: Batcher::new(MAX_LINE_BYTES - 1),
                receiver: Receiver {
                    sender: crate::push::Sender::new(&push.url, &push.headers),
                    push: push.clone(),
                    requests: 0,
                    rejected: 0,
                    retried: 0,
                },
            })),
            (None, ExportFormat::Jaeger) => Target::Jaeger(None),
            (None, ExportFormat::Otlp) => Target::Otlp,
        };
        Ok(Exporter {
            out,
            target,
            traces: 0,
            spans: 0,
        })
    }

    /// Writes or sends one trace.
    pub fn add(&mut self, trace: &ExportTrace<'_>) -> anyhow::Result<()> {
        self.traces += 1;
        self.spans += trace.tree.order.len();
        match &mut self.target {
            Target::Jaeger(doc) => {
                let doc = match doc {
                    Some(doc) => doc,
                    None => doc.insert(DocumentWriter::start(self.out)?),
                };
                doc.add(self.out, trace)?;
            }
            Target::Otlp => otlp::write_otlp(self.out, trace)?,
            Target::Push(target) => {
                let PushTarget { batcher, receiver } = &mut **target;
                batcher.add_trace(trace, &mut receiver.sink(self.out))?;
            }
        }
        Ok(())
    }

    /// Finishes the output (the Jaeger document's end, the last request) and says on `err`
    /// what was sent (even with `--quiet`: it is a push's only output).
    pub fn finish(mut self, err: &mut dyn Write) -> anyhow::Result<()> {
        match &mut self.target {
            Target::Jaeger(doc) => match doc.take() {
                Some(doc) => doc.finish(self.out)?,
                None => DocumentWriter::start(self.out)?.finish(self.out)?,
            },
            Target::Otlp => {}
            Target::Push(target) => {
                let PushTarget { batcher, receiver } = &mut **target;
                batcher.flush(&mut receiver.sink(self.out))?;
                let Receiver {
                    push,
                    requests,
                    rejected,
                    retried,
                    ..
                } = receiver;
                self.out.flush()?;
                let verb = if push.dry_run { "would send" } else { "sent" };
                let mut line = format!(
                    "tracegrep: {verb} {} span{} of {} trace{} to {} in {} request{}",
                    self.spans,
                    crate::diag::plural(self.spans as u64),
                    self.traces,
                    crate::diag::plural(self.traces as u64),
                    crate::render::sanitize::sanitize(&push.url),
                    requests,
                    crate::diag::plural(*requests as u64),
                );
                if *retried > 0 {
                    line.push_str(&format!(" ({retried} retried)"));
                }
                if *rejected > 0 {
                    line.push_str(&format!("; the receiver rejected {rejected}"));
                }
                writeln!(err, "{line}")?;
            }
        }
        self.out.flush()?;
        Ok(())
    }
}

impl Receiver {
    /// Where the batcher's finished requests go: printed (dry run) or posted, counted.
    fn sink<'s>(
        &'s mut self,
        out: &'s mut dyn Write,
    ) -> impl FnMut(&[u8], usize) -> std::io::Result<()> + 's {
        move |body: &[u8], _spans: usize| {
            self.requests += 1;
            if self.push.dry_run {
                out.write_all(body)?;
                return out.write_all(b"\n");
            }
            match self.sender.send(body) {
                Ok(accepted) => {
                    self.rejected += accepted.rejected_spans;
                    self.retried += accepted.attempts.saturating_sub(1);
                    Ok(())
                }
                Err(e) => {
                    let sent = self.requests - 1;
                    let what = if sent > 0 {
                        format!(
                            "{e} (after {sent} request{} were accepted)",
                            crate::diag::plural(sent as u64)
                        )
                    } else {
                        e.to_string()
                    };
                    Err(std::io::Error::other(what))
                }
            }
        }
    }
}

/// Exports the rows of `--all` with their lines (read again from the files, pass by pass).
pub fn export_rows(
    config: &Config,
    scan: &LineScan,
    rows: &[Row],
    exporter: &mut Exporter<'_>,
) -> anyhow::Result<()> {
    let mut at = 0;
    while at < rows.len() {
        let mut end = at;
        let mut lines = 0u64;
        while end < rows.len() && (end == at || lines + rows[end].lines <= LINES_PER_PASS) {
            lines += rows[end].lines;
            end += 1;
        }
        let pass = &rows[at..end];
        let mut logs = match &config.inputs {
            Inputs::Paths(paths) => read_logs(scan, paths, pass),
            Inputs::Stdin | Inputs::Remote(_) => (0..pass.len()).map(|_| Vec::new()).collect(),
        };
        for (row, found) in pass.iter().zip(logs.iter_mut()) {
            let tree = row.tree();
            let by_node = place_logs(tree, std::mem::take(found));
            exporter.add(&ExportTrace::new(&row.id, tree, by_node))?;
        }
        at = end;
    }
    Ok(())
}

/// A line of a kept trace, read back: where it goes in the tree, and what the export shows.
struct FoundLine {
    span: Option<SpanId>,
    /// Its service, for a line without a span id (it belongs to its service's synthetic span).
    service: Option<Box<str>>,
    log: SpanLog,
}

/// The log lines of `rows`' traces, by trace.
fn read_logs(scan: &LineScan, paths: &[PathBuf], rows: &[Row]) -> Vec<Vec<FoundLine>> {
    let keep = |line: &AnyLine<'_>, ids: &LineIds, _at: LineRef, fallback: Option<&str>| {
        let status = line.status().map(|s| s.with_text(str::to_string));
        let message = line.message_text();
        FoundLine {
            span: ids.span,
            service: ids
                .span
                .is_none()
                .then(|| line_service_or_unknown(line, fallback).into_boxed_str()),
            log: SpanLog::from_parts(
                line.time(),
                line.level(),
                message.as_deref(),
                status.as_deref(),
                line.duration_ns(),
                line.payload(),
                &[],
            ),
        }
    };
    let traces = rows.iter().enumerate().map(|(i, t)| (i, &t.id));
    reread_lines(scan, paths, traces, rows.len(), &keep).0
}

/// Puts each line under its node: its span's, or for a line without a span id its service's
/// synthetic span. Lines of spans past the span cap have no node and are left out.
fn place_logs(tree: &SpanTree, found: Vec<FoundLine>) -> Vec<Vec<SpanLog>> {
    let mut by_id: HashMap<SpanId, usize> = HashMap::default();
    let mut by_service: HashMap<&str, usize> = HashMap::default();
    for (i, n) in tree.nodes.iter().enumerate() {
        match (n.kind, n.id) {
            (SpanKind::Logged, Some(id)) => {
                by_id.insert(id, i);
            }
            (SpanKind::Synthetic, _) => {
                by_service.insert(n.service.as_str(), i);
            }
            _ => {}
        }
    }
    let mut logs: Vec<Vec<SpanLog>> = vec![Vec::new(); tree.nodes.len()];
    for line in found {
        let node = match (line.span, &line.service) {
            (Some(id), _) => by_id.get(&id).copied(),
            (None, Some(service)) => by_service.get(&**service).copied(),
            (None, None) => None,
        };
        if let Some(node) = node {
            logs[node].push(line.log);
        }
    }
    for l in &mut logs {
        l.sort_by_key(|l| l.time.unwrap_or(i64::MAX));
    }
    logs
}
