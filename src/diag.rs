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
    }
}

impl Diagnostics {
    /// A one-line summary of the problems, or `None` when there were none worth a note.
    pub fn problems(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.not_json > 0 {
            parts.push(format!(
                "{} line{} mentioning the id {} not JSON",
                self.not_json,
                plural(self.not_json),
                if self.not_json == 1 { "is" } else { "are" }
            ));
        }
        if self.invalid_utf8 > 0 {
            parts.push(format!(
                "{} line{} with invalid UTF-8 (decoded lossily)",
                self.invalid_utf8,
                plural(self.invalid_utf8)
            ));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl Diagnostics {
    /// The summary for scans of every line (`--all`, `--stats`): lines that are not JSON, JSON
    /// lines without a trace id, invalid UTF-8.
    pub fn scan_problems(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.not_json > 0 {
            parts.push(format!(
                "{} line{} not JSON",
                self.not_json,
                plural(self.not_json)
            ));
        }
        if self.no_trace_id > 0 {
            parts.push(format!(
                "{} JSON line{} without a trace id",
                self.no_trace_id,
                plural(self.no_trace_id)
            ));
        }
        if self.invalid_utf8 > 0 {
            parts.push(format!(
                "{} line{} with invalid UTF-8 (decoded lossily)",
                self.invalid_utf8,
                plural(self.invalid_utf8)
            ));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
