//! Diagnostics: what a scan met that was not a clean record, counted per source.
//!
//! Bad lines are data, not errors: stages count them here and `app` prints one summary line
//! per source on stderr. Counters merge with `+=`, so parallel tasks each keep their own.

use std::ops::AddAssign;

/// Counters for one source (or the sum over several).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// Lines where the prefilter found a spelling of the id.
    pub candidate_lines: u64,
    /// Lines that belong to the trace.
    pub matched_lines: u64,
    /// Candidate lines that are not JSON (plain text, truncated objects).
    pub not_json: u64,
    /// Candidate lines with invalid UTF-8, decoded lossily.
    pub invalid_utf8: u64,
    /// Candidate JSON lines that mention the id only outside an id field.
    pub mention_only: u64,
    /// JSON lines without any trace id (scans of every line).
    pub no_trace_id: u64,
    /// NUL bytes skipped: the damaged regions a crash or a full disk leaves in a log.
    pub nul_bytes: u64,
}

impl AddAssign<&Diagnostics> for Diagnostics {
    fn add_assign(&mut self, other: &Diagnostics) {
        self.bytes += other.bytes;
        self.candidate_lines += other.candidate_lines;
        self.matched_lines += other.matched_lines;
        self.not_json += other.not_json;
        self.invalid_utf8 += other.invalid_utf8;
        self.mention_only += other.mention_only;
        self.no_trace_id += other.no_trace_id;
        self.nul_bytes += other.nul_bytes;
    }
}

impl Diagnostics {
    /// A one-line summary of the problems, or `None` when there were none worth a note.
    pub fn problems(&self) -> Option<String> {
        let verb = if self.not_json == 1 { "is" } else { "are" };
        summary(&[
            (
                self.not_json,
                "line",
                &format!("mentioning the id {verb} not JSON"),
            ),
            (self.invalid_utf8, "line", INVALID_UTF8),
            (self.nul_bytes, "NUL byte", NUL_BYTES),
        ])
    }

    /// The summary for scans of every line (`--all`, `--stats`): lines that are not JSON, JSON
    /// lines without a trace id, invalid UTF-8.
    pub fn scan_problems(&self) -> Option<String> {
        summary(&[
            (self.not_json, "line", "not JSON"),
            (self.no_trace_id, "JSON line", "without a trace id"),
            (self.invalid_utf8, "line", INVALID_UTF8),
            (self.nul_bytes, "NUL byte", NUL_BYTES),
        ])
    }
}

/// "N NOUN(s) WHAT" for each count above zero, joined; `None` if all are zero.
fn summary(counts: &[(u64, &str, &str)]) -> Option<String> {
    let parts: Vec<String> = counts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, noun, what)| format!("{n} {noun}{} {what}", plural(*n)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

const INVALID_UTF8: &str = "with invalid UTF-8 (decoded lossily)";
const NUL_BYTES: &str = "in damaged regions (skipped; the lines around them were read)";

/// How many sources with problems get a line of their own; past this (plus one, as a line
/// naming a single other source says no less), the ones with the most damaged lines are named
/// and the rest are summed on one line, so hundreds of pod logs do not flood the terminal.
pub const SOURCES_NAMED: usize = 5;

/// The stderr lines (without the `tracegrep: ` prefix) for per-source diagnostics, in input
/// order; `describe` is [`Diagnostics::problems`] or [`Diagnostics::scan_problems`].
pub fn source_summaries<'a>(
    sources: impl IntoIterator<Item = (&'a str, &'a Diagnostics)>,
    describe: fn(&Diagnostics) -> Option<String>,
) -> Vec<String> {
    let damaged: Vec<(&str, &Diagnostics)> = sources
        .into_iter()
        .filter(|(_, d)| describe(d).is_some())
        .collect();
    if damaged.len() <= SOURCES_NAMED + 1 {
        return damaged
            .iter()
            .filter_map(|(name, d)| Some(format!("{name}: {}", describe(d)?)))
            .collect();
    }
    let weight = |d: &Diagnostics| {
        d.not_json + d.invalid_utf8 + d.no_trace_id + d.mention_only + d.nul_bytes.min(1)
    };
    let mut by_weight: Vec<usize> = (0..damaged.len()).collect();
    by_weight.sort_by_key(|&i| std::cmp::Reverse(weight(damaged[i].1)));
    let mut named = by_weight[..SOURCES_NAMED].to_vec();
    named.sort_unstable();
    let mut lines: Vec<String> = named
        .iter()
        .filter_map(|&i| Some(format!("{}: {}", damaged[i].0, describe(damaged[i].1)?)))
        .collect();
    let mut rest = Diagnostics::default();
    for &i in &by_weight[SOURCES_NAMED..] {
        rest += damaged[i].1;
    }
    if let Some(problems) = describe(&rest) {
        let others = damaged.len() - SOURCES_NAMED;
        lines.push(format!(
            "{others} other files: {problems} (--quiet hides these lines)"
        ));
    }
    lines
}

/// `"s"` unless `n` is one.
pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn damaged(not_json: u64) -> Diagnostics {
        Diagnostics {
            not_json,
            ..Diagnostics::default()
        }
    }

    #[test]
    fn many_damaged_sources_are_summed_past_the_worst_few() {
        let clean = Diagnostics::default();
        let diags: Vec<Diagnostics> = (1..=8).map(damaged).collect();
        let names: Vec<String> = (1..=8).map(|i| format!("f{i}")).collect();
        let mut sources: Vec<(&str, &Diagnostics)> =
            names.iter().map(String::as_str).zip(&diags).collect();
        sources.insert(0, ("clean", &clean));
        let lines = source_summaries(sources.clone(), Diagnostics::scan_problems);
        assert_eq!(
            lines,
            [
                "f4: 4 lines not JSON",
                "f5: 5 lines not JSON",
                "f6: 6 lines not JSON",
                "f7: 7 lines not JSON",
                "f8: 8 lines not JSON",
                "3 other files: 6 lines not JSON (--quiet hides these lines)",
            ]
        );
        // One more than SOURCES_NAMED: every source keeps its own line.
        let lines = source_summaries(sources[..7].to_vec(), Diagnostics::scan_problems);
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0], "f1: 1 line not JSON");
    }
}
