//! Drawing one trace: its header, the tabs, the waterfall with the selected span's details
//! beside or under it, and the timeline. Rows are made only for what is on screen, so a
//! trace of a hundred thousand spans draws as fast as one of ten.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::explore::app::{App, Tab, TraceScreen};
use crate::explore::draw::{thousands, Theme};
use crate::records::duration::{format_duration, format_offset};
use crate::records::level::Level;
use crate::records::time::format_rfc3339_millis;
use crate::records::Record;
use crate::render::fields::{line_fields, FieldChoice};
use crate::render::sanitize::{sanitize, sanitize_bytes};
use crate::render::term::{fit, ServiceColors};
use crate::render::timeline::stack_lines;
use crate::render::waterfall::bar_span;
use crate::traces::tree::{SpanKind, SpanNode};
use crate::traces::UNKNOWN_SERVICE;

/// The label column never takes more than this.
const MAX_LABEL_COLS: usize = 50;
/// Columns of a duration.
const DURATION_COLS: usize = 9;
/// Deeper levels than this are drawn at this indentation, with the depth written out.
const MAX_INDENT_LEVELS: usize = 12;
/// From this width the details go beside the waterfall, else under it.
const SIDE_BY_SIDE_COLS: u16 = 120;

/// Draws the open trace in `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &mut App, theme: Theme) {
    let Some(t) = app.trace.as_mut() else {
        return;
    };
    let [head, tabs, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header(t, theme)), head);
    frame.render_widget(Paragraph::new(tab_line(t, theme)), tabs);
    let colors = t.colors.clone();
    match t.tab {
        Tab::Waterfall => {
            let split = if body.width >= SIDE_BY_SIDE_COLS {
                Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            } else {
                Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)])
            };
            let [spans, details] = split.areas(body);
            app.rows_top = spans.y;
            app.page = usize::from(spans.height);
            draw_waterfall(frame, spans, t, &colors, theme);
            draw_details(frame, details, t, &colors, theme);
        }
        Tab::Timeline => {
            app.rows_top = body.y;
            app.page = usize::from(body.height);
            draw_timeline(frame, body, t, &colors, theme);
        }
    }
}

fn header(t: &TraceScreen, theme: Theme) -> Line<'static> {
    let trace = &t.trace;
    let stats = &trace.stats;
    let duration = stats
        .duration_ns()
        .map_or_else(|| "?".to_string(), format_duration);
    let errors = stats.error_lines.max(stats.failed_spans);
    let mut spans = vec![
        Span::styled(
            format!(" {} ", sanitize(&trace.id.to_string())),
            theme.bold(),
        ),
        Span::raw(format!(
            " {duration} · {} spans · {} services · {} lines",
            thousands(trace.tree.span_count() as u64),
            stats.services.len(),
            thousands(trace.records.len() as u64),
        )),
    ];
    if errors > 0 {
        spans.push(Span::styled(format!(" · {errors} errors"), theme.alarm()));
    }
    if let Some(start) = stats.start {
        spans.push(Span::styled(
            format!(" · {}", format_rfc3339_millis(start)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

fn tab_line(t: &TraceScreen, theme: Theme) -> Line<'static> {
    let tab = |name: &str, on: bool| {
        if on {
            Span::styled(
                format!(" {name} "),
                theme.selected().add_modifier(Modifier::BOLD),
            )
        } else {
            Span::styled(format!(" {name} "), theme.dim())
        }
    };
    let mut spans = vec![
        tab("Waterfall", t.tab == Tab::Waterfall),
        Span::raw(" "),
        tab("Timeline", t.tab == Tab::Timeline),
        Span::styled(
            "   Tab switches · ← → fold · e next error · / search",
            theme.dim(),
        ),
    ];
    if let Some(search) = &t.search {
        let hits = match t.tab {
            Tab::Waterfall => search.spans.iter().filter(|&&h| h).count(),
            Tab::Timeline => search.lines.iter().filter(|&&h| h).count(),
        };
        spans.push(Span::styled(
            format!("   /{}: {hits} matches", sanitize(&search.text)),
            theme.fg(Color::Yellow),
        ));
    }
    Line::from(spans)
}

fn service_style(colors: &ServiceColors, service: &str, theme: Theme) -> Style {
    theme.fg(Color::Indexed(colors.xterm(service)))
}

fn draw_waterfall(
    frame: &mut Frame<'_>,
    area: Rect,
    t: &mut TraceScreen,
    colors: &ServiceColors,
    theme: Theme,
) {
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    let label_cols = (width * 45 / 100).clamp(12, MAX_LABEL_COLS);
    let bar_cols = width
        .saturating_sub(1 + label_cols + 1 + 1 + DURATION_COLS + 1 + 4)
        .max(4);
    let range = match (t.trace.stats.start, t.trace.stats.end) {
        (Some(t0), Some(t1)) => Some((t0, (t1 - t0).max(1))),
        _ => None,
    };
    let offset = t.spans.scroll(height, t.visible.len());
    let tree = &t.trace.tree;
    let mut lines = Vec::with_capacity(height);
    for (row, &i) in t.visible.iter().enumerate().skip(offset).take(height) {
        let node = &tree.nodes[i];
        let selected = row == t.spans.selected;
        let matched = t.search.as_ref().is_some_and(|s| s.spans[i]);
        let mut spans = Vec::with_capacity(8);
        spans.push(if node.critical {
            Span::styled("*", theme.fg(Color::Yellow).add_modifier(Modifier::BOLD))
        } else {
            Span::raw(" ")
        });
        let (prefix, service, name) = label(node, t.folded[i]);
        let label_style = if matched {
            Style::new().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::new()
        };
        let text = fit(&format!("{prefix}{service} {name}"), label_cols);
        // The service keeps its colour where the label was not cut before it.
        let cut = prefix.chars().count() + service.chars().count();
        let (head, tail): (String, String) = if text.chars().count() > cut {
            (
                text.chars().take(cut).collect(),
                text.chars().skip(cut).collect(),
            )
        } else {
            (text.clone(), String::new())
        };
        let service_at = prefix.chars().count().min(head.chars().count());
        let (indent, svc): (String, String) = (
            head.chars().take(service_at).collect(),
            head.chars().skip(service_at).collect(),
        );
        spans.push(Span::styled(indent, label_style));
        let svc_style = if node.kind == SpanKind::Placeholder {
            theme.dim()
        } else {
            service_style(colors, &node.service, theme).add_modifier(Modifier::BOLD)
        };
        spans.push(Span::styled(svc, svc_style.patch(label_style)));
        spans.push(Span::styled(tail, label_style));
        spans.push(Span::raw(" "));
        let (from, to) = match range {
            Some((t0, total)) => bar_span(node, t0, total, bar_cols),
            None => (0, 0),
        };
        let bar_char = match node.kind {
            SpanKind::Logged => "█",
            SpanKind::Synthetic => "▒",
            SpanKind::Placeholder => "░",
        };
        let bar_style = if node.error {
            theme.alarm()
        } else {
            service_style(colors, &node.service, theme)
        };
        spans.push(Span::raw(" ".repeat(from)));
        spans.push(Span::styled(bar_char.repeat(to - from), bar_style));
        spans.push(Span::raw(" ".repeat(bar_cols - to)));
        let duration = node
            .duration_ns()
            .map_or_else(|| "?".to_string(), format_duration);
        spans.push(Span::raw(format!(" {duration:>DURATION_COLS$} ")));
        if node.error {
            spans.push(Span::styled("ERR", theme.alarm()));
        } else if node.error_lines > 0 {
            spans.push(Span::styled("err", theme.fg(Color::Red)));
        }
        let line = Line::from(spans);
        lines.push(if selected {
            line.style(theme.selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The label of a span: indentation with its fold mark, its service and its name.
fn label(node: &SpanNode, folded: bool) -> (String, String, String) {
    let mut prefix = "  ".repeat(node.depth.min(MAX_INDENT_LEVELS));
    if node.depth > MAX_INDENT_LEVELS {
        prefix.push_str(&format!("[{}]", node.depth));
    }
    prefix.push_str(match (node.children.is_empty(), folded) {
        (true, _) => "  ",
        (false, true) => "▸ ",
        (false, false) => "▾ ",
    });
    match node.kind {
        SpanKind::Placeholder => {
            let id = node.id.map(|i| i.to_string()).unwrap_or_default();
            (prefix, format!("? {id}"), "(not in the logs)".to_string())
        }
        _ => (
            prefix,
            sanitize(&node.service).into_owned(),
            sanitize(&node.name).into_owned(),
        ),
    }
}

fn draw_details(
    frame: &mut Frame<'_>,
    area: Rect,
    t: &TraceScreen,
    colors: &ServiceColors,
    theme: Theme,
) {
    let block = Block::default().borders(Borders::ALL).title(" span ");
    let Some(i) = t.selected_node() else {
        frame.render_widget(Paragraph::new("").block(block), area);
        return;
    };
    let node = &t.trace.tree.nodes[i];
    let t0 = t.trace.stats.start;
    let fact = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<10}", "service"), theme.dim()),
            Span::styled(
                sanitize(&node.service).into_owned(),
                service_style(colors, &node.service, theme).add_modifier(Modifier::BOLD),
            ),
        ]),
        fact("operation", sanitize(&node.name).into_owned()),
    ];
    if let Some(start) = node.start {
        let offset = t0.map(|t0| format!("  {}", format_offset(start - t0)));
        lines.push(fact(
            "start",
            format!(
                "{}{}",
                format_rfc3339_millis(start),
                offset.unwrap_or_default()
            ),
        ));
    }
    let duration = node
        .duration_ns()
        .map_or_else(|| "?".to_string(), format_duration);
    let own = node
        .self_ns
        .map_or_else(String::new, |s| format!(" · self {}", format_duration(s)));
    lines.push(fact("duration", format!("{duration}{own}")));
    let mut status = node
        .status
        .as_deref()
        .map(|s| sanitize(s).into_owned())
        .unwrap_or_default();
    if node.error {
        status.push_str(if status.is_empty() {
            "failed"
        } else {
            " · failed"
        });
    } else if status.is_empty() {
        status.push_str("ok");
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{:<10}", "status"), theme.dim()),
        Span::styled(
            status,
            if node.error {
                theme.alarm()
            } else {
                Style::new()
            },
        ),
    ]));
    let id = node.id.map_or_else(|| "-".to_string(), |i| i.to_string());
    let parent = node
        .parent_id
        .map_or_else(|| "-".to_string(), |i| i.to_string());
    lines.push(fact(
        "span",
        format!("{id} · parent {parent} ({})", node.link.as_str()),
    ));
    let mut marks = Vec::new();
    if node.critical {
        marks.push("on the critical path");
    }
    if node.starts_before_parent {
        marks.push("starts before its parent (clock skew)");
    }
    if node.follows_from {
        marks.push("runs after its parent");
    }
    if node.kind == SpanKind::Placeholder {
        marks.push("never logged: named only as a parent");
    }
    if !marks.is_empty() {
        lines.push(fact("", marks.join(" · ")));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        format!("{} lines", node.records.len()),
        theme.bold(),
    )));
    for &r in &node.records {
        let record = &t.trace.records[r];
        push_record(&mut lines, record, t0, None, theme, true);
    }
    let scroll = u16::try_from(t.detail_scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// A line of the trace: offset, service (when `service_cols` is given), level, message and
/// fields; with `stack`, its stack trace and continuation lines under it.
fn push_record(
    lines: &mut Vec<Line<'static>>,
    r: &Record,
    t0: Option<i64>,
    service: Option<(usize, Style)>,
    theme: Theme,
    stack: bool,
) {
    let offset = match (r.time, t0) {
        (Some(t), Some(t0)) => format_offset(t - t0),
        _ => "?".to_string(),
    };
    let level = r.level.map_or("-", Level::label);
    let level_style = match r.level {
        Some(l) if l >= Level::Error => theme.alarm(),
        Some(l) if l >= Level::Warn => theme.fg(Color::Yellow),
        _ => theme.dim(),
    };
    let message = match &r.message {
        Some(m) => sanitize(m).into_owned(),
        None => sanitize_bytes(&r.raw),
    };
    let mut spans = vec![Span::styled(format!("{offset:>9} "), theme.dim())];
    if let Some((cols, style)) = service {
        let name = sanitize(r.service.as_deref().unwrap_or(UNKNOWN_SERVICE)).into_owned();
        spans.push(Span::styled(format!("{} ", fit(&name, cols)), style));
    }
    spans.push(Span::styled(format!("{level:<5} "), level_style));
    spans.push(Span::raw(message));
    let mut fields: Vec<String> = Vec::new();
    if let Some(status) = &r.status {
        fields.push(format!("status={}", sanitize(status)));
    }
    if let Some(d) = r.duration_ns {
        fields.push(format!("duration={}", format_duration(d)));
    }
    if stack {
        for (name, value) in line_fields(&r.raw, &FieldChoice::Auto) {
            fields.push(format!("{}={}", sanitize(&name), sanitize(&value)));
        }
    }
    if !fields.is_empty() {
        spans.push(Span::styled(format!("  {}", fields.join(" ")), theme.dim()));
    }
    lines.push(Line::from(spans));
    if stack {
        for line in stack_lines(r) {
            lines.push(Line::from(Span::styled(
                format!("          │ {}", sanitize(&line)),
                theme.dim(),
            )));
        }
    }
}

fn draw_timeline(
    frame: &mut Frame<'_>,
    area: Rect,
    t: &mut TraceScreen,
    colors: &ServiceColors,
    theme: Theme,
) {
    let height = usize::from(area.height);
    let records = &t.trace.records;
    let offset = t.lines.scroll(height, records.len());
    let service_cols = t
        .trace
        .stats
        .services
        .iter()
        .map(|s| sanitize(s).chars().count())
        .max()
        .unwrap_or(7)
        .min(24);
    let mut lines = Vec::with_capacity(height);
    for (row, r) in records.iter().enumerate().skip(offset).take(height) {
        let mut one = Vec::with_capacity(1);
        let service = r.service.as_deref().unwrap_or(UNKNOWN_SERVICE);
        push_record(
            &mut one,
            r,
            t.trace.stats.start,
            Some((service_cols, service_style(colors, service, theme))),
            theme,
            false,
        );
        let matched = t.search.as_ref().is_some_and(|s| s.lines[row]);
        for line in one {
            let line = if matched {
                line.patch_style(Style::new().add_modifier(Modifier::UNDERLINED))
            } else {
                line
            };
            lines.push(if row == t.lines.selected {
                line.style(theme.selected())
            } else {
                line
            });
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}
