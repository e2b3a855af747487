//! Which JSON keys mean what: the alias tables of `log-formats.md` as data.
//!
//! A path is the keys from the top of the object joined with `.`, so the flat key
//! `"dd.trace_id"` and the nested `{"dd":{"trace_id":…}}` are the same path. Array elements take
//! their array's path (the .NET `Scopes` array). Within a role, earlier aliases win.

use rustc_hash::FxHashMap as HashMap;

use crate::records::duration::DurationUnit;
use crate::records::ids::IdSyntax;
use crate::records::level::NumericLevelScale;

pub use crate::records::aliases::{first_rank_of, BUILTIN_ALIASES};

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
    /// The path is Seq's `@t`, whose time the decoder reads with CLEF's rules; kept here so
    /// the walkers need not compare the path of every value they record.
    pub clef_time: bool,
    /// The alias's [`Slot`] as an index, worked out once here rather than for every value.
    pub slot: u8,
}

/// The lookup table the extractor walks with: leaf paths and the prefixes leading to them.
#[derive(Debug, Clone)]
pub struct FieldTable {
    paths: HashMap<Box<[u8]>, PathInfo>,
    /// The same paths in an open-addressed index built for the per-key lookups of the
    /// extractor (every key of every line): a cheap hash of the first and last eight bytes.
    index: PathIndex,
    /// Different for every table built, so that what was learned with one table (the
    /// skimmer's shapes) is never used with another.
    generation: u64,
}

/// The next [`FieldTable::generation`].
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
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

impl Role {
    /// The role's values mean the same written as a string as written as a JSON number or
    /// object: ids, statuses and names, not durations, times or levels.
    fn reads_as_text(self) -> bool {
        matches!(
            self,
            Role::Trace(_)
                | Role::Span { .. }
                | Role::Parent { .. }
                | Role::Transaction
                | Role::Status
                | Role::Name
                | Role::HttpMethod
                | Role::HttpPath
                | Role::DbStatement
                | Role::GrpcService
                | Role::GrpcMethod
                | Role::SpanKind
                | Role::DbSystem
                | Role::MessagingDestination
                | Role::MessagingOperation
        )
    }
}

impl FieldTable {
    /// The built-in table plus the user's overrides.
    pub fn new(overrides: &FieldOverrides) -> FieldTable {
        let mut table = FieldTable {
            paths: HashMap::default(),
            index: PathIndex::default(),
            generation: 0,
        };
        let user = [
            (&overrides.trace, Role::Trace(IdSyntax::Correlation)),
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
        // The OpenTelemetry Collector's ClickHouse exporter keeps a record's attributes in
        // `LogAttributes` (rows of `otel_logs` as JSON, and `--source`'s answers): the ones
        // that are text in any library are read as the record's own keys would be, each below
        // every key of the record itself. Its values are all strings (`Map(String, String)`),
        // so numbers whose unit the key told (durations, epoch times, numeric levels) are not.
        let below = BUILTIN_ALIASES.len();
        for (rank, (path, role)) in BUILTIN_ALIASES.iter().enumerate() {
            if role.reads_as_text() {
                let rank = u16::try_from(below + rank + 1).unwrap_or(u16::MAX);
                table.insert(
                    &format!("LogAttributes.{path}"),
                    Alias { role: *role, rank },
                );
            }
        }
        table.index = PathIndex::new(&table.paths);
        table.generation = next_generation();
        table
    }

    /// Which table this is: equal only for a table and its clones.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Also extracts these paths (at most 64), whatever they mean; their values come back in
    /// [`crate::records::extract::Extracted::extras`] under their index.
    pub fn with_extra_paths(mut self, paths: &[String]) -> FieldTable {
        for (i, path) in paths.iter().enumerate().take(64) {
            self.paths.entry(path.as_bytes().into()).or_default().extra = Some(i as u8);
            self.insert_prefixes(path);
        }
        self.index = PathIndex::new(&self.paths);
        self.generation = next_generation();
        self
    }

    fn insert(&mut self, path: &str, alias: Alias) {
        // The first insertion of a path wins, so user overrides shadow built-ins.
        let info = self.paths.entry(path.as_bytes().into()).or_default();
        if info.alias.is_none() {
            info.alias = Some(alias);
            info.clef_time = path == "@t";
            info.slot = alias.role.slot() as u8;
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
