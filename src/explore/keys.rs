//! Keys and the mouse: what each does on each screen. The habits of less, k9s and lazygit:
//! arrows and hjkl, g/G, PgUp/PgDn, `/` to filter or search, `?` for help, q/Esc back.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::explore::app::{App, Effect, Prompt, PromptKind, Tab};
use crate::explore::load::Request;
use crate::render::sanitize::sanitize_bytes;

/// The help screen: keys and what they do, by screen.
pub const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            ("↑ ↓  k j", "move"),
            ("PgUp PgDn  ^b ^f", "a page"),
            ("g G  Home End", "first, last"),
            ("y", "copy the trace id (OSC 52)"),
            ("m", "mark the trace to compare"),
            ("d", "compare with the marked trace"),
            ("?", "this help"),
            ("q Esc", "back; quit from the list"),
            ("^c", "quit"),
        ],
    ),
    (
        "Traces",
        &[
            ("Enter → l", "open the trace"),
            ("/", "filter: --service NAME --errors --failed --min-duration D --where EXPR, status>=500, words"),
            ("e", "errors only, or all"),
            ("s", "next sort order"),
            ("r", "read the inputs again"),
        ],
    ),
    (
        "One trace",
        &[
            ("Tab", "waterfall or timeline"),
            ("← h  → l", "fold or go to the parent; unfold or go to a child"),
            ("Space Enter", "fold or unfold"),
            ("1…9  0", "show that many levels; every level"),
            ("e E", "next, previous error"),
            ("/  n N", "search the trace; next, previous match"),
            ("J K", "scroll the details"),
            ("o", "the span's lines (timeline: every line) in $PAGER"),
        ],
    ),
];

/// Does what `event` asks; `now` is the clock for filters such as `--since 15m`.
pub fn on_event(app: &mut App, event: Event, now: i64) -> Effect {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => on_key(app, key, now),
        Event::Mouse(mouse) => {
            let row = usize::from(mouse.row.saturating_sub(app.rows_top));
            let below_top = mouse.row >= app.rows_top;
            match mouse.kind {
                MouseEventKind::ScrollDown => step(app, 3),
                MouseEventKind::ScrollUp => step(app, -3),
                MouseEventKind::Down(MouseButton::Left) if below_top && app.prompt.is_none() => {
                    return click(app, row);
                }
                _ => {}
            }
            Effect::Nothing
        }
        _ => Effect::Nothing,
    }
}

fn on_key(app: &mut App, key: KeyEvent, now: i64) -> Effect {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Effect::Interrupted;
    }
    app.flash = None;
    if app.prompt.is_some() {
        return on_prompt_key(app, key, now);
    }
    if app.help {
        app.help = false;
        return Effect::Nothing;
    }
    let page = app.page.max(1) as isize;
    // Keys every screen shares.
    match (key.code, ctrl) {
        (KeyCode::Down | KeyCode::Char('j'), false) => step(app, 1),
        (KeyCode::Up | KeyCode::Char('k'), false) => step(app, -1),
        (KeyCode::PageDown, _) | (KeyCode::Char('f'), true) => step(app, page),
        (KeyCode::PageUp, _) | (KeyCode::Char('b'), true) => step(app, -page),
        (KeyCode::Char('d'), true) => step(app, page / 2),
        (KeyCode::Char('u'), true) => step(app, -page / 2),
        (KeyCode::Home | KeyCode::Char('g'), false) => step(app, isize::MIN / 2),
        (KeyCode::End | KeyCode::Char('G'), false) => step(app, isize::MAX / 2),
        (KeyCode::Char('?'), _) => app.help = true,
        (KeyCode::Char('y'), false) => {
            if let Some(id) = app.current_id() {
                app.flash = Some(format!("copied {id}"));
                return Effect::Copy(id);
            }
        }
        (KeyCode::Char('m'), false) => {
            if let Some(id) = app.current_id() {
                app.flash = Some(format!("marked {id}: d compares a trace with it"));
                app.marked = Some(id);
            }
        }
        (KeyCode::Char('d'), false) => return compare(app),
        _ if app.trace.is_some() => return on_trace_key(app, key),
        _ => return on_list_key(app, key),
    }
    Effect::Nothing
}

fn on_list_key(app: &mut App, key: KeyEvent) -> Effect {
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => return Effect::Quit,
        KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => return app.open_selected(),
        KeyCode::Char('/') => {
            app.prompt = Some(Prompt {
                kind: PromptKind::Filter,
                text: app.filter_typed.clone(),
            })
        }
        KeyCode::Char('e') => app.toggle_errors(),
        KeyCode::Char('s') => app.next_sort(),
        KeyCode::Char('r') => {
            app.reading = true;
            return Effect::Ask(Request::Read(app.filter.clone()));
        }
        KeyCode::Char(' ') => step(app, app.page.max(1) as isize),
        _ => {}
    }
    Effect::Nothing
}

fn on_trace_key(app: &mut App, key: KeyEvent) -> Effect {
    let Some(t) = app.trace.as_mut() else {
        return Effect::Nothing;
    };
    let waterfall = t.tab == Tab::Waterfall;
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc | KeyCode::Backspace => app.trace = None,
        KeyCode::Tab | KeyCode::BackTab => {
            t.tab = if waterfall {
                Tab::Timeline
            } else {
                Tab::Waterfall
            };
        }
        KeyCode::Left | KeyCode::Char('h') if waterfall => t.left(),
        KeyCode::Right | KeyCode::Char('l') if waterfall => t.right(),
        KeyCode::Char(' ') | KeyCode::Enter if waterfall => {
            if let Some(node) = t.selected_node() {
                let fold = !t.folded[node];
                t.set_fold(fold);
            }
        }
        KeyCode::Char(c @ '0'..='9') if waterfall => t.fold_to_depth(c as usize - '0' as usize),
        KeyCode::Char('e') | KeyCode::Char('E')
            if !t.jump_error(key.code == KeyCode::Char('e')) =>
        {
            app.flash = Some("no error in this trace".into());
        }
        KeyCode::Char('n') | KeyCode::Char('N') => {
            if t.search.is_none() {
                app.flash = Some("/ searches the trace first".into());
            } else if !t.jump_match(key.code == KeyCode::Char('n')) {
                app.flash = Some("no match".into());
            }
        }
        KeyCode::Char('/') => {
            app.prompt = Some(Prompt {
                kind: PromptKind::Search,
                text: String::new(),
            })
        }
        KeyCode::Char('J') => t.detail_scroll = t.detail_scroll.saturating_add(1),
        KeyCode::Char('K') => t.detail_scroll = t.detail_scroll.saturating_sub(1),
        KeyCode::Char('o') => return Effect::Page(raw_lines(app)),
        _ => {}
    }
    Effect::Nothing
}

fn on_prompt_key(app: &mut App, key: KeyEvent, now: i64) -> Effect {
    let Some(prompt) = app.prompt.as_mut() else {
        return Effect::Nothing;
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => app.prompt = None,
        KeyCode::Backspace => {
            prompt.text.pop();
        }
        KeyCode::Char('u') if ctrl => prompt.text.clear(),
        KeyCode::Char(c) if !ctrl => prompt.text.push(c),
        KeyCode::Enter => {
            let Prompt { kind, text } = app.prompt.take().unwrap_or(Prompt {
                kind: PromptKind::Filter,
                text: String::new(),
            });
            match kind {
                PromptKind::Filter => {
                    app.filter_typed = text.clone();
                    return app.set_filter(&text, now);
                }
                PromptKind::Search => {
                    if let Some(t) = app.trace.as_mut() {
                        if !t.search(&text) {
                            app.flash = Some(format!("no match for {text}"));
                        }
                    }
                }
                PromptKind::Compare => {
                    let text = text.trim().to_string();
                    if let (Some(a), false) = (app.current_id(), text.is_empty()) {
                        app.flash = Some("comparing…".into());
                        return Effect::Ask(Request::Compare(a, text, usize::from(app.width)));
                    }
                }
            }
        }
        _ => {}
    }
    Effect::Nothing
}

/// Compares the trace in view with the marked one, or asks which trace to compare it with.
fn compare(app: &mut App) -> Effect {
    let Some(current) = app.current_id() else {
        return Effect::Nothing;
    };
    match app.marked.clone() {
        Some(marked) if marked != current => {
            app.flash = Some("comparing…".into());
            Effect::Ask(Request::Compare(marked, current, usize::from(app.width)))
        }
        _ => {
            app.prompt = Some(Prompt {
                kind: PromptKind::Compare,
                text: String::new(),
            });
            Effect::Nothing
        }
    }
}

/// Moves the selection of the screen in view by `delta` rows.
fn step(app: &mut App, delta: isize) {
    match app.trace.as_mut() {
        Some(t) if t.tab == Tab::Waterfall => t.spans.step(delta, t.visible.len()),
        Some(t) => t.lines.step(delta, t.trace.records.len()),
        None => app.list.step(delta, app.shown.len()),
    }
    if let Some(t) = app.trace.as_mut() {
        t.detail_scroll = 0;
    }
}

/// A click on row `row` of the list or the waterfall: selects it, or opens (folds) what is
/// selected already.
fn click(app: &mut App, row: usize) -> Effect {
    match app.trace.as_mut() {
        Some(t) if t.tab == Tab::Waterfall => {
            let at = t.spans.offset + row;
            if at >= t.visible.len() {
                return Effect::Nothing;
            }
            if at == t.spans.selected {
                if let Some(node) = t.selected_node() {
                    let fold = !t.folded[node];
                    t.set_fold(fold);
                }
            } else {
                t.spans.select(at, t.visible.len());
                t.detail_scroll = 0;
            }
        }
        Some(t) => {
            let at = t.lines.offset + row;
            t.lines.select(at, t.trace.records.len());
        }
        None => {
            let at = app.list.offset + row;
            if at >= app.shown.len() {
                return Effect::Nothing;
            }
            if at == app.list.selected {
                return app.open_selected();
            }
            app.list.select(at, app.shown.len());
        }
    }
    Effect::Nothing
}

/// The raw lines of the selected span (the timeline: of the whole trace), made safe for the
/// terminal, for the pager.
fn raw_lines(app: &App) -> String {
    let Some(t) = &app.trace else {
        return String::new();
    };
    let records: Vec<usize> = match (t.tab, t.selected_node()) {
        (Tab::Waterfall, Some(node)) => t.trace.tree.nodes[node].records.clone(),
        _ => (0..t.trace.records.len()).collect(),
    };
    let mut text = String::new();
    for &i in &records {
        let r = &t.trace.records[i];
        text.push_str(&sanitize_bytes(&r.raw));
        text.push('\n');
        for c in &r.continuation {
            text.push_str("    ");
            text.push_str(&sanitize_bytes(c));
            text.push('\n');
        }
    }
    text
}
