//! How each simulated service writes a log line: one logging library's convention each
//! (field spellings of trace/span/parent ids, time and level formats, envelopes, nesting), as
//! `fixtures/README.md` describes them. Lines are written straight into a reused buffer.

use std::io::Write;

/// A line's severity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
    /// Debug detail.
    Debug,
    /// Normal traffic.
    Info,
    /// A retry, a fallback, a 4xx.
    Warn,
    /// A failed span's end line.
    Error,
}

/// The logging convention a service writes in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Conv {
    /// Go zerolog edge gateway: only a W3C `traceparent` (part 3 = its own span).
    Zerolog,
    /// pino + instrumentation-pino (Node): `trace_id`/`span_id`, epoch ms, numeric levels.
    Pino,
    /// bunyan: `parent_id` on every line, ISO time near the end, `v:0`.
    Bunyan,
    /// zap production: float epoch seconds, `parent_span_id` on a span's first line only.
    Zap,
    /// logrus JSONFormatter: sorted keys, local +01:00 time, `traceId`/`parentSpanId`, ns durations.
    Logrus,
    /// logstash-logback-encoder: `traceId`/`parentId`, top level or nested in `mdc` by pod.
    Logstash,
    /// Serilog CLEF: `@t`/`@tr`/`@sp`, `@l` absent for Information, `ParentId`.
    Clef,
    /// Elastic ECS: `trace.id`, `transaction.id`, `span.id`; dotted or nested by pod.
    Ecs,
    /// Datadog: decimal low 64 bits in `dd.trace_id`, flat strings or nested numbers by pod.
    Datadog,
    /// Google Cloud structured logging: `projects/demo/traces/<id>`; consumers log the
    /// `traceparent` they received in `message_headers`.
    Gcp,
    /// OpenTelemetry log data model: `timeUnixNano` string, `body`, `resource`.
    Otel,
    /// NLog JsonLayout: uppercase dashed GUID `correlationId`, no span ids, CRLF.
    Nlog,
    /// Spring Cloud Sleuth 1.x MDC: `X-B3-TraceId`/`X-B3-SpanId`/`X-B3-ParentSpanId`.
    B3,
    /// AWS Lambda Powertools: X-Ray `xray_trace_id`, no span ids.
    Powertools,
}

impl Conv {
    /// How the trace id is spelled in this convention (truth `spellings[].form`).
    pub fn spelling(self) -> &'static str {
        match self {
            Conv::Zerolog => "traceparent",
            Conv::Gcp => "gcp",
            Conv::Datadog => "dd",
            Conv::Nlog => "uuid-upper",
            Conv::Powertools => "xray",
            _ => "hex",
        }
    }

    /// The trace id as this convention writes it (traceparent with `span` as part 3).
    pub fn trace_value(self, trace: u128, span: u64) -> String {
        match self {
            Conv::Zerolog => format!("00-{trace:032x}-{span:016x}-01"),
            Conv::Gcp => format!("projects/demo/traces/{trace:032x}"),
            Conv::Datadog => format!("{}", trace as u64),
            Conv::Nlog => guid(trace),
            Conv::Powertools => {
                let h = format!("{trace:032x}");
                format!("1-{}-{}", &h[..8], &h[8..])
            }
            _ => format!("{trace:032x}"),
        }
    }

    /// Whether lines name their span.
    pub fn logs_span_ids(self) -> bool {
        !matches!(self, Conv::Nlog | Conv::Powertools)
    }

    /// The field that names a span's parent, if the convention has one.
    pub fn parent_field(self) -> Option<&'static str> {
        match self {
            Conv::Bunyan => Some("parent_id"),
            Conv::Zap => Some("parent_span_id"),
            Conv::Logrus => Some("parentSpanId"),
            Conv::Logstash => Some("parentId"),
            Conv::Clef => Some("ParentId"),
            Conv::B3 => Some("X-B3-ParentSpanId"),
            Conv::Gcp => Some("message_headers.traceparent"),
            Conv::Ecs => Some("transaction.id"),
            _ => None,
        }
    }

    /// Windows/.NET Framework hosts write CRLF.
    pub fn crlf(self) -> bool {
        self == Conv::Nlog
    }
}

/// `4BF92F35-77B3-4DA6-A3CE-929D0E0E4736`.
pub fn guid(id: u128) -> String {
    let h = format!("{id:032X}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// One line to write, in the service's own clock.
pub struct Ev<'a> {
    /// Service's service name.
    pub service: &'a str,
    /// Pod name (hostname).
    pub pod: &'a str,
    /// Encoder variant (pods alternate during a rollout).
    pub variant: u8,
    /// Process id.
    pub pid: u32,
    /// Time as the service's clock shows it, ns since the epoch.
    pub t: i64,
    /// Trace id; 0 for a line outside any trace.
    pub trace: u128,
    /// Span id; 0 for none.
    pub span: u64,
    /// Logged parent span id; 0 when the line names none.
    pub parent: u64,
    /// ECS: the transaction (server span) this client span's line belongs to.
    pub txn: u64,
    /// A consumer's received `traceparent` span (the producer).
    pub header_parent: u64,
    /// Per-hop request id (NLog, Powertools).
    pub request_id: u128,
    /// Severity.
    pub level: Level,
    /// Message text.
    pub msg: &'a str,
    /// HTTP method and path of a server span's line, if any.
    pub http: Option<(&'a str, &'a str)>,
    /// Duration on an end line, ns.
    pub dur_ns: Option<i64>,
    /// HTTP status on an end line.
    pub status: Option<u16>,
    /// An error line carrying its stack inside the JSON.
    pub stack: bool,
    /// A root span (Serilog writes a zero `ParentId` there).
    pub root: bool,
    /// A database or cache client's `db.system`.
    pub db: Option<&'a str>,
    /// A producer's or consumer's destination and operation (`publish`, `process`).
    pub messaging: Option<(&'a str, &'a str)>,
}

/// A JSON object written field by field; `py` gives Python's `", "`/`": "` spacing.
pub(crate) struct Obj<'o> {
    pub(crate) out: &'o mut Vec<u8>,
    first: bool,
    py: bool,
}

impl<'o> Obj<'o> {
    pub(crate) fn new(out: &'o mut Vec<u8>, py: bool) -> Self {
        out.push(b'{');
        Obj {
            out,
            first: true,
            py,
        }
    }
    pub(crate) fn key(&mut self, k: &str) {
        if !self.first {
            self.out
                .extend_from_slice(if self.py { b", " } else { b"," });
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out
            .extend_from_slice(if self.py { b"\": " } else { b"\":" });
    }
    pub(crate) fn s(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        esc(self.out, v);
        self
    }
    pub(crate) fn n(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        self.key(k);
        let _ = write!(self.out, "{v}");
        self
    }
    pub(crate) fn hex(&mut self, k: &str, v: u64) -> &mut Self {
        self.key(k);
        let _ = write!(self.out, "\"{v:016x}\"");
        self
    }
    pub(crate) fn hex128(&mut self, k: &str, v: u128) -> &mut Self {
        self.key(k);
        let _ = write!(self.out, "\"{v:032x}\"");
        self
    }
    pub(crate) fn with(&mut self, k: &str, f: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        self.key(k);
        self.out.push(b'"');
        f(self.out);
        self.out.push(b'"');
        self
    }
    pub(crate) fn open(&mut self, k: &str) -> &mut Self {
        self.key(k);
        self.out.push(b'{');
        self.first = true;
        self
    }
    pub(crate) fn close(&mut self) -> &mut Self {
        self.out.push(b'}');
        self.first = false;
        self
    }
    pub(crate) fn end(&mut self) {
        self.out.push(b'}');
    }
}

/// A JSON string with the escapes JSON needs.
pub(crate) fn esc(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &c in s.as_bytes() {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c if c < 0x20 => {
                let _ = write!(out, "\\u{c:04x}");
            }
            c => out.push(c),
        }
    }
    out.push(b'"');
}

pub(crate) const JAVA_STACK: &str = "java.lang.IllegalStateException: upstream refused the request\n\tat com.acme.svc.Client.call(Client.java:88)\n\tat com.acme.svc.Handler.handle(Handler.java:41)";
pub(crate) const NODE_STACK: &str = "Error: upstream refused the request\n    at Client.call (/app/dist/client.js:88:11)\n    at async Handler.handle (/app/dist/handler.js:41:5)";
pub(crate) const GO_STACK: &str =
    "main.(*Client).Call\n\t/src/client.go:88\nmain.(*Handler).Handle\n\t/src/handler.go:41";
pub(crate) const PY_STACK: &str = "Traceback (most recent call last):\n  File \"/app/client.py\", line 88, in call\n    raise UpstreamError(\"upstream refused the request\")\napp.errors.UpstreamError: upstream refused the request";
pub(crate) const NET_STACK: &str = "System.InvalidOperationException: upstream refused the request\n   at Acme.Client.CallAsync() in /src/Client.cs:line 88";

/// The stack-trace lines (not JSON) a service's runtime prints after an error line.
pub fn plain_stack(conv: Conv) -> &'static [&'static str] {
    match conv {
        Conv::Logstash | Conv::B3 => &[
            "java.lang.IllegalStateException: upstream refused the request",
            "\tat com.acme.svc.Client.call(Client.java:88)",
            "\tat com.acme.svc.Handler.handle(Handler.java:41)",
            "Caused by: java.net.SocketTimeoutException: Read timed out",
            "\t... 12 common frames omitted",
        ],
        Conv::Datadog | Conv::Powertools => &[
            "Traceback (most recent call last):",
            "  File \"/app/client.py\", line 88, in call",
            "    raise UpstreamError(\"upstream refused the request\")",
            "app.errors.UpstreamError: upstream refused the request",
        ],
        Conv::Pino => &[
            "Error: upstream refused the request",
            "    at Client.call (/app/dist/client.js:88:11)",
            "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
        ],
        _ => &[],
    }
}

pub(crate) fn level_word(l: Level) -> &'static str {
    match l {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

/// Writes `ev` as `conv` does, without the newline.
pub fn write(conv: Conv, out: &mut Vec<u8>, ev: &Ev) {
    match conv {
        Conv::Zerolog
        | Conv::Pino
        | Conv::Bunyan
        | Conv::Zap
        | Conv::Logrus
        | Conv::Gcp
        | Conv::Otel => crate::common::encode_go_node::write_fields(conv, out, ev),
        _ => crate::common::encode_jvm_py_net::write_fields(conv, out, ev),
    }
    if ev.db.is_none() && ev.messaging.is_none() {
        return;
    }
    // OpenTelemetry semantic-convention attributes, added by the instrumentation as flat
    // dotted keys before the object closes.
    let close = if out.ends_with(b" }") { 2 } else { 1 };
    out.truncate(out.len() - close);
    let sep: &[u8] = match conv {
        Conv::Datadog | Conv::Powertools | Conv::Nlog => b", ",
        _ => b",",
    };
    let colon: &[u8] = if sep.len() == 2 { b": " } else { b":" };
    let field = |out: &mut Vec<u8>, k: &str, v: &str| {
        out.extend_from_slice(sep);
        esc(out, k);
        out.extend_from_slice(colon);
        esc(out, v);
    };
    if let Some(db) = ev.db {
        field(out, "db.system", db);
    }
    if let Some((dest, op)) = ev.messaging {
        field(out, "messaging.destination.name", dest);
        field(out, "messaging.operation.type", op);
    }
    out.extend_from_slice(if close == 2 { b" }" } else { b"}" });
}
