//! The ground truth `truth.json`: every trace with every span, as the generator made it.
//!
//! Layout: one JSON object; `"traces"` comes first with one trace per line (grep-able, and
//! written while the logs are generated), then `services`, `files`, `totals`, `needles`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One span, logged or not.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SpanTruth {
    /// 16 lowercase hex.
    pub span_id: String,
    /// The true parent; `null` at a root.
    pub parent_span_id: Option<String>,
    /// Service (`istio-proxy` for mesh hops, which log nothing).
    pub service: String,
    /// Operation.
    pub name: String,
    /// `server`, `client`, `producer`, `consumer`.
    pub kind: String,
    /// Start as logged (the service's skewed clock), RFC 3339 µs.
    pub start: String,
    /// Start as logged, ns since the epoch.
    pub start_unix_ns: i64,
    /// Start on the true clock.
    pub true_start_unix_ns: i64,
    /// Duration.
    pub duration_ms: f64,
    /// Its end line is at error level.
    pub error: bool,
    /// HTTP status of server spans.
    pub status: Option<u16>,
    /// JSON lines naming this span.
    pub lines: u32,
    /// False for spans no line shows (mesh hops, quiet clients).
    pub logged: bool,
    /// False for services whose lines carry no span id.
    pub span_id_logged: bool,
    /// The span's lines name its (true) parent.
    pub parent_logged: bool,
    /// Datadog: the id as its lines spell it (decimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id_decimal: Option<String>,
    /// A consumer that runs after the request ended.
    #[serde(rename = "async", default)]
    pub is_async: bool,
}

/// One spelling of a trace id in the logs.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Spelling {
    /// As written.
    pub value: String,
    /// `hex`, `traceparent`, `gcp`, `dd`, `uuid-upper`, `xray`.
    pub form: String,
    /// Services that write it.
    pub services: Vec<String>,
}

/// One trace.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct TraceTruth {
    /// 32 lowercase hex.
    pub trace_id: String,
    /// `request`, `job`.
    pub kind: String,
    /// Route or job name.
    pub route: String,
    /// The root span.
    pub root_span_id: String,
    /// Its service.
    pub root_service: String,
    /// Root start as logged.
    pub start: String,
    /// Root duration.
    pub duration_ms: f64,
    /// The root failed.
    pub error: bool,
    /// Every spelling of the id in the logs.
    pub spellings: Vec<Spelling>,
    /// JSON lines carrying this trace's id in any spelling.
    pub lines: u32,
    /// `lines` per service.
    pub lines_by_service: BTreeMap<String, u32>,
    /// Non-JSON stack-trace lines after its error lines (not in `lines`).
    #[serde(default)]
    pub stack_lines: u32,
    /// The truth lists only some of its spans (`../shared`'s generator caps big traces).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spans_truncated: bool,
    /// Number of spans.
    pub span_count: usize,
    /// Every span.
    pub spans: Vec<SpanTruth>,
}

/// A service and its convention.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ServiceTruth {
    /// Name.
    pub name: String,
    /// Convention.
    pub convention: String,
    /// Fixed clock offset.
    pub clock_offset_ms: f64,
    /// How it spells trace ids.
    pub trace_id_spelling: String,
    /// Its lines carry span ids.
    pub logs_span_ids: bool,
    /// The field naming a parent, if any.
    pub parent_field: Option<String>,
    /// Pod names.
    pub pods: Vec<String>,
}

/// A needle: one trace id to search for.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Needle {
    /// The id (32 hex; random for `absent`).
    pub trace_id: String,
    /// Its lines (0 for `absent`).
    pub lines: u32,
    /// Why this one.
    #[serde(default)]
    pub why: String,
}

/// Counts of the whole run.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Totals {
    /// Bytes of logs.
    pub bytes: u64,
    /// All lines.
    pub lines: u64,
    /// JSON lines with a trace id.
    pub trace_lines: u64,
    /// JSON lines without one.
    pub ambient_json_lines: u64,
    /// Non-JSON lines (stack traces, plain text).
    pub non_json_lines: u64,
    /// Traces.
    pub traces: u64,
    /// Spans.
    pub spans: u64,
}

/// The whole file.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Truth {
    /// Every trace.
    pub traces: Vec<TraceTruth>,
    /// The fleet (read loosely: `../shared`'s generator writes it its own way).
    #[serde(default)]
    pub services: serde_json::Value,
    /// Log files, relative to the output folder.
    #[serde(default)]
    pub files: serde_json::Value,
    /// Counts.
    #[serde(default)]
    pub totals: serde_json::Value,
    /// `rare`, `frequent`, `typical`, `error`, `absent`.
    #[serde(default)]
    pub needles: BTreeMap<String, Needle>,
    /// Seed.
    #[serde(default)]
    pub seed: u64,
    /// `1`.
    #[serde(default)]
    pub format_version: serde_json::Value,
}

impl Truth {
    /// Reads `DIR/truth.json`.
    pub fn load(path: &std::path::Path) -> Result<Truth, String> {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The trace with this canonical id.
    pub fn trace(&self, id: &str) -> Option<&TraceTruth> {
        self.traces.iter().find(|t| t.trace_id == id)
    }
}
