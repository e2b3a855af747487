//! One open trace on the explorer's screen: its folds, the selected span and line, the tab
//! and the search in it.

use crate::explore::app::Cursor;
use crate::records::level::Level;
use crate::render::term::ServiceColors;
use crate::traces::Trace;

/// The tabs of an open trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The span tree with bars, and the selected span's details.
    Waterfall,
    /// Every line of the trace in time order.
    Timeline,
}

/// Text searched for in a trace, and what matches it.
pub struct Search {
    /// What was typed.
    pub text: String,
    /// Per node: it matches (its service, operation or one of its lines).
    pub spans: Vec<bool>,
    /// Per line of the trace: it matches.
    pub lines: Vec<bool>,
}

/// One open trace.
pub struct TraceScreen {
    /// The trace.
    pub trace: Box<Trace>,
    /// Per node: its children are hidden.
    pub folded: Vec<bool>,
    /// The nodes shown, in display order (the tree's order without folded subtrees).
    pub visible: Vec<usize>,
    /// The selected span (an index into `visible`).
    pub spans: Cursor,
    /// The selected line of the timeline.
    pub lines: Cursor,
    /// The tab shown.
    pub tab: Tab,
    /// The search in the trace, if any.
    pub search: Option<Search>,
    /// Lines of the detail pane scrolled past.
    pub detail_scroll: usize,
    /// The colours of the trace's services (made once: a trace may have many spans).
    pub colors: ServiceColors,
}

impl TraceScreen {
    /// The trace, every span unfolded, the entry span selected.
    pub fn new(trace: Box<Trace>) -> TraceScreen {
        let n = trace.tree.nodes.len();
        let mut screen = TraceScreen {
            folded: vec![false; n],
            visible: Vec::new(),
            spans: Cursor::default(),
            lines: Cursor::default(),
            tab: Tab::Waterfall,
            search: None,
            detail_scroll: 0,
            colors: ServiceColors::of_trace(&trace),
            trace,
        };
        screen.refold(None);
        screen
    }

    /// The selected node, if any.
    pub fn selected_node(&self) -> Option<usize> {
        self.visible.get(self.spans.selected).copied()
    }

    /// Recomputes the visible nodes after a fold changed, keeping `keep` (a node) selected,
    /// or its nearest shown ancestor.
    pub(crate) fn refold(&mut self, keep: Option<usize>) {
        let tree = &self.trace.tree;
        self.visible.clear();
        let mut hide_below: Option<usize> = None;
        for &i in &tree.order {
            let depth = tree.nodes[i].depth;
            match hide_below {
                Some(d) if depth > d => continue,
                _ => hide_below = None,
            }
            self.visible.push(i);
            if self.folded[i] {
                hide_below = Some(depth);
            }
        }
        if let Some(mut node) = keep {
            loop {
                if let Some(row) = self.visible.iter().position(|&v| v == node) {
                    self.spans.selected = row;
                    break;
                }
                match tree.nodes[node].parent {
                    Some(p) => node = p,
                    None => break,
                }
            }
        }
        let len = self.visible.len();
        self.spans.select(self.spans.selected, len);
    }

    /// Folds (`true`) or unfolds the selected span's children.
    pub fn set_fold(&mut self, fold: bool) {
        if let Some(node) = self.selected_node() {
            if !self.trace.tree.nodes[node].children.is_empty() {
                self.folded[node] = fold;
                self.refold(Some(node));
            }
        }
    }

    /// Left: folds an open span with children, else selects its parent.
    pub fn left(&mut self) {
        let Some(node) = self.selected_node() else {
            return;
        };
        let n = &self.trace.tree.nodes[node];
        if !n.children.is_empty() && !self.folded[node] {
            self.set_fold(true);
        } else if let Some(p) = n.parent {
            self.refold(Some(p));
        }
    }

    /// Right: unfolds a folded span, else selects its first child.
    pub fn right(&mut self) {
        let Some(node) = self.selected_node() else {
            return;
        };
        if self.folded[node] {
            self.set_fold(false);
        } else if let Some(&c) = self.trace.tree.nodes[node].children.first() {
            self.refold(Some(c));
        }
    }

    /// Shows `levels` levels of the tree (0: every level).
    pub fn fold_to_depth(&mut self, levels: usize) {
        let keep = self.selected_node();
        for (i, n) in self.trace.tree.nodes.iter().enumerate() {
            self.folded[i] = levels > 0 && n.depth + 1 >= levels && !n.children.is_empty();
        }
        self.refold(keep);
    }

    /// Selects the next (or previous) span that `hit` picks, in the tree's order, unfolding
    /// what hides it; false when there is none.
    fn jump(&mut self, forward: bool, hit: impl Fn(usize) -> bool) -> bool {
        let order = &self.trace.tree.order;
        let at = self
            .selected_node()
            .and_then(|s| order.iter().position(|&i| i == s))
            .unwrap_or(0);
        let n = order.len();
        let found = next_hit(at, n, forward, |k| hit(order[k])).map(|k| order[k]);
        let Some(node) = found else {
            return false;
        };
        let mut up = self.trace.tree.nodes[node].parent;
        while let Some(p) = up {
            self.folded[p] = false;
            up = self.trace.tree.nodes[p].parent;
        }
        self.refold(Some(node));
        true
    }

    /// The next (or previous) span or line in error; false when there is none.
    pub fn jump_error(&mut self, forward: bool) -> bool {
        match self.tab {
            Tab::Waterfall => {
                let nodes = &self.trace.tree.nodes;
                let errs: Vec<bool> = nodes.iter().map(|n| n.error || n.error_lines > 0).collect();
                self.jump(forward, |i| errs[i])
            }
            Tab::Timeline => {
                let errs: Vec<bool> = (self.trace.records.iter())
                    .map(|r| r.level.is_some_and(|l| l >= Level::Error))
                    .collect();
                self.jump_line(forward, &errs)
            }
        }
    }

    /// The next (or previous) match of the search; false when there is none.
    pub fn jump_match(&mut self, forward: bool) -> bool {
        let Some(search) = self.search.take() else {
            return false;
        };
        let found = match self.tab {
            Tab::Waterfall => self.jump(forward, |i| search.spans[i]),
            Tab::Timeline => self.jump_line(forward, &search.lines),
        };
        self.search = Some(search);
        found
    }

    fn jump_line(&mut self, forward: bool, hits: &[bool]) -> bool {
        let n = hits.len();
        let at = self.lines.selected;
        let found = next_hit(at, n, forward, |k| hits[k]);
        if let Some(k) = found {
            self.lines.select(k, n);
        }
        found.is_some()
    }

    /// Searches the spans (service, operation, their lines) and the lines for `text`,
    /// ignoring case, and selects the first match after the selection.
    pub fn search(&mut self, text: &str) -> bool {
        let needle = text.to_lowercase();
        if needle.is_empty() {
            self.search = None;
            return true;
        }
        let records = &self.trace.records;
        let lines: Vec<bool> = records
            .iter()
            .map(|r| {
                let raw = String::from_utf8_lossy(&r.raw).to_lowercase();
                raw.contains(&needle)
                    || r.continuation
                        .iter()
                        .any(|c| String::from_utf8_lossy(c).to_lowercase().contains(&needle))
            })
            .collect();
        let spans: Vec<bool> = (self.trace.tree.nodes.iter())
            .map(|n| {
                n.service.to_lowercase().contains(&needle)
                    || n.name.to_lowercase().contains(&needle)
                    || n.records
                        .iter()
                        .any(|&r| lines.get(r).copied().unwrap_or(false))
            })
            .collect();
        self.search = Some(Search {
            text: text.to_string(),
            spans,
            lines,
        });
        self.jump_match(true)
    }
}

/// The first of `n` positions after `at` (before it, going back), wrapping around, that `hit`
/// picks.
fn next_hit(at: usize, n: usize, forward: bool, hit: impl Fn(usize) -> bool) -> Option<usize> {
    (1..=n)
        .map(|k| {
            if forward {
                (at + k) % n
            } else {
                (at + n - k) % n
            }
        })
        .find(|&k| hit(k))
}
