//! The explorer's state and what each action does to it; no terminal here. The keys
//! ([`super::keys`]) call these methods, the drawing ([`super::draw`]) reads the state.

pub use crate::explore::trace_screen::{Search, Tab, TraceScreen};

use crate::cli::SortKey;
use crate::explore::load::{Part, Reply, Request, Rows};
use crate::explore::prompt::{describe, line_key, parse_filter};
use crate::modes::collect::sort;
use crate::render::table::ScreenTable;
use crate::traces::filter::TraceFilter;
use crate::traces::summary::Row;
use crate::traces::Trace;

/// A selection in a list, and the first row shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The selected row.
    pub selected: usize,
    /// The first row on screen.
    pub offset: usize,
}

impl Cursor {
    /// Moves by `delta` rows within `len`.
    pub fn step(&mut self, delta: isize, len: usize) {
        let last = len.saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Selects `row`, within `len`.
    pub fn select(&mut self, row: usize, len: usize) {
        self.selected = row.min(len.saturating_sub(1));
    }

    /// Keeps the selection on a screen of `height` rows; returns the first row shown.
    pub fn scroll(&mut self, height: usize, len: usize) -> usize {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset
    }
}

/// What an action asks the event loop to do.
#[derive(Debug)]
pub enum Effect {
    /// Nothing beyond drawing again.
    Nothing,
    /// Leave the explorer.
    Quit,
    /// Leave because of Ctrl-C (exit status 130).
    Interrupted,
    /// Ask the reader.
    Ask(Request),
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
    /// Show this text in `$PAGER`.
    Page(String),
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Read(_) => write!(f, "Read"),
            Request::Open(id) => write!(f, "Open({id})"),
            Request::Compare(a, b, _) => write!(f, "Compare({a}, {b})"),
        }
    }
}

/// What the prompt line is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// A filter for the list.
    Filter,
    /// Text to find in the open trace.
    Search,
    /// The trace to compare the open one with.
    Compare,
}

/// The prompt line, while open.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it asks for.
    pub kind: PromptKind,
    /// What was typed.
    pub text: String,
}

/// The whole explorer's state.
pub struct App {
    /// The traces of the latest reading, in the list's order.
    pub all: Vec<Row>,
    /// The rows of `all` the filter keeps, in order.
    pub shown: Vec<usize>,
    /// The columns for `all` at the width they were laid out for.
    pub table: Option<(usize, ScreenTable)>,
    /// The list's selection.
    pub list: Cursor,
    /// The list's order.
    pub sort: SortKey,
    /// The filter (its trace conditions are applied here, its line conditions by reading).
    pub filter: TraceFilter,
    /// The filter as last typed at the prompt (the prompt opens with it).
    pub filter_typed: String,
    /// The line conditions the rows were read with.
    pub read_key: Vec<String>,
    /// Traces in the latest reading.
    pub seen: usize,
    /// A reading is under way.
    pub reading: bool,
    /// Standard input is still open.
    pub live: bool,
    /// What the latest reading met (errors, damaged files).
    pub messages: Vec<String>,
    /// A one-line message for the status line, until the next key.
    pub flash: Option<String>,
    /// The open trace.
    pub trace: Option<TraceScreen>,
    /// The trace being looked for.
    pub opening: Option<String>,
    /// What is being looked for is the open trace again (a live stream grew): it is let go
    /// if the user has left that trace meanwhile.
    pub refreshing: bool,
    /// The prompt line, while open.
    pub prompt: Option<Prompt>,
    /// The help screen is shown.
    pub help: bool,
    /// A trace marked to compare with (`m`).
    pub marked: Option<String>,
    /// Colours on.
    pub color: bool,
    /// Rows of the list or waterfall area at the last draw (PgUp/PgDn move by that).
    pub page: usize,
    /// Where the list and the waterfall rows start on screen, for mouse clicks.
    pub rows_top: u16,
    /// The screen's width at the last draw.
    pub width: u16,
}

impl App {
    /// An empty list, reading with `filter`, sorted by `sort`.
    pub fn new(filter: TraceFilter, sort: SortKey, color: bool) -> App {
        App {
            all: Vec::new(),
            shown: Vec::new(),
            table: None,
            list: Cursor::default(),
            sort,
            read_key: line_key(&filter),
            filter,
            filter_typed: String::new(),
            seen: 0,
            reading: true,
            live: false,
            messages: Vec::new(),
            flash: None,
            trace: None,
            opening: None,
            refreshing: false,
            prompt: None,
            help: false,
            marked: None,
            color,
            page: 20,
            rows_top: 1,
            width: 80,
        }
    }

    /// The selected row of the list.
    pub fn selected_row(&self) -> Option<&Row> {
        self.shown
            .get(self.list.selected)
            .and_then(|&i| self.all.get(i))
    }

    /// The id of the trace in view: the open one, else the selected row's.
    pub fn current_id(&self) -> Option<String> {
        match &self.trace {
            Some(t) => Some(t.trace.id.to_string()),
            None => self.selected_row().map(|r| r.id.to_string()),
        }
    }

    /// Takes what the reader sends; may ask it for more (an open trace of a live stream is
    /// looked for again when the stream grew).
    pub fn on_reply(&mut self, reply: Reply) -> Option<Request> {
        match reply {
            Reply::Rows(rows) => return self.take_rows(rows),
            Reply::Trace { asked, trace } => {
                if self.opening.as_deref() == Some(asked.as_str()) {
                    self.opening = None;
                    let left = self
                        .trace
                        .as_ref()
                        .is_none_or(|t| t.trace.id.to_string() != asked);
                    if std::mem::take(&mut self.refreshing) && left {
                        return None;
                    }
                    match trace {
                        Ok(trace) => {
                            self.flash = None;
                            self.show_trace(trace);
                        }
                        Err(e) => self.flash = Some(e),
                    }
                }
            }
            Reply::Compared(Err(e)) => self.flash = Some(e),
            Reply::Compared(Ok(_)) => {}
        }
        None
    }

    /// Opens `trace`, or updates the open trace in place when it is the same one.
    fn show_trace(&mut self, trace: Box<Trace>) {
        if let Some(open) = &mut self.trace {
            if open.trace.id == trace.id {
                let keep = open.selected_node();
                let (tab, lines) = (open.tab, open.lines);
                let folded = std::mem::take(&mut open.folded);
                let mut fresh = TraceScreen::new(trace);
                if folded.len() == fresh.folded.len() {
                    fresh.folded = folded;
                }
                fresh.tab = tab;
                fresh.lines = lines;
                fresh
                    .lines
                    .select(lines.selected, fresh.trace.records.len());
                fresh.refold(keep);
                *open = fresh;
                return;
            }
        }
        self.trace = Some(TraceScreen::new(trace));
    }

    fn take_rows(&mut self, rows: Rows) -> Option<Request> {
        let Rows {
            rows,
            seen,
            messages,
            line_key,
            live,
            part,
            done,
        } = rows;
        // A reading for an older filter is let go: a newer one is on its way.
        if line_key != crate::explore::prompt::line_key(&self.filter) {
            return None;
        }
        let kept = self.selected_row().map(|r| r.id.clone());
        let open_changed = self
            .trace
            .as_ref()
            .is_some_and(|t| rows.iter().any(|r| r.id == t.trace.id));
        match part {
            Part::Update => self.update_rows(rows),
            Part::First | Part::Whole => self.all = rows,
        }
        sort(&mut self.all, self.sort);
        self.seen = seen;
        self.messages = messages;
        self.read_key = line_key;
        self.table = None;
        // A preview of files leaves the reading under way; a live stream's list is read
        // while it shows.
        self.reading = !done && !live;
        let was_live = std::mem::replace(&mut self.live, live);
        self.apply_filter(kept.as_ref());
        // The open trace of a live stream grew: it is looked for again, updated in place.
        match &self.trace {
            Some(t) if (live || was_live) && open_changed && self.opening.is_none() => {
                let id = t.trace.id.to_string();
                self.opening = Some(id.clone());
                self.refreshing = true;
                Some(Request::Open(id))
            }
            _ => None,
        }
    }

    /// Puts a preview's rows in place of the rows of the same traces, or adds them.
    fn update_rows(&mut self, rows: Vec<Row>) {
        let at: std::collections::HashMap<_, _> = self
            .all
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        let mut new = Vec::new();
        for row in rows {
            match at.get(&row.id) {
                Some(&i) => self.all[i] = row,
                None => new.push(row),
            }
        }
        self.all.extend(new);
    }

    /// Keeps the rows the filter's trace conditions keep, the selection on `keep` if shown.
    fn apply_filter(&mut self, keep: Option<&crate::records::ids::TraceKey>) {
        let filter = &self.filter;
        self.shown = (0..self.all.len())
            .filter(|&i| filter.keeps(&self.all[i]))
            .collect();
        let row = keep.and_then(|id| self.shown.iter().position(|&i| &self.all[i].id == id));
        self.list
            .select(row.unwrap_or(self.list.selected), self.shown.len());
    }

    /// The next sort order, the selection kept.
    pub fn next_sort(&mut self) {
        self.sort = match self.sort {
            SortKey::Start => SortKey::Duration,
            SortKey::Duration => SortKey::Errors,
            SortKey::Errors => SortKey::Spans,
            SortKey::Spans => SortKey::Lines,
            SortKey::Lines => SortKey::Worst,
            SortKey::Worst => SortKey::Start,
        };
        let kept = self.selected_row().map(|r| r.id.clone());
        sort(&mut self.all, self.sort);
        self.apply_filter(kept.as_ref());
        self.flash = Some(format!("sorted by {}", sort_name(self.sort)));
    }

    /// Shows only traces with errors, or every trace again.
    pub fn toggle_errors(&mut self) {
        self.filter.errors = !self.filter.errors;
        let kept = self.selected_row().map(|r| r.id.clone());
        self.apply_filter(kept.as_ref());
    }

    /// Applies the filter typed at the prompt: at once when only its trace conditions
    /// changed, by reading again when its line conditions did.
    pub fn set_filter(&mut self, text: &str, now: i64) -> Effect {
        let typed = match parse_filter(text, now) {
            Ok(t) => t,
            Err(e) => {
                self.flash = Some(format!("filter: {e}"));
                return Effect::Nothing;
            }
        };
        self.filter = typed.filter;
        if line_key(&self.filter) == self.read_key {
            let kept = self.selected_row().map(|r| r.id.clone());
            self.apply_filter(kept.as_ref());
            Effect::Nothing
        } else {
            self.reading = true;
            Effect::Ask(Request::Read(self.filter.clone()))
        }
    }

    /// Opens the selected trace.
    pub fn open_selected(&mut self) -> Effect {
        match self.selected_row().map(|r| r.id.to_string()) {
            Some(id) => self.open(id),
            None => Effect::Nothing,
        }
    }

    /// Looks for the trace `id` names.
    pub fn open(&mut self, id: String) -> Effect {
        self.opening = Some(id.clone());
        self.refreshing = false;
        self.flash = Some(format!("opening {id}…"));
        Effect::Ask(Request::Open(id))
    }

    /// The filter in words, for the status line.
    pub fn filter_text(&self) -> String {
        describe(&self.filter)
    }
}

/// The name of a sort order, as `--sort` spells it.
pub fn sort_name(key: SortKey) -> &'static str {
    match key {
        SortKey::Start => "start",
        SortKey::Duration => "duration",
        SortKey::Errors => "errors",
        SortKey::Spans => "spans",
        SortKey::Lines => "lines",
        SortKey::Worst => "worst",
    }
}
