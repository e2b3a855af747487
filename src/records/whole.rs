//! Whole-trace documents on one line (`log-formats.md` §8): OTLP/JSON `resourceSpans` and
//! `resourceLogs` (the OTel file exporter), Jaeger's query JSON and Zipkin v2 arrays. Such a
//! line holds many spans or log records; each becomes one [`Decoded`] record.
//!
//! These lines are rare and big, so they are read into `serde_json::Value`, not walked.

use serde_json::Value;

use crate::records::duration::{duration_from_number, DurationUnit};
use crate::records::ids::{parse_hex_span, parse_hex_trace};
use crate::records::level::{level_from_number, level_from_text, Level, NumericLevelScale};
use crate::records::Decoded;

/// Whether a JSON payload is a whole-trace document (checked on its first bytes).
pub fn is_whole_trace(json: &[u8]) -> bool {
    // Asked of every line of a full scan: no allocation, and a one-byte test rejects most.
    let json = json.trim_ascii_start();
    match json.first() {
        Some(b'{') => {
            json.starts_with(b"{\"resourceSpans\"")
                || json.starts_with(b"{\"resourceLogs\"")
                || (json.starts_with(b"{\"data\":[{")
                    && memchr::memmem::find(json, b"\"traceID\"").is_some())
                // One Jaeger trace without the `data` wrapper.
                || (json.starts_with(b"{\"traceID\"")
                    && memchr::memmem::find(json, b"\"spans\"").is_some())
        }
        Some(b'[') => {
            // Zipkin v2 spans, or Jaeger traces.
            json[1..].trim_ascii_start().starts_with(b"{")
                && (memchr::memmem::find(json, b"\"traceId\"").is_some()
                    || memchr::memmem::find(json, b"\"traceID\"").is_some())
        }
        _ => false,
    }
}

/// The records of a whole-trace document, or `None` when it is not one (or not JSON).
pub fn decode_whole_trace(json: &[u8]) -> Option<Vec<Decoded>> {
    let doc: Value = serde_json::from_slice(json).ok()?;
    let mut out = Vec::new();
    if let Some(resources) = doc.get("resourceSpans").and_then(Value::as_array) {
        for r in resources {
            let service = otlp_service(r);
            for scope in scopes(r, &["scopeSpans", "instrumentationLibrarySpans"]) {
                for span in array(scope, "spans") {
                    out.push(otlp_span(span, service.clone()));
                }
            }
        }
    } else if let Some(resources) = doc.get("resourceLogs").and_then(Value::as_array) {
        for r in resources {
            let service = otlp_service(r);
            for scope in scopes(r, &["scopeLogs", "instrumentationLibraryLogs"]) {
                for log in array(scope, "logRecords") {
                    out.push(otlp_log(log, service.clone()));
                }
            }
        }
    } else if let Some(traces) = doc.get("data").and_then(Value::as_array) {
        out.extend(traces.iter().flat_map(jaeger_trace));
    } else if doc.get("traceID").is_some() && doc.get("spans").is_some() {
        out.extend(jaeger_trace(&doc));
    } else if let Some(items) = doc.as_array() {
        for item in items {
            if item.get("spans").is_some() {
                out.extend(jaeger_trace(item));
            } else {
                out.push(zipkin_span(item));
            }
        }
    } else {
        return None;
    }
    out.retain(|d| d.trace.is_some());
    Some(out)
}

fn array<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn scopes<'v>(resource: &'v Value, keys: &[&str]) -> Vec<&'v Value> {
    keys.iter().flat_map(|k| array(resource, k)).collect()
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number of the given unit, written as a JSON number or a string of digits.
fn nanos(v: Option<&Value>, per_unit: i128) -> Option<i64> {
    let n: i128 = match v? {
        Value::Number(n) => n.as_u64().map(i128::from)?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    i64::try_from(n.checked_mul(per_unit)?).ok()
}

fn otlp_service(resource: &Value) -> Option<String> {
    array(resource.get("resource")?, "attributes")
        .find(|a| a.get("key").and_then(Value::as_str) == Some("service.name"))
        .and_then(|a| text(a.get("value")?.get("stringValue")))
}

fn otlp_span(span: &Value, service: Option<String>) -> Decoded {
    let start = nanos(span.get("startTimeUnixNano"), 1);
    let end = nanos(span.get("endTimeUnixNano"), 1);
    let code = span.get("status").and_then(|s| s.get("code"));
    let failed = matches!(code, Some(Value::Number(n)) if n.as_u64() == Some(2))
        || code.and_then(Value::as_str) == Some("STATUS_CODE_ERROR");
    let name = text(span.get("name"));
    Decoded {
        trace: text(span.get("traceId")).and_then(|t| parse_hex_trace(&t)),
        span: text(span.get("spanId")).and_then(|s| parse_hex_span(&s)),
        parent: text(span.get("parentSpanId")).and_then(|s| parse_hex_span(&s)),
        time: end.or(start),
        duration_ns: start.zip(end).map(|(s, e)| e.saturating_sub(s).max(0)),
        level: Some(if failed { Level::Error } else { Level::Info }),
        service,
        message: name.clone(),
        name,
        ..Decoded::default()
    }
}

fn otlp_log(log: &Value, service: Option<String>) -> Decoded {
    let level = text(log.get("severityText"))
        .and_then(|t| level_from_text(&t))
        .or_else(|| {
            log.get("severityNumber")
                .and_then(Value::as_i64)
                .and_then(|n| level_from_number(n, NumericLevelScale::OtelSeverity))
        });
    let body = log.get("body");
    Decoded {
        trace: text(log.get("traceId")).and_then(|t| parse_hex_trace(&t)),
        span: text(log.get("spanId")).and_then(|s| parse_hex_span(&s)),
        time: nanos(log.get("timeUnixNano"), 1)
            .or_else(|| nanos(log.get("observedTimeUnixNano"), 1)),
        level,
        service,
        message: text(body.and_then(|b| b.get("stringValue"))).or_else(|| text(body)),
        ..Decoded::default()
    }
}

/// The spans of one Jaeger trace object (`{"traceID", "spans", "processes"}`).
fn jaeger_trace(trace: &Value) -> Vec<Decoded> {
    array(trace, "spans")
        .map(|span| jaeger_span(span, trace.get("processes")))
        .collect()
}

/// Whether a span's tags say it failed: `error` (Jaeger `true` or a message, Zipkin any
/// value), or OpenTelemetry's status carried as a tag by its Zipkin and Jaeger exporters
/// (`otel.status_code: ERROR`).
fn tag_is_error(tags: Option<&Value>) -> bool {
    let status_error = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("ERROR"))
    };
    match tags {
        // Jaeger: [{"key": "error", "value": true}]
        Some(Value::Array(tags)) => {
            tags.iter()
                .any(|t| match t.get("key").and_then(Value::as_str) {
                    Some("error") => match t.get("value") {
                        Some(Value::Bool(b)) => *b,
                        Some(Value::String(s)) => s != "false",
                        _ => false,
                    },
                    Some("otel.status_code") => status_error(t.get("value")),
                    _ => false,
                })
        }
        // Zipkin: {"error": "message"}
        Some(Value::Object(tags)) => {
            tags.contains_key("error") || status_error(tags.get("otel.status_code"))
        }
        _ => false,
    }
}

fn jaeger_span(span: &Value, processes: Option<&Value>) -> Decoded {
    let start = nanos(span.get("startTime"), 1_000);
    let duration = span
        .get("duration")
        .and_then(Value::as_f64)
        .and_then(|d| duration_from_number(d, DurationUnit::Micros));
    // The parent is the `CHILD_OF` reference, else a `FOLLOWS_FROM` one (work started by a
    // span that did not wait for it), as Jaeger UI places spans.
    let reference = |kind: &str| {
        array(span, "references").find(|r| r.get("refType").and_then(Value::as_str) == Some(kind))
    };
    let parent = reference("CHILD_OF")
        .or_else(|| reference("FOLLOWS_FROM"))
        .and_then(|r| text(r.get("spanID")))
        .and_then(|s| parse_hex_span(&s));
    let service =
        text(span.get("processID")).and_then(|p| text(processes?.get(&p)?.get("serviceName")));
    let name = text(span.get("operationName"));
    Decoded {
        trace: text(span.get("traceID")).and_then(|t| parse_hex_trace(&t)),
        span: text(span.get("spanID")).and_then(|s| parse_hex_span(&s)),
        parent,
        time: start
            .zip(duration)
            .map(|(s, d)| s.saturating_add(d))
            .or(start),
        duration_ns: duration,
        level: Some(if tag_is_error(span.get("tags")) {
            Level::Error
        } else {
            Level::Info
        }),
        service,
        message: name.clone(),
        name,
        ..Decoded::default()
    }
}

fn zipkin_span(span: &Value) -> Decoded {
    let start = nanos(span.get("timestamp"), 1_000);
    let duration = span
        .get("duration")
        .and_then(Value::as_f64)
        .and_then(|d| duration_from_number(d, DurationUnit::Micros));
    let name = text(span.get("name"));
    Decoded {
        trace: text(span.get("traceId")).and_then(|t| parse_hex_trace(&t)),
        span: text(span.get("id")).and_then(|s| parse_hex_span(&s)),
        parent: text(span.get("parentId")).and_then(|s| parse_hex_span(&s)),
        time: start
            .zip(duration)
            .map(|(s, d)| s.saturating_add(d))
            .or(start),
        duration_ns: duration,
        level: Some(if tag_is_error(span.get("tags")) {
            Level::Error
        } else {
            Level::Info
        }),
        service: span
            .get("localEndpoint")
            .and_then(|e| text(e.get("serviceName"))),
        message: name.clone(),
        name,
        ..Decoded::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_jaeger_and_zipkin_documents() {
        let otlp = br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","spanId":"00f067aa0ba902b7","name":"GET /pay","startTimeUnixNano":"1795168801000000000","endTimeUnixNano":"1795168801120000000","status":{"code":2}},{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"a3ce929d0e0e4736","parentSpanId":"00f067aa0ba902b7","name":"db","startTimeUnixNano":1795168801010000000,"endTimeUnixNano":1795168801020000000}]}]}]}"#;
        assert!(is_whole_trace(otlp));
        let d = decode_whole_trace(otlp).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].service.as_deref(), Some("api"));
        assert_eq!(d[0].duration_ns, Some(120_000_000));
        assert_eq!(d[0].level, Some(Level::Error));
        assert_eq!(
            d[1].parent.map(|p| p.to_string()).as_deref(),
            Some("00f067aa0ba902b7")
        );
        let jaeger = br#"{"data":[{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spans":[{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7","operationName":"GET /pay","references":[{"refType":"CHILD_OF","traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"a3ce929d0e0e4736"}],"startTime":1795168801000000,"duration":1503,"processID":"p1"}],"processes":{"p1":{"serviceName":"api"}}}]}"#;
        assert!(is_whole_trace(jaeger));
        let d = decode_whole_trace(jaeger).unwrap();
        assert_eq!(d[0].service.as_deref(), Some("api"));
        assert_eq!(d[0].duration_ns, Some(1_503_000));
        assert!(d[0].parent.is_some());
        let zipkin = br#"[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","parentId":"a3ce929d0e0e4736","id":"00f067aa0ba902b7","kind":"SERVER","name":"get /pay","timestamp":1795168801000000,"duration":150000,"localEndpoint":{"serviceName":"api"},"tags":{"error":"boom"}}]"#;
        assert!(is_whole_trace(zipkin));
        let d = decode_whole_trace(zipkin).unwrap();
        assert_eq!(d[0].level, Some(Level::Error));
        assert_eq!(d[0].time, Some(1_795_168_801_150_000_000));
        assert!(!is_whole_trace(br#"{"trace_id":"x"}"#));
    }
}
