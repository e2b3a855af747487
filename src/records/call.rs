//! What kind of call a line's span is, as far as its fields tell.
//!
//! Where no line names a span's parent, the tree places it by evidence; the kind decides what
//! may be a parent. A database or cache call is a leaf, and a message consumer hangs under the
//! producer that sent to the same destination (OpenTelemetry's `messaging.*` conventions).

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

/// The kind of call a span is. Spans merge the kinds of their lines with [`CallKind::merge`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// Nothing on the line says.
    #[default]
    Unknown,
    /// A database or cache client call (`db.system`, `db.statement`): never a parent unless a
    /// line names it.
    Database,
    /// Sends a message to a destination (a hash of its name).
    Publish(u32),
    /// Handles a message from a destination (a hash of its name).
    Consume(u32),
    /// Names a destination without saying which way the message goes.
    Messaging(u32),
}

impl CallKind {
    /// The span's kind from the kinds of two of its lines: the more telling one wins, the
    /// first on a tie.
    pub fn merge(self, other: CallKind) -> CallKind {
        if other.weight() > self.weight() {
            other
        } else {
            self
        }
    }

    fn weight(self) -> u8 {
        match self {
            CallKind::Unknown => 0,
            CallKind::Messaging(_) => 1,
            CallKind::Database => 2,
            CallKind::Publish(_) | CallKind::Consume(_) => 3,
        }
    }

    /// The destination a messaging span names.
    pub fn destination(self) -> Option<u32> {
        match self {
            CallKind::Publish(d) | CallKind::Consume(d) | CallKind::Messaging(d) => Some(d),
            _ => None,
        }
    }

    /// A leaf: a database call, or a message sent (the consumer is a follows-from child, not
    /// a synchronous one).
    pub fn is_leaf(self) -> bool {
        matches!(self, CallKind::Database | CallKind::Publish(_))
    }
}

/// The kind from the fields of one line: an explicit span kind (`span.kind`, `otel.kind`), a
/// messaging destination with its operation (or, without one, the verb of the message), or
/// database fields. Each argument is the field's text, when the line has it.
pub fn call_kind(
    span_kind: Option<&str>,
    destination: Option<&str>,
    operation: Option<&str>,
    database: bool,
    message: Option<&str>,
) -> CallKind {
    let dest = destination.map(destination_hash);
    let by_kind = span_kind.and_then(|k| {
        let k = k.trim();
        if k.eq_ignore_ascii_case("producer") || k.eq_ignore_ascii_case("SPAN_KIND_PRODUCER") {
            Some(CallKind::Publish(dest.unwrap_or(0)))
        } else if k.eq_ignore_ascii_case("consumer") || k.eq_ignore_ascii_case("SPAN_KIND_CONSUMER")
        {
            Some(CallKind::Consume(dest.unwrap_or(0)))
        } else {
            None
        }
    });
    if let Some(kind) = by_kind {
        return kind;
    }
    if let Some(dest) = dest {
        let verb = operation.or(message).unwrap_or("");
        return match direction(verb) {
            Some(true) => CallKind::Publish(dest),
            Some(false) => CallKind::Consume(dest),
            None => CallKind::Messaging(dest),
        };
    }
    if database {
        return CallKind::Database;
    }
    CallKind::Unknown
}

/// `Some(true)` for a verb of sending, `Some(false)` for one of receiving.
fn direction(verb: &str) -> Option<bool> {
    let verb = verb.to_ascii_lowercase();
    const SEND: [&str; 4] = ["publish", "send", "produc", "enqueue"];
    const RECEIVE: [&str; 6] = ["process", "receiv", "consum", "deliver", "handl", "dequeue"];
    // `sent` as a word: "message sent" is how many producers log it, and the stem `sen`
    // would match "consent" or "absent".
    let sent = || {
        verb.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == "sent")
    };
    if SEND.iter().any(|w| verb.contains(w)) || sent() {
        Some(true)
    } else if RECEIVE.iter().any(|w| verb.contains(w)) {
        Some(false)
    } else {
        None
    }
}

/// A destination's name as a small hash (0 is kept for "unknown destination").
fn destination_hash(name: &str) -> u32 {
    let mut h = FxHasher::default();
    name.trim().hash(&mut h);
    (h.finish() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messaging_direction_comes_from_the_operation_or_the_message() {
        let p = call_kind(
            None,
            Some("stock.changed"),
            None,
            false,
            Some("publishing message"),
        );
        let c = call_kind(None, Some("stock.changed"), Some("process"), false, None);
        assert!(matches!(p, CallKind::Publish(_)));
        assert!(matches!(c, CallKind::Consume(_)));
        assert_eq!(p.destination(), c.destination());
        let other = call_kind(None, Some("order.created"), Some("process"), false, None);
        assert_ne!(other.destination(), c.destination());
        assert!(matches!(
            call_kind(None, Some("q"), None, false, Some("done")),
            CallKind::Messaging(_)
        ));
        assert!(matches!(
            call_kind(None, Some("orders"), None, false, Some("message sent")),
            CallKind::Publish(_)
        ));
        assert!(matches!(
            call_kind(None, Some("orders"), None, false, Some("queue absent")),
            CallKind::Messaging(_)
        ));
        assert_eq!(call_kind(None, None, None, true, None), CallKind::Database);
        assert!(matches!(
            call_kind(Some("consumer"), None, None, true, None),
            CallKind::Consume(0)
        ));
    }

    #[test]
    fn a_span_keeps_its_most_telling_kind() {
        let m = CallKind::Messaging(3);
        let p = CallKind::Publish(3);
        assert_eq!(CallKind::Unknown.merge(m).merge(p).merge(m), p);
        assert_eq!(
            CallKind::Database.merge(CallKind::Unknown),
            CallKind::Database
        );
    }
}
