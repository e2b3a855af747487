//! The JUnit XML report: one test case per trace, named by its root operation and id, failed
//! when a gate failed for it, with the reasons and error lines as the failure; a run-wide gate
//! (the error rate) is a test case of its own. The shape follows the JUnit XSD that Jenkins,
//! GitLab and GitHub test reporters read.

use std::io::{self, Write};

use crate::records::decode::truncate_chars;
use crate::records::time::format_rfc3339_millis;
use crate::render::baseline::{counts, durations, error_rates, p95_change};
use crate::render::report::baseline::junit_cases;
use crate::render::report::ReportInput;
use crate::render::sanitize::is_unsafe;
use crate::traces::baseline::OpChange;

/// Longest service name and error message written per error line of a failure, in characters:
/// CI pages load the whole file, and one 100 KB log message would dominate it.
const MAX_SERVICE_CHARS: usize = 80;
/// See `MAX_SERVICE_CHARS`.
const MAX_MESSAGE_CHARS: usize = 1000;
/// Longest test case name (operation and trace id), in characters.
const MAX_NAME_CHARS: usize = 300;

/// Writes the JUnit report.
pub fn write_junit(out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
    let changed: Vec<&OpChange> = input
        .baseline
        .map_or_else(Vec::new, |c| junit_cases(c).collect());
    let failures = input.verdict.failed_traces()
        + input.verdict.overall.len()
        + changed.iter().filter(|o| !o.failures.is_empty()).count();
    let tests = input.traces.len() + input.verdict.overall.len() + changed.len();
    let seconds: f64 = input
        .traces
        .iter()
        .filter_map(|t| t.duration_ns())
        .map(|d| d as f64 / 1e9)
        .sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="tracegrep" tests="{tests}" failures="{failures}" errors="0" time="{seconds:.3}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="{}" tests="{tests}" failures="{failures}" errors="0" skipped="0" time="{seconds:.3}">"#,
        xml(&format!("traces in {}", input.input))
    )?;
    for (i, t) in input.traces.iter().enumerate() {
        let root = t.root_name.as_deref().filter(|n| !n.is_empty());
        let name = match root {
            Some(op) => format!("{op} ({})", t.id),
            None => t.id.to_string(),
        };
        let name = truncate_chars(name.into(), MAX_NAME_CHARS);
        let service = t.root_service.as_deref().unwrap_or("trace");
        let class = format!(
            "tracegrep.{}",
            truncate_chars(service.into(), MAX_SERVICE_CHARS)
        );
        let time = t.duration_ns().map_or(0.0, |d| d as f64 / 1e9);
        write!(
            out,
            r#"    <testcase name="{}" classname="{}" time="{time:.3}""#,
            xml(&name),
            xml(&class)
        )?;
        let reasons = input.failures(i);
        if reasons.is_empty() {
            writeln!(out, "/>")?;
            continue;
        }
        writeln!(out, ">")?;
        let mut body = reasons.join("\n");
        if !t.error_samples.is_empty() {
            body.push_str("\n\nerror lines:");
            for e in &t.error_samples {
                let time = e
                    .time
                    .map(format_rfc3339_millis)
                    .unwrap_or_else(|| "?".into());
                body.push_str(&format!(
                    "\n{time} {} {} {}",
                    truncate_chars(e.service.as_str().into(), MAX_SERVICE_CHARS),
                    e.level.label(),
                    truncate_chars(e.message.as_str().into(), MAX_MESSAGE_CHARS)
                ));
            }
        }
        writeln!(
            out,
            r#"      <failure message="{}" type="tracegrep.gate">{}</failure>"#,
            xml(&reasons.join("; ")),
            xml(&body)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    for reason in &input.verdict.overall {
        writeln!(
            out,
            r#"    <testcase name="error rate" classname="tracegrep.gates" time="0.000">"#
        )?;
        writeln!(
            out,
            r#"      <failure message="{}" type="tracegrep.gate">{}</failure>"#,
            xml(reason),
            xml(reason)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    for o in changed {
        let name = truncate_chars(
            format!("{} ({})", o.name(), o.kind.label()).into(),
            MAX_NAME_CHARS,
        );
        let detail = format!(
            "p95 {}; change {}; count {}; errors {}",
            durations(o, |s| s.p95_ns),
            p95_change(o),
            counts(o),
            error_rates(o)
        );
        write!(
            out,
            r#"    <testcase name="{}" classname="tracegrep.baseline" time="{:.3}""#,
            xml(&name),
            o.now.map_or(0.0, |s| s.p95_ns as f64 / 1e9)
        )?;
        if o.failures.is_empty() {
            writeln!(out, ">")?;
            writeln!(out, "      <system-out>{}</system-out>", xml(&detail))?;
        } else {
            writeln!(out, ">")?;
            writeln!(
                out,
                r#"      <failure message="{}" type="tracegrep.baseline">{}</failure>"#,
                xml(&o.failures.join("; ")),
                xml(&format!("{}\n\n{detail}", o.failures.join("\n")))
            )?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot hold at all
/// (most control characters) become U+FFFD.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            // CI pages show the failure text as it is: a bidi override would reorder it.
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1b}[31m"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{fffd}[31m"
        );
        assert_eq!(xml("a\u{202e}b"), "a\\u{202e}b");
    }
}
