//! The run's configuration: command line, environment and terminal, resolved once.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::bail;

use crate::cli::{Cli, ColorChoice, Format, ReportFormat, ReportSpec, SortKey};
use crate::records::fields::FieldOverrides;
pub use crate::render::view::TraceView;
use crate::traces::baseline::BaselineGates;
use crate::traces::filter::{parse_instant, TraceFilter, WhereClause};
use crate::traces::gates::Gates;
use crate::traces::stats::StatsOrder;

/// Width used when stdout is not a terminal and `--width` is not given, so piped output is
/// the same everywhere.
pub const PIPED_WIDTH_COLS: usize = 100;

/// Traces `--all --format tree` shows when no `--limit` is given: the worst ones.
pub const TREES_SHOWN: usize = 10;

/// Where lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inputs {
    /// Standard input.
    Stdin,
    /// Files and directories.
    Paths(Vec<PathBuf>),
    /// A server (`--source`).
    Remote(Box<crate::source::Remote>),
}

/// What the run shows, with the options that only that view has.
#[derive(Debug, Clone)]
pub enum Mode {
    /// One trace, by id.
    Trace(TraceMode),
    /// One trace, as its lines arrive (`--follow`).
    Follow(FollowMode),
    /// A table (or JSON, CSV) of every trace, reports and gates (`--all`).
    All(AllMode),
    /// Statistics over every trace (`--stats`).
    Stats(StatsMode),
    /// Two traces compared (`--diff`).
    Diff(DiffMode),
    /// The interactive explorer (`-i`).
    Explore(ExploreMode),
}

/// The interactive explorer.
#[derive(Debug, Clone)]
pub struct ExploreMode {
    /// Which traces the list starts with (the filter prompt changes it).
    pub selection: Selection,
    /// The list's first order.
    pub sort: SortKey,
    /// A trace to open at once: an id as typed.
    pub open: Option<String>,
    /// Colours on the explorer's screen (the terminal, whatever stdout is): `--color`, else
    /// on unless NO_COLOR is set.
    pub color: bool,
}

/// Two traces compared.
#[derive(Debug, Clone)]
pub struct DiffMode {
    /// The trace compared from: an id as typed, or a saved document's path.
    pub a: String,
    /// The trace compared to.
    pub b: String,
    /// What to print.
    pub view: DiffView,
}

/// What a comparison prints as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffView {
    /// For a terminal.
    Terminal,
    /// JSON, schema `tracegrep.diff`.
    Json,
    /// Markdown.
    Markdown,
}

/// One trace.
#[derive(Debug, Clone)]
pub struct TraceMode {
    /// The id as typed.
    pub trace_id: String,
    /// What to print.
    pub view: TraceView,
    /// The fields the timeline shows beside each message (`--fields`).
    pub timeline_fields: crate::render::fields::FieldChoice,
    /// The services the request should reach (`--expect-services`).
    pub expect_services: Option<crate::traces::complete::ExpectedServices>,
}

/// One trace, followed.
#[derive(Debug, Clone)]
pub struct FollowMode {
    /// The trace and how it prints.
    pub trace: TraceMode,
    /// Quiet time before a waterfall.
    pub idle: std::time::Duration,
}

/// Which traces a view of every trace keeps, and how many it shows.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Which traces to keep.
    pub filter: TraceFilter,
    /// Rows to show; `None` for all.
    pub limit: Option<usize>,
}

/// Every trace.
#[derive(Debug, Clone)]
pub struct AllMode {
    /// Which traces, how many.
    pub selection: Selection,
    /// Row order.
    pub sort: SortKey,
    /// What the rows print as.
    pub format: RowFormat,
    /// Reports to write.
    pub reports: Vec<Report>,
    /// The rows go to standard output: not when a report goes there instead, nor when every
    /// report goes to a file and no --format was asked for.
    pub print_rows: bool,
    /// CI gates.
    pub gates: Gates,
    /// No trace is not a failure.
    pub allow_empty: bool,
    /// `--baseline`: the report to compare with, and its gates.
    pub baseline: Option<Baseline>,
    /// The services every request should reach (`--expect-services`).
    pub expect_services: Option<crate::traces::complete::ExpectedServices>,
}

impl AllMode {
    /// Each trace is checked for completeness (`--expect-services`, `--fail-on-incomplete`).
    pub fn checks_completeness(&self) -> bool {
        self.expect_services.is_some() || self.gates.fail_on_incomplete
    }
}

/// A run compared with an earlier one's JSON report.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The report, as named on the command line.
    pub path: PathBuf,
    /// `--max-regression`, `--fail-on-new-errors`.
    pub gates: BaselineGates,
}

/// The push target of the command line, with the headers of the environment
/// (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TRACES_HEADERS`) under the flags'.
fn resolve_push(
    endpoint: Option<String>,
    flags: Vec<(String, String)>,
    dry_run: bool,
) -> anyhow::Result<Option<Push>> {
    let Some(endpoint) = endpoint else {
        if !flags.is_empty() {
            bail!("--otlp-header goes with --otlp-endpoint");
        }
        return Ok(None);
    };
    let url =
        crate::push::traces_url(&endpoint).map_err(|e| anyhow::anyhow!("--otlp-endpoint: {e}"))?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for var in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        if let Ok(text) = std::env::var(var) {
            let parsed =
                crate::push::parse_env_headers(&text).map_err(|e| anyhow::anyhow!("{var}: {e}"))?;
            for (k, v) in parsed {
                headers.retain(|(h, _)| !h.eq_ignore_ascii_case(&k));
                headers.push((k, v));
            }
        }
    }
    for (k, v) in flags {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(&k));
        headers.push((k, v));
    }
    Ok(Some(Push {
        url,
        headers,
        dry_run,
    }))
}

/// What the rows of `--all` print as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    /// A table for people.
    Table,
    /// One JSON document.
    Json,
    /// One JSON document per line.
    Jsonl,
    /// Comma-separated values.
    Csv,
    /// Every trace in one Jaeger document.
    Jaeger,
    /// Every trace as OTLP/JSON lines.
    Otlp,
    /// The compact text tree of each trace.
    Tree,
}

/// Statistics over every trace.
#[derive(Debug, Clone)]
pub struct StatsMode {
    /// Which traces, how many rows.
    pub selection: Selection,
    /// Row order.
    pub order: StatsOrder,
    /// JSON instead of a table.
    pub json: bool,
}

/// Everything a run needs to know, read-only after it is built.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to read.
    pub inputs: Inputs,
    /// Colour on stdout.
    pub color: bool,
    /// Output width in columns.
    pub width_cols: usize,
    /// Stdout is a terminal.
    pub stdout_is_terminal: bool,
    /// Stderr is a terminal (progress bars).
    pub stderr_is_terminal: bool,
    /// Suppress the per-file diagnostics summary.
    pub quiet: bool,
    /// Threads for the search (0: one per core).
    pub threads: usize,
    /// User-named fields.
    pub fields: FieldOverrides,
    /// What the run shows.
    pub mode: Mode,
    /// Where the traces found are sent instead of printed (`--otlp-endpoint`).
    pub push: Option<Push>,
    /// `--print-sql`: show what a `--source` search would send, send nothing.
    pub print_sql: bool,
}

/// Where and how to send traces (`--otlp-endpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The URL requests go to (ending in `/v1/traces`).
    pub url: String,
    /// Headers sent with every request: the environment's, then the flags' (which win).
    pub headers: Vec<(String, String)>,
    /// Print what would be sent instead of sending it.
    pub dry_run: bool,
}

/// A report to write and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Its format.
    pub format: ReportFormat,
    /// Its destination.
    pub to: ReportTarget,
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportTarget {
    /// Standard output (instead of the table).
    Stdout,
    /// A file.
    File(PathBuf),
}

impl Config {
    /// Resolves the command line against the environment and the terminal; fails on flags
    /// that do not go together or values that do not parse.
    pub fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        // --color beats NO_COLOR beats terminal detection.
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_terminal && !no_color,
        };
        let width_cols = cli.width.unwrap_or_else(|| {
            if stdout_is_terminal {
                terminal_size::terminal_size().map_or(PIPED_WIDTH_COLS, |(w, _)| usize::from(w.0))
            } else {
                PIPED_WIDTH_COLS
            }
        });
        // Which view, before the formats it allows.
        #[derive(PartialEq)]
        enum View {
            Trace,
            All,
            Stats,
            Explore,
        }
        let view = if cli.interactive {
            View::Explore
        } else if cli.all {
            View::All
        } else if cli.stats {
            View::Stats
        } else {
            View::Trace
        };
        if cli.diff.is_some() && view != View::Trace {
            bail!("--diff compares two traces; it does not go with --all or --stats");
        }
        let mut paths = cli.paths;
        let mut trace_id = cli.trace_id.unwrap_or_default();
        // The explorer takes an id to open only when it is not a path.
        let explore_names_path = view == View::Explore && std::path::Path::new(&trace_id).exists();
        if (view == View::All || view == View::Stats || explore_names_path) && !trace_id.is_empty()
        {
            // Without an id, the first positional argument is a path.
            paths.insert(0, PathBuf::from(std::mem::take(&mut trace_id)));
        }
        let format_asked = cli.format.is_some();
        let trace_view = match cli.format {
            None | Some(Format::Full) => TraceView::Full,
            Some(Format::Waterfall) => TraceView::Waterfall,
            Some(Format::Timeline) => TraceView::Timeline,
            Some(Format::Json | Format::Jsonl) => TraceView::Json,
            Some(Format::Raw) => TraceView::Raw,
            Some(Format::Jaeger) => TraceView::Jaeger,
            Some(Format::Otlp) => TraceView::Otlp,
            Some(Format::Tree) => TraceView::Tree,
            Some(Format::Md) => {
                if view == View::Trace && cli.diff.is_none() {
                    bail!(
                        "--format md is for --diff (a report of every trace is --all --report md)"
                    )
                }
                TraceView::Full
            }
            Some(f @ (Format::Table | Format::Csv)) => {
                if view == View::Trace {
                    bail!("--format {} needs --all", format_name(f))
                }
                TraceView::Full
            }
        };
        let row_format = match cli.format {
            None | Some(Format::Table) => Some(RowFormat::Table),
            Some(Format::Json) => Some(RowFormat::Json),
            Some(Format::Jsonl) => Some(RowFormat::Jsonl),
            Some(Format::Csv) => Some(RowFormat::Csv),
            Some(Format::Jaeger) => Some(RowFormat::Jaeger),
            Some(Format::Otlp) => Some(RowFormat::Otlp),
            Some(Format::Tree) => Some(RowFormat::Tree),
            Some(_) => None,
        };
        match (&view, cli.format) {
            (View::All, Some(f)) if row_format.is_none() => bail!(
                "--all prints table, json, jsonl, csv, tree, jaeger or otlp, not {}",
                format_name(f)
            ),
            (View::Stats, Some(f)) if !matches!(f, Format::Table | Format::Json) => {
                bail!("--stats prints table or json, not {}", format_name(f))
            }
            _ => {}
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let filter = TraceFilter {
            services: cli.service.iter().map(|s| s.to_ascii_lowercase()).collect(),
            min_duration_ns: cli.min_duration,
            max_duration_ns: cli.shorter_than,
            errors: cli.errors,
            failed: cli.failed,
            since: cli
                .since
                .as_deref()
                .map(|t| parse_instant(t, now))
                .transpose()?,
            until: cli
                .until
                .as_deref()
                .map(|t| parse_instant(t, now))
                .transpose()?,
            wheres: cli
                .where_
                .iter()
                .map(|w| WhereClause::parse(w))
                .collect::<Result<_, _>>()?,
            grep: cli
                .grep
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--grep: {e}"))?,
        };
        let filtering = !filter.services.is_empty()
            || filter.min_duration_ns.is_some()
            || filter.max_duration_ns.is_some()
            || filter.errors
            || filter.failed
            || filter.since.is_some()
            || filter.until.is_some()
            || filter.line_predicates() > 0;
        if view == View::Explore && cli.otlp_endpoint.is_some() {
            bail!("-i shows traces on the terminal; it does not go with --otlp-endpoint");
        }
        // With a server, --since and --until narrow the rows it reads, one trace's too.
        let window_only = cli.source.is_some()
            && filter.line_predicates() == 0
            && filter.services.is_empty()
            && filter.min_duration_ns.is_none()
            && filter.max_duration_ns.is_none()
            && !filter.errors
            && !filter.failed;
        if view == View::Trace && filtering && !window_only {
            bail!("filters (--errors, --failed, --service, --where, …) select traces: use them with --all or --stats");
        }
        let gates = Gates {
            fail_on_error: cli.fail_on_error,
            max_duration: cli.max_duration,
            max_error_rate: cli.max_error_rate,
            fail_on_orphans: cli.fail_on_orphans,
            fail_on_incomplete: cli.fail_on_incomplete,
        };
        let reports = resolve_reports(cli.report, cli.output)?;
        // A report run writes files for later (CI artifacts): a table of every trace on the
        // job's log would be noise, unless a --format says it is wanted.
        let print_rows = if reports.iter().any(|r| r.to == ReportTarget::Stdout) {
            false
        } else {
            reports.is_empty() || format_asked
        };
        let baseline_gates = BaselineGates {
            max_regression: cli.max_regression,
            fail_on_new_errors: cli.fail_on_new_errors,
        };
        if cli.baseline.is_none() && !baseline_gates.is_empty() {
            bail!("--max-regression and --fail-on-new-errors compare with a baseline: add --baseline REPORT.json (the --report json of an earlier run)");
        }
        let baseline = cli.baseline.map(|path| Baseline {
            path,
            gates: baseline_gates,
        });
        if view != View::All
            && view != View::Explore
            && (!gates.is_empty() || !reports.is_empty() || cli.allow_empty || baseline.is_some())
        {
            bail!("reports and gates (--report, --fail-on-error, --max-duration, …) cover every trace: use them with --all");
        }
        if view == View::Explore
            && (!gates.is_empty() || !reports.is_empty() || cli.allow_empty || baseline.is_some())
        {
            bail!("reports and gates are for --all; -i explores the traces on the terminal");
        }
        let push = resolve_push(cli.otlp_endpoint, cli.otlp_header, cli.dry_run)?;
        if push.is_some() {
            if view == View::Stats {
                bail!("--otlp-endpoint sends traces: use it with one trace or with --all");
            }
            if matches!(cli.format, Some(f) if f != Format::Otlp) {
                bail!("--otlp-endpoint sends OTLP and prints nothing else: leave out --format");
            }
            if !reports.is_empty() || cli.follow {
                bail!("--otlp-endpoint does not go with --report or --follow");
            }
        }
        if view != View::Trace && cli.follow {
            bail!("--follow shows one trace; it does not go with --all or --stats");
        }
        let stats_order = match (&view, cli.sort) {
            (View::Stats, None | Some(SortKey::Spans)) => StatsOrder::Spans,
            (View::Stats, Some(SortKey::Duration)) => StatsOrder::Duration,
            (View::Stats, Some(SortKey::Errors)) => StatsOrder::Errors,
            (View::Stats, Some(key @ (SortKey::Start | SortKey::Lines | SortKey::Worst))) => {
                bail!(
                    "--sort {} orders traces; --stats rows sort by spans, duration (p95) or errors",
                    sort_name(key)
                )
            }
            _ => StatsOrder::Spans,
        };
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let trees = cli.format == Some(Format::Tree);
        let limit = match cli.limit {
            Some(0) => None,
            Some(n) => Some(n),
            // Trees are for reading or pasting: the few worst, not every trace.
            None if trees => Some(TREES_SHOWN),
            // A screenful on a terminal, everything into a pipe.
            None if stdout_is_terminal => Some(
                terminal_size::terminal_size()
                    .map_or(25, |(_, h)| usize::from(h.0))
                    .saturating_sub(6)
                    .max(10),
            ),
            None => None,
        };
        let inputs = if let Some(url) = &cli.source {
            if !paths.is_empty() {
                bail!("--source searches the server; it does not go with PATHs");
            }
            let target = crate::source::target::Target::parse(url, |v| std::env::var(v).ok())
                .map_err(|e| anyhow::anyhow!("--source {url}: {e}"))?;
            use crate::source::target::{Data, Lines};
            match &target.data {
                Data::Lines(Lines::S3 { .. }) if filter.until.is_some() => {
                    bail!("--until narrows the rows of the exporter's tables; for files in object storage, narrow the glob (…/2026/11/20/**); --since skips files last modified before it")
                }
                Data::Lines(Lines::Column { .. })
                    if filter.since.is_some() || filter.until.is_some() =>
                {
                    bail!("--since and --until narrow the rows of the exporter's tables (or, --since, the files of object storage), not a column of lines")
                }
                _ => {}
            }
            Inputs::Remote(Box::new(crate::source::Remote {
                target,
                window: crate::source::sql::Window {
                    since: filter.since,
                    until: filter.until,
                },
            }))
        } else if !paths.is_empty() {
            Inputs::Paths(paths)
        } else if std::io::stdin().is_terminal() {
            Inputs::Paths(vec![PathBuf::from(".")])
        } else {
            Inputs::Stdin
        };
        let open = (view == View::Explore && !trace_id.is_empty()).then(|| trace_id.clone());
        let selection = Selection { filter, limit };
        let trace = TraceMode {
            trace_id,
            view: trace_view,
            timeline_fields: cli
                .fields
                .as_deref()
                .map_or_else(Default::default, crate::render::fields::FieldChoice::parse),
            expect_services: cli.expect_services.clone(),
        };
        let diff_view = match cli.format {
            None | Some(Format::Full) => Some(DiffView::Terminal),
            Some(Format::Json) => Some(DiffView::Json),
            Some(Format::Md) => Some(DiffView::Markdown),
            Some(_) => None,
        };
        let mode = match view {
            View::Trace if cli.diff.is_some() => {
                if cli.follow || push.is_some() {
                    bail!("--diff compares two traces; it does not go with --follow or --otlp-endpoint");
                }
                let Some(view) = diff_view else {
                    bail!(
                        "--diff prints full, json or md, not {}",
                        cli.format.map(format_name).unwrap_or_default()
                    );
                };
                Mode::Diff(DiffMode {
                    a: trace.trace_id,
                    b: cli.diff.unwrap_or_default(),
                    view,
                })
            }
            View::Trace if cli.follow => Mode::Follow(FollowMode {
                trace,
                idle: cli.idle,
            }),
            View::Trace => Mode::Trace(trace),
            View::All => Mode::All(AllMode {
                selection,
                sort: cli.sort.unwrap_or(if trees {
                    SortKey::Worst
                } else {
                    SortKey::Start
                }),
                format: row_format.unwrap_or(RowFormat::Table),
                reports,
                print_rows,
                gates,
                allow_empty: cli.allow_empty,
                baseline,
                expect_services: cli.expect_services,
            }),
            View::Explore => Mode::Explore(ExploreMode {
                selection: Selection {
                    filter: selection.filter,
                    limit: None,
                },
                sort: cli.sort.unwrap_or(SortKey::Start),
                open,
                color: match cli.color {
                    ColorChoice::Always => true,
                    ColorChoice::Never => false,
                    ColorChoice::Auto => !no_color,
                },
            }),
            View::Stats => Mode::Stats(StatsMode {
                selection,
                order: stats_order,
                json: cli.format == Some(Format::Json),
            }),
        };
        if let Inputs::Remote(_) = &inputs {
            match &mode {
                Mode::Trace(_) => {}
                Mode::All(all) if all.selection.filter.line_predicates() > 0 => {
                    bail!("--where and --grep read each line; with --source the server returns one row per trace: filter by --service, --errors, --failed, --min-duration, --since, --until")
                }
                Mode::All(all)
                    if matches!(
                        all.format,
                        RowFormat::Tree | RowFormat::Jaeger | RowFormat::Otlp
                    ) =>
                {
                    bail!("with --source, --all has one row per trace and no span trees: --format table, json, jsonl or csv (trees and exports: search one trace)")
                }
                Mode::Stats(_) if filtering && !window_only => {
                    bail!("with --source, --stats counts every trace of the window (--since, --until); other filters need the lines")
                }
                Mode::All(_) | Mode::Stats(_) => {}
                _ => bail!(
                    "--source searches one trace, --all or --stats; not --follow, --diff or -i"
                ),
            }
        }
        Ok(Config {
            push,
            print_sql: cli.print_sql,
            inputs,
            color,
            width_cols,
            stdout_is_terminal,
            stderr_is_terminal,
            quiet: cli.quiet,
            threads: cli.threads.unwrap_or(0),
            fields: FieldOverrides {
                trace: cli.trace_field,
                span: cli.span_field,
                parent: cli.parent_field,
                time: cli.time_field,
                service: cli.service_field,
            },
            mode,
        })
    }
}

/// Gives each report its destination: its own `=PATH`, else -o, else standard output (for at
/// most one of them).
fn resolve_reports(specs: Vec<ReportSpec>, output: Option<PathBuf>) -> anyhow::Result<Vec<Report>> {
    let pathless = specs.iter().filter(|s| s.path.is_none()).count();
    if output.is_some() && pathless == 0 {
        bail!("-o names the file of a --report given without =PATH; there is none");
    }
    if pathless > 1 {
        bail!(
            "only one --report can go to {}: give the others as FMT=PATH",
            if output.is_some() {
                "-o"
            } else {
                "standard output"
            }
        );
    }
    Ok(specs
        .into_iter()
        .map(|s| Report {
            format: s.format,
            to: match s.path.or_else(|| output.clone()) {
                Some(path) if path.as_os_str() != "-" => ReportTarget::File(path),
                _ => ReportTarget::Stdout,
            },
        })
        .collect())
}

impl Config {
    /// What the terminal renderers need to know.
    pub fn render_options(&self) -> crate::render::term::RenderOptions {
        crate::render::term::RenderOptions {
            color: self.color,
            width_cols: self.width_cols,
        }
    }
}

fn sort_name(k: SortKey) -> String {
    use clap::ValueEnum;
    k.to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

fn format_name(f: Format) -> String {
    use clap::ValueEnum;
    f.to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}
