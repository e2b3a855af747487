//! What each MCP tool does: its arguments become the command line the same question would
//! be asked with (`tracegrep --format tree ID PATH…`, `tracegrep --all --failed …`), which is
//! parsed and run by the CLI's own modes into buffers. There is no second pipeline: a tool
//! answers exactly what the command prints, and a bad argument gets the CLI's own message.

use std::path::PathBuf;

use clap::Parser;
use rmcp::schemars;
use serde::Deserialize;

use crate::cli::Cli;
use crate::config::Config;
use crate::exit::ExitStatus;
use crate::records::duration::format_offset;
use crate::render::sanitize::sanitize;

/// A tool result larger than this is cut (text) or refused (JSON): an agent's context is
/// small, and a narrower question (a tree, a limit, a filter) serves it better.
pub const MAX_RESULT_BYTES: usize = 256 << 10;

/// Rows `list_traces` and `stats` return when no limit is given.
const DEFAULT_ROWS: usize = 20;

/// What every call searches, fixed when the server starts.
#[derive(Debug, Clone)]
pub struct Logs {
    /// Files and directories (never standard input: it carries the protocol).
    pub paths: Vec<PathBuf>,
    /// Options given before `mcp` that every call keeps (`--trace-field=…`, `--fields=…`).
    pub options: Vec<String>,
}

/// The answer of a tool: its text, and the notes the run wrote on stderr (sources that could
/// not be read, `showing 20 of 300 traces`), or an error message for the agent.
pub type Answer = Result<(String, String), String>;

/// How `find_trace` shows the trace.
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TraceFormat {
    /// The compact text tree: one line per span, error lines under their spans.
    #[default]
    Tree,
    /// The `tracegrep.trace` v1 JSON document: spans, their links, every log line.
    Json,
    /// Every log line in time order, with the fields that explain it.
    Timeline,
}

/// Arguments of `find_trace`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FindTrace {
    /// The trace id in any spelling: 32 hex digits, a GUID, a W3C traceparent, an X-Ray or
    /// GCP id, a Datadog decimal id, a correlation/request id, or the first 8+ hex digits.
    pub trace_id: String,
    /// `tree` (default, compact), `json` (full detail, schema tracegrep.trace v1) or
    /// `timeline` (every log line).
    #[serde(default)]
    pub format: TraceFormat,
}

/// The filters of `--all` and `--stats`, by the same names.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Filters {
    /// Only traces with an error line or a failed span anywhere (even a retried one).
    #[serde(default)]
    pub errors: bool,
    /// Only failed requests: the entry span ended in error or reports HTTP 5xx / a gRPC
    /// server error.
    #[serde(default)]
    pub failed: bool,
    /// Only traces touching a service whose name contains one of these (ignoring case).
    #[serde(default)]
    pub service: Vec<String>,
    /// Line conditions, each must hold for some line: `status>=500`, `level>=warn`,
    /// `duration>2s`, `user.id=42`, `http.route~^/api/`.
    #[serde(default, rename = "where")]
    pub where_: Vec<String>,
    /// A regex over messages (else the whole JSON line).
    pub grep: Option<String>,
    /// Only requests at least this long: `500ms`, `2s`.
    pub min_duration: Option<String>,
    /// Only requests at most this long.
    pub max_duration: Option<String>,
    /// Only traces ending after this time: RFC 3339 or a time ago (`15m`, `2h`).
    pub since: Option<String>,
    /// Only traces starting before this time.
    pub until: Option<String>,
}

/// The order of `list_traces`.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TraceOrder {
    /// Failed requests first, then traces with errors, each longest first (the default).
    Worst,
    /// Oldest first.
    Start,
    /// Longest first.
    Duration,
    /// Most error lines and failed spans first.
    Errors,
    /// Most spans first.
    Spans,
    /// Most lines first.
    Lines,
}

/// How `list_traces` writes its rows.
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListFormat {
    /// One row per trace: id, start, duration, services, spans, lines, errors, status, root
    /// operation, first error.
    #[default]
    Text,
    /// One JSON document: `{"traces": [...]}`, each a trace summary with its spans.
    Json,
    /// The compact tree of each trace.
    Tree,
}

/// Arguments of `list_traces`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListTraces {
    /// Which traces.
    #[serde(flatten)]
    pub filters: Filters,
    /// `worst` (default), `start`, `duration`, `errors`, `spans` or `lines`.
    pub sort: Option<TraceOrder>,
    /// Rows to return (default 20; 0 for all).
    pub limit: Option<usize>,
    /// `text` (default, a table), `json` or `tree`.
    #[serde(default)]
    pub format: ListFormat,
}

/// The order of `stats`.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatsOrder {
    /// Most spans first (the default).
    Spans,
    /// Slowest p95 first.
    Duration,
    /// Most failed spans first.
    Errors,
}

/// Text or JSON.
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TextOrJson {
    /// Text for reading.
    #[default]
    Text,
    /// JSON for parsing.
    Json,
}

/// Arguments of `stats`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Stats {
    /// Which traces count.
    #[serde(flatten)]
    pub filters: Filters,
    /// `spans` (default), `duration` (p95) or `errors`.
    pub sort: Option<StatsOrder>,
    /// Operations to return (default 20; 0 for all).
    pub limit: Option<usize>,
    /// `text` (default) or `json`.
    #[serde(default)]
    pub format: TextOrJson,
}

/// Arguments of `span_lines`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SpanLines {
    /// The trace id, in any spelling (as for find_trace).
    pub trace_id: String,
    /// The span id as find_trace shows it (16 hex digits; a decimal id is converted).
    pub span_id: String,
    /// `text` (default: offset, service, level, message, status, duration, source) or
    /// `json` (the log line objects of the tracegrep.trace v1 schema).
    #[serde(default)]
    pub format: TextOrJson,
}

impl Logs {
    /// Runs tracegrep with these arguments (flags before `--`, the id after) on the logs.
    fn run(&self, flags: &[String], id: Option<&str>) -> Answer {
        let mut argv: Vec<String> = vec!["tracegrep".into(), "--color=never".into()];
        argv.extend(self.options.iter().cloned());
        argv.extend(flags.iter().cloned());
        // After `--` nothing an agent sends can be read as a flag (`--report=…` would write
        // a file).
        argv.push("--".into());
        argv.extend(id.map(str::to_string));
        argv.extend(self.paths.iter().map(|p| p.to_string_lossy().into_owned()));
        let cli = Cli::try_parse_from(&argv).map_err(|e| e.to_string().trim().to_string())?;
        let mut config = Config::from_cli(cli).map_err(|e| format!("{e:#}"))?;
        // The process's stdout is the protocol and its stderr a log: no progress bars, no
        // terminal sizing or escapes, whatever they are connected to.
        config.stdout_is_terminal = false;
        config.stderr_is_terminal = false;
        config.color = false;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status =
            crate::modes::run(&config, &mut out, &mut err).map_err(|e| format!("{e:#}"))?;
        let notes = messages(&err);
        // A source that could not be read makes the command exit 2 after printing what the
        // others held: that answer stands, with the notes saying what was missed.
        match status {
            ExitStatus::Found | ExitStatus::GateFailed => {}
            _ if !out.is_empty() => {}
            _ if notes.is_empty() => return Err("nothing matched".into()),
            _ => return Err(notes),
        }
        Ok((String::from_utf8_lossy(&out).into_owned(), notes))
    }
}

/// Messages from stderr, without the `tracegrep: ` each line starts with.
fn messages(err: &[u8]) -> String {
    String::from_utf8_lossy(err)
        .lines()
        .map(|l| l.strip_prefix("tracegrep: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `find_trace`.
pub fn find_trace(logs: &Logs, args: FindTrace) -> Answer {
    let format = match args.format {
        TraceFormat::Tree => "tree",
        TraceFormat::Json => "json",
        TraceFormat::Timeline => "timeline",
    };
    let (text, notes) = logs.run(&[format!("--format={format}")], Some(&args.trace_id))?;
    Ok((fit(text, matches!(args.format, TraceFormat::Json))?, notes))
}

fn filter_flags(f: &Filters) -> Vec<String> {
    let mut flags = Vec::new();
    if f.errors {
        flags.push("--errors".into());
    }
    if f.failed {
        flags.push("--failed".into());
    }
    // `--flag=value`: a value starting with `-` stays a value.
    flags.extend(f.service.iter().map(|s| format!("--service={s}")));
    flags.extend(f.where_.iter().map(|w| format!("--where={w}")));
    let pairs = [
        ("--grep", &f.grep),
        ("--min-duration", &f.min_duration),
        ("--shorter-than", &f.max_duration),
        ("--since", &f.since),
        ("--until", &f.until),
    ];
    for (flag, value) in pairs {
        if let Some(v) = value {
            flags.push(format!("{flag}={v}"));
        }
    }
    flags
}

/// `list_traces`.
pub fn list_traces(logs: &Logs, args: ListTraces) -> Answer {
    let mut flags = vec!["--all".to_string(), "--width=200".to_string()];
    flags.extend(filter_flags(&args.filters));
    let sort = match args.sort.unwrap_or(TraceOrder::Worst) {
        TraceOrder::Worst => "worst",
        TraceOrder::Start => "start",
        TraceOrder::Duration => "duration",
        TraceOrder::Errors => "errors",
        TraceOrder::Spans => "spans",
        TraceOrder::Lines => "lines",
    };
    flags.push(format!("--sort={sort}"));
    flags.push(format!("--limit={}", args.limit.unwrap_or(DEFAULT_ROWS)));
    let format = match args.format {
        ListFormat::Text => "table",
        ListFormat::Json => "json",
        ListFormat::Tree => "tree",
    };
    flags.push(format!("--format={format}"));
    let (text, notes) = logs.run(&flags, None)?;
    Ok((
        fit(text, matches!(args.format, ListFormat::Json))?,
        agent_notes(notes),
    ))
}

/// `stats`.
pub fn stats(logs: &Logs, args: Stats) -> Answer {
    let mut flags = vec!["--stats".to_string(), "--width=200".to_string()];
    flags.extend(filter_flags(&args.filters));
    if let Some(order) = args.sort {
        let sort = match order {
            StatsOrder::Spans => "spans",
            StatsOrder::Duration => "duration",
            StatsOrder::Errors => "errors",
        };
        flags.push(format!("--sort={sort}"));
    }
    flags.push(format!("--limit={}", args.limit.unwrap_or(DEFAULT_ROWS)));
    if let TextOrJson::Json = args.format {
        flags.push("--format=json".into());
    }
    let (text, notes) = logs.run(&flags, None)?;
    Ok((fit(text, matches!(args.format, TextOrJson::Json))?, notes))
}

/// The CLI's hint in the tool's words.
fn agent_notes(notes: String) -> String {
    notes.replace("--limit 0 shows all", "limit 0 returns all")
}

/// `span_lines`: the trace's JSON document, its lines of one span.
pub fn span_lines(logs: &Logs, args: SpanLines) -> Answer {
    let want = span_key(&args.span_id);
    let (json, notes) = logs.run(&["--format=json".to_string()], Some(&args.trace_id))?;
    let doc: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("reading the trace: {e}"))?;
    let spans = doc["spans"].as_array().cloned().unwrap_or_default();
    let lines: Vec<&serde_json::Value> = doc["logs"]
        .as_array()
        .map(|logs| {
            logs.iter()
                .filter(|l| l["span_id"].as_str() == Some(want.as_str()))
                .collect()
        })
        .unwrap_or_default();
    if lines.is_empty() {
        let known: Vec<String> = spans
            .iter()
            .filter_map(|s| {
                let id = s["span_id"].as_str()?;
                Some(format!("{id} {} {}", text(&s["service"]), text(&s["name"])))
            })
            .take(30)
            .collect();
        return Err(format!(
            "no line of trace {} names span {}; its spans: {}",
            text(&doc["trace_id"]),
            sanitize(&args.span_id),
            known.join("; ")
        ));
    }
    let answer = match args.format {
        TextOrJson::Json => serde_json::to_string(&lines).map_err(|e| e.to_string())?,
        TextOrJson::Text => {
            let span = spans
                .iter()
                .find(|s| s["span_id"].as_str() == Some(want.as_str()));
            let mut out = format!(
                "span {want} {} {} of trace {}: {} line{}\n",
                span.map_or_else(String::new, |s| text(&s["service"])),
                span.map_or_else(String::new, |s| text(&s["name"])),
                text(&doc["trace_id"]),
                lines.len(),
                if lines.len() == 1 { "" } else { "s" }
            );
            for l in &lines {
                out.push_str(&line_text(l));
            }
            out
        }
    };
    Ok((fit(answer, matches!(args.format, TextOrJson::Json))?, notes))
}

/// A span id as the JSON spells it: 16 lowercase hex digits (a decimal id converted).
fn span_key(id: &str) -> String {
    let t = id.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    // 16 digits are hex, as ids are logged; fewer, all decimal, are a decimal id.
    let hex = t.len() <= 16 && !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && (t.len() == 16 || !t.bytes().all(|b| b.is_ascii_digit())) {
        return format!("{:0>16}", t.to_ascii_lowercase());
    }
    match t.parse::<u64>() {
        Ok(n) => format!("{n:016x}"),
        Err(_) => t.to_ascii_lowercase(),
    }
}

/// A JSON string as terminal-safe text (empty for anything else).
fn text(v: &serde_json::Value) -> String {
    v.as_str()
        .map(|s| sanitize(s).into_owned())
        .unwrap_or_default()
}

/// One line of `span_lines`' text: offset, service, level, message, status and duration,
/// where it is; then its stack trace, indented.
fn line_text(l: &serde_json::Value) -> String {
    let offset = l["offset_ms"]
        .as_f64()
        .map_or_else(|| "?".into(), |ms| format_offset((ms * 1e6).round() as i64));
    let mut out = format!(
        "{offset} {} {} {}",
        text(&l["service"]),
        l["level"].as_str().unwrap_or("-"),
        text(&l["message"])
    );
    if let Some(s) = l["status"].as_str() {
        out.push_str(&format!(" status={}", sanitize(s)));
    }
    if let Some(d) = l["duration_ms"].as_f64() {
        out.push_str(&format!(" duration={d}ms"));
    }
    out.push_str(&format!(
        "  ({}:{})\n",
        text(&l["source"]),
        l["byte_offset"].as_u64().unwrap_or(0)
    ));
    for c in l["continuation"].as_array().into_iter().flatten() {
        out.push_str(&format!("    {}\n", text(c)));
    }
    out
}

/// The answer within [`MAX_RESULT_BYTES`]: text cut at a line with a note, JSON refused.
fn fit(text: String, json: bool) -> Result<String, String> {
    if text.len() <= MAX_RESULT_BYTES {
        return Ok(text);
    }
    if json {
        return Err(format!(
            "the JSON answer is {} bytes, over the {} KiB a result may take: ask for the tree or text format, a lower limit or narrower filters",
            text.len(),
            MAX_RESULT_BYTES >> 10
        ));
    }
    let mut cut = MAX_RESULT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let end = text[..cut].rfind('\n').map_or(cut, |i| i + 1);
    Ok(format!(
        "{}[cut at {} of {} bytes: ask for a lower limit or narrower filters]\n",
        &text[..end],
        end,
        text.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_ids_in_any_spelling() {
        assert_eq!(span_key("00F067AA0BA902B7"), "00f067aa0ba902b7");
        assert_eq!(span_key("0xf067aa0ba902b7"), "00f067aa0ba902b7");
        assert_eq!(span_key("67667974448284343"), "00f067aa0ba902b7");
        assert_eq!(span_key("1234567890123456"), "1234567890123456");
    }

    #[test]
    fn long_text_is_cut_at_a_line_and_long_json_refused() {
        let text = "x".repeat(100) + "\n";
        let big = text.repeat(MAX_RESULT_BYTES / text.len() + 10);
        let cut = fit(big.clone(), false).expect("cut");
        assert!(cut.len() < MAX_RESULT_BYTES + 200);
        assert!(cut.contains("[cut at"));
        assert!(fit(big, true).is_err());
    }
}
