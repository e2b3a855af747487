//! The look every table shares (comfy-table): plain columns, and on a terminal a rule under
//! the header. No rules between rows, so a screen holds as many rows as it has lines.

use std::io::{self, Write};

use comfy_table::{presets, ContentArrangement, Table, TableComponent};

use crate::render::term::RenderOptions;

/// A table with the shared look and the given header.
pub fn table(opts: &RenderOptions, header: Vec<String>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !header.is_empty() {
        t.set_header(header);
    }
    if opts.color {
        t.set_style(TableComponent::HeaderLines, '─')
            .enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

/// Writes the table's lines without trailing blanks.
pub fn write_lines(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    for line in t.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
