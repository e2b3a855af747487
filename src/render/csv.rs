//! The table of traces as CSV (RFC 4180), the same columns and more, for spreadsheets and
//! scripts.

use std::io::{self, Write};

use crate::render::parallel::write_in_parallel;
use crate::render::sanitize::sanitize;
use crate::traces::summary::Row;

/// Writes the traces as CSV (RFC 4180: fields with commas, quotes or newlines are quoted).
pub fn write_csv(out: &mut dyn Write, traces: &[Row]) -> io::Result<()> {
    writeln!(out, "trace_id,start,duration_ms,services,spans,lines,error_lines,failed_spans,root_service,root_name,root_status,failed,first_error_service,first_error_message")?;
    write_in_parallel(out, traces, CSV_ROWS_PER_TASK, b"", |text, _, rows| {
        let (mut id, mut services) = (String::new(), String::new());
        for t in rows {
            id.clear();
            {
                use std::fmt::Write as _;
                let _ = write!(id, "{}", t.id);
            }
            write_csv_field(text, &id)?;
            text.push(b',');
            if let Some(start) = t.start {
                text.extend_from_slice(
                    crate::records::time::format_rfc3339_micros(start).as_bytes(),
                );
            }
            text.push(b',');
            if let Some(d) = t.duration_ns() {
                // Milliseconds with three decimals from integer nanoseconds (rounded half
                // up), not through a float's exact formatting, the slowest field of a big table.
                let micros = d.saturating_add(500).div_euclid(1000);
                write!(
                    text,
                    "{}.{:03}",
                    micros.div_euclid(1000),
                    micros.rem_euclid(1000)
                )?;
            }
            text.push(b',');
            services.clear();
            for (i, service) in t.services.iter().enumerate() {
                if i > 0 {
                    services.push(' ');
                }
                services.push_str(service);
            }
            write_csv_field(text, &services)?;
            write!(
                text,
                ",{},{},{},{},",
                t.span_count, t.lines, t.error_lines, t.failed_spans
            )?;
            write_csv_field(text, t.root_service.as_deref().unwrap_or_default())?;
            text.push(b',');
            write_csv_field(text, t.root_name.as_deref().unwrap_or_default())?;
            text.push(b',');
            write_csv_field(text, t.root_status.as_deref().unwrap_or_default())?;
            text.extend_from_slice(if t.failed() { b",true," } else { b",false," });
            let first = t.first_error();
            write_csv_field(text, first.map_or("", |e| e.service.as_str()))?;
            text.push(b',');
            write_csv_field(text, first.map_or("", |e| e.message.as_str()))?;
            text.push(b'\n');
        }
        Ok(())
    })
}

/// CSV rows rendered per task (see [`write_in_parallel`]).
const CSV_ROWS_PER_TASK: usize = 4096;

/// One CSV field: control characters and bidi overrides escaped as on the terminal (log text
/// is untrusted, and CSV is read by people too), quoted only when it holds a comma or a quote.
fn write_csv_field<W: Write + ?Sized>(out: &mut W, field: &str) -> io::Result<()> {
    let field = sanitize(field);
    if field.contains([',', '"']) {
        write!(out, "\"{}\"", field.replace('"', "\"\""))
    } else {
        out.write_all(field.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_field(field: &str) -> String {
        let mut out = Vec::new();
        write_csv_field(&mut out, field).expect("write to a vector");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn csv_quotes_only_when_needed_and_escapes_control_characters() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(
            csv_field("\u{1b}]0;pwned\u{7}\nnext,\u{202e}"),
            "\"\\x1b]0;pwned\\x07\\nnext,\\u{202e}\""
        );
    }
}
