//! Which JSON keys mean what: the alias tables of `log-formats.md` as data.
//!
//! A path is the keys from the top of the object joined with `.`, so the flat key
//! `"dd.trace_id"` and the nested `{"dd":{"trace_id":…}}` are the same path. Array elements take
//! their array's path (the .NET `Scopes` array). Within a role, earlier aliases win.

use rustc_hash::FxHashMap as HashMap;

use crate::records::duration::DurationUnit;
use crate::records::ids::IdSyntax;
use crate::records::level::NumericLevelScale;

/// What a field tells about its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The trace id, spelled as the syntax says.
    Trace(IdSyntax),
    /// The line's own span id; `true` when written in decimal (Datadog).
    Span {
        /// Written in decimal (Datadog).
        decimal: bool,
    },
    /// The parent span id.
    Parent {
        /// Written in decimal (Datadog).
        decimal: bool,
    },
    /// ECS `transaction.id`: the service's entry span, the parent of the line's `span.id`.
    Transaction,
    /// The time of the line.
    Time,
    /// Whole seconds of a split GCP timestamp (`{"seconds":…,"nanos":…}`).
    TimeSeconds,
    /// Nanoseconds of a split GCP timestamp.
    TimeNanos,
    /// The level as text, or a number on the given scale.
    Level(NumericLevelScale),
    /// The human message.
    Message,
    /// A message template (Serilog's `@mt`): the message once the line's properties are put
    /// in (see `records::template`).
    Template,
    /// A field that may carry a whole JSON record as a string (Docker `log`, journald `MESSAGE`).
    Envelope,
    /// The emitting service.
    Service,
    /// A weaker hint at the service (a logger name): the file name beats it.
    ServiceHint,
    /// bunyan's record version `v`: with it, bunyan's `name` is the service.
    BunyanVersion,
    /// How long the span (or the call the line reports) took; bare numbers in this unit.
    Duration(DurationUnit),
    /// An HTTP status code or a gRPC code.
    Status,
    /// An explicit operation name.
    Name,
    /// HTTP method, for naming server and client spans.
    HttpMethod,
    /// HTTP path or URL, for naming spans.
    HttpPath,
    /// A database statement, for naming client spans.
    DbStatement,
    /// gRPC service, for naming spans.
    GrpcService,
    /// gRPC method, for naming spans.
    GrpcMethod,
    /// A stack trace carried inside the JSON.
    Stack,
    /// When the line's span started, on a line logged at its end (Seq's `@st`).
    SpanStart,
    /// An explicit span kind (`span.kind`: server, client, producer, consumer).
    SpanKind,
    /// A database system (`db.system`): the span is a database or cache call.
    DbSystem,
    /// A messaging destination (queue or topic).
    MessagingDestination,
    /// A messaging operation (`publish`, `process`, …).
    MessagingOperation,
}

/// The slot a role fills in an extracted record: roles with different syntaxes share a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Trace id.
    Trace,
    /// A trace id inside a propagation header (`traceparent`, `b3`, `uber-trace-id`,
    /// `sentry-trace`), kept apart so that a line with its own `trace_id` still reads the span
    /// the header names (the caller's).
    TraceHeader,
    /// A correlation id (`correlationId`, `x-request-id`, …): the request's id beside a trace
    /// id, or its only id where no trace id is logged.
    Correlation,
    /// Span id.
    Span,
    /// Parent span id.
    Parent,
    /// ECS transaction id.
    Transaction,
    /// Timestamp.
    Time,
    /// Split timestamp, seconds.
    TimeSeconds,
    /// Split timestamp, nanos.
    TimeNanos,
    /// Level.
    Level,
    /// Message.
    Message,
    /// Service.
    Service,
    /// Logger-style service hint.
    ServiceHint,
    /// bunyan's `v`.
    BunyanVersion,
    /// Duration.
    Duration,
    /// Status.
    Status,
    /// Operation name.
    Name,
    /// HTTP method.
    HttpMethod,
    /// HTTP path.
    HttpPath,
    /// Database statement.
    DbStatement,
    /// gRPC service.
    GrpcService,
    /// gRPC method.
    GrpcMethod,
    /// Embedded stack trace.
    Stack,
    /// Span start.
    SpanStart,
    /// Span kind.
    SpanKind,
    /// Database system.
    DbSystem,
    /// Messaging destination.
    MessagingDestination,
    /// Messaging operation.
    MessagingOperation,
}

/// How many slots there are.
pub const SLOT_COUNT: usize = 28;

impl Role {
    /// The slot this role fills.
    pub fn slot(self) -> Slot {
        match self {
            Role::Trace(IdSyntax::Traceparent | IdSyntax::B3 | IdSyntax::Uber) => Slot::TraceHeader,
            Role::Trace(IdSyntax::Correlation) => Slot::Correlation,
            Role::Trace(_) => Slot::Trace,
            Role::Span { .. } => Slot::Span,
            Role::Parent { .. } => Slot::Parent,
            Role::Transaction => Slot::Transaction,
            Role::Time => Slot::Time,
            Role::TimeSeconds => Slot::TimeSeconds,
            Role::TimeNanos => Slot::TimeNanos,
            Role::Level(_) => Slot::Level,
            Role::Message | Role::Template | Role::Envelope => Slot::Message,
            Role::Service => Slot::Service,
            Role::ServiceHint => Slot::ServiceHint,
            Role::BunyanVersion => Slot::BunyanVersion,
            Role::Duration(_) => Slot::Duration,
            Role::Status => Slot::Status,
            Role::Name => Slot::Name,
            Role::HttpMethod => Slot::HttpMethod,
            Role::HttpPath => Slot::HttpPath,
            Role::DbStatement => Slot::DbStatement,
            Role::GrpcService => Slot::GrpcService,
            Role::GrpcMethod => Slot::GrpcMethod,
            Role::Stack => Slot::Stack,
            Role::SpanStart => Slot::SpanStart,
            Role::SpanKind => Slot::SpanKind,
            Role::DbSystem => Slot::DbSystem,
            Role::MessagingDestination => Slot::MessagingDestination,
            Role::MessagingOperation => Slot::MessagingOperation,
        }
    }
}

use DurationUnit::{Millis, Nanos, Seconds};
use IdSyntax::{Correlation, Decimal, Hex, Traceparent, Uber, XRay, B3};
use NumericLevelScale::{Bunyan, Logback, OtelSeverity, Syslog};

/// The built-in aliases, best first within each role. Sources: `log-formats.md`.
pub const BUILTIN_ALIASES: &[(&str, Role)] = &[
    // Trace ids: dedicated fields first, then logged headers, then correlation ids.
    ("trace_id", Role::Trace(Hex)),
    ("traceId", Role::Trace(Hex)),
    ("trace.id", Role::Trace(Hex)),
    ("TraceId", Role::Trace(Hex)),
    ("traceID", Role::Trace(Hex)),
    ("@tr", Role::Trace(Hex)),
    ("otelTraceID", Role::Trace(Hex)),
    ("dd.trace_id", Role::Trace(Decimal)),
    ("logging.googleapis.com/trace", Role::Trace(Hex)),
    ("Scopes.TraceId", Role::Trace(Hex)),
    ("mdc.traceId", Role::Trace(Hex)),
    ("mdc.trace_id", Role::Trace(Hex)),
    ("extra.trace_id", Role::Trace(Hex)),
    ("record.extra.trace_id", Role::Trace(Hex)),
    ("fields.trace_id", Role::Trace(Hex)),
    ("span.trace_id", Role::Trace(Hex)),
    ("spans.trace_id", Role::Trace(Hex)),
    ("attributes.trace_id", Role::Trace(Hex)),
    ("X-B3-TraceId", Role::Trace(Hex)),
    ("x-b3-traceid", Role::Trace(Hex)),
    ("xray_trace_id", Role::Trace(XRay)),
    ("trace", Role::Trace(Hex)),
    ("traceparent", Role::Trace(Traceparent)),
    ("headers.traceparent", Role::Trace(Traceparent)),
    ("req.headers.traceparent", Role::Trace(Traceparent)),
    // The context a message consumer received: the producer's span is its parent.
    ("message_headers.traceparent", Role::Trace(Traceparent)),
    ("messageHeaders.traceparent", Role::Trace(Traceparent)),
    ("message.headers.traceparent", Role::Trace(Traceparent)),
    ("msg.headers.traceparent", Role::Trace(Traceparent)),
    ("attributes.traceparent", Role::Trace(Traceparent)),
    ("metadata.traceparent", Role::Trace(Traceparent)),
    ("carrier.traceparent", Role::Trace(Traceparent)),
    ("properties.traceparent", Role::Trace(Traceparent)),
    ("kafka.headers.traceparent", Role::Trace(Traceparent)),
    ("record.headers.traceparent", Role::Trace(Traceparent)),
    ("event.headers.traceparent", Role::Trace(Traceparent)),
    ("context.traceparent", Role::Trace(Traceparent)),
    ("propagation.traceparent", Role::Trace(Traceparent)),
    // tracing-subscriber's JSON nests an event's fields under `fields`: a consumer logging the
    // `traceparent` it received.
    ("fields.traceparent", Role::Trace(Traceparent)),
    (
        "applicationProperties.traceparent",
        Role::Trace(Traceparent),
    ),
    ("userProperties.traceparent", Role::Trace(Traceparent)),
    ("sentry-trace", Role::Trace(Traceparent)),
    ("headers.sentry-trace", Role::Trace(Traceparent)),
    ("req.headers.sentry-trace", Role::Trace(Traceparent)),
    ("b3", Role::Trace(B3)),
    ("headers.b3", Role::Trace(B3)),
    ("req.headers.b3", Role::Trace(B3)),
    ("uber-trace-id", Role::Trace(Uber)),
    ("headers.uber-trace-id", Role::Trace(Uber)),
    ("req.headers.uber-trace-id", Role::Trace(Uber)),
    ("X-Amzn-Trace-Id", Role::Trace(XRay)),
    ("x-amzn-trace-id", Role::Trace(XRay)),
    ("record.tracing.value", Role::Trace(XRay)),
    ("correlationId", Role::Trace(Correlation)),
    ("correlation_id", Role::Trace(Correlation)),
    ("CorrelationId", Role::Trace(Correlation)),
    ("x-correlation-id", Role::Trace(Correlation)),
    ("X-Correlation-ID", Role::Trace(Correlation)),
    ("requestId", Role::Trace(Correlation)),
    ("request_id", Role::Trace(Correlation)),
    ("requestID", Role::Trace(Correlation)),
    ("RequestId", Role::Trace(Correlation)),
    ("x-request-id", Role::Trace(Correlation)),
    ("X-Request-ID", Role::Trace(Correlation)),
    ("AWSRequestId", Role::Trace(Correlation)),
    ("function_request_id", Role::Trace(Correlation)),
    ("http.request.id", Role::Trace(Correlation)),
    ("reqId", Role::Trace(Correlation)),
    ("req.id", Role::Trace(Correlation)),
    ("record.requestId", Role::Trace(Correlation)),
    // Span ids.
    ("span_id", Role::Span { decimal: false }),
    ("spanId", Role::Span { decimal: false }),
    ("span.id", Role::Span { decimal: false }),
    ("SpanId", Role::Span { decimal: false }),
    ("spanID", Role::Span { decimal: false }),
    ("@sp", Role::Span { decimal: false }),
    ("otelSpanID", Role::Span { decimal: false }),
    ("dd.span_id", Role::Span { decimal: true }),
    (
        "logging.googleapis.com/spanId",
        Role::Span { decimal: false },
    ),
    ("Scopes.SpanId", Role::Span { decimal: false }),
    ("mdc.spanId", Role::Span { decimal: false }),
    ("mdc.span_id", Role::Span { decimal: false }),
    ("extra.span_id", Role::Span { decimal: false }),
    ("record.extra.span_id", Role::Span { decimal: false }),
    ("fields.span_id", Role::Span { decimal: false }),
    // Rust `tracing` with the OpenTelemetry ids recorded on the current span: `span` is the
    // innermost open span (`spans[]` lists them all, outermost first).
    ("span.span_id", Role::Span { decimal: false }),
    ("X-B3-SpanId", Role::Span { decimal: false }),
    ("x-b3-spanid", Role::Span { decimal: false }),
    ("record.tracing.spanId", Role::Span { decimal: false }),
    ("transaction.id", Role::Transaction),
    // Parent span ids.
    ("parentSpanId", Role::Parent { decimal: false }),
    ("parent_span_id", Role::Parent { decimal: false }),
    ("parentId", Role::Parent { decimal: false }),
    ("parent_id", Role::Parent { decimal: false }),
    ("ParentId", Role::Parent { decimal: false }),
    ("ParentSpanId", Role::Parent { decimal: false }),
    ("Scopes.ParentId", Role::Parent { decimal: false }),
    ("mdc.parentId", Role::Parent { decimal: false }),
    ("mdc.parent_id", Role::Parent { decimal: false }),
    ("extra.parent_span_id", Role::Parent { decimal: false }),
    ("X-B3-ParentSpanId", Role::Parent { decimal: false }),
    ("span.parent_span_id", Role::Parent { decimal: false }),
    // Seq's span records (Serilog tracing): `@ps` the parent, `@st` the start.
    ("@ps", Role::Parent { decimal: false }),
    ("span.parent_id", Role::Parent { decimal: false }),
    ("x-b3-parentspanid", Role::Parent { decimal: false }),
    ("dd.parent_id", Role::Parent { decimal: true }),
    // Timestamps.
    ("timestamp", Role::Time),
    ("time", Role::Time),
    ("@timestamp", Role::Time),
    ("ts", Role::Time),
    ("@t", Role::Time),
    ("T", Role::Time),
    ("Timestamp", Role::Time),
    ("timeUnixNano", Role::Time),
    ("observedTimeUnixNano", Role::Time),
    ("__REALTIME_TIMESTAMP", Role::Time),
    ("asctime", Role::Time),
    ("datetime", Role::Time),
    ("record.time.timestamp", Role::Time),
    ("eventTime", Role::Time),
    ("date", Role::Time),
    ("timestamp.seconds", Role::TimeSeconds),
    ("timestampSeconds", Role::TimeSeconds),
    ("timestampSecond", Role::TimeSeconds),
    ("timestamp.nanos", Role::TimeNanos),
    ("timestampNanos", Role::TimeNanos),
    // Levels.
    ("level", Role::Level(Bunyan)),
    ("severity", Role::Level(OtelSeverity)),
    ("severityText", Role::Level(OtelSeverity)),
    ("severity_text", Role::Level(OtelSeverity)),
    ("log.level", Role::Level(Bunyan)),
    ("levelname", Role::Level(Bunyan)),
    ("level_name", Role::Level(Bunyan)),
    ("@l", Role::Level(Bunyan)),
    ("LogLevel", Role::Level(Bunyan)),
    ("record.level.name", Role::Level(Bunyan)),
    ("severityNumber", Role::Level(OtelSeverity)),
    ("severity_number", Role::Level(OtelSeverity)),
    ("level_value", Role::Level(Logback)),
    ("PRIORITY", Role::Level(Syslog)),
    ("lvl", Role::Level(Bunyan)),
    ("loglevel", Role::Level(Bunyan)),
    // Messages.
    ("msg", Role::Message),
    ("message", Role::Envelope),
    ("@m", Role::Message),
    ("Message", Role::Message),
    ("event", Role::Message),
    ("fields.message", Role::Message),
    ("body", Role::Envelope),
    ("body.stringValue", Role::Message),
    ("record.message", Role::Message),
    ("jsonPayload.message", Role::Message),
    ("textPayload", Role::Message),
    ("@mt", Role::Template),
    ("MESSAGE", Role::Envelope),
    ("log", Role::Envelope),
    // Services.
    ("service.name", Role::Service),
    ("resource.service.name", Role::Service),
    ("resource.attributes.service.name", Role::Service),
    ("dd.service", Role::Service),
    ("otelServiceName", Role::Service),
    ("serviceContext.service", Role::Service),
    ("SYSLOG_IDENTIFIER", Role::Service),
    ("service", Role::Service),
    ("Application", Role::Service),
    ("application", Role::Service),
    ("app", Role::Service),
    ("kubernetes.container_name", Role::Service),
    ("kubernetes.labels.app", Role::Service),
    ("logGroup", Role::Service),
    ("name", Role::ServiceHint),
    ("v", Role::BunyanVersion),
    ("component", Role::ServiceHint),
    ("channel", Role::ServiceHint),
    ("logger", Role::ServiceHint),
    ("logger_name", Role::ServiceHint),
    ("log.logger", Role::ServiceHint),
    ("record.name", Role::ServiceHint),
    ("Category", Role::ServiceHint),
    ("target", Role::ServiceHint),
    // Durations, in the unit each library writes bare numbers in.
    ("duration_ms", Role::Duration(Millis)),
    ("durationMs", Role::Duration(Millis)),
    ("elapsedMs", Role::Duration(Millis)),
    ("elapsed_ms", Role::Duration(Millis)),
    ("responseTime", Role::Duration(Millis)),
    ("response_time", Role::Duration(Millis)),
    ("grpc.time_ms", Role::Duration(Millis)),
    ("Elapsed", Role::Duration(Millis)),
    ("event.duration", Role::Duration(Nanos)),
    ("httpRequest.latency", Role::Duration(Seconds)),
    ("attributes.latency", Role::Duration(Millis)),
    ("attributes.duration_s", Role::Duration(Seconds)),
    ("record.extra.duration_ms", Role::Duration(Millis)),
    ("context.duration", Role::Duration(Seconds)),
    ("record.metrics.durationMs", Role::Duration(Millis)),
    ("duration", Role::Duration(Nanos)),
    ("latency", Role::Duration(Millis)),
    ("elapsed", Role::Duration(Seconds)),
    ("took", Role::Duration(Millis)),
    // Statuses.
    ("status", Role::Status),
    ("statusCode", Role::Status),
    ("status_code", Role::Status),
    ("StatusCode", Role::Status),
    ("res.statusCode", Role::Status),
    ("http.status_code", Role::Status),
    ("http.response.status_code", Role::Status),
    ("httpRequest.status", Role::Status),
    ("attributes.http.response.status_code", Role::Status),
    ("grpc.code", Role::Status),
    // Span naming.
    ("span.otel.name", Role::Name),
    ("span.name", Role::Name),
    ("operation", Role::Name),
    ("operationName", Role::Name),
    ("otel.name", Role::Name),
    ("http.route", Role::Name),
    ("method", Role::HttpMethod),
    ("req.method", Role::HttpMethod),
    ("http.method", Role::HttpMethod),
    ("http.request.method", Role::HttpMethod),
    ("httpMethod", Role::HttpMethod),
    ("Method", Role::HttpMethod),
    ("RequestMethod", Role::HttpMethod),
    ("httpRequest.requestMethod", Role::HttpMethod),
    ("attributes.http.request.method", Role::HttpMethod),
    ("path", Role::HttpPath),
    ("req.url", Role::HttpPath),
    ("url.path", Role::HttpPath),
    ("http.url_details.path", Role::HttpPath),
    ("http.target", Role::HttpPath),
    ("uri", Role::HttpPath),
    ("Path", Role::HttpPath),
    ("RequestPath", Role::HttpPath),
    ("attributes.url.path", Role::HttpPath),
    ("httpRequest.requestUrl", Role::HttpPath),
    ("url", Role::HttpPath),
    ("http.url", Role::HttpPath),
    ("db.statement", Role::DbStatement),
    ("db.query.text", Role::DbStatement),
    ("attributes.db.query.text", Role::DbStatement),
    ("commandText", Role::DbStatement),
    ("@st", Role::SpanStart),
    ("db.system", Role::DbSystem),
    ("db.system.name", Role::DbSystem),
    ("db.type", Role::DbSystem),
    ("attributes.db.system", Role::DbSystem),
    ("messaging.destination.name", Role::MessagingDestination),
    ("messaging.destination", Role::MessagingDestination),
    ("fields.messaging.destination", Role::MessagingDestination),
    (
        "attributes.messaging.destination.name",
        Role::MessagingDestination,
    ),
    ("messaging.operation.type", Role::MessagingOperation),
    ("messaging.operation", Role::MessagingOperation),
    (
        "attributes.messaging.operation.type",
        Role::MessagingOperation,
    ),
    ("span.kind", Role::SpanKind),
    ("span_kind", Role::SpanKind),
    ("otel.kind", Role::SpanKind),
    // tracing-opentelemetry's `otel.kind` field on a Rust `tracing` span, as tracing-subscriber's
    // JSON writes the current span.
    ("span.otel.kind", Role::SpanKind),
    ("grpc.service", Role::GrpcService),
    ("grpc.method", Role::GrpcMethod),
    // Stack traces embedded in the JSON.
    ("stack_trace", Role::Stack),
    ("stacktrace", Role::Stack),
    ("stack", Role::Stack),
    ("err.stack", Role::Stack),
    ("error.stack_trace", Role::Stack),
    ("error.stack", Role::Stack),
    ("exception", Role::Stack),
    ("@x", Role::Stack),
    ("exc_info", Role::Stack),
];

/// The rank of the first built-in alias of a role (how a found value tells which alias it
/// came from); ranks are positions in [`BUILTIN_ALIASES`], from 1.
pub fn first_rank_of(role: Role) -> i32 {
    BUILTIN_ALIASES
        .iter()
        .position(|(_, r)| *r == role)
        .map_or(-1, |i| i as i32 + 1)
}

/// A field alias with its rank: lower ranks win.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alias {
    /// What the field means.
    pub role: Role,
    /// Rank among the aliases of the same slot; user overrides rank 0.
    pub rank: u16,
}

/// What the table knows of one path: one lookup per key answers everything the walker asks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathInfo {
    /// The alias, if the field means something.
    pub alias: Option<Alias>,
    /// Some alias lies below this path, so an object here is worth descending into.
    pub prefix: bool,
    /// The index of an extra path (`--where`).
    pub extra: Option<u8>,
}

/// The lookup table the extractor walks with: leaf paths and the prefixes leading to them.
#[derive(Debug, Clone)]
pub struct FieldTable {
    paths: HashMap<Box<[u8]>, PathInfo>,
    /// The same paths in an open-addressed index built for the per-key lookups of the
    /// extractor (every key of every line): a cheap hash of the first and last eight bytes.
    index: PathIndex,
}

/// Fields the user named on the command line; each beats every built-in alias of its role.
#[derive(Debug, Clone, Default)]
pub struct FieldOverrides {
    /// `--trace-field`.
    pub trace: Option<String>,
    /// `--span-field`.
    pub span: Option<String>,
    /// `--parent-field`.
    pub parent: Option<String>,
    /// `--time-field`.
    pub time: Option<String>,
    /// `--service-field`.
    pub service: Option<String>,
}

impl FieldTable {
    /// The built-in table plus the user's overrides.
    pub fn new(overrides: &FieldOverrides) -> FieldTable {
        let mut table = FieldTable {
            paths: HashMap::default(),
            index: PathIndex::default(),
        };
        let user = [
            (&overrides.trace, Role::Trace(Correlation)),
            (&overrides.span, Role::Span { decimal: false }),
            (&overrides.parent, Role::Parent { decimal: false }),
            (&overrides.time, Role::Time),
            (&overrides.service, Role::Service),
        ];
        for (path, role) in user {
            if let Some(path) = path {
                table.insert(path, Alias { role, rank: 0 });
            }
        }
        for (rank, (path, role)) in BUILTIN_ALIASES.iter().enumerate() {
            let rank = u16::try_from(rank + 1).unwrap_or(u16::MAX);
            table.insert(path, Alias { role: *role, rank });
        }
        table.index = PathIndex::new(&table.paths);
        table
    }

    /// Also extracts these paths (at most 64), whatever they mean; their values come back in
    /// [`crate::records::extract::Extracted::extras`] under their index.
    pub fn with_extra_paths(mut self, paths: &[String]) -> FieldTable {
        for (i, path) in paths.iter().enumerate().take(64) {
            self.paths.entry(path.as_bytes().into()).or_default().extra = Some(i as u8);
            self.insert_prefixes(path);
        }
        self.index = PathIndex::new(&self.paths);
        self
    }

    fn insert(&mut self, path: &str, alias: Alias) {
        // The first insertion of a path wins, so user overrides shadow built-ins.
        let info = self.paths.entry(path.as_bytes().into()).or_default();
        if info.alias.is_none() {
            info.alias = Some(alias);
        }
        self.insert_prefixes(path);
    }

    fn insert_prefixes(&mut self, path: &str) {
        let mut end = 0;
        while let Some(dot) = path[end..].find('.') {
            end += dot;
            self.paths
                .entry(path.as_bytes()[..end].into())
                .or_default()
                .prefix = true;
            end += 1;
        }
    }

    /// Everything known of a path (nothing for most keys of most lines).
    pub fn lookup(&self, path: &str) -> Option<PathInfo> {
        self.lookup_bytes(path.as_bytes())
    }

    /// [`FieldTable::lookup`] for a path as bytes (keys straight from the line).
    pub fn lookup_bytes(&self, path: &[u8]) -> Option<PathInfo> {
        self.index.get(path)
    }

    /// The alias for a full path, if the field means something.
    pub fn leaf(&self, path: &str) -> Option<Alias> {
        self.lookup(path).and_then(|i| i.alias)
    }

    /// Whether some alias lies below this path, so an object here is worth descending into.
    pub fn is_prefix(&self, path: &str) -> bool {
        self.lookup(path).is_some_and(|i| i.prefix)
    }
}

/// An open-addressed hash index over the table's paths, linear probing, at most 1/4 full.
#[derive(Debug, Clone, Default)]
struct PathIndex {
    /// Index into `entries` plus one; zero marks an empty slot.
    slots: Vec<u32>,
    entries: Vec<IndexEntry>,
}

#[derive(Debug, Clone)]
struct IndexEntry {
    /// Length and first and last eight bytes: equal words mean equal paths up to 16 bytes.
    words: PathWords,
    path: Box<[u8]>,
    info: PathInfo,
}

impl PathIndex {
    fn new(paths: &HashMap<Box<[u8]>, PathInfo>) -> PathIndex {
        let size = (paths.len() * 4).next_power_of_two().max(16);
        let mut index = PathIndex {
            slots: vec![0; size],
            entries: Vec::with_capacity(paths.len()),
        };
        for (path, info) in paths {
            let words = PathWords::of(path);
            let mut slot = words.hash() as usize & (size - 1);
            while index.slots[slot] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            index.entries.push(IndexEntry {
                words,
                path: path.clone(),
                info: *info,
            });
            index.slots[slot] = index.entries.len() as u32;
        }
        index
    }

    #[inline]
    fn get(&self, path: &[u8]) -> Option<PathInfo> {
        let mask = self.slots.len().checked_sub(1)?;
        let words = PathWords::of(path);
        let mut slot = words.hash() as usize & mask;
        loop {
            let entry = *self.slots.get(slot)?;
            let e = self.entries.get(entry.checked_sub(1)? as usize)?;
            if e.words == words && (path.len() <= 16 || *e.path == *path) {
                return Some(e.info);
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// A path's length with its first and last eight bytes (zero-padded when shorter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PathWords {
    len: usize,
    head: u64,
    tail: u64,
}

impl PathWords {
    #[inline]
    fn of(path: &[u8]) -> PathWords {
        let len = path.len();
        let (head, tail) = if len >= 8 {
            let word =
                |at: usize| u64::from_le_bytes(path[at..at + 8].try_into().unwrap_or_default());
            (word(0), word(len - 8))
        } else {
            // A byte loop, not a variable-length copy: no call to memcpy per key.
            let head = path
                .iter()
                .rev()
                .fold(0u64, |v, &b| (v << 8) | u64::from(b));
            (head, 0)
        };
        PathWords { len, head, tail }
    }

    #[inline]
    fn hash(self) -> u64 {
        let mixed = (self.head ^ self.tail.rotate_left(23) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        mixed ^ (mixed >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_rank_first_and_prefixes_exist() {
        let t = FieldTable::new(&FieldOverrides {
            trace: Some("ctx.tid".into()),
            ..Default::default()
        });
        assert_eq!(t.leaf("ctx.tid").map(|a| a.rank), Some(0));
        assert!(t.is_prefix("ctx"));
        assert!(t.is_prefix("dd"));
        assert!(t.is_prefix("resource.service"));
        assert!(t.leaf("trace_id").is_some());
        assert!(t.leaf("nope").is_none());
    }

    #[test]
    fn the_index_finds_every_path_and_nothing_else() {
        let t = FieldTable::new(&FieldOverrides::default()).with_extra_paths(&["a.b.c".into()]);
        for (path, info) in &t.paths {
            assert_eq!(t.lookup_bytes(path), Some(*info), "{path:?}");
        }
        for absent in ["", "x", "trace_i", "trace_idx", "hostname", "a.b.c.d"] {
            assert_eq!(t.lookup(absent), None, "{absent}");
        }
    }
}
