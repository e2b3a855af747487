//! Statistics over many traces: per service and per operation, and who sits on critical paths.

use std::collections::BTreeMap;

use crate::traces::summary::TraceSummary;
use crate::traces::tree::SpanKind;

/// Durations and errors of a group of spans.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRow {
    /// The service.
    pub service: String,
    /// The operation (normalised: ids in paths and statements become `{id}`), or none for a
    /// per-service row.
    pub operation: Option<String>,
    /// Spans.
    pub spans: u64,
    /// Failed spans.
    pub errors: u64,
    /// Duration percentiles (nearest rank) and maximum, in nanoseconds.
    pub p50_ns: i64,
    /// 95th percentile.
    pub p95_ns: i64,
    /// 99th percentile.
    pub p99_ns: i64,
    /// Maximum.
    pub max_ns: i64,
}

impl StatsRow {
    /// Failed spans over spans.
    pub fn error_rate(&self) -> f64 {
        if self.spans == 0 {
            0.0
        } else {
            self.errors as f64 / self.spans as f64
        }
    }
}

/// The statistics of a set of traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Traces counted.
    pub traces: usize,
    /// One row per service, by span count.
    pub services: Vec<StatsRow>,
    /// One row per service and operation, by span count.
    pub operations: Vec<StatsRow>,
    /// Services by the number of traces whose critical path runs through them.
    pub critical_path: Vec<(String, u64)>,
}

#[derive(Default)]
struct Group {
    errors: u64,
    durations: Vec<i64>,
}

/// Replaces ids in an operation name with `{id}`: runs of 3 or more digits, and hex runs of 8
/// or more with a digit, so `GET /orders/3632570` and `GET /orders/12` stay one operation.
pub fn normalize_operation(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let digits = bytes[i..i + run]
            .iter()
            .filter(|b| b.is_ascii_digit())
            .count();
        let starts_token = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let is_id = starts_token && ((digits == run && run >= 3) || (run >= 8 && digits > 0));
        if is_id {
            out.push_str("{id}");
            i += run;
        } else if run > 0 {
            out.push_str(&name[i..i + run]);
            i += run;
        } else {
            // Copy one whole character (names may be any UTF-8).
            let ch = name[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&name[i..i + ch]);
            i += ch;
        }
    }
    out
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn rows(groups: BTreeMap<(String, Option<String>), Group>) -> Vec<StatsRow> {
    let mut rows: Vec<StatsRow> = groups
        .into_iter()
        .map(|((service, operation), mut g)| {
            g.durations.sort_unstable();
            StatsRow {
                service,
                operation,
                spans: g.durations.len() as u64,
                errors: g.errors,
                p50_ns: percentile(&g.durations, 50.0),
                p95_ns: percentile(&g.durations, 95.0),
                p99_ns: percentile(&g.durations, 99.0),
                max_ns: g.durations.last().copied().unwrap_or(0),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.spans
            .cmp(&a.spans)
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.operation.cmp(&b.operation))
    });
    rows
}

/// Computes the statistics of `traces`.
pub fn compute_stats(traces: &[TraceSummary]) -> Stats {
    let mut services: BTreeMap<(String, Option<String>), Group> = BTreeMap::new();
    let mut operations: BTreeMap<(String, Option<String>), Group> = BTreeMap::new();
    let mut critical: BTreeMap<String, u64> = BTreeMap::new();
    for t in traces {
        let mut on_path: Vec<&str> = Vec::new();
        for n in &t.tree.nodes {
            if n.kind == SpanKind::Placeholder {
                continue;
            }
            if n.critical && !on_path.contains(&n.service.as_str()) {
                on_path.push(&n.service);
            }
            let Some(d) = n.duration_ns() else { continue };
            let op = normalize_operation(&n.name);
            for (map, key) in [
                (&mut services, (n.service.clone(), None)),
                (&mut operations, (n.service.clone(), Some(op.clone()))),
            ] {
                let g = map.entry(key).or_default();
                g.durations.push(d);
                g.errors += u64::from(n.error);
            }
        }
        for s in on_path {
            *critical.entry(s.to_string()).or_insert(0) += 1;
        }
    }
    let mut critical_path: Vec<(String, u64)> = critical.into_iter().collect();
    critical_path.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Stats {
        traces: traces.len(),
        services: rows(services),
        operations: rows(operations),
        critical_path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_lose_their_ids() {
        let rows = [
            ("GET /api/orders/3632570", "GET /api/orders/{id}"),
            ("GET user:101801", "GET user:{id}"),
            (
                "HMGET features:user:303132 velocity_1h",
                "HMGET features:user:{id} velocity_1h",
            ),
            ("POST /v1/charges", "POST /v1/charges"),
            ("GET /t/4bf92f3577b34da6", "GET /t/{id}"),
            ("cache 東京 42", "cache 東京 42"),
            ("deadbeef", "deadbeef"),
        ];
        for (name, want) in rows {
            assert_eq!(normalize_operation(name), want, "{name}");
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let d: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&d, 50.0), 50);
        assert_eq!(percentile(&d, 95.0), 95);
        assert_eq!(percentile(&d, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
