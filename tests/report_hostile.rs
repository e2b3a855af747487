//! The reports against hostile log text: every field a report shows (services, span names,
//! messages, field names and values, errors and stack traces, trace and correlation ids, the
//! file name) holds markup, script-closing tags, `javascript:` URLs, template syntax, comments,
//! CDATA, bidi overrides, zero-width and control characters, and one trace has a 100 KB
//! message and a 100 KB service name. The HTML report is opened in headless Chromium
//! (tests/browser/check_hostile.py); the Markdown and JUnit reports are checked as text.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::{json, Map, Value};

use crate::util::{run, tracegrep};

const T1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HUGE: &str = "cccccccccccccccccccccccccccccccc";
/// Bidi overrides and isolates, zero-width characters, C0 and C1 controls, an ESC sequence.
const WEIRD: &str = "\u{202e}evil\u{202c} \u{2066}iso\u{2069} \u{2067}r\u{2068}f\u{2069} \
    zw\u{200b}\u{200c}\u{200d}\u{feff}x \u{0}\u{7}\u{8}\u{b}\u{c}\u{1b}[31mRED\u{1b}[0m\
    \u{1b}]0;title\u{7} \u{7f}\u{85}\u{9b}31m\u{9c}";

/// Hands out payloads, each setting a global of its own when it runs.
#[derive(Default)]
struct Payloads {
    n: u32,
    /// Every payload handed out, to look for in the page's text.
    all: Vec<String>,
}

impl Payloads {
    fn one(&mut self, kind: &str) -> String {
        self.n += 1;
        let f = format!("window.__pwned_{}=1", self.n);
        let p = match kind {
            "script" => format!("<script>{f}</script>"),
            "img" => format!("<img src=x onerror=\"{f}\">"),
            "svg" => format!("\"><svg onload={f}>"),
            "close" => format!("</script><script>{f}</script>"),
            "js" => format!("javascript:{f}"),
            "tpl" => format!("{{{{constructor.constructor('{f}')()}}}}"),
            "comment" => format!("<!-- <script>{f}</script> -->"),
            "cdata" => format!("<![CDATA[<script>{f}</script>]]>"),
            "iframe" => format!(
                "<iframe srcdoc=\"<script>parent.__pwned_{}=1</script>\">",
                self.n
            ),
            "a" => format!("<a href=\"javascript:{f}\">x</a>"),
            "alert" => format!("<img src=x onerror=alert({})>", self.n),
            _ => unreachable!("unknown payload {kind}"),
        };
        self.all.push(p.clone());
        p
    }

    fn mix(&mut self, kinds: &[&str]) -> String {
        kinds
            .iter()
            .map(|k| self.one(k))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn line(fields: Value, extra: &[(String, Value)]) -> String {
    let mut map: Map<String, Value> = serde_json::from_value(fields).expect("an object");
    for (k, v) in extra {
        map.insert(k.clone(), v.clone());
    }
    Value::Object(map).to_string()
}

/// What the generated logs hold.
struct Hostile {
    dir: tempfile::TempDir,
    /// The hostile traces (no 100 KB text): its HTML report embeds plain JSON.
    small: PathBuf,
    /// The 100 KB trace.
    huge: PathBuf,
    /// The opaque trace id made of payloads.
    opaque_id: String,
    /// What the detail of the two hostile traces shows as text.
    shown: [Vec<String>; 2],
    payloads: Vec<String>,
}

/// Writes the logs: two traces of hostile text in a file whose name is a payload, and a trace
/// with a 100 KB message and service name in another.
fn generate() -> Hostile {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut p = Payloads::default();
    let svc_a = format!("{}{WEIRD}", p.one("script"));
    let svc_b = p.mix(&["img", "svg"]);
    let field_name = p.one("img");
    let (msg1, route1) = (p.mix(&["close", "comment"]), p.mix(&["script", "cdata"]));
    let (msg2, op2) = (p.mix(&["iframe", "a", "alert"]), p.mix(&["tpl", "js"]));
    let msg3 = format!("done {}", p.one("comment"));
    // What the detail of each trace shows as text: services, span names, messages.
    let shown_t1 = vec![
        svc_a.clone(),
        svc_b.clone(),
        msg1.clone(),
        route1.clone(),
        msg2.clone(),
        op2.clone(),
        msg3.clone(),
    ];
    let mut lines = vec![
        line(
            json!({"timestamp": "2026-11-20T10:00:00.000Z", "level": "info", "service": svc_a,
                "trace_id": T1, "span_id": "a000000000000001", "msg": msg1, "http.route": route1}),
            &[],
        ),
        line(
            json!({"timestamp": "2026-11-20T10:00:00.010Z", "level": "error", "service": svc_b,
                "trace_id": T1, "span_id": "a000000000000002", "parent_span_id": "a000000000000001",
                "msg": format!("{msg2}{WEIRD}"), "operation": op2, "duration_ms": 30, "url": p.one("js"),
                "error.message": p.mix(&["script", "img"]),
                "error.stack_trace": format!("Error: {}\n\tat <anonymous> ({}:1:1)\n\tat {}",
                    p.one("close"), p.one("js"), p.one("img"))}),
            &[(field_name, json!(p.one("svg")))],
        ),
        line(
            json!({"timestamp": "2026-11-20T10:00:00.100Z", "level": "info", "service": svc_a,
                "trace_id": T1, "span_id": "a000000000000001",
                "msg": msg3, "duration_ms": 100, "status": 500}),
            &[],
        ),
    ];
    // An opaque correlation id made of payloads; its two services are two synthetic spans.
    let opaque_id = format!("{}{WEIRD}", p.one("img"));
    let (svc_c, msg_c) = (format!("api{}", p.one("svg")), p.one("script"));
    let (svc_d, msg_d) = (format!("worker{}", p.one("tpl")), p.one("close"));
    let shown_t2 = vec![svc_c.clone(), msg_c.clone(), svc_d.clone(), msg_d.clone()];
    lines.push(line(
        json!({"timestamp": "2026-11-20T10:00:01.000Z", "level": "info", "service": svc_c,
            "correlationId": opaque_id, "msg": msg_c}),
        &[],
    ));
    lines.push(line(
        json!({"timestamp": "2026-11-20T10:00:01.050Z", "level": "error", "service": svc_d,
            "correlationId": opaque_id, "msg": msg_d,
            "error": {"message": p.one("cdata"), "stack": p.one("a")}}),
        &[],
    ));
    let small = dir
        .path()
        .join(format!("{}.jsonl", p.one("svg").replace('/', "")));
    std::fs::write(&small, lines.join("\n") + "\n").expect("write log");

    let big_message = format!(
        "{}{}{}",
        "A".repeat(50_000),
        p.one("script"),
        "B".repeat(50_000)
    );
    let big_service = format!("svc-{}", "S".repeat(100_000));
    let huge_lines = [
        json!({"timestamp": "2026-11-20T10:00:02.000Z", "level": "info", "service": big_service,
            "trace_id": HUGE, "span_id": "c000000000000001", "msg": big_message,
            "http.route": big_message}),
        json!({"timestamp": "2026-11-20T10:00:02.200Z", "level": "error", "service": big_service,
            "trace_id": HUGE, "span_id": "c000000000000001", "msg": big_message,
            "duration_ms": 200}),
    ];
    let huge = dir.path().join("huge.jsonl");
    let mut text: Vec<String> = huge_lines.iter().map(Value::to_string).collect();
    // Enough lines of 5 KB for the HTML report's data to pass 1 MiB and be packed.
    for i in 0..280 {
        text.push(
            json!({"timestamp": format!("2026-11-20T10:00:02.{:03}Z", 1 + i % 190),
                "level": "info", "service": "svc-big", "trace_id": HUGE,
                "span_id": "c000000000000001", "msg": format!("{i} {}", "M".repeat(5_000))})
            .to_string(),
        );
    }
    std::fs::write(&huge, text.join("\n") + "\n").expect("write log");
    Hostile {
        dir,
        small,
        huge,
        opaque_id: opaque_id.trim().to_string(),
        shown: [shown_t1, shown_t2],
        payloads: p.all,
    }
}

/// Writes the `format` report of `inputs`; the run fails its gate (every trace has an error).
fn report(h: &Hostile, format: &str, name: &str, inputs: &[&Path]) -> PathBuf {
    let out = h.dir.path().join(name);
    let run = run(tracegrep()
        .args(["--all", "-q", "--fail-on-error", "--report"])
        .arg(format!("{format}={}", out.display()))
        .args(inputs));
    assert_eq!(run.code, 3, "{}", run.stderr);
    out
}

/// The text of the data the page embeds, as written (between its script tags).
fn embedded(html: &Path) -> String {
    let page = std::fs::read_to_string(html).expect("html");
    const OPEN: &str = r#"<script id="tracegrep-data" type="application/json">"#;
    let start = page.find(OPEN).expect("the data script") + OPEN.len();
    let len = page[start..].find("</script>").expect("script closed");
    page[start..start + len].to_string()
}

/// Both HTML reports (plain JSON, and gzip+base64 past 1 MiB) in headless Chromium: no payload
/// runs, none becomes an element, the text is shown, every trace opens, the page stays one
/// window wide.
#[test]
fn html_report_of_hostile_text_in_a_browser() {
    let h = generate();
    let plain = report(&h, "html", "plain.html", &[&h.small]);
    let packed = report(&h, "html", "packed.html", &[&h.small, &h.huge]);
    // The plain page carries the log text as JSON in a <script>: it must not close it early or
    // open a comment in it.
    let data = embedded(&plain);
    assert!(!data.contains("gzip+base64"));
    for bad in ["<", ">", "\u{2028}", "\u{2029}"] {
        assert!(!data.contains(bad), "{bad:?} in the embedded JSON");
    }
    assert!(data.contains(r"\u003c/script\u003e\u003cscript\u003ewindow.__pwned_"));
    assert!(embedded(&packed).contains("gzip+base64"));
    // Each trace with the payloads its detail must show as text.
    let traces = json!([
        {"id": T1, "spans": 2, "shown": h.shown[0]},
        {"id": h.opaque_id, "spans": 2, "shown": h.shown[1]},
    ]);
    let mut all = traces.as_array().cloned().unwrap_or_default();
    all.push(json!({"id": HUGE, "spans": 1,
        "shown": [format!("{}{}", "A".repeat(3_000), "A".repeat(50)), "more characters]"]}));
    let spec = json!({
        "screenshot": h.dir.path().join("hostile.png"),
        "max_width_ratio": 1.0,
        "reports": [
            {"path": plain, "shown": [&h.payloads[0], &h.opaque_id], "traces": traces},
            {"path": packed, "shown": [&h.payloads[0]], "traces": all},
        ],
    });
    if !crate::ci::browser_present() {
        return;
    }
    let spec_path = h.dir.path().join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).expect("write spec");
    let check = Process::new("python3")
        .arg(crate::util::root().join("tests/browser/check_hostile.py"))
        .arg(&spec_path)
        .output()
        .expect("python3");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Text outside code spans (a run of N backticks up to the next run of exactly N).
fn outside_code(line: &str) -> String {
    let b = line.as_bytes();
    let (mut out, mut i) = (String::new(), 0);
    while i < b.len() {
        if b[i] != b'`' {
            let next = line[i..].find('`').map_or(line.len(), |k| i + k);
            out.push_str(&line[i..next]);
            i = next;
            continue;
        }
        let n = b[i..].iter().take_while(|&&c| c == b'`').count();
        let mut j = i + n;
        let mut closed = None;
        while j < b.len() {
            let m = b[j..].iter().take_while(|&&c| c == b'`').count();
            if m == n {
                closed = Some(j + m);
                break;
            }
            j += m.max(1);
        }
        match closed {
            Some(end) => i = end,
            None => {
                out.push_str(&line[i..]);
                break;
            }
        }
    }
    out
}

/// The Markdown report of the hostile logs: no control or bidi character, no HTML outside code,
/// every table row splits into its columns, and a 100 KB string is cut, not copied.
#[test]
fn markdown_report_of_hostile_text() {
    let h = generate();
    let md = report(&h, "md", "report.md", &[&h.small, &h.huge]);
    let text = std::fs::read_to_string(md).expect("md");
    assert!(text.len() < 50_000, "{} bytes", text.len());
    let raw = |c: char| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    assert!(!text.chars().any(raw), "a raw control or bidi character");
    let mut fenced = false;
    let mut rows = 0;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        // The report's own markup: the collapsed waterfall.
        if fenced || line == "<details><summary>Waterfall</summary>" || line == "</details>" {
            continue;
        }
        let bare = outside_code(line);
        assert!(
            !bare.contains('<') && !bare.contains('>') && !bare.contains('`'),
            "markup outside code: {}",
            &line[..line.len().min(300)]
        );
        if line.starts_with("| ") && line.contains("pwned") {
            // Cells split at a `|` that no backslash escapes.
            let cells = line.replace("\\|", "").matches('|').count() - 1;
            assert_eq!(cells, 9, "{}", &line[..line.len().min(300)]);
            rows += 1;
        }
    }
    assert_eq!(rows, 2, "{text}");
    assert!(text.contains(&format!("`{HUGE}`")));
}

/// The JUnit report of the hostile logs: well-formed XML (xmllint) that validates against the
/// schema, with the characters XML 1.0 forbids replaced and the payloads kept as text.
#[test]
fn junit_report_of_hostile_text() {
    let h = generate();
    let xml = report(&h, "junit", "report.xml", &[&h.small, &h.huge]);
    let text = std::fs::read_to_string(&xml).expect("xml");
    let forbidden = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    assert!(!text.chars().any(forbidden), "a character XML 1.0 forbids");
    assert!(text.contains("&lt;script&gt;window.__pwned_"));
    assert!(!text.contains("<script") && !text.contains("<img"));
    assert!(!text.contains('\u{202e}'), "a raw bidi override");
    assert!(
        text.contains("\\u{202e}"),
        "the bidi override shown escaped"
    );
    // Messages are cut per error line: the 100 KB strings do not make a 100 KB failure.
    assert!(text.len() < 64 * 1024, "{} bytes", text.len());
    if !crate::junit_xsd::xmllint_present() {
        return;
    }
    let wf = Process::new("xmllint")
        .arg("--noout")
        .arg(&xml)
        .output()
        .expect("xmllint");
    assert!(
        wf.status.success(),
        "{}",
        String::from_utf8_lossy(&wf.stderr)
    );
    let (valid, said) = crate::junit_xsd::validate(&xml);
    assert!(valid, "{said}");
}

/// The gate's reasons on stderr: one short line each, whatever the size of the log text.
#[test]
fn gate_reasons_of_hostile_text_stay_short() {
    let h = generate();
    let run = run(tracegrep()
        .args(["--all", "-q", "--fail-on-error", "--format", "csv"])
        .arg(&h.small)
        .arg(&h.huge));
    assert_eq!(run.code, 3, "{}", run.stderr);
    let gates: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("tracegrep: gate failed:"))
        .collect();
    assert!(!gates.is_empty(), "{}", run.stderr);
    for line in gates {
        assert!(line.len() < 1024, "{} bytes: {}", line.len(), &line[..200]);
        assert!(
            !line.chars().any(|c| c == '\u{202e}' || c == '\u{1b}'),
            "{line}"
        );
    }
}
