//! Views of a decoded line: the [`LineFields`] every consumer reads through, a borrowed
//! [`LineView`] over the extracted fields (views of every trace, which keep nothing of most
//! lines), and [`AnyLine`], a view or a span of a whole-trace document.

use crate::records::call::CallKind;
use crate::records::decode::{
    bunyan_name, call_of, decode, decode_ids, duration_of, level_of, name_of, service_hint_of,
    status_of, text_of, time_of, LineIds, StatusValue,
};
use crate::records::envelope;
use crate::records::extract::Extracted;
use crate::records::fields::{Role, Slot};
use crate::records::level::Level;
use crate::records::template;
use crate::records::time::Nanos;
use crate::records::Decoded;

/// The fields of a line, however they are held: owned ([`Decoded`]) or borrowed
/// ([`LineView`]). Text comes back owned, and only when asked for.
pub trait LineFields {
    /// The ids.
    fn ids(&self) -> LineIds;
    /// The time.
    fn time(&self) -> Option<Nanos>;
    /// The duration the line reports.
    fn duration_ns(&self) -> Option<i64>;
    /// The level.
    fn level(&self) -> Option<Level>;
    /// The service.
    fn service(&self) -> Option<String>;
    /// A logger name.
    fn service_hint(&self) -> Option<String>;
    /// The operation name.
    fn name(&self) -> Option<String>;
    /// The message.
    fn message(&self) -> Option<String>;
    /// What kind of call the line's span is.
    fn call(&self) -> CallKind;
    /// The HTTP or gRPC status (read for a span's outcome on every line of `--all`, so it
    /// does not allocate).
    fn status(&self) -> Option<StatusValue<'_>>;
}

impl LineFields for Decoded {
    fn ids(&self) -> LineIds {
        LineIds {
            trace: self.trace.clone(),
            correlation: self.correlation.clone(),
            span: self.span,
            parent: self.parent,
            parent_hint: self.parent_hint,
        }
    }
    fn time(&self) -> Option<Nanos> {
        self.time
    }
    fn duration_ns(&self) -> Option<i64> {
        self.duration_ns
    }
    fn level(&self) -> Option<Level> {
        self.level
    }
    fn service(&self) -> Option<String> {
        self.service.clone()
    }
    fn service_hint(&self) -> Option<String> {
        self.service_hint.clone()
    }
    fn name(&self) -> Option<String> {
        self.name.clone()
    }
    fn message(&self) -> Option<String> {
        self.message.clone()
    }
    fn call(&self) -> CallKind {
        self.call
    }
    fn status(&self) -> Option<StatusValue<'_>> {
        self.status
            .as_deref()
            .map(|s| StatusValue::Text(std::borrow::Cow::Borrowed(s)))
    }
}

impl LineFields for LineView<'_> {
    fn ids(&self) -> LineIds {
        decode_ids(self.e)
    }
    fn time(&self) -> Option<Nanos> {
        time_of(self.e).or(self.env.time)
    }
    fn duration_ns(&self) -> Option<i64> {
        duration_of(self.e)
    }
    fn level(&self) -> Option<Level> {
        level_of(self.e).or(self.env.level)
    }
    fn service(&self) -> Option<String> {
        text_of(self.e, Slot::Service)
            .or_else(|| self.env.service())
            .or_else(|| bunyan_name(self.e))
    }
    fn service_hint(&self) -> Option<String> {
        service_hint_of(self.e)
    }
    fn name(&self) -> Option<String> {
        name_of(self.e)
    }
    fn message(&self) -> Option<String> {
        self.message_text().map(std::borrow::Cow::into_owned)
    }
    fn call(&self) -> CallKind {
        call_of(self.e)
    }
    fn status(&self) -> Option<StatusValue<'_>> {
        status_of(self.e)
    }
}

/// A line handed to a sink: borrowed from the input, or decoded from a whole-trace document.
pub enum AnyLine<'a> {
    /// A log line, viewed in place.
    View(&'a LineView<'a>),
    /// A span or log record of a whole-trace document.
    Decoded(&'a Decoded),
}

impl AnyLine<'_> {
    /// The line as logged (the JSON inside any envelope), when there is one line.
    pub fn payload(&self) -> Option<&[u8]> {
        match self {
            AnyLine::View(v) => Some(v.payload()),
            AnyLine::Decoded(_) => None,
        }
    }

    /// The message, borrowed where possible.
    pub fn message_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            AnyLine::View(v) => v.message_text(),
            AnyLine::Decoded(d) => d.message.as_deref().map(std::borrow::Cow::Borrowed),
        }
    }

    /// The service the line names (in its JSON or its envelope), borrowed where possible.
    pub fn service_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            AnyLine::View(v) => {
                v.e.get(Slot::Service)
                    .map(|f| f.value.as_text())
                    .or_else(|| v.env.service().map(std::borrow::Cow::Owned))
            }
            AnyLine::Decoded(d) => d.service.as_deref().map(std::borrow::Cow::Borrowed),
        }
    }

    /// Values of the table's extra paths, by index.
    pub fn extras(&self) -> Vec<(u8, std::borrow::Cow<'_, str>)> {
        match self {
            AnyLine::View(v) => v.extras().collect(),
            AnyLine::Decoded(d) => d
                .extras
                .iter()
                .map(|(i, s)| (*i, std::borrow::Cow::Borrowed(s.as_str())))
                .collect(),
        }
    }
}

impl LineFields for AnyLine<'_> {
    fn ids(&self) -> LineIds {
        match self {
            AnyLine::View(v) => v.ids(),
            AnyLine::Decoded(d) => d.ids(),
        }
    }
    fn time(&self) -> Option<Nanos> {
        match self {
            AnyLine::View(v) => v.time(),
            AnyLine::Decoded(d) => d.time(),
        }
    }
    fn duration_ns(&self) -> Option<i64> {
        match self {
            AnyLine::View(v) => v.duration_ns(),
            AnyLine::Decoded(d) => d.duration_ns(),
        }
    }
    fn level(&self) -> Option<Level> {
        match self {
            AnyLine::View(v) => v.level(),
            AnyLine::Decoded(d) => d.level(),
        }
    }
    fn service(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => v.service(),
            AnyLine::Decoded(d) => d.service(),
        }
    }
    fn service_hint(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => v.service_hint(),
            AnyLine::Decoded(d) => d.service_hint(),
        }
    }
    fn name(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => v.name(),
            AnyLine::Decoded(d) => d.name(),
        }
    }
    fn message(&self) -> Option<String> {
        match self {
            AnyLine::View(v) => LineFields::message(*v),
            AnyLine::Decoded(d) => LineFields::message(*d),
        }
    }
    fn call(&self) -> CallKind {
        match self {
            AnyLine::View(v) => v.call(),
            AnyLine::Decoded(d) => d.call,
        }
    }
    fn status(&self) -> Option<StatusValue<'_>> {
        match self {
            AnyLine::View(v) => v.status(),
            AnyLine::Decoded(d) => d.status(),
        }
    }
}

/// A decoded view of one line that borrows from it: cheap fields are computed on demand, and
/// text fields are only copied when asked for. Used where most lines are summed up rather
/// than kept (views of all traces).
pub struct LineView<'v> {
    e: &'v Extracted<'v>,
    env: &'v envelope::Envelope<'v>,
}

impl<'v> LineView<'v> {
    /// A view of an extracted line inside its envelope.
    pub fn new(e: &'v Extracted<'v>, env: &'v envelope::Envelope<'v>) -> LineView<'v> {
        LineView { e, env }
    }

    /// The application's JSON line, inside its envelopes.
    pub fn payload(&self) -> &[u8] {
        self.env.payload
    }

    /// The extracted fields.
    pub fn extracted(&self) -> &Extracted<'v> {
        self.e
    }

    /// The message, borrowed when it had no escapes and is no template (a Serilog `@mt` is
    /// rendered with the line's properties, which costs a parse of the line: only here, when
    /// the message is asked for).
    pub fn message_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        let found = self.e.get(Slot::Message)?;
        let text = found.value.as_text();
        if found.role == Role::Template && text.contains('{') {
            return Some(template::render_with_line(&text, self.env.payload).into());
        }
        Some(text)
    }

    /// Values of the table's extra paths, by index.
    pub fn extras(&self) -> impl Iterator<Item = (u8, std::borrow::Cow<'_, str>)> {
        self.e.extras.iter().map(|(i, v)| (*i, v.as_text()))
    }

    /// Every field, owned.
    pub fn decode(&self) -> Decoded {
        let mut d = decode(self.e);
        if self
            .e
            .get(Slot::Message)
            .is_some_and(|f| f.role == Role::Template)
        {
            d.message = self.message_text().map(std::borrow::Cow::into_owned);
        }
        d.time = d.time.or(self.env.time);
        d.level = d.level.or(self.env.level);
        if d.service.is_none() {
            d.service = self.env.service();
        }
        d
    }
}
