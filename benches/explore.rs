//! Frame times of the explorer (`-i`): a list of 100,000 traces and a trace of 100,000 spans,
//! scrolled a row and a page at a time, each frame drawn through ratatui's crossterm backend
//! into a sink (the escape sequences a terminal would get are made, not shown). The data is
//! generated here and read through the same stages as `tracegrep -i` reads it.
//!
//!   cargo bench --bench explore
//!
//! The explorer's budget is 16 ms a frame (60 frames a second).

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Parser;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tracegrep::cli::{Cli, SortKey};
use tracegrep::config::Config;
use tracegrep::explore::app::{App, Tab};
use tracegrep::explore::load::{open, read_rows, Reply};
use tracegrep::traces::filter::TraceFilter;

/// Rows in the list; spans in the one big trace.
const N: usize = 100_000;
/// Frames drawn per measurement.
const FRAMES: usize = 400;

fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let many = dir.path().join("many.jsonl");
    let big = dir.path().join("big.jsonl");
    write_many(&many);
    write_big(&big);

    let config = config(&many);
    let started = Instant::now();
    let rows = read_rows(&config, &TraceFilter::default(), None);
    println!("read {} traces in {:?}", rows.rows.len(), started.elapsed());
    let mut app = App::new(TraceFilter::default(), SortKey::Start, true);
    app.on_reply(Reply::Rows(rows));
    for (w, h) in [(120u16, 40u16), (240, 70)] {
        let mut terminal = terminal(w, h);
        report(
            &format!("list of {N} traces, {w}x{h}, a row a frame"),
            &mut terminal,
            &mut app,
            |app| app.list.step(1, app.shown.len()),
        );
        report(
            &format!("list of {N} traces, {w}x{h}, a page a frame"),
            &mut terminal,
            &mut app,
            |app| app.list.step(37, app.shown.len()),
        );
    }

    let config = self::config(&big);
    let started = Instant::now();
    let trace = open(&config, "4bf92f3577b34da6a3ce929d0e0e4736").expect("the big trace");
    println!(
        "opened a trace of {} spans in {:?}",
        trace.tree.nodes.len(),
        started.elapsed()
    );
    let mut app = App::new(TraceFilter::default(), SortKey::Start, true);
    let asked = "4bf92f3577b34da6a3ce929d0e0e4736".to_string();
    app.opening = Some(asked.clone());
    app.on_reply(Reply::Trace {
        asked,
        trace: Ok(trace),
    });
    for (w, h) in [(120u16, 40u16), (240, 70)] {
        let mut terminal = terminal(w, h);
        report(
            &format!("waterfall of {N} spans, {w}x{h}, a row a frame"),
            &mut terminal,
            &mut app,
            |app| {
                if let Some(t) = app.trace.as_mut() {
                    t.spans.step(1, t.visible.len());
                }
            },
        );
        report(
            &format!("waterfall of {N} spans, {w}x{h}, a page a frame"),
            &mut terminal,
            &mut app,
            |app| {
                if let Some(t) = app.trace.as_mut() {
                    t.spans.step(37, t.visible.len());
                }
            },
        );
        if let Some(t) = app.trace.as_mut() {
            t.tab = Tab::Timeline;
        }
        report(
            &format!("timeline of {N} lines, {w}x{h}, a page a frame"),
            &mut terminal,
            &mut app,
            |app| {
                if let Some(t) = app.trace.as_mut() {
                    t.lines.step(37, t.trace.records.len());
                }
            },
        );
        if let Some(t) = app.trace.as_mut() {
            t.tab = Tab::Waterfall;
        }
    }
    let started = Instant::now();
    if let Some(t) = app.trace.as_mut() {
        t.fold_to_depth(1);
        t.fold_to_depth(0);
    }
    println!("folded and unfolded {N} spans in {:?}", started.elapsed());
}

fn config(path: &std::path::Path) -> Config {
    let path = path.to_str().expect("utf-8");
    Config::from_cli(Cli::parse_from(["tracegrep", "--all", path])).expect("config")
}

fn terminal(width: u16, height: u16) -> Terminal<CrosstermBackend<std::io::Sink>> {
    Terminal::with_options(
        CrosstermBackend::new(std::io::sink()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        },
    )
    .expect("terminal")
}

/// Draws FRAMES frames, calling `step` before each, and prints the median, 99th percentile
/// and slowest frame.
fn report(
    what: &str,
    terminal: &mut Terminal<CrosstermBackend<std::io::Sink>>,
    app: &mut App,
    step: impl Fn(&mut App),
) {
    let mut times: Vec<Duration> = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        step(app);
        let started = Instant::now();
        terminal
            .draw(|frame| tracegrep::explore::draw::draw(frame, app))
            .expect("draw");
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{what}: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(times[FRAMES / 2]),
        ms(times[FRAMES * 99 / 100]),
        ms(times[FRAMES - 1])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// N traces of one line each, three services.
fn write_many(path: &std::path::Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..N {
        let service = ["gateway", "orders", "payments"][i % 3];
        let level = if i % 50 == 0 { "error" } else { "info" };
        writeln!(
            out,
            r#"{{"time":"2026-11-20T10:{:02}:{:02}.{:03}Z","level":"{level}","service":"{service}","trace_id":"4bf92f3577b34da6a3ce929d{i:08x}","span_id":"{:016x}","msg":"GET /items/{i}","duration_ms":{}}}"#,
            (i / 60_000) % 60,
            (i / 1000) % 60,
            i % 1000,
            i + 1,
            i % 900 + 1
        )
        .expect("write");
    }
}

/// One trace of N spans: a root and N-1 children in a chain of ten levels, repeated.
fn write_big(path: &std::path::Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..N {
        let service = ["gateway", "orders", "payments", "users"][i % 4];
        let parent = if i == 0 {
            String::new()
        } else if i % 10 == 1 {
            r#","parent_id":"0000000000000001""#.to_string()
        } else {
            format!(r#","parent_id":"{:016x}""#, i)
        };
        writeln!(
            out,
            r#"{{"time":"2026-11-20T10:00:{:02}.{:06}Z","level":"info","service":"{service}","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"{:016x}"{parent},"msg":"step {i}","duration_ms":{}}}"#,
            (i / 1_000_000) % 60,
            i % 1_000_000,
            i + 1,
            (N - i) / 1000 + 1
        )
        .expect("write");
    }
}
