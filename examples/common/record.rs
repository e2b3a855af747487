//! The truth of one generated trace, and the needles chosen among them.

use std::collections::BTreeMap;

use crate::common::gen::{Gen, Kind, Sp, MESH};
use crate::common::timefmt::rfc3339_string;
use crate::common::truth::{Needle, SpanTruth, Spelling, TraceTruth};

/// Chooses the needles as traces go by.
#[derive(Default)]
pub(crate) struct NeedlePicker {
    rare: Option<(u32, String)>,
    frequent: Option<(u32, String)>,
    typical: Option<(usize, usize, u32, String)>,
    error: Option<(u32, String)>,
}

impl NeedlePicker {
    pub(crate) fn see(&mut self, t: &TraceTruth, n: u64) {
        let id = || t.trace_id.clone();
        let all_hex = t.spellings.iter().all(|s| s.form == "hex");
        if all_hex && t.lines >= 2 && self.rare.as_ref().is_none_or(|r| t.lines < r.0) {
            self.rare = Some((t.lines, id()));
        }
        if self.frequent.as_ref().is_none_or(|r| t.lines > r.0) {
            self.frequent = Some((t.lines, id()));
        }
        let key = (t.lines_by_service.len(), t.spellings.len());
        if self.typical.as_ref().is_none_or(|r| key > (r.0, r.1)) {
            self.typical = Some((key.0, key.1, t.lines, id()));
        }
        // A failed request some way into the run, not the first one.
        if t.error && t.kind == "request" && (self.error.is_none() || n.is_multiple_of(7)) {
            self.error = Some((t.lines, id()));
        }
    }

    pub(crate) fn finish(self, absent: String) -> BTreeMap<String, Needle> {
        let mut m = BTreeMap::new();
        let mut put = |name: &str, v: Option<(u32, String)>, why: &str| {
            if let Some((lines, trace_id)) = v {
                m.insert(
                    name.to_string(),
                    Needle {
                        trace_id,
                        lines,
                        why: why.to_string(),
                    },
                );
            }
        };
        put("rare", self.rare, "the smallest trace spelled in hex only");
        put("frequent", self.frequent, "the trace with the most lines");
        put(
            "typical",
            self.typical.map(|t| (t.2, t.3)),
            "the request touching the most services and spellings",
        );
        put("error", self.error, "a request whose root failed");
        put("absent", Some((0, absent)), "an id found nowhere");
        m
    }
}

impl Gen {
    /// The truth of a trace whose lines were just written.
    pub(crate) fn truth(
        &mut self,
        trace: u128,
        kind: &str,
        route: String,
        spans: &[Sp],
    ) -> TraceTruth {
        self.totals.traces += 1;
        self.totals.spans += spans.len() as u64;
        let mut by_service: BTreeMap<String, u32> = BTreeMap::new();
        let mut spellings: BTreeMap<String, Spelling> = BTreeMap::new();
        let mut out = Vec::with_capacity(spans.len());
        let mut lines = 0;
        for sp in spans {
            let (svc, conv, offset) = if sp.svc == MESH {
                ("istio-proxy", None, 0)
            } else {
                let s = &self.svcs[sp.svc];
                (s.name, Some(s.conv), s.offset_ns)
            };
            if sp.lines > 0 {
                let conv = conv.expect("a logged span has a service");
                *by_service.entry(svc.to_string()).or_default() += sp.lines;
                lines += sp.lines;
                let value = conv.trace_value(
                    trace,
                    if conv.spelling() == "traceparent" {
                        spans[0].id
                    } else {
                        0
                    },
                );
                let key = conv.spelling().to_string();
                let e = spellings.entry(key.clone()).or_insert_with(|| Spelling {
                    value,
                    form: key,
                    services: Vec::new(),
                });
                if !e.services.iter().any(|s| s == svc) {
                    e.services.push(svc.to_string());
                }
            }
            let ids = conv.is_some_and(|c| c.logs_span_ids());
            out.push(SpanTruth {
                span_id: format!("{:016x}", sp.id),
                parent_span_id: sp.parent.map(|p| format!("{:016x}", spans[p].id)),
                service: svc.to_string(),
                name: sp.name.clone(),
                kind: match sp.kind {
                    Kind::Server if sp.is_async => "consumer",
                    Kind::Server => "server",
                    Kind::Client => "client",
                    Kind::Producer => "producer",
                    Kind::Mesh => "client",
                }
                .to_string(),
                start: rfc3339_string(sp.start + offset),
                start_unix_ns: sp.start + offset,
                true_start_unix_ns: sp.start,
                duration_ms: (sp.end - sp.start) as f64 / 1e6,
                error: sp.error,
                status: sp.status.filter(|_| sp.kind == Kind::Server),
                lines: sp.lines,
                logged: sp.lines > 0,
                span_id_logged: ids,
                parent_logged: sp.parent.is_some() && sp.parent_logged,
                span_id_decimal: (conv == Some(crate::common::conventions::Conv::Datadog))
                    .then(|| sp.id.to_string()),
                is_async: sp.is_async,
            });
        }
        let root = &out[0];
        TraceTruth {
            trace_id: format!("{trace:032x}"),
            kind: kind.to_string(),
            route,
            root_span_id: root.span_id.clone(),
            root_service: root.service.clone(),
            start: root.start.clone(),
            duration_ms: root.duration_ms,
            error: root.error,
            spellings: spellings.into_values().collect(),
            lines,
            lines_by_service: by_service,
            stack_lines: self.stack_lines,
            spans_truncated: false,
            span_count: out.len(),
            spans: out,
        }
    }
}
