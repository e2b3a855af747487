//! One trace in the view the user asked for: the dispatch the one-trace search and follow
//! mode share.

use std::io::{self, Write};

use crate::render::export::{self, ExportTrace};
use crate::render::fields::FieldChoice;
use crate::render::term::RenderOptions;
use crate::render::{complete, header, json, raw, timeline, tree, waterfall};
use crate::traces::complete::TraceCompleteness;
use crate::traces::Trace;

/// What one trace prints as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceView {
    /// Header, waterfall and timeline.
    Full,
    /// Header and waterfall.
    Waterfall,
    /// The timeline alone.
    Timeline,
    /// One JSON document (schema `tracegrep.trace` v1).
    Json,
    /// The lines as they are, prefixed with their file name.
    Raw,
    /// Jaeger UI's JSON.
    Jaeger,
    /// OTLP/JSON lines.
    Otlp,
    /// The compact text tree.
    Tree,
}

/// How a view is drawn, beside the trace itself.
#[derive(Debug, Clone, Copy)]
pub struct ViewOptions<'a> {
    /// Colour and width.
    pub term: &'a RenderOptions,
    /// The fields the timeline shows beside each message.
    pub timeline_fields: &'a FieldChoice,
    /// The names of the sources, by source id.
    pub sources: &'a [String],
    /// Raw lines are prefixed with their source's name (not when the one source is stdin).
    pub name_raw_lines: bool,
    /// Standard output is a terminal: raw lines are escaped for it.
    pub stdout_is_terminal: bool,
    /// What the request lacks, for the text views (`None`: not checked).
    pub completeness: Option<&'a TraceCompleteness>,
}

/// Writes `trace` as `view`.
pub fn write_trace(
    out: &mut dyn Write,
    trace: &Trace,
    view: TraceView,
    opts: &ViewOptions<'_>,
) -> io::Result<()> {
    match view {
        TraceView::Full => {
            write_checked_waterfall(out, trace, opts)?;
            writeln!(out)?;
            timeline::write_timeline(out, trace, opts.term, opts.timeline_fields)?;
            write_nearby_lines(out, trace, opts)?;
        }
        TraceView::Waterfall => {
            write_checked_waterfall(out, trace, opts)?;
            write_nearby_lines(out, trace, opts)?;
        }
        TraceView::Timeline => {
            timeline::write_timeline(out, trace, opts.term, opts.timeline_fields)?;
            write_nearby_lines(out, trace, opts)?;
        }
        TraceView::Json => json::write_json(out, trace, opts.sources)?,
        TraceView::Jaeger => export::jaeger::write_jaeger(out, &ExportTrace::of_trace(trace))?,
        TraceView::Otlp => export::otlp::write_otlp(out, &ExportTrace::of_trace(trace))?,
        TraceView::Tree => tree::write_trace_tree(out, trace)?,
        TraceView::Raw => {
            let shown: Vec<String> = if opts.name_raw_lines {
                opts.sources.to_vec()
            } else {
                vec![String::new()]
            };
            raw::write_raw(out, trace, &shown, opts.stdout_is_terminal)?;
        }
    }
    Ok(())
}

/// The header, what the request lacks, and the waterfall.
fn write_checked_waterfall(
    out: &mut dyn Write,
    trace: &Trace,
    opts: &ViewOptions<'_>,
) -> io::Result<()> {
    header::write_header(out, trace, opts.term)?;
    if let Some(c) = opts.completeness {
        complete::write_findings(out, c, opts.term)?;
    }
    writeln!(out)?;
    waterfall::write_waterfall(out, trace, opts.term)
}

/// The lines without context near the trace, after its view.
fn write_nearby_lines(
    out: &mut dyn Write,
    trace: &Trace,
    opts: &ViewOptions<'_>,
) -> io::Result<()> {
    match opts.completeness {
        Some(c) => complete::write_nearby(out, trace, c, opts.term, opts.timeline_fields),
        None => Ok(()),
    }
}

/// The header and the waterfall.
pub fn write_waterfall(out: &mut dyn Write, trace: &Trace, term: &RenderOptions) -> io::Result<()> {
    header::write_header(out, trace, term)?;
    writeln!(out)?;
    waterfall::write_waterfall(out, trace, term)
}
