//! The raw format: the trace's original lines, as `rg --with-filename` prints them.

use std::io::{self, Write};

use crate::render::sanitize::sanitize_bytes;
use crate::traces::Trace;

/// Writes `NAME:LINE` for each line of the trace in source order. `names` maps source ids to
/// display names. On a terminal (`escape`), control characters are escaped; into a pipe the
/// bytes pass unchanged, as `rg` passes them.
pub fn write_raw(
    out: &mut dyn Write,
    trace: &Trace,
    names: &[String],
    escape: bool,
) -> io::Result<()> {
    let mut records: Vec<_> = trace.records.iter().collect();
    records.sort_by_key(|r| r.line);
    let mut last = None;
    for r in records {
        // Records of one whole-trace document share its line: print it once.
        if last == Some(r.line) {
            continue;
        }
        last = Some(r.line);
        let name = names
            .get(r.line.source as usize)
            .map_or("?", String::as_str);
        write_raw_line(out, name, &r.raw, escape)?;
    }
    Ok(())
}

/// Writes one line as `NAME:LINE` (just `LINE` when `name` is empty).
pub fn write_raw_line(
    out: &mut dyn Write,
    name: &str,
    line: &[u8],
    escape: bool,
) -> io::Result<()> {
    if !name.is_empty() {
        out.write_all(name.as_bytes())?;
        out.write_all(b":")?;
    }
    if escape {
        out.write_all(sanitize_bytes(line).as_bytes())?;
    } else {
        out.write_all(line)?;
    }
    out.write_all(b"\n")
}
