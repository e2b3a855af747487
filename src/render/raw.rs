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
    for r in records {
        let name = names
            .get(r.line.source as usize)
            .map_or("?", String::as_str);
        if let Some(name) = Some(name).filter(|n| !n.is_empty()) {
            out.write_all(name.as_bytes())?;
            out.write_all(b":")?;
        }
        if escape {
            out.write_all(sanitize_bytes(&r.raw).as_bytes())?;
        } else {
            out.write_all(&r.raw)?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}
