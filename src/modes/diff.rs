//! Two traces compared (`--diff`): each side found in the logs as one trace is, or read back
//! from a document saved with `--format json`, then aligned and shown.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};

use crate::config::{Config, DiffMode, DiffView, Inputs};
use crate::exit::ExitStatus;
use crate::modes::trace::{find, Lookup};
use crate::render::diff::json::write_diff_json;
use crate::render::diff::markdown::write_diff_markdown;
use crate::render::diff::{write_diff, DiffInput};
use crate::traces::compare::saved::{is_trace_document, shape_of_document};
use crate::traces::compare::{compare, Shape};

/// One side, looked for.
enum Side {
    Found(Shape),
    Missing,
    Ambiguous,
}

/// Runs the comparison, writing it to `out` and messages to `err`.
pub fn run(
    config: &Config,
    mode: &DiffMode,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitStatus> {
    let saved_a = saved_document(&mode.a)?;
    let saved_b = saved_document(&mode.b)?;
    if config.inputs == Inputs::Stdin && saved_a.is_none() && saved_b.is_none() {
        bail!("--diff searches the logs once per trace, and standard input can be read only once: give the logs as files (or one side as a saved --format json document)");
    }
    let mut failed = false;
    let mut side = |what: &str, saved: Option<Shape>| -> anyhow::Result<Side> {
        if let Some(shape) = saved {
            return Ok(Side::Found(shape));
        }
        Ok(match find(config, what, err)? {
            Lookup::Found(found) => {
                failed |= found.failed;
                Side::Found(Shape::of_trace(&found.trace))
            }
            Lookup::Missing { failed: f } => {
                failed |= f;
                Side::Missing
            }
            Lookup::Ambiguous => Side::Ambiguous,
        })
    };
    let a = side(&mode.a, saved_a)?;
    let b = side(&mode.b, saved_b)?;
    let (a, b) = match (a, b) {
        (Side::Found(a), Side::Found(b)) => (a, b),
        (Side::Ambiguous, _) | (_, Side::Ambiguous) => return Ok(ExitStatus::Error),
        _ => return Ok(ExitStatus::of_search(false, failed)),
    };
    let diff = compare(&a, &b);
    let input = DiffInput {
        a: &a,
        b: &b,
        diff: &diff,
    };
    match mode.view {
        DiffView::Terminal => write_diff(out, &input, &config.render_options())?,
        DiffView::Json => write_diff_json(out, &input)?,
        DiffView::Markdown => write_diff_markdown(out, &input)?,
    }
    out.flush()?;
    Ok(ExitStatus::of_search(true, failed))
}

/// The trace saved in the file `what` names, if it names a file: a file that is not a saved
/// trace is an error (it was most likely meant as logs).
fn saved_document(what: &str) -> anyhow::Result<Option<Shape>> {
    let path = Path::new(what);
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("{what}: cannot read"))?;
    if !is_trace_document(&bytes) {
        bail!("{what}: not a trace saved with --format json (a trace to compare is an id or such a file; the logs to search come after)");
    }
    let text = String::from_utf8_lossy(&bytes);
    let shape = shape_of_document(&text).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    Ok(Some(shape))
}
