//! Drawing the list of traces, the status and prompt lines and the help. Only the rows on
//! screen are made into text, so a frame costs the same for ten traces or a million.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::explore::app::{sort_name, App, PromptKind};
use crate::explore::keys::HELP;
use crate::explore::trace_view;
use crate::render::table::ScreenTable;

/// The styles of the explorer: colours when they are on, else only bold, dim and reverse.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Colours are on.
    pub color: bool,
}

impl Theme {
    /// A colour, or nothing with colours off.
    pub fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Problems: red, or bold without colours.
    pub fn alarm(self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// Secondary text.
    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// The selected row.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Headers and titles.
    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &mut App) {
    let area = frame.area();
    app.width = area.width;
    let theme = Theme { color: app.color };
    let [body, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    if app.trace.is_some() {
        trace_view::draw(frame, body, app, theme);
    } else {
        draw_list(frame, body, app, theme);
    }
    draw_status(frame, status, app, theme);
    if app.help {
        draw_help(frame, area, theme);
    }
}

fn draw_list(frame: &mut Frame<'_>, area: Rect, app: &mut App, theme: Theme) {
    let width = usize::from(area.width);
    if app.table.as_ref().is_none_or(|(w, _)| *w != width) {
        app.table = Some((width, ScreenTable::new(&app.all, width)));
    }
    let Some((_, table)) = &app.table else {
        return;
    };
    let height = usize::from(area.height.saturating_sub(1));
    app.page = height;
    app.rows_top = area.y + 1;
    let header: Vec<Span<'_>> = table
        .header()
        .into_iter()
        .map(|c| Span::styled(format!(" {} ", c.text), theme.bold()))
        .collect();
    let mut lines = vec![Line::from(header)];
    let offset = app.list.scroll(height, app.shown.len());
    for (row, &i) in app.shown.iter().enumerate().skip(offset).take(height) {
        let t = &app.all[i];
        let selected = row == app.list.selected;
        let spans: Vec<Span<'_>> = table
            .cells(t)
            .into_iter()
            .map(|c| {
                let style = if c.alarm { theme.alarm() } else { Style::new() };
                Span::styled(format!(" {} ", c.text), style)
            })
            .collect();
        let line = Line::from(spans);
        lines.push(if selected {
            line.style(theme.selected())
        } else {
            line
        });
    }
    if app.shown.is_empty() {
        let what = if app.reading {
            "reading…".to_string()
        } else if app.seen == 0 {
            "no traces in the input".to_string()
        } else {
            format!(
                "none of {} traces matched the filter (/ changes it)",
                thousands(app.seen as u64)
            )
        };
        lines.push(Line::from(Span::styled(format!(" {what}"), theme.dim())));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The status line: counts, order, filter, progress and the latest message; or the prompt.
fn draw_status(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    if let Some(prompt) = &app.prompt {
        let label = match prompt.kind {
            PromptKind::Filter => "filter: ",
            PromptKind::Search => "search: ",
            PromptKind::Compare => "compare with trace: ",
        };
        let line = Line::from(vec![
            Span::styled(label, theme.bold()),
            Span::raw(crate::render::sanitize::sanitize(&prompt.text).into_owned()),
            Span::styled(" ", theme.selected()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let mut parts: Vec<Span<'_>> = Vec::new();
    let noun = if app.all.len() == 1 {
        "trace"
    } else {
        "traces"
    };
    let count = if app.shown.len() == app.all.len() {
        format!("{} {noun}", thousands(app.shown.len() as u64))
    } else {
        format!(
            "{} of {} {noun}",
            thousands(app.shown.len() as u64),
            thousands(app.all.len() as u64)
        )
    };
    parts.push(Span::styled(format!(" {count}"), theme.bold()));
    parts.push(Span::raw(format!(" · sort {}", sort_name(app.sort))));
    let filter = app.filter_text();
    if !filter.is_empty() {
        parts.push(Span::raw(" · filter "));
        parts.push(Span::styled(
            crate::render::sanitize::sanitize(&filter).into_owned(),
            theme.fg(Color::Yellow),
        ));
    }
    if app.reading || app.opening.is_some() {
        let (total, read, found) = crate::progress::observed();
        let text = if total > 0 && read <= total {
            format!(
                " · reading {}% of {}, {} traces",
                read * 100 / total,
                bytes(total),
                thousands(found)
            )
        } else {
            " · reading…".to_string()
        };
        parts.push(Span::styled(text, theme.fg(Color::Cyan)));
    }
    if app.live {
        parts.push(Span::styled(" · live", theme.fg(Color::Green)));
    }
    // The key to the help before the messages, which are cut when long.
    parts.push(Span::raw(" · ? help"));
    if let Some(flash) = &app.flash {
        parts.push(Span::raw(" · "));
        parts.push(Span::styled(
            crate::render::sanitize::sanitize(flash).into_owned(),
            theme.bold(),
        ));
    } else if let Some(first) = app.messages.first() {
        parts.push(Span::raw(" · "));
        parts.push(Span::raw(
            crate::render::sanitize::sanitize(first).into_owned(),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(parts)).style(Style::new().add_modifier(Modifier::REVERSED)),
        area,
    );
}

fn draw_help(frame: &mut Frame<'_>, area: Rect, theme: Theme) {
    let mut lines = Vec::new();
    for (screen, keys) in HELP {
        lines.push(Line::from(Span::styled(*screen, theme.bold())));
        for (key, what) in *keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<18}"), theme.fg(Color::Yellow)),
                Span::raw(*what),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(Span::styled("any key closes this", theme.dim())));
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 90.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" keys ")),
        popup,
    );
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in bytes, short (`1.2 GB`).
fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{} MB", n >> 20),
        n => format!("{} kB", n.div_ceil(1024)),
    }
}
