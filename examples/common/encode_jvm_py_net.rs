//! Lines of the JVM, Python and .NET conventions: logstash-logback-encoder, Serilog CLEF,
//! Elastic ECS, Datadog, NLog, Sleuth B3, Lambda Powertools.

use std::io::Write;

use crate::common::conventions::*;
use crate::common::timefmt::{datetime, rfc3339, rfc3339_offset};

pub(crate) fn write_fields(conv: Conv, out: &mut Vec<u8>, ev: &Ev) {
    let lw = level_word(ev.level);
    match conv {
        Conv::Logstash => {
            let up = match ev.level {
                Level::Debug => ("DEBUG", 10000),
                Level::Info => ("INFO", 20000),
                Level::Warn => ("WARN", 30000),
                Level::Error => ("ERROR", 40000),
            };
            let mut o = Obj::new(out, false);
            o.with("@timestamp", |b| rfc3339_offset(b, ev.t, 3, 0))
                .s("@version", "1")
                .s("message", ev.msg)
                .s("logger_name", "com.acme.orders.OrderController")
                .s("thread_name", "http-nio-8080-exec-3")
                .s("level", up.0)
                .n("level_value", up.1)
                .s("service", ev.service);
            if ev.trace != 0 {
                if ev.variant == 1 {
                    o.open("mdc");
                }
                o.hex128("traceId", ev.trace).hex("spanId", ev.span);
                if ev.parent != 0 {
                    o.hex("parentId", ev.parent);
                }
                if ev.variant == 1 {
                    o.close();
                }
            }
            if let Some(s) = ev.status {
                o.n("status", s);
            }
            if let Some(d) = ev.dur_ns {
                o.n("duration_ms", d / 1_000_000);
            }
            if ev.stack {
                o.s("stack_trace", JAVA_STACK);
            }
            o.end();
        }
        Conv::Clef => {
            let mut o = Obj::new(out, false);
            o.with("@t", |b| {
                datetime(b, ev.t, b'T', 7, b'.');
                b.push(b'Z');
            });
            match (ev.http, ev.dur_ns) {
                (Some(_), Some(_)) => o.s(
                    "@mt",
                    "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0000} ms",
                ),
                _ => o.s("@mt", ev.msg),
            };
            match ev.level {
                Level::Info => {}
                Level::Debug => {
                    o.s("@l", "Debug");
                }
                Level::Warn => {
                    o.s("@l", "Warning");
                }
                Level::Error => {
                    o.s("@l", "Error");
                }
            }
            if ev.stack {
                o.s("@x", NET_STACK);
            }
            if ev.trace != 0 {
                o.hex128("@tr", ev.trace).hex("@sp", ev.span);
            }
            if let Some((m, p)) = ev.http {
                o.s("RequestMethod", m).s("RequestPath", p);
            }
            if let Some(s) = ev.status {
                o.n("StatusCode", s);
            }
            if let Some(d) = ev.dur_ns {
                o.key("Elapsed");
                let _ = write!(o.out, "{}.{:04}", d / 1_000_000, d % 1_000_000 / 100);
            }
            if ev.trace != 0 {
                if ev.parent != 0 {
                    o.hex("ParentId", ev.parent);
                } else if ev.root {
                    o.s("ParentId", "0000000000000000");
                }
            }
            o.s("Application", ev.service).end();
        }
        Conv::Ecs => {
            let dotted = ev.variant == 0;
            let mut o = Obj::new(out, false);
            o.with("@timestamp", |b| rfc3339(b, ev.t, 3));
            let lvl = if dotted {
                match ev.level {
                    Level::Debug => "DEBUG",
                    Level::Info => "INFO",
                    Level::Warn => "WARN",
                    Level::Error => "ERROR",
                }
            } else if ev.level == Level::Warn {
                "warning"
            } else {
                lw
            };
            o.s("log.level", lvl).s("message", ev.msg);
            if dotted {
                o.s("ecs.version", "1.2.0").s("service.name", ev.service);
                if ev.trace != 0 {
                    o.hex128("trace.id", ev.trace);
                    if ev.txn != 0 {
                        o.hex("span.id", ev.span).hex("transaction.id", ev.txn);
                    } else {
                        o.hex("transaction.id", ev.span);
                    }
                }
                if let Some(d) = ev.dur_ns {
                    o.n("event.duration", d);
                }
                if let Some(s) = ev.status {
                    o.n("http.response.status_code", s);
                }
                if ev.stack {
                    o.s("error.stack_trace", JAVA_STACK);
                }
            } else {
                // ecs-logging-python: the rest nested, keys sorted.
                if let Some(d) = ev.dur_ns {
                    o.open("event").n("duration", d).close();
                }
                if let Some(s) = ev.status {
                    o.open("http")
                        .open("response")
                        .n("status_code", s)
                        .close()
                        .close();
                }
                o.open("service").s("name", ev.service).close();
                if ev.trace != 0 {
                    if ev.txn != 0 {
                        o.open("span").hex("id", ev.span).close();
                    }
                    o.open("trace").hex128("id", ev.trace).close();
                    o.open("transaction")
                        .hex("id", if ev.txn != 0 { ev.txn } else { ev.span })
                        .close();
                }
            }
            o.end();
        }
        Conv::Datadog => {
            let mut o = Obj::new(out, true);
            o.with("timestamp", |b| rfc3339_offset(b, ev.t, 6, 0))
                .s(
                    "levelname",
                    match ev.level {
                        Level::Debug => "DEBUG",
                        Level::Info => "INFO",
                        Level::Warn => "WARNING",
                        Level::Error => "ERROR",
                    },
                )
                .s("name", "users.api")
                .s("message", ev.msg);
            if ev.variant == 0 {
                if ev.trace != 0 {
                    o.with("dd.trace_id", |b| {
                        let _ = write!(b, "{}", ev.trace as u64);
                    })
                    .with("dd.span_id", |b| {
                        let _ = write!(b, "{}", ev.span);
                    });
                } else {
                    o.s("dd.trace_id", "0").s("dd.span_id", "0");
                }
                o.s("dd.service", ev.service).s("dd.env", "prod");
            } else {
                o.open("dd");
                if ev.trace != 0 {
                    o.n("trace_id", ev.trace as u64).n("span_id", ev.span);
                }
                o.s("service", ev.service).s("env", "prod").close();
            }
            if let Some(s) = ev.status {
                o.n("status_code", s);
            }
            if let Some(d) = ev.dur_ns {
                o.n("duration", d);
            }
            if ev.stack {
                o.s("exc_info", PY_STACK);
            }
            o.end();
        }
        Conv::Nlog => {
            // NLog JsonLayout's `{ "k": "v" }` spacing.
            out.extend_from_slice(b"{ \"time\": \"");
            datetime(out, ev.t, b' ', 4, b'.');
            out.extend_from_slice(b"\", \"level\": ");
            esc(
                out,
                match ev.level {
                    Level::Debug => "Debug",
                    Level::Info => "Info",
                    Level::Warn => "Warn",
                    Level::Error => "Error",
                },
            );
            out.extend_from_slice(b", \"logger\": \"Billing.InvoiceService\", \"message\": ");
            esc(out, ev.msg);
            if ev.trace != 0 {
                let _ = write!(out, ", \"correlationId\": \"{}\"", guid(ev.trace));
                let g = guid(ev.request_id).to_ascii_lowercase();
                let _ = write!(out, ", \"requestId\": \"{g}\"");
            }
            if let Some(d) = ev.dur_ns {
                let _ = write!(out, ", \"elapsedMs\": {}", d / 1_000_000);
            }
            if ev.stack {
                out.extend_from_slice(b", \"exception\": ");
                esc(out, NET_STACK);
            }
            out.extend_from_slice(b" }");
        }
        Conv::B3 => {
            let mut o = Obj::new(out, false);
            o.with("@timestamp", |b| rfc3339(b, ev.t, 3))
                .s(
                    "level",
                    match ev.level {
                        Level::Debug => "DEBUG",
                        Level::Info => "INFO",
                        Level::Warn => "WARN",
                        Level::Error => "ERROR",
                    },
                )
                .s("logger_name", "com.acme.catalog.CatalogResource")
                .s("message", ev.msg)
                .s("service", ev.service);
            if ev.trace != 0 {
                o.hex128("X-B3-TraceId", ev.trace)
                    .hex("X-B3-SpanId", ev.span);
                if ev.parent != 0 {
                    o.hex("X-B3-ParentSpanId", ev.parent);
                }
                o.s("X-Span-Export", "true");
            }
            if let Some(s) = ev.status {
                o.n("status", s);
            }
            if let Some(d) = ev.dur_ns {
                o.n("elapsed_ms", d / 1_000_000);
            }
            if ev.stack {
                o.s("stack_trace", JAVA_STACK);
            }
            o.end();
        }
        Conv::Powertools => {
            let mut o = Obj::new(out, true);
            o.s(
                "level",
                match ev.level {
                    Level::Debug => "DEBUG",
                    Level::Info => "INFO",
                    Level::Warn => "WARNING",
                    Level::Error => "ERROR",
                },
            )
            .s("location", "handler:41")
            .s("message", ev.msg)
            .with("timestamp", |b| {
                datetime(b, ev.t, b' ', 3, b',');
                b.extend_from_slice(b"+0000");
            })
            .s("service", ev.service)
            .n("cold_start", false);
            if ev.trace != 0 {
                o.with("xray_trace_id", |b| {
                    let h = format!("{:032x}", ev.trace);
                    let _ = write!(b, "1-{}-{}", &h[..8], &h[8..]);
                });
            }
            if let Some(d) = ev.dur_ns {
                o.key("duration_ms");
                let _ = write!(o.out, "{}.{:03}", d / 1_000_000, d % 1_000_000 / 1000);
            }
            if ev.stack {
                o.s("exception", PY_STACK);
            }
            o.end();
        }
        _ => unreachable!("{conv:?} is written by the other encoder module"),
    }
}
