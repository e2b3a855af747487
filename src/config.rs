//! The run's configuration: command line, environment and terminal, resolved once.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::bail;

use crate::cli::{Cli, ColorChoice, Format, ReportFormat, ReportSpec, SortKey};
use crate::records::fields::FieldOverrides;
use crate::traces::filter::{parse_instant, TraceFilter, WhereClause};
use crate::traces::gates::Gates;
use crate::traces::stats::StatsOrder;

/// Width used when stdout is not a terminal and `--width` is not given, so piped output is
/// the same everywhere.
pub const PIPED_WIDTH_COLS: usize = 100;

/// Where lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inputs {
    /// Standard input.
    Stdin,
    /// Files and directories.
    Paths(Vec<PathBuf>),
}

/// What the run shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One trace, by id.
    Trace,
    /// A table of every trace.
    All,
    /// Statistics over every trace.
    Stats,
}

/// Everything a run needs to know, read-only after it is built.
#[derive(Debug, Clone)]
pub struct Config {
    /// The id as typed.
    pub trace_id: String,
    /// Where to read.
    pub inputs: Inputs,
    /// What to print.
    pub format: Format,
    /// Colour on stdout.
    pub color: bool,
    /// Output width in columns.
    pub width_cols: usize,
    /// Stdout is a terminal.
    pub stdout_is_terminal: bool,
    /// Suppress the per-file diagnostics summary.
    pub quiet: bool,
    /// Threads for the search (0: one per core).
    pub threads: usize,
    /// User-named fields.
    pub fields: FieldOverrides,
    /// The fields the timeline shows beside each message (`--fields`).
    pub timeline_fields: crate::render::fields::FieldChoice,
    /// Follow growing inputs.
    pub follow: bool,
    /// Quiet time before a waterfall in follow mode.
    pub idle: std::time::Duration,
    /// One trace, all of them, or statistics.
    pub mode: Mode,
    /// Which traces to keep (--all, --stats).
    pub filter: TraceFilter,
    /// Table order.
    pub sort: SortKey,
    /// Order of the statistics' rows (--stats).
    pub stats_order: StatsOrder,
    /// Rows to show; `None` for all.
    pub limit: Option<usize>,
    /// Stderr is a terminal (progress bars).
    pub stderr_is_terminal: bool,
    /// Reports to write (--all).
    pub reports: Vec<Report>,
    /// The rows (table, JSON, CSV) go to standard output (--all): not when a report goes
    /// there instead, nor when every report goes to a file and no --format was asked for.
    pub print_rows: bool,
    /// CI gates (--all).
    pub gates: Gates,
    /// No trace is not a failure.
    pub allow_empty: bool,
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
        let mode = if cli.all {
            Mode::All
        } else if cli.stats {
            Mode::Stats
        } else {
            Mode::Trace
        };
        let mut paths = cli.paths;
        let mut trace_id = cli.trace_id.unwrap_or_default();
        if mode != Mode::Trace && !trace_id.is_empty() {
            // Without an id, the first positional argument is a path.
            paths.insert(0, PathBuf::from(std::mem::take(&mut trace_id)));
        }
        let format_asked = cli.format.is_some();
        let format = match (mode, cli.format) {
            (Mode::Trace, None) => Format::Full,
            (Mode::Trace, Some(Format::Jsonl)) => Format::Json,
            (Mode::Trace, Some(f @ (Format::Table | Format::Csv))) => {
                bail!("--format {} needs --all", format_name(f))
            }
            (Mode::Trace, Some(f)) => f,
            (Mode::All | Mode::Stats, None) => Format::Table,
            (Mode::All, Some(f @ (Format::Table | Format::Json | Format::Jsonl | Format::Csv))) => {
                f
            }
            (Mode::Stats, Some(f @ (Format::Table | Format::Json))) => f,
            (Mode::All, Some(f)) => bail!(
                "--all prints table, json, jsonl or csv, not {}",
                format_name(f)
            ),
            (_, Some(f)) => bail!("--stats prints table or json, not {}", format_name(f)),
        };
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
        if mode == Mode::Trace && filtering {
            bail!("filters (--errors, --failed, --service, --where, …) select traces: use them with --all or --stats");
        }
        let gates = Gates {
            fail_on_error: cli.fail_on_error,
            max_duration: cli.max_duration,
            max_error_rate: cli.max_error_rate,
            fail_on_orphans: cli.fail_on_orphans,
        };
        let reports = resolve_reports(cli.report, cli.output)?;
        // A report run writes files for later (CI artifacts): a table of every trace on the
        // job's log would be noise, unless a --format says it is wanted.
        let print_rows = if reports.iter().any(|r| r.to == ReportTarget::Stdout) {
            false
        } else {
            reports.is_empty() || format_asked
        };
        if mode != Mode::All && (!gates.is_empty() || !reports.is_empty() || cli.allow_empty) {
            bail!("reports and gates (--report, --fail-on-error, --max-duration, …) cover every trace: use them with --all");
        }
        if mode != Mode::Trace && cli.follow {
            bail!("--follow shows one trace; it does not go with --all or --stats");
        }
        let stats_order =
            match (mode, cli.sort) {
                (Mode::Stats, None | Some(SortKey::Spans)) => StatsOrder::Spans,
                (Mode::Stats, Some(SortKey::Duration)) => StatsOrder::Duration,
                (Mode::Stats, Some(SortKey::Errors)) => StatsOrder::Errors,
                (Mode::Stats, Some(key @ (SortKey::Start | SortKey::Lines))) => {
                    bail!(
                "--sort {} orders traces; --stats rows sort by spans, duration (p95) or errors",
                if key == SortKey::Start { "start" } else { "lines" }
            )
                }
                _ => StatsOrder::Spans,
            };
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let limit = match cli.limit {
            Some(0) => None,
            Some(n) => Some(n),
            // A screenful on a terminal, everything into a pipe.
            None if stdout_is_terminal => Some(
                terminal_size::terminal_size()
                    .map_or(25, |(_, h)| usize::from(h.0))
                    .saturating_sub(6)
                    .max(10),
            ),
            None => None,
        };
        let inputs = if !paths.is_empty() {
            Inputs::Paths(paths)
        } else if std::io::stdin().is_terminal() {
            Inputs::Paths(vec![PathBuf::from(".")])
        } else {
            Inputs::Stdin
        };
        Ok(Config {
            trace_id,
            inputs,
            format,
            color,
            width_cols,
            stdout_is_terminal,
            quiet: cli.quiet,
            threads: cli.threads.unwrap_or(0),
            follow: cli.follow,
            idle: cli.idle,
            timeline_fields: cli
                .fields
                .as_deref()
                .map_or_else(Default::default, crate::render::fields::FieldChoice::parse),
            fields: FieldOverrides {
                trace: cli.trace_field,
                span: cli.span_field,
                parent: cli.parent_field,
                time: cli.time_field,
                service: cli.service_field,
            },
            mode,
            filter,
            sort: cli.sort.unwrap_or(SortKey::Start),
            stats_order,
            limit,
            stderr_is_terminal,
            reports,
            print_rows,
            gates,
            allow_empty: cli.allow_empty,
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

fn format_name(f: Format) -> String {
    use clap::ValueEnum;
    f.to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}
