//! The fields of a line the timeline shows beside its message: the ones that explain it
//! (`upstream=users upstream_status=201` on a gateway's bare `upstream response`).
//!
//! By default, up to [`AUTO_FIELDS`] small scalar fields that tracegrep does not already read
//! (ids, time, level, message, service, duration, status, operation names: every built-in
//! field name) and that are not process noise ([`NOISE`]); `--fields a,b` names them instead,
//! and `--fields none` shows none. docs/timeline-fields.md states the rule. The line is parsed
//! again here, only for the lines of the one trace shown.

use serde_json::{Map, Value};

use crate::records::envelope::unwrap_line;
use crate::records::fields::BUILTIN_ALIASES;

/// Which fields the timeline shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FieldChoice {
    /// The default rule.
    #[default]
    Auto,
    /// None.
    None,
    /// These dotted paths, in this order, when the line has them.
    Paths(Vec<String>),
}

impl FieldChoice {
    /// Parses `--fields`: `none`, `auto`, or paths separated by commas.
    pub fn parse(text: &str) -> FieldChoice {
        match text.trim() {
            "none" | "" => FieldChoice::None,
            "auto" => FieldChoice::Auto,
            list => FieldChoice::Paths(
                list.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
        }
    }
}

/// Fields shown by default, at most.
pub const AUTO_FIELDS: usize = 4;
/// A text value longer than this (in characters) is not "small": user agents, SQL, URLs with
/// queries would push the line off the screen. Named fields are cut here instead.
pub const MAX_VALUE_CHARS: usize = 40;

/// Field names that describe the process, not the event: the same on every line of a service.
pub const NOISE: &[&str] = &[
    "pid",
    "ppid",
    "hostname",
    "host",
    "host.name",
    "caller",
    "v",
    "@version",
    "ecs.version",
    "thread",
    "thread_name",
    "threadName",
    "thread.name",
    "process",
    "process.pid",
    "file",
    "line",
    "lineno",
    "func",
    "function",
    "funcName",
    "module",
    "filename",
    "pathname",
    "source",
    "level_value",
    "stream",
    "time_local",
    // Deployment tags: the same on every line of a service.
    "env",
    "version",
    "dd.env",
    "dd.version",
    "service.version",
    "deployment.environment",
    // Trace flags and connection details.
    "trace_flags",
    "traceFlags",
    "flags",
    "sampled",
    "req.remotePort",
    "req.remoteAddress",
    "req.httpVersion",
    // Per-convention bookkeeping: GCP, ECS, OTLP, .NET, Spring Sleuth.
    "insertId",
    "receiveTimestamp",
    "resource.type",
    "logging.googleapis.com/trace_sampled",
    "traceSampled",
    "event.dataset",
    "service.environment",
    "process.thread.name",
    "resource.service.version",
    "EventId",
    "State.Message",
    "State.{OriginalFormat}",
    "X-Span-Export",
    "spanExport",
    "otelTraceSampled",
    "@i",
];

/// Envelope fields whose text may be the application's JSON (Docker, Fluent Bit, journald).
const ENVELOPES: &[&str] = &["log", "message", "MESSAGE", "body"];

/// The fields to show for a line as read, as `(name, value)` with the value as text (strings
/// unquoted; the caller sanitises and quotes).
pub fn line_fields(raw: &[u8], choice: &FieldChoice) -> Vec<(String, String)> {
    if *choice == FieldChoice::None {
        return Vec::new();
    }
    let Some(object) = json_object(raw) else {
        return Vec::new();
    };
    match choice {
        FieldChoice::None => Vec::new(),
        FieldChoice::Paths(paths) => paths
            .iter()
            .filter_map(|p| {
                let text = scalar_text(lookup(&object, p)?)?;
                Some((p.clone(), cut(&text)))
            })
            .collect(),
        FieldChoice::Auto => {
            let mut out = Vec::new();
            collect_auto(&object, "", 0, &mut out);
            out
        }
    }
}

/// The line's JSON object, inside any envelope.
fn json_object(raw: &[u8]) -> Option<Map<String, Value>> {
    let env = unwrap_line(raw);
    let payload = env.payload;
    let at = memchr::memchr(b'{', payload)?;
    let Value::Object(outer) = serde_json::from_slice::<Value>(payload.get(at..)?).ok()? else {
        return None;
    };
    // JSON carried as text in an envelope field: the application's fields are inside.
    for key in ENVELOPES {
        if let Some(Value::String(s)) = outer.get(*key) {
            if s.trim_start().starts_with('{') {
                if let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(s.trim()) {
                    return Some(inner);
                }
            }
        }
    }
    Some(outer)
}

/// A field by dotted path, flat (`"http.status"`) or nested (`{"http":{"status":…}}`).
fn lookup<'v>(object: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(v) = object.get(path) {
        return Some(v);
    }
    let (head, rest) = path.split_once('.')?;
    match object.get(head)? {
        Value::Object(inner) => lookup(inner, rest),
        _ => None,
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Whether tracegrep already reads this path (an id, time, level, message, service, duration,
/// status, operation name: every built-in alias) or it is noise.
fn is_known(path: &str) -> bool {
    NOISE.contains(&path) || BUILTIN_ALIASES.iter().any(|(alias, _)| *alias == path)
}

/// Keys in the object's order (sorted by name), one level of nesting (`http.route`); headers
/// and deeper objects are left out.
fn collect_auto(
    object: &Map<String, Value>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    for (key, value) in object {
        if out.len() >= AUTO_FIELDS {
            return;
        }
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if is_known(&path) || (depth == 0 && ENVELOPES.contains(&key.as_str())) {
            continue;
        }
        match value {
            Value::Object(inner) if depth == 0 && !key.eq_ignore_ascii_case("headers") => {
                collect_auto(inner, &path, depth + 1, out)
            }
            Value::String(s) if s.is_empty() || s.chars().count() > MAX_VALUE_CHARS => {}
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                if let Some(text) = scalar_text(value) {
                    out.push((path, text));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(line: &str) -> Vec<String> {
        line_fields(line.as_bytes(), &FieldChoice::Auto)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    #[test]
    fn the_default_shows_small_unknown_fields() {
        let gateway = r#"{"level":"info","service":"edge-gateway","host":"gw-1","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","upstream":"users","upstream_status":201,"time":"2026-11-20T10:00:00.007Z","message":"upstream response"}"#;
        assert_eq!(auto(gateway), ["upstream=users", "upstream_status=201"]);
        let started = r#"{"level":30,"pid":7,"hostname":"h","method":"POST","path":"/x","user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0","cart":{"items":3,"tags":["a"]},"retry":true,"msg":"m"}"#;
        assert_eq!(auto(started), ["cart.items=3", "retry=true"]);
        let many = r#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#;
        assert_eq!(auto(many).len(), AUTO_FIELDS);
        // JSON inside an envelope's text: the application's fields.
        let docker = r#"{"log":"{\"msg\":\"hi\",\"order\":42}\n","stream":"stdout","time":"2026-11-20T10:00:00Z"}"#;
        assert_eq!(auto(docker), ["order=42"]);
        assert!(auto("not json").is_empty());
    }

    #[test]
    fn named_fields_and_none() {
        let line = br#"{"http":{"route":"/x/{id}"},"user.id":42,"note":"a very long note that goes on and on and on and on"}"#;
        let named = line_fields(line, &FieldChoice::parse("user.id, http.route,absent,note"));
        assert_eq!(named[0], ("user.id".into(), "42".into()));
        assert_eq!(named[1], ("http.route".into(), "/x/{id}".into()));
        assert_eq!(named[2].1.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(line_fields(line, &FieldChoice::parse("none")).is_empty());
    }
}
