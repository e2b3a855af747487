//! The modes: each is a sink for the search worker plus its output.
//!
//! [`trace`] finds one trace (and the ids linked to it) and shows it; [`follow`] does the same
//! as lines arrive; [`all`] shows every trace (`--all`) or their statistics (`--stats`),
//! reading through [`every`] and keeping what [`collect`] selects; [`report`] writes the CI
//! reports of `--all`; the explorer of `-i` lives in [`crate::explore`]. A mode reads only through [`crate::search`] and writes only to the
//! writers it is handed.

pub mod all;
pub mod baseline;
pub mod collect;
pub mod diff;
pub mod every;
pub mod export;
pub mod follow;
pub mod nearby;
pub mod report;
pub mod reread;
pub mod trace;

use std::io::Write;

use crate::config::{Config, Inputs, Mode};
use crate::exit::ExitStatus;

/// Runs the mode `config` asks for, writing results to `out` and messages to `err`.
pub fn run(
    config: &Config,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    if let (true, Inputs::Remote(remote)) = (config.print_sql, &config.inputs) {
        crate::source::print_sql(remote, &config.mode, out)?;
        return Ok(ExitStatus::Found);
    }
    match &config.mode {
        Mode::Trace(mode) => trace::run(config, mode, out, err),
        Mode::Follow(mode) => follow::run(config, mode, out, err),
        Mode::All(mode) => all::run(config, mode, out, err),
        Mode::Stats(mode) => all::run_stats(config, mode, out, err),
        Mode::Diff(mode) => diff::run(config, mode, out, err),
        Mode::Explore(mode) => crate::explore::run(config, mode, err),
    }
}
