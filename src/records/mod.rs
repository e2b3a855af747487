//! Records: from the bytes of one log line to a small owned [`Record`].
//!
//! The stage owns the byte-level prefilter ([`scan`]), the field alias tables ([`fields`]), the
//! one-pass extractor ([`extract`]) and the decoders for ids, times, levels and durations. It
//! hands [`Record`]s to the traces stage and knows nothing of terminals.

pub mod aliases;
pub mod block;
pub(crate) mod bytes;
pub mod call;
pub mod context;
pub mod continuation;
pub mod decode;
pub mod duration;
pub mod envelope;
pub mod extract;
pub mod fields;
mod float_epoch;
pub mod geometry;
mod hex;
pub mod ids;
pub mod level;
pub mod lines;
pub mod payload;
pub mod prefilter;
pub mod scan;
pub mod service;
mod shape;
pub mod skim;
pub mod template;
pub mod time;
pub mod view;
pub mod walk;
pub mod whole;

pub use crate::records::decode::{decode, decode_ids, decode_trace, LineIds, StatusValue};
pub use crate::records::view::{AnyLine, LineFields, LineView};

use crate::records::call::CallKind;
use crate::records::ids::{SpanId, TraceKey};
use crate::records::level::Level;
use crate::records::time::Nanos;

/// Index of an input source (a file or stdin) in the run's source list.
pub type SourceId = u32;

/// Where a record's line lives, to sort by and to print it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineRef {
    /// The source.
    pub source: SourceId,
    /// Byte offset of the line's start in the (decompressed) source.
    pub offset: u64,
}

/// One log line of a trace, with what its fields say.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The trace the line belongs to.
    pub trace: TraceKey,
    /// The correlation id the line carries beside its trace id (a request id set by
    /// middleware): it links the lines that carry only that id to the trace.
    pub correlation: Option<TraceKey>,
    /// Its span.
    pub span: Option<SpanId>,
    /// The span's parent, as the line names it.
    pub parent: Option<SpanId>,
    /// A likely ancestor the line implies without naming a parent (ECS `transaction.id`):
    /// used to place the span in the tree, reported apart from logged parents.
    pub parent_hint: Option<SpanId>,
    /// When it was logged (UTC nanoseconds).
    pub time: Option<Nanos>,
    /// The duration the line reports, for the span it belongs to.
    pub duration_ns: Option<i64>,
    /// Severity.
    pub level: Option<Level>,
    /// The emitting service (the file name when the line names none).
    pub service: Option<String>,
    /// A logger name, used as the service when neither the line nor its source names one.
    pub service_hint: Option<String>,
    /// An operation name derived from the line's fields.
    pub name: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// HTTP or gRPC status.
    pub status: Option<String>,
    /// A stack trace carried in the JSON.
    pub stack: Option<String>,
    /// What kind of call the line's span is.
    pub call: CallKind,
    /// Where the line is.
    pub line: LineRef,
    /// The line as read (without its line terminator).
    pub raw: Box<[u8]>,
    /// Non-JSON lines that followed it (stack traces), without terminators.
    pub continuation: Vec<Box<[u8]>>,
    /// The line was not valid UTF-8 and was decoded lossily.
    pub lossy_utf8: bool,
}

/// The fields of a line decoded into typed values; `Record` minus where the line lives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// See [`Record::trace`].
    pub trace: Option<TraceKey>,
    /// See [`Record::correlation`].
    pub correlation: Option<TraceKey>,
    /// See [`Record::span`].
    pub span: Option<SpanId>,
    /// See [`Record::parent`].
    pub parent: Option<SpanId>,
    /// See [`Record::parent_hint`].
    pub parent_hint: Option<SpanId>,
    /// See [`Record::time`].
    pub time: Option<Nanos>,
    /// See [`Record::duration_ns`].
    pub duration_ns: Option<i64>,
    /// See [`Record::level`].
    pub level: Option<Level>,
    /// See [`Record::service`].
    pub service: Option<String>,
    /// See [`Record::service_hint`].
    pub service_hint: Option<String>,
    /// See [`Record::name`].
    pub name: Option<String>,
    /// See [`Record::message`].
    pub message: Option<String>,
    /// See [`Record::status`].
    pub status: Option<String>,
    /// See [`Record::stack`].
    pub stack: Option<String>,
    /// See [`Record::call`].
    pub call: CallKind,
    /// Text of the table's extra paths (`--where`), by index; empty unless asked for.
    pub extras: Vec<(u8, String)>,
}

/// A repeatable stream of random numbers for tests (xorshift64 from `seed`, not 0).
#[cfg(test)]
pub(crate) fn random_u64s(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::decode::*;
    use crate::records::extract::extract;
    use crate::records::fields::{FieldOverrides, FieldTable};

    fn ids(line: &str) -> LineIds {
        let table = FieldTable::new(&FieldOverrides::default());
        decode_ids(&extract(line.as_bytes(), &table).expect("JSON"))
    }

    #[test]
    fn a_logged_header_names_the_caller_next_to_the_lines_own_ids() {
        let own = r#""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"defd0d02d9ff6714""#;
        let header = r#""req":{"headers":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-820426c428368cee-01"}}"#;
        let both = ids(&format!("{{{own},{header}}}"));
        assert_eq!(both.span, Some(SpanId(0xdefd0d02d9ff6714)));
        assert_eq!(both.parent, Some(SpanId(0x820426c428368cee)));
        // A header of another trace says nothing about this line's spans.
        let other = header.replace(
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "0af7651916cd43dd8448eb211c80319c",
        );
        let apart = ids(&format!("{{{own},{other}}}"));
        assert_eq!(
            apart.trace,
            Some(TraceKey::Full(0x4bf92f3577b34da6a3ce929d0e0e4736))
        );
        assert_eq!(apart.parent, None);
        // Alone, the header is the trace and its span the line's.
        let alone = ids(&format!("{{{header}}}"));
        assert_eq!(
            alone.trace,
            Some(TraceKey::Full(0x4bf92f3577b34da6a3ce929d0e0e4736))
        );
        assert_eq!(alone.span, Some(SpanId(0x820426c428368cee)));
    }
}
