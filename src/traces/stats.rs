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

/// How many durations a group keeps: percentiles are exact up to this many spans per group and
/// estimated from a uniform sample (reservoir sampling) beyond, so memory stays bounded however
/// long a stream runs.
pub const SAMPLE_CAP: usize = 1 << 16;

/// Durations and errors of one group of spans, bounded at [`SAMPLE_CAP`] durations; shared
/// with the comparison with a baseline, so that both compute percentiles the same way.
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    pub(crate) spans: u64,
    pub(crate) errors: u64,
    max: i64,
    durations: Vec<i64>,
}

impl Group {
    /// Counts one span.
    pub(crate) fn add(&mut self, duration: i64, error: bool) {
        self.spans += 1;
        self.errors += u64::from(error);
        self.max = self.max.max(duration);
        if self.durations.len() < SAMPLE_CAP {
            self.durations.push(duration);
        } else {
            // Algorithm R with a deterministic generator: the same input gives the same output.
            let slot = (splitmix(self.spans) % self.spans) as usize;
            if slot < SAMPLE_CAP {
                self.durations[slot] = duration;
            }
        }
    }

    fn merge(&mut self, other: Group) {
        if self.durations.len() + other.durations.len() <= SAMPLE_CAP
            && self.spans == self.durations.len() as u64
            && other.spans == other.durations.len() as u64
        {
            self.spans += other.spans;
            self.errors += other.errors;
            self.max = self.max.max(other.max);
            self.durations.extend(other.durations);
            return;
        }
        // Past the cap, fold the other side's sample in as if its spans came one by one, each
        // standing for its share of the other group.
        let errors = self.errors + other.errors;
        let weight = other.spans.max(1) as f64 / other.durations.len().max(1) as f64;
        let target = self.spans + other.spans;
        let max = self.max.max(other.max);
        for (i, d) in other.durations.into_iter().enumerate() {
            let stand_in = self.spans + ((i as f64 + 1.0) * weight) as u64;
            self.spans = stand_in.min(target);
            let slot = (splitmix(self.spans) % self.spans.max(1)) as usize;
            if self.durations.len() < SAMPLE_CAP {
                self.durations.push(d);
            } else if slot < SAMPLE_CAP {
                self.durations[slot] = d;
            }
        }
        self.spans = target;
        self.errors = errors;
        self.max = max;
    }
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Replaces ids in an operation name with `{id}`: runs of 3 or more digits, hex runs of 8 or
/// more with a digit, and 1 or 2 digits where an id goes (after `:`, `/` or `=`, up to the end
/// of the segment), so `GET /orders/3632570` and `GET /orders/12`, `GET session:84` and
/// `GET session:7` are one operation each, while `v1`, `HTTP/1.1` and `oauth2` stay.
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
        let short_id = digits == run
            && (1..=2).contains(&run)
            && i > 0
            && matches!(bytes[i - 1], b':' | b'/' | b'=')
            && ends_segment(bytes.get(i + run).copied());
        let is_id =
            starts_token && ((digits == run && run >= 3) || (run >= 8 && digits > 0) || short_id);
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

/// Whether a short number ends where `next` (the byte after it, if any) is: the end of a path
/// segment, a key's value or the name, not a version's `.1` or a word going on (`7a`, `2_x`).
fn ends_segment(next: Option<u8>) -> bool {
    match next {
        None => true,
        Some(b) => !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':')),
    }
}

impl Group {
    /// p50, p95 and p99 (nearest rank) of the durations kept.
    pub(crate) fn percentiles(&mut self) -> [i64; 3] {
        self.durations.sort_unstable();
        [50.0, 95.0, 99.0].map(|p| percentile(&self.durations, p))
    }
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The order of the statistics' rows (`--sort` with `--stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatsOrder {
    /// Most spans first (the default).
    #[default]
    Spans,
    /// Slowest first, by p95 (then by maximum): what a latency budget is written against,
    /// and less noisy than the maximum.
    Duration,
    /// Most failed spans first, then the highest error rate.
    Errors,
}

fn rows(groups: BTreeMap<(String, Option<String>), Group>, order: StatsOrder) -> Vec<StatsRow> {
    let mut rows: Vec<StatsRow> = groups
        .into_iter()
        .map(|((service, operation), mut g)| {
            g.durations.sort_unstable();
            StatsRow {
                service,
                operation,
                spans: g.spans,
                errors: g.errors,
                p50_ns: percentile(&g.durations, 50.0),
                p95_ns: percentile(&g.durations, 95.0),
                p99_ns: percentile(&g.durations, 99.0),
                max_ns: g.max,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let first = match order {
            StatsOrder::Spans => std::cmp::Ordering::Equal,
            StatsOrder::Duration => (b.p95_ns, b.max_ns).cmp(&(a.p95_ns, a.max_ns)),
            StatsOrder::Errors => b
                .errors
                .cmp(&a.errors)
                .then_with(|| b.error_rate().total_cmp(&a.error_rate())),
        };
        first
            .then_with(|| b.spans.cmp(&a.spans))
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.operation.cmp(&b.operation))
    });
    rows
}

/// Statistics being gathered, one trace at a time; the trace's tree can go right after.
#[derive(Debug, Clone, Default)]
pub struct StatsAcc {
    traces: usize,
    services: BTreeMap<(String, Option<String>), Group>,
    operations: BTreeMap<(String, Option<String>), Group>,
    critical: BTreeMap<String, u64>,
}

impl StatsAcc {
    /// Counts one trace (its summary must still hold its tree).
    pub fn add(&mut self, t: &TraceSummary) {
        self.traces += 1;
        let mut on_path: Vec<&str> = Vec::new();
        for n in &t.tree().nodes {
            if n.kind == SpanKind::Placeholder {
                continue;
            }
            if n.critical && !on_path.contains(&n.service.as_str()) {
                on_path.push(&n.service);
            }
            let Some(d) = n.duration_ns() else { continue };
            let op = normalize_operation(&n.name);
            for (map, key) in [
                (&mut self.services, (n.service.clone(), None)),
                (&mut self.operations, (n.service.clone(), Some(op.clone()))),
            ] {
                map.entry(key).or_default().add(d, n.error);
            }
        }
        for s in on_path {
            *self.critical.entry(s.to_string()).or_insert(0) += 1;
        }
    }

    /// Folds in another accumulator (from a parallel task).
    pub fn merge(mut self, other: StatsAcc) -> StatsAcc {
        self.traces += other.traces;
        for (mine, theirs) in [
            (&mut self.services, other.services),
            (&mut self.operations, other.operations),
        ] {
            for (key, group) in theirs {
                match mine.get_mut(&key) {
                    Some(g) => g.merge(group),
                    None => {
                        mine.insert(key, group);
                    }
                }
            }
        }
        for (service, n) in other.critical {
            *self.critical.entry(service).or_insert(0) += n;
        }
        self
    }

    /// Counts one span known by its totals (a server's grouping of its lines): the same groups
    /// as [`StatsAcc::add`] makes of a tree's span. No critical path is known then.
    pub fn add_span(&mut self, service: &str, name: &str, duration_ns: i64, error: bool) {
        let op = normalize_operation(name);
        for (map, key) in [
            (&mut self.services, (service.to_string(), None)),
            (&mut self.operations, (service.to_string(), Some(op))),
        ] {
            map.entry(key).or_default().add(duration_ns, error);
        }
    }

    /// Counts traces whose spans come through [`StatsAcc::add_span`].
    pub fn add_traces(&mut self, traces: usize) {
        self.traces += traces;
    }

    /// Traces counted so far.
    pub fn traces(&self) -> usize {
        self.traces
    }

    /// The rows, in `order`.
    pub fn finish(self, order: StatsOrder) -> Stats {
        let mut critical_path: Vec<(String, u64)> = self.critical.into_iter().collect();
        critical_path.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Stats {
            traces: self.traces,
            services: rows(self.services, order),
            operations: rows(self.operations, order),
            critical_path,
        }
    }
}

/// Computes the statistics of `traces`.
pub fn compute_stats(traces: &[TraceSummary]) -> Stats {
    let mut acc = StatsAcc::default();
    for t in traces {
        acc.add(t);
    }
    acc.finish(StatsOrder::default())
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
            ("GET session:84", "GET session:{id}"),
            ("GET session:7", "GET session:{id}"),
            ("GET /api/orders/7", "GET /api/orders/{id}"),
            ("GET /api/orders/42/items", "GET /api/orders/{id}/items"),
            (
                "GET /search?page=2&size=50",
                "GET /search?page={id}&size={id}",
            ),
            ("GET /api/v1/users", "GET /api/v1/users"),
            ("GET /v2/items/3", "GET /v2/items/{id}"),
            ("HTTP/1.1 GET", "HTTP/1.1 GET"),
            ("POST /oauth2/token", "POST /oauth2/token"),
            ("grpc /pkg.v1.Svc/Call", "grpc /pkg.v1.Svc/Call"),
            ("GET /files/7.json", "GET /files/7.json"),
            ("GET /p/2x", "GET /p/2x"),
            ("SELECT * FROM t LIMIT 10", "SELECT * FROM t LIMIT 10"),
        ];
        for (name, want) in rows {
            assert_eq!(normalize_operation(name), want, "{name}");
        }
    }

    #[test]
    fn groups_stay_bounded_and_keep_exact_counts() {
        let mut g = Group::default();
        let n = SAMPLE_CAP as i64 * 3;
        for d in 1..=n {
            g.add(d, d % 10 == 0);
        }
        assert_eq!(g.durations.len(), SAMPLE_CAP);
        assert_eq!((g.spans, g.errors, g.max), (n as u64, n as u64 / 10, n));
        g.durations.sort_unstable();
        let p50 = percentile(&g.durations, 50.0);
        assert!((p50 - n / 2).abs() < n / 50, "p50 {p50} of 1..={n}");
        let mut a = Group::default();
        let mut b = Group::default();
        for d in 1..=n {
            if d % 2 == 0 {
                a.add(d, false)
            } else {
                b.add(d, false)
            }
        }
        a.merge(b);
        assert_eq!(
            (a.spans, a.max, a.durations.len()),
            (n as u64, n, SAMPLE_CAP)
        );
        a.durations.sort_unstable();
        let p95 = percentile(&a.durations, 95.0);
        assert!((p95 - n * 95 / 100).abs() < n / 50, "p95 {p95}");
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
