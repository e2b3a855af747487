//! Screens drawn into ratatui's test backend from the real fixtures, snapshotted.

use clap::Parser;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::cli::{Cli, SortKey};
use crate::config::Config;
use crate::explore::app::{App, Effect, Tab};
use crate::explore::load::{open, read_rows, Part, Reply, Request};
use crate::traces::filter::TraceFilter;

fn config(paths: &[&str]) -> Config {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut args = vec!["tracegrep".to_string(), "--all".to_string()];
    args.extend(paths.iter().map(|p| format!("{root}/{p}")));
    Config::from_cli(Cli::parse_from(args)).expect("config")
}

/// An app with the rows of `paths` read, no colours.
fn app_of(config: &Config) -> App {
    let mut app = App::new(TraceFilter::default(), SortKey::Start, false);
    let rows = read_rows(config, &TraceFilter::default(), None);
    app.on_reply(Reply::Rows(rows));
    app
}

/// The screen as text, one line per row, trailing spaces cut.
fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| super::draw::draw(frame, app))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buffer[(x, y)].symbol());
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn open_trace(app: &mut App, config: &Config, id: &str) {
    let Effect::Ask(Request::Open(asked)) = app.open(id.to_string()) else {
        panic!("open asks the reader");
    };
    let trace = open(config, &asked);
    app.on_reply(Reply::Trace { asked, trace });
    assert!(app.trace.is_some(), "{:?}", app.flash);
}

#[test]
fn the_list_shows_the_table_of_every_trace() {
    let config = config(&["fixtures/ci"]);
    let mut app = app_of(&config);
    insta::assert_snapshot!("list", screen(&mut app, 120, 8));
    app.next_sort();
    let first = app.selected_row().map(|r| r.id.to_string());
    assert_eq!(first.as_deref(), Some("11111111111111111111111111111111"));
    app.list.select(0, app.shown.len());
    assert!(screen(&mut app, 120, 8).contains("sort duration"));
}

#[test]
fn a_trace_shows_its_waterfall_details_and_timeline() {
    let config = config(&["fixtures/ci"]);
    let mut app = app_of(&config);
    open_trace(&mut app, &config, "22222222222222222222222222222222");
    insta::assert_snapshot!("trace", screen(&mut app, 130, 16));
    let t = app.trace.as_mut().expect("open");
    t.tab = Tab::Timeline;
    insta::assert_snapshot!("timeline", screen(&mut app, 130, 8));
}

#[test]
fn folding_and_jumping_to_errors() {
    let config = config(&["fixtures/ci"]);
    let mut app = app_of(&config);
    open_trace(&mut app, &config, "22222222222222222222222222222222");
    let t = app.trace.as_mut().expect("open");
    assert_eq!(t.visible.len(), 2);
    t.left();
    assert_eq!(t.visible.len(), 1, "the root folds");
    t.right();
    assert_eq!(t.visible.len(), 2);
    t.fold_to_depth(1);
    assert_eq!(t.visible.len(), 1);
    // The failed child is found and unfolded.
    assert!(t.jump_error(true));
    let node = t.selected_node().expect("selected");
    assert_eq!(t.trace.tree.nodes[node].service, "payments");
    assert_eq!(t.visible.len(), 2);
    assert!(t.search("charge"));
    assert_eq!(t.selected_node(), Some(node));
    assert!(!t.search("no such words"));
}

#[test]
fn a_preview_fills_the_list_while_the_reading_goes_on() {
    let config = config(&["fixtures/ci"]);
    let mut app = App::new(TraceFilter::default(), SortKey::Start, false);
    // The first `n` rows of a whole reading, as a preview would send them.
    let preview = |n: usize, part: Part| {
        let mut rows = read_rows(&config, &TraceFilter::default(), None);
        rows.rows.truncate(n);
        (rows.seen, rows.part, rows.done) = (n, part, false);
        Reply::Rows(rows)
    };
    let whole = read_rows(&config, &TraceFilter::default(), None);
    app.on_reply(preview(1, Part::First));
    assert!(app.reading, "a preview leaves the reading under way");
    assert_eq!(app.shown.len(), 1);
    let text = screen(&mut app, 120, 6);
    assert!(text.contains(" 1 trace · sort"), "{text}");
    assert!(text.contains("reading"), "{text}");
    // A later preview replaces the rows of the traces it holds and adds the others.
    app.on_reply(preview(2, Part::Update));
    assert!(app.reading);
    assert_eq!(app.shown.len(), 2, "one replaced, one added");
    app.list.select(1, 2);
    let kept = app.selected_row().map(|r| r.id.clone());
    app.on_reply(Reply::Rows(whole));
    assert!(!app.reading);
    assert_eq!(app.shown.len(), 4);
    assert_eq!(
        app.selected_row().map(|r| r.id.clone()),
        kept,
        "the selection stays"
    );
    assert!(!screen(&mut app, 120, 6).contains("reading"));
}

#[test]
fn a_live_copy_that_cannot_be_read_ends_the_reading_and_says_why() {
    let config = config(&["fixtures/ci"]);
    let dir = tempfile::tempdir().expect("dir");
    let gone = dir.path().join("stdin-copy");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut copy = crate::explore::live::StdinCopy::new(&config, gone, done);
    let filter = TraceFilter::default();
    let rows = copy
        .read_more(&filter, &[])
        .expect("the end of the reading");
    assert!(rows.done && !rows.live);
    assert!(
        rows.messages[0].starts_with("<stdin>: its copy could not be read after byte 0: "),
        "{:?}",
        rows.messages
    );
    assert!(
        copy.read_more(&filter, &[]).is_none(),
        "nothing more to read"
    );
}

#[test]
fn the_filter_applies_in_place_or_reads_again() {
    let config = config(&["fixtures/ci"]);
    let mut app = app_of(&config);
    assert_eq!(app.shown.len(), 4);
    assert!(matches!(app.set_filter("--errors", 0), Effect::Nothing));
    assert_eq!(app.shown.len(), 1);
    app.toggle_errors();
    assert_eq!(app.shown.len(), 4);
    // A line condition is tested while reading.
    let Effect::Ask(Request::Read(filter)) = app.set_filter("status>=500", 0) else {
        panic!("a line condition reads again");
    };
    app.on_reply(Reply::Rows(read_rows(&config, &filter, None)));
    assert_eq!(app.shown.len(), 1);
    assert!(screen(&mut app, 120, 6).contains("filter status>=500"));
    assert!(matches!(app.set_filter("--service", 0), Effect::Nothing));
    assert!(app.flash.as_deref().unwrap_or("").contains("needs a value"));
}

#[test]
fn log_text_never_reaches_the_screen_raw() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("evil.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"time":"2026-11-20T10:00:00Z","level":"error","service":"ev\u001b]0;pwned\u0007il","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","msg":"\u001b[2J\u001b[Hgone \u202eevil \u009b31m"}"#,
            "\n"
        ),
    )
    .expect("write");
    let config = Config::from_cli(Cli::parse_from([
        "tracegrep",
        "--all",
        path.to_str().expect("utf-8"),
    ]))
    .expect("config");
    let mut app = app_of(&config);
    open_trace(&mut app, &config, "4bf92f3577b34da6a3ce929d0e0e4736");
    for tab in [Tab::Waterfall, Tab::Timeline] {
        app.trace.as_mut().expect("open").tab = tab;
        let text = screen(&mut app, 130, 12);
        assert!(text.contains("\\x1b[2J"), "{text}");
        let unsafe_char = text
            .chars()
            .find(|&c| c != '\n' && crate::render::sanitize::is_unsafe(c));
        assert_eq!(unsafe_char, None, "{text}");
    }
}

#[test]
fn colours_follow_the_choice_and_no_color_leaves_only_bold_dim_and_reverse() {
    let config = config(&["fixtures/ci"]);
    for color in [true, false] {
        let mut app = app_of(&config);
        app.color = color;
        open_trace(&mut app, &config, "22222222222222222222222222222222");
        let mut terminal = Terminal::new(TestBackend::new(130, 16)).expect("terminal");
        terminal
            .draw(|frame| super::draw::draw(frame, &mut app))
            .expect("draw");
        let coloured = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .filter(|c| c.fg != ratatui::style::Color::Reset)
            .count();
        assert_eq!(
            coloured > 0,
            color,
            "colour {color}: {coloured} coloured cells"
        );
    }
}
