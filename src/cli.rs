//! The command line, declared with clap: flags, value enums and help text only.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::traces::baseline::RegressionGate;
use crate::traces::complete::ExpectedServices;
use crate::traces::gates::DurationGate;

/// What the exit statuses mean (`--help` and the man page's EXIT STATUS).
pub const EXIT_STATUS: &str = "0 the trace was found (--all: some trace was), 1 it was not, 2 an \
error occurred (a file could not be read), 3 a CI gate failed, 130 --follow or -i was \
interrupted.";

/// Examples for `--help` and the man page's EXAMPLES, each line short enough for 80 columns
/// so that no terminal splits a trace id.
pub const EXAMPLES: &str = "\
tracegrep 4bf92f3577b34da6a3ce929d0e0e4736 logs/
tracegrep 4bf92f35 logs/*.jsonl.gz
cat app.log | tracegrep 4BF92F35-77B3-4DA6-A3CE-929D0E0E4736
kubectl logs -f deploy/checkout --prefix --timestamps \\
    | tracegrep --follow 4bf92f3577b34da6a3ce929d0e0e4736
tracegrep --format json 4bf92f3577b34da6a3ce929d0e0e4736 logs/ | jq .
tracegrep --format tree 4bf92f35 logs/ > trace.txt
tracegrep --all --failed --sort duration logs/
tracegrep -i logs/
tracegrep --format jaeger 4bf92f3577b34da6a3ce929d0e0e4736 logs/ > t.json
tracegrep --all --failed logs/ --otlp-endpoint http://localhost:4318
tracegrep --stats --service payment logs/
tracegrep 4bf92f35 --diff 7c1a2b3c logs/
tracegrep --all test-logs/ --report md --report html=traces.html \\
    --fail-on-error --max-duration 2s
tracegrep --all test-logs/ --baseline main-report.json \\
    --max-regression 20% --fail-on-new-errors
tracegrep mcp logs/";

/// `--help`'s closing text: [`EXIT_STATUS`] and [`EXAMPLES`], indented (a test keeps them
/// equal; `concat!` takes only literals).
const AFTER_HELP: &str = concat!(
    "Exit status: 0 the trace was found (--all: some trace was), 1 it was not, 2 an error ",
    "occurred (a file could not be read), 3 a CI gate failed, 130 --follow or -i was ",
    "interrupted.",
    "\n\nExamples:\n  tracegrep 4bf92f3577b34da6a3ce929d0e0e4736 logs/\n",
    "  tracegrep 4bf92f35 logs/*.jsonl.gz\n",
    "  cat app.log | tracegrep 4BF92F35-77B3-4DA6-A3CE-929D0E0E4736\n",
    "  kubectl logs -f deploy/checkout --prefix --timestamps \\\n",
    "      | tracegrep --follow 4bf92f3577b34da6a3ce929d0e0e4736\n",
    "  tracegrep --format json 4bf92f3577b34da6a3ce929d0e0e4736 logs/ | jq .\n",
    "  tracegrep --format tree 4bf92f35 logs/ > trace.txt\n",
    "  tracegrep --all --failed --sort duration logs/\n",
    "  tracegrep -i logs/\n",
    "  tracegrep --format jaeger 4bf92f3577b34da6a3ce929d0e0e4736 logs/ > t.json\n",
    "  tracegrep --all --failed logs/ --otlp-endpoint http://localhost:4318\n",
    "  tracegrep --stats --service payment logs/\n",
    "  tracegrep 4bf92f35 --diff 7c1a2b3c logs/\n",
    "  tracegrep --all test-logs/ --report md --report html=traces.html \\\n",
    "      --fail-on-error --max-duration 2s\n",
    "  tracegrep --all test-logs/ --baseline main-report.json \\\n",
    "      --max-regression 20% --fail-on-new-errors\n",
    "  tracegrep mcp logs/",
);

/// Find one distributed trace in JSON logs and show it as a waterfall and a timeline.
#[derive(Debug, Parser)]
#[command(
    name = "tracegrep",
    version,
    about,
    long_about = "Find one distributed trace in JSON logs and show it as a waterfall and a timeline.\n\n\
tracegrep reads JSON Lines (plain, gzip or zstd, told by their first bytes) from files, \
directories (recursively) or standard input, finds every line of the trace in any spelling of \
its id (hex, GUID, W3C traceparent, X-Ray, GCP, Datadog decimal), rebuilds the span tree and \
prints a header, a waterfall and a timeline. Field names are recognised without configuration.",
    after_help = AFTER_HELP,
    // `tracegrep mcp` needs no trace id; a trace id or path literally `mcp` is `./mcp`.
    subcommand_negates_reqs = true,
    disable_help_subcommand = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// A subcommand instead of a search (`mcp`).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The trace id, in any spelling: 32 hex, GUID, traceparent, X-Ray, GCP path, Datadog
    /// decimal, or any correlation id; or its first 8 or more hex digits (`4bf92f35`, also
    /// with a trailing `…` as a narrow table shows ids): when several traces start so, they
    /// are listed and the exit status is 2. Not given with --all or --stats.
    #[arg(value_name = "TRACE_ID", required_unless_present_any = ["generate", "all", "stats", "interactive"])]
    pub trace_id: Option<String>,

    /// Files or directories to search (directories recursively). With none, standard input
    /// is read when it is not a terminal, else the current directory is searched.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Search a ClickHouse server instead of files: `clickhouse://HOST:8123/DB` reads the
    /// OpenTelemetry Collector exporter's `otel_logs` table in DB (`?table=NAME` for another),
    /// `…?table=T&column=C` JSON lines kept in a column, `clickhouse://HOST/?s3=URL` JSON-lines
    /// files in object storage (globs, gzip, zstd). `clickhouses://` for TLS. For one trace
    /// the server filters on every spelling of the id (and --since/--until) and returns only
    /// candidate lines; --all and --stats on the exporter's table are grouped on the server
    /// (docs/clickhouse.md says where they differ from a local run). User and password: TRACEGREP_CLICKHOUSE_USER, TRACEGREP_CLICKHOUSE_PASSWORD;
    /// object storage keys: TRACEGREP_S3_ACCESS_KEY_ID, TRACEGREP_S3_SECRET_ACCESS_KEY. URL
    /// parameters: timeout= (seconds, 60), max_rows= (10000000), trace_times= (the exporter's
    /// trace id → time table, `otel_traces_trace_id_ts`; empty: not used).
    #[arg(long, value_name = "URL", help_heading = "Source")]
    pub source: Option<String>,

    /// With --source: print the SQL that would be sent and where, and send nothing.
    #[arg(long, requires = "source", help_heading = "Source")]
    pub print_sql: bool,

    /// What to print. One trace: the header, waterfall and timeline (`full`, the default), one
    /// of them, JSON, a compact text tree, the original lines, or an export (`jaeger`, `otlp`).
    /// --all: a table (the default), JSON, JSON Lines, CSV, the trees of the worst traces, or
    /// every trace as an export. --stats: tables (the
    /// default) or JSON.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Compare the trace with OTHER: a trace id in any spelling, or a file saved with
    /// `--format json` (TRACE_ID may be one too). Shows what changed from TRACE_ID to OTHER:
    /// both span trees aligned by service and operation (ids folded to `{id}`, repeated
    /// siblings matched in order), each span's durations, change and ratio, spans only in one,
    /// errors that appear or disappear, both critical paths, and the spans whose own time
    /// explains most of the difference. --format full (the default), json (schema
    /// `tracegrep.diff`) or md.
    #[arg(long, value_name = "OTHER", help_heading = "Compare")]
    pub diff: Option<String>,

    /// Every trace: a table with one row per trace instead of one trace's waterfall.
    #[arg(long, help_heading = "All traces")]
    pub all: bool,

    /// Explore every trace in a full-screen terminal view: the table of --all with a filter
    /// prompt (`/`), sort keys and an errors-only toggle; Enter opens a trace as a waterfall
    /// to fold, with the critical path, a detail pane of the selected span and its lines, and
    /// a timeline tab. With a TRACE_ID, opens on that trace. Keys are read from the terminal,
    /// so the logs can come on standard input (`kubectl logs -f … | tracegrep -i`: traces
    /// appear as they finish). `?` lists the keys.
    #[arg(
        short = 'i',
        long,
        help_heading = "All traces",
        conflicts_with_all = ["stats", "follow", "diff", "format"]
    )]
    pub interactive: bool,

    /// Statistics per service and per operation (p50/p95/p99/max, error rate) and the services
    /// most often on critical paths, over every trace the filters keep.
    #[arg(long, help_heading = "All traces", conflicts_with = "all")]
    pub stats: bool,

    /// Keep only traces with an error line or a failed span anywhere (a callee's error that
    /// was retried counts too; --failed keeps the failed requests).
    #[arg(long, help_heading = "Filters")]
    pub errors: bool,

    /// Keep only failed requests: the trace's entry span ended at error level or reports a
    /// server error (HTTP 5xx, a gRPC server-error code such as UNAVAILABLE).
    #[arg(long, help_heading = "Filters")]
    pub failed: bool,

    /// Keep only traces that touch a service whose name contains NAME, ignoring case
    /// (`payment` matches `payments`; repeatable: any of them).
    #[arg(long, value_name = "NAME", help_heading = "Filters")]
    pub service: Vec<String>,

    /// Keep only traces at least this long (`500ms`, `2s`).
    #[arg(long, visible_alias = "longer-than", value_name = "DURATION", help_heading = "Filters", value_parser = parse_span_arg)]
    pub min_duration: Option<i64>,

    /// Keep only traces at most this long. (`--max-duration` is the CI gate.)
    #[arg(long, value_name = "DURATION", help_heading = "Filters", value_parser = parse_span_arg)]
    pub shorter_than: Option<i64>,

    /// Keep only traces that end after this time: RFC 3339 (`2026-11-20T10:00Z`) or a time
    /// ago (`15m`, `2h`, `1d`).
    #[arg(long, value_name = "TIME", help_heading = "Filters")]
    pub since: Option<String>,

    /// Keep only traces that start before this time (same forms as --since).
    #[arg(long, value_name = "TIME", help_heading = "Filters")]
    pub until: Option<String>,

    /// Keep only traces with a line whose field compares so: `FIELD=VALUE`, `!=`, `<`, `<=`,
    /// `>`, `>=` (numbers compare as numbers) or `FIELD~REGEX`. `service`, `level`, `status`
    /// and `duration` are tracegrep's reading of the line, whatever the logger wrote:
    /// `level=error` matches "error", "ERROR", pino's 50 and OTel's severity 17, and
    /// `level>=warn` goes by severity; `status>=500` is the HTTP status or gRPC code;
    /// `duration>10s` (units, or a bare number of milliseconds) is a duration a line reports.
    /// Any other FIELD is a dotted path in the JSON (`http.status`, `user.id`); a leading dot
    /// reads the field as logged, even for those four (`.level=30`). Repeatable: each must
    /// hold for some line.
    #[arg(long = "where", value_name = "EXPR", help_heading = "Filters")]
    pub where_: Vec<String>,

    /// Keep only traces with a line matching this regex: its message, else anywhere in its JSON
    /// text (errors often keep their words in `error.message` or a stack trace).
    #[arg(long, value_name = "REGEX", help_heading = "Filters")]
    pub grep: Option<String>,

    /// Order of the table: by start (oldest first, the default), or by duration, errors, spans
    /// or lines (largest first), or worst (failed requests, then traces with errors, each
    /// longest first; the default of --format tree). With --stats: by spans (the default), duration (p95, slowest
    /// first) or errors (most failed spans first).
    #[arg(long, value_enum, help_heading = "All traces")]
    pub sort: Option<SortKey>,

    /// Rows to show (default: what fits the terminal; all when piped; 0 for all).
    #[arg(long, value_name = "N", help_heading = "All traces")]
    pub limit: Option<usize>,

    /// Write a report of the traces: `md` (GitHub/GitLab Markdown), `html` (one self-contained
    /// page), `json` (schema `tracegrep.report`) or `junit` (one test case per trace). To
    /// standard output (instead of the table), to the file given by -o, or to `FMT=PATH`;
    /// with every report in a file, no table is printed unless --format is given. Repeatable.
    #[arg(long, value_name = "FMT[=PATH]", help_heading = "CI", value_parser = ReportParser)]
    pub report: Vec<ReportSpec>,

    /// The file for a --report given without `=PATH`.
    #[arg(short = 'o', long, value_name = "PATH", help_heading = "CI")]
    pub output: Option<PathBuf>,

    /// Gate: fail (exit 3) when a trace has an error line or a failed span.
    #[arg(long, help_heading = "CI")]
    pub fail_on_error: bool,

    /// Gate: fail when a trace is longer than this: `2s` for every trace, or
    /// `'GET /checkout=800ms'` for traces whose root operation is that. Repeatable.
    #[arg(long, value_name = "[OP=]DURATION", help_heading = "CI", value_parser = parse_duration_gate)]
    pub max_duration: Vec<DurationGate>,

    /// Gate: fail when more than this share of traces has errors (`1%`, `0.01`).
    #[arg(long, value_name = "RATE", help_heading = "CI", value_parser = parse_rate)]
    pub max_error_rate: Option<f64>,

    /// Gate: fail when a span's parent never logged (broken context propagation).
    #[arg(long, help_heading = "CI")]
    pub fail_on_orphans: bool,

    /// The services every request should reach: `gateway,orders,payments`, or `@FILE` with
    /// one name a line (`#` comments). A name matches as --service does (a service whose
    /// name contains it, ignoring case). With --all, traces that miss one are flagged (an
    /// INCOMPLETE column and the reports); with one trace, the header names what is missing.
    #[arg(long, value_name = "LIST|@FILE", help_heading = "CI", value_parser = parse_expected_services)]
    pub expect_services: Option<ExpectedServices>,

    /// Gate: fail when a request is incomplete: it misses an expected service
    /// (--expect-services), lines of its services lost the trace context while it ran (an
    /// id field holding `undefined`, `null`, `-`, `0` or zeros), or propagation broke (a
    /// parent that never logged, a correlation id under two trace ids, a call whose server
    /// side logged under another trace id).
    #[arg(long, help_heading = "CI")]
    pub fail_on_incomplete: bool,

    /// With no trace at all in the input, exit 0 instead of 1.
    #[arg(long, help_heading = "CI")]
    pub allow_empty: bool,

    /// Compare this run with an earlier one: the JSON report (`--report json`) of, say, the
    /// main branch. Per operation (requests: root service and operation; spans: service and
    /// operation, ids folded to `{id}` as --stats does): count, p50/p95/p99 and error rate
    /// then and now, operations new and gone. The table, --report md, json and junit show it.
    #[arg(long, value_name = "REPORT.json", help_heading = "CI")]
    pub baseline: Option<PathBuf>,

    /// Gate (with --baseline): fail when the p95 of an operation grew more than this: `20%`
    /// for every operation, or `'GET /checkout=50%'` for one (as the table or --stats names
    /// it, `SERVICE: OP` too). Repeatable. Noise does not count: only an operation with at
    /// least 20 requests or spans in both runs whose p95 grew by more than 2 ms.
    #[arg(long, value_name = "[OP=]PCT", help_heading = "CI", value_parser = parse_regression_gate)]
    pub max_regression: Vec<RegressionGate>,

    /// Gate (with --baseline): fail when an operation has failed requests or spans and had
    /// none in the baseline (a new operation that fails counts too).
    #[arg(long, help_heading = "CI")]
    pub fail_on_new_errors: bool,

    /// When to use colours. `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Width of the output in columns (default: the terminal's, or 100 when piped).
    #[arg(long, value_name = "COLS")]
    pub width: Option<usize>,

    /// Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends:
    /// print each new line of the trace as it arrives, and the waterfall when the trace has
    /// been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130).
    #[arg(short, long)]
    pub follow: bool,

    /// With --follow: how long the trace must be quiet before its waterfall is printed
    /// (`5s`, `500ms`, `1m`).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_idle)]
    pub idle: std::time::Duration,

    /// Do not print the per-file summary of skipped and damaged lines on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Number of threads to search with (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// The fields the timeline shows after each message: `a,b.c` (dotted paths, in that
    /// order, when a line has them), `none`, or `auto` (the default: up to 4 small fields
    /// tracegrep does not already show, leaving out ids, time, level, message, service and
    /// process noise such as pid, hostname and caller; see docs/timeline-fields.md).
    #[arg(long, value_name = "LIST", help_heading = "Fields")]
    pub fields: Option<String>,

    /// Read the trace id from this field (a dotted path such as `ctx.trace`), before the
    /// built-in names.
    #[arg(long, value_name = "PATH", help_heading = "Fields")]
    pub trace_field: Option<String>,

    /// Read the span id from this field (dotted path).
    #[arg(long, value_name = "PATH", help_heading = "Fields")]
    pub span_field: Option<String>,

    /// Read the parent span id from this field (dotted path).
    #[arg(long, value_name = "PATH", help_heading = "Fields")]
    pub parent_field: Option<String>,

    /// Read the timestamp from this field (dotted path).
    #[arg(long, value_name = "PATH", help_heading = "Fields")]
    pub time_field: Option<String>,

    /// Read the service name from this field (dotted path).
    #[arg(long, value_name = "PATH", help_heading = "Fields")]
    pub service_field: Option<String>,

    /// Send the spans of the trace (or with --all, of every trace kept) to an OTLP/HTTP
    /// receiver (a Collector, Jaeger, Tempo, …) as OTLP/JSON: `POST URL/v1/traces` (a URL that
    /// already ends in /v1/traces is used as it is), in batches of up to 1 MiB, retried with
    /// backoff on 429, 502, 503, 504 and connection errors. Nothing is printed but a summary
    /// on stderr; a failed send is one line on stderr and exit status 2.
    #[arg(long, value_name = "URL", help_heading = "Push")]
    pub otlp_endpoint: Option<String>,

    /// A header for --otlp-endpoint (`Authorization=Bearer …`; repeatable). Headers are also
    /// read from OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS
    /// (`k1=v1,k2=v2`, values URL-encoded), so secrets need not be on the command line; a
    /// flag beats the environment.
    #[arg(long, value_name = "KEY=VALUE", help_heading = "Push", value_parser = parse_header)]
    pub otlp_header: Vec<(String, String)>,

    /// With --otlp-endpoint: send nothing; print each request body that would be sent (one
    /// OTLP/JSON object per line) and say on stderr where it would go.
    #[arg(long, help_heading = "Push", requires = "otlp_endpoint")]
    pub dry_run: bool,

    /// Print a shell completion script or the man page and exit.
    #[arg(long, value_enum, value_name = "WHAT", hide = true)]
    pub generate: Option<Generate>,
}

fn parse_span_arg(text: &str) -> Result<i64, String> {
    crate::traces::filter::parse_span(text).ok_or_else(|| not_a_duration(text))
}

/// The one-line error for a duration without a unit or with an unknown one.
fn not_a_duration(text: &str) -> String {
    format!(
        "not a duration: {text:?} (a number with a unit: 500ms, 2s, 1m30s; units {})",
        crate::records::duration::DURATION_UNITS
    )
}

/// Parses `--report FMT[=PATH]`, and tells completions the formats (a plain function parser
/// would leave shells to offer file names).
#[derive(Clone)]
struct ReportParser;

impl clap::builder::TypedValueParser for ReportParser {
    type Value = ReportSpec;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ReportSpec, clap::Error> {
        let text = value.to_string_lossy();
        parse_report(&text).map_err(|message| {
            let arg = arg.map_or_else(|| "--report".to_string(), ToString::to_string);
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value {text:?} for '{arg}': {message}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            ReportFormat::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

fn parse_report(text: &str) -> Result<ReportSpec, String> {
    let (format, path) = match text.split_once('=') {
        Some((f, p)) if !p.is_empty() => (f, Some(PathBuf::from(p))),
        Some((f, _)) => (f, None),
        None => (text, None),
    };
    let format = ReportFormat::from_str(format, true)
        .map_err(|_| format!("not a report format: {format:?} (md, html, json, junit)"))?;
    Ok(ReportSpec { format, path })
}

fn parse_duration_gate(text: &str) -> Result<DurationGate, String> {
    DurationGate::parse(text).ok_or_else(|| {
        format!(
            "not a duration gate: {text:?} (try 2s, or 'GET /checkout=800ms'; units {})",
            crate::records::duration::DURATION_UNITS
        )
    })
}

fn parse_regression_gate(text: &str) -> Result<RegressionGate, String> {
    RegressionGate::parse(text)
        .ok_or_else(|| format!("not a regression gate: {text:?} (try 20%, or 'GET /checkout=50%')"))
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("not a header: {text:?} (KEY=VALUE)")),
    }
}

fn parse_expected_services(text: &str) -> Result<ExpectedServices, String> {
    ExpectedServices::parse(text)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let rate = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    };
    match rate {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("not a rate: {text:?} (try 1% or 0.01)")),
    }
}

fn parse_idle(text: &str) -> Result<std::time::Duration, String> {
    crate::records::duration::parse_duration_arg(text)
        .and_then(|ns| u64::try_from(ns).ok())
        .map(std::time::Duration::from_nanos)
        .ok_or_else(|| not_a_duration(text))
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the logs at PATH to AI agents: a Model Context Protocol server on standard
    /// input and output, with tools to find a trace, list and filter traces, compute
    /// statistics and read a span's lines (docs/mcp.md). Every call searches the files
    /// again, so it sees lines written since. Diagnostics go to standard error.
    #[command(after_help = "Register it with an MCP client, e.g. Claude Desktop's \
claude_desktop_config.json:\n  {\"mcpServers\": {\"tracegrep\": {\"command\": \"tracegrep\", \
\"args\": [\"mcp\", \"/var/log/app\"]}}}")]
    Mcp {
        /// Files or directories whose logs the tools search (directories recursively; the
        /// current directory when none is given). Standard input carries the protocol, so it
        /// is never read as logs.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Header, waterfall and timeline.
    Full,
    /// Header and waterfall.
    Waterfall,
    /// The timeline alone.
    Timeline,
    /// One JSON document (schema `tracegrep.trace` v1, see docs/json-schema.md).
    Json,
    /// The matching lines as they are, prefixed with their file name.
    Raw,
    /// --all: a table of traces.
    Table,
    /// --all: one trace document per line (schema `tracegrep.trace` v1, without `logs`).
    Jsonl,
    /// --all: comma-separated values, one trace per row.
    Csv,
    /// Jaeger UI's JSON (`{"data": [trace, …]}`, what its "Upload JSON" loads): one trace, or
    /// with --all every trace in one document. Log lines are span logs (docs/exports.md).
    Jaeger,
    /// OTLP/JSON, one `{"resourceSpans": […]}` object per line (under 1 MiB each), as the
    /// OpenTelemetry Collector's otlpjsonfile receiver and otel-tui read it: one trace, or
    /// with --all every trace. Log lines are span events (docs/exports.md).
    Otlp,
    /// --diff: Markdown, for a pull request or an issue.
    Md,
    /// A compact indented text tree: one line per span, the error lines under their spans,
    /// no colour, the same at any width (to paste into an issue or a prompt). With --all:
    /// the worst traces (--limit, default 10), each as a tree.
    Tree,
}

/// Report formats (`--report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Markdown for GitHub and GitLab: summary, worst traces, Mermaid gantt charts.
    Md,
    /// One self-contained HTML page: sortable table, interactive waterfalls.
    Html,
    /// JSON, schema `tracegrep.report` v1 (docs/json-schema.md).
    Json,
    /// JUnit XML: one test case per trace, failed when a gate fails for it.
    Junit,
}

/// One `--report`: a format and where it goes (`None`: -o, else standard output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// The format.
    pub format: ReportFormat,
    /// The file, when given as `FMT=PATH`.
    pub path: Option<PathBuf>,
}

/// Orders for the table of traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
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
    /// Failed requests first, then traces with errors, each longest first.
    Worst,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// bash completions.
    Bash,
    /// zsh completions.
    Zsh,
    /// fish completions.
    Fish,
    /// PowerShell completions.
    Powershell,
    /// elvish completions.
    Elvish,
    /// The man page (roff).
    Man,
}

#[cfg(test)]
mod tests {
    #[test]
    fn help_shows_the_exit_statuses_and_examples_of_the_man_page() {
        let help = super::AFTER_HELP.replace('\n', " ");
        let status = super::EXIT_STATUS.replace('\n', " ");
        assert!(help.contains(&status), "{help}");
        for line in super::EXAMPLES.lines() {
            assert!(super::AFTER_HELP.contains(line.trim()), "{line}");
            assert!(line.len() <= 76, "{line}");
        }
    }
}
