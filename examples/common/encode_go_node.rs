//! Lines of the Go, Node and Rust conventions, and of the Google Cloud and OpenTelemetry
//! formats: zerolog, pino, bunyan, zap, logrus, GCP structured logging, OTel log records.

use std::io::Write;

use crate::common::conventions::*;
use crate::common::timefmt::{rfc3339, rfc3339_offset};

pub(crate) fn write_fields(conv: Conv, out: &mut Vec<u8>, ev: &Ev) {
    let lw = level_word(ev.level);
    match conv {
        Conv::Zerolog => {
            let mut o = Obj::new(out, false);
            o.s("level", lw).s("service", ev.service);
            if ev.trace != 0 {
                o.with("traceparent", |b| {
                    let _ = write!(b, "00-{:032x}-{:016x}-01", ev.trace, ev.span);
                });
            }
            if let Some((m, p)) = ev.http {
                o.s("method", m).s("path", p);
            }
            if let Some(s) = ev.status {
                o.n("status", s);
            }
            if let Some(d) = ev.dur_ns {
                o.with("duration", |b| {
                    let _ = write!(b, "{}.{:06}ms", d / 1_000_000, d % 1_000_000);
                });
            }
            o.with("time", |b| rfc3339(b, ev.t, 3));
            o.s("message", ev.msg).end();
        }
        Conv::Pino => {
            let lv = node_level(ev.level);
            let mut o = Obj::new(out, false);
            o.n("level", lv)
                .n("time", ev.t / 1_000_000)
                .n("pid", ev.pid)
                .s("hostname", ev.pod)
                .s("name", ev.service);
            if ev.trace != 0 {
                o.hex128("trace_id", ev.trace)
                    .hex("span_id", ev.span)
                    .s("trace_flags", "01");
            }
            if let (Some((m, p)), Some(_)) = (ev.http, ev.dur_ns) {
                o.open("req").s("method", m).s("url", p).close();
            }
            if let Some(s) = ev.status {
                o.open("res").n("statusCode", s).close();
            }
            if ev.stack {
                o.open("err")
                    .s("type", "Error")
                    .s("message", "upstream refused the request")
                    .s("stack", NODE_STACK)
                    .close();
            }
            if let Some(d) = ev.dur_ns {
                o.n("responseTime", d / 1_000_000);
            }
            o.s("msg", ev.msg).end();
        }
        Conv::Bunyan => {
            let lv = node_level(ev.level);
            let mut o = Obj::new(out, false);
            o.s("name", ev.service)
                .s("hostname", ev.pod)
                .n("pid", ev.pid)
                .n("level", lv);
            if ev.trace != 0 {
                o.hex128("trace_id", ev.trace).hex("span_id", ev.span);
                if ev.parent != 0 {
                    o.hex("parent_id", ev.parent);
                }
                o.s("trace_flags", "01");
            }
            if let Some(s) = ev.status {
                o.n("statusCode", s);
            }
            if let Some(d) = ev.dur_ns {
                o.n("latency", d / 1_000_000);
            }
            o.s("msg", ev.msg);
            o.with("time", |b| rfc3339(b, ev.t, 3)).n("v", 0).end();
        }
        Conv::Zap => {
            let mut o = Obj::new(out, false);
            o.s("level", lw).key("ts");
            let _ = write!(
                o.out,
                "{}.{:06}",
                ev.t / 1_000_000_000,
                ev.t % 1_000_000_000 / 1000
            );
            o.s("logger", ev.service)
                .s("caller", "server/grpc.go:88")
                .s("msg", ev.msg);
            if ev.trace != 0 {
                o.hex128("trace_id", ev.trace).hex("span_id", ev.span);
                if ev.parent != 0 {
                    o.hex("parent_span_id", ev.parent);
                }
            }
            if let Some(s) = ev.status {
                o.s("grpc.code", if s >= 500 { "Internal" } else { "OK" });
            }
            if let Some(d) = ev.dur_ns {
                o.key("grpc.time_ms");
                let _ = write!(o.out, "{}.{:03}", d / 1_000_000, d % 1_000_000 / 1000);
            }
            if ev.stack {
                o.s("stacktrace", GO_STACK);
            }
            o.end();
        }
        Conv::Logrus => {
            // Keys sorted, as JSONFormatter writes them.
            let mut o = Obj::new(out, false);
            if let Some(d) = ev.dur_ns {
                o.n("duration", d);
            }
            if ev.stack {
                o.s("error", "upstream refused the request");
            }
            o.s(
                "level",
                if ev.level == Level::Warn {
                    "warning"
                } else {
                    lw
                },
            )
            .s("msg", ev.msg);
            if ev.trace != 0 && ev.parent != 0 {
                o.hex("parentSpanId", ev.parent);
            }
            o.s("service", ev.service);
            if ev.trace != 0 {
                o.hex("spanId", ev.span);
            }
            if let Some(s) = ev.status {
                o.n("status", s);
            }
            o.with("time", |b| rfc3339_offset(b, ev.t, 9, 60));
            if ev.trace != 0 {
                o.hex128("traceId", ev.trace);
            }
            o.end();
        }
        Conv::Gcp => {
            let mut o = Obj::new(out, false);
            o.s(
                "severity",
                match ev.level {
                    Level::Debug => "DEBUG",
                    Level::Info => "INFO",
                    Level::Warn => "WARNING",
                    Level::Error => "ERROR",
                },
            )
            .s("message", ev.msg)
            .with("timestamp", |b| rfc3339(b, ev.t, 9));
            if ev.trace != 0 {
                o.with("logging.googleapis.com/trace", |b| {
                    let _ = write!(b, "projects/demo/traces/{:032x}", ev.trace);
                })
                .hex("logging.googleapis.com/spanId", ev.span)
                .n("logging.googleapis.com/trace_sampled", true);
                if ev.header_parent != 0 {
                    o.open("message_headers")
                        .with("traceparent", |b| {
                            let _ = write!(b, "00-{:032x}-{:016x}-01", ev.trace, ev.header_parent);
                        })
                        .close();
                }
            }
            if let Some(d) = ev.dur_ns {
                o.key("duration_ms");
                let _ = write!(o.out, "{}.{:06}", d / 1_000_000, d % 1_000_000);
            }
            if ev.stack {
                o.s("stack_trace", GO_STACK);
            }
            o.open("serviceContext").s("service", ev.service).close();
            o.end();
        }
        Conv::Otel => {
            let (num, text) = match ev.level {
                Level::Debug => (5, "DEBUG"),
                Level::Info => (9, "INFO"),
                Level::Warn => (13, "WARN"),
                Level::Error => (17, "ERROR"),
            };
            let mut o = Obj::new(out, false);
            o.with("timeUnixNano", |b| {
                let _ = write!(b, "{}", ev.t);
            })
            .n("severityNumber", num)
            .s("severityText", text)
            .s("body", ev.msg);
            if ev.trace != 0 {
                o.hex128("traceId", ev.trace).hex("spanId", ev.span);
            } else {
                o.s("traceId", "").s("spanId", "");
            }
            o.open("resource").s("service.name", ev.service).close();
            o.open("attributes");
            if let Some(d) = ev.dur_ns {
                o.key("latency");
                let _ = write!(o.out, "{}.{:03}", d / 1_000_000, d % 1_000_000 / 1000);
            }
            if let Some(s) = ev.status {
                o.n("http.response.status_code", s);
            }
            if ev.stack {
                o.s("exception.stacktrace", "panicked at src/score.rs:88:5");
            }
            o.close().end();
        }
        _ => unreachable!("{conv:?} is written by the other encoder module"),
    }
}

/// pino's and bunyan's numeric levels.
fn node_level(level: Level) -> u8 {
    match level {
        Level::Debug => 20,
        Level::Info => 30,
        Level::Warn => 40,
        Level::Error => 50,
    }
}
