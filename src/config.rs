//! The run's configuration: command line, environment and terminal, resolved once.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{Cli, ColorChoice, Format};
use crate::records::fields::FieldOverrides;

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
    /// Follow growing inputs.
    pub follow: bool,
    /// Quiet time before a waterfall in follow mode.
    pub idle: std::time::Duration,
}

impl Config {
    /// Resolves the command line against the environment and the terminal.
    pub fn from_cli(cli: Cli) -> Config {
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
        let inputs = if !cli.paths.is_empty() {
            Inputs::Paths(cli.paths)
        } else if std::io::stdin().is_terminal() {
            Inputs::Paths(vec![PathBuf::from(".")])
        } else {
            Inputs::Stdin
        };
        Config {
            trace_id: cli.trace_id.unwrap_or_default(),
            inputs,
            format: cli.format,
            color,
            width_cols,
            stdout_is_terminal,
            quiet: cli.quiet,
            threads: cli.threads.unwrap_or(0),
            follow: cli.follow,
            idle: cli.idle,
            fields: FieldOverrides {
                trace: cli.trace_field,
                span: cli.span_field,
                parent: cli.parent_field,
                time: cli.time_field,
                service: cli.service_field,
            },
        }
    }
}
