//! Simulated traffic of a fleet of services, written as interleaved JSON logs with the ground
//! truth of every trace. Output is a pure function of [`Options`].
//!
//! Requests arrive as a Poisson process at the edge gateway, which calls 2–5 services; services
//! call databases, caches and each other (mesh hops in between that log nothing), producers
//! start consumers that run after the request ended, failures propagate or are absorbed, and
//! every service's clock is off by a fixed skew. Lines wait in a heap per output file until no
//! later request can write an earlier one, so each file is in time order (per pod, for the
//! `kubectl` stream) while traces interleave.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::common::conventions::Conv;
use crate::common::record::NeedlePicker;
use crate::common::rng::Rng;
use crate::common::timefmt::EPOCH_START_NS;
use crate::common::truth::{Needle, ServiceTruth, Totals};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Output folder: `logs/` and `truth.json` go inside.
    pub out: PathBuf,
    /// Target bytes of logs (the run ends a little above: traces are whole).
    pub size: u64,
    /// Random seed.
    pub seed: u64,
    /// Services behind the edge gateway (1–13).
    pub services: usize,
    /// One `kubectl logs --prefix --timestamps -f` stream (`logs/kubectl.log`) instead of a
    /// file per service.
    pub kubectl: bool,
    /// With `kubectl`: the stream goes to standard output instead of `logs/kubectl.log` (the
    /// truth still goes to the folder), for piping gigabytes without keeping them.
    pub stdout: bool,
    /// Requests per simulated second.
    pub rate: f64,
    /// Fraction of requests followed by a plain-text (not JSON) line somewhere.
    pub noise: f64,
    /// Services made slower: their own work (before, between and after their calls, and
    /// their database calls) takes this many times as long. The same seed gives the same
    /// traces, ids and calls with or without it, so two runs make a baseline and a regression.
    pub slow: Vec<(String, f64)>,
    /// Services that fail on their own this often (a probability; the default is 0.004).
    pub fail_rate: Vec<(String, f64)>,
}

impl Options {
    /// Defaults for `out`, `size` and `seed`.
    pub fn new(out: impl Into<PathBuf>, size: u64, seed: u64) -> Self {
        Options {
            out: out.into(),
            size,
            seed,
            services: 13,
            kubectl: false,
            stdout: false,
            rate: 120.0,
            noise: 0.02,
            slow: Vec::new(),
            fail_rate: Vec::new(),
        }
    }
}

/// Parses `SERVICE=NUMBER` (`--slow payments=3`, `--fail-rate fraud=0.2`).
pub fn parse_service_number(s: &str) -> Option<(String, f64)> {
    let (service, number) = s.split_once('=')?;
    let number: f64 = number.trim().parse().ok()?;
    (!service.trim().is_empty() && number.is_finite() && number >= 0.0)
        .then(|| (service.trim().to_string(), number))
}

/// Parses `500K`, `20M`, `1G` (binary units) or bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<f64>().ok().map(|n| (n * mul as f64) as u64)
}

/// The fleet: name, convention, whom it calls, what databases it queries.
pub(crate) const FLEET: &[(&str, Conv, &[&str], &[&str])] = &[
    ("edge-gateway", Conv::Zerolog, &[], &[]),
    (
        "checkout",
        Conv::Pino,
        &["cart", "payments", "orders", "users"],
        &["redis GET session"],
    ),
    (
        "cart",
        Conv::Bunyan,
        &["inventory", "catalog"],
        &["redis HGETALL cart"],
    ),
    (
        "inventory",
        Conv::Zap,
        &[],
        &["SELECT stock", "UPDATE stock"],
    ),
    (
        "payments",
        Conv::Logrus,
        &["fraud", "legacy-billing"],
        &["INSERT payment"],
    ),
    (
        "orders",
        Conv::Logstash,
        &["payments", "shipping", "legacy-billing"],
        &["INSERT order"],
    ),
    ("shipping", Conv::Clef, &[], &["SELECT rates"]),
    ("search", Conv::Ecs, &["catalog"], &["es query products"]),
    (
        "users",
        Conv::Datadog,
        &[],
        &["SELECT user", "redis GET profile"],
    ),
    ("notifications", Conv::Gcp, &["users"], &["smtp send"]),
    ("fraud", Conv::Otel, &[], &["model score"]),
    ("legacy-billing", Conv::Nlog, &[], &["EXEC sp_invoice"]),
    ("catalog", Conv::B3, &["inventory"], &["SELECT product"]),
    ("thumbnails", Conv::Powertools, &[], &["s3 PutObject"]),
];

/// Who the edge gateway routes to, by route.
pub(crate) const ROUTES: &[(&str, &str, &[&str])] = &[
    ("POST", "/api/checkout", &["checkout"]),
    ("GET", "/api/search", &["search", "users"]),
    ("GET", "/api/cart", &["cart", "users"]),
    ("POST", "/api/orders", &["orders", "fraud"]),
    ("GET", "/api/products", &["catalog", "search"]),
    ("GET", "/api/shipping/quote", &["shipping", "cart"]),
];

/// Jobs rooted in a backend service.
pub(crate) const JOBS: &[(&str, &str)] = &[
    ("payments", "reconcile-payments"),
    ("orders", "expire-carts"),
    ("catalog", "rebuild-index"),
];

pub(crate) const MESH: usize = usize::MAX;
pub(crate) const SERVER_MSGS: [&str; 4] = [
    "loaded request context",
    "validated input",
    "applied pricing rules",
    "cache miss, computing",
];

pub(crate) struct Pod {
    pub(crate) name: String,
    pub(crate) variant: u8,
    pub(crate) pid: u32,
    /// kubectl -f delivery delay of this pod's stream.
    pub(crate) delay_ns: i64,
}

pub(crate) struct Svc {
    pub(crate) name: &'static str,
    pub(crate) conv: Conv,
    pub(crate) calls: Vec<usize>,
    pub(crate) dbs: &'static [&'static str],
    pub(crate) offset_ns: i64,
    pub(crate) pods: Vec<Pod>,
    /// How many times as long its own work takes (`Options::slow`).
    pub(crate) slow: f64,
    /// How often it fails on its own.
    pub(crate) fail_rate: f64,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Server,
    Client,
    Producer,
    Mesh,
}

#[derive(Clone)]
pub(crate) struct Sp {
    pub(crate) id: u64,
    pub(crate) parent: Option<usize>,
    pub(crate) svc: usize,
    pub(crate) pod: usize,
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) error: bool,
    pub(crate) status: Option<u16>,
    pub(crate) logged: bool,
    pub(crate) parent_logged: bool,
    pub(crate) is_async: bool,
    pub(crate) http: Option<(&'static str, String)>,
    /// A client span calling another service (not a database).
    pub(crate) http_callee: Option<usize>,
    pub(crate) lines: u32,
}

/// A line (or an error line and its stack) waiting for its turn in a file.
pub(crate) struct Pending {
    pub(crate) key: i64,
    pub(crate) seq: u64,
    pub(crate) file: usize,
    pub(crate) bytes: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, o: &Self) -> bool {
        (self.key, self.seq) == (o.key, o.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Pending {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.key, self.seq).cmp(&(o.key, o.seq))
    }
}

/// What a run made, for the summary line.
pub struct Summary {
    /// Counts.
    pub totals: Totals,
    /// Needle ids by name.
    pub needles: BTreeMap<String, Needle>,
}

pub(crate) struct Gen {
    pub(crate) rng: Rng,
    pub(crate) svcs: Vec<Svc>,
    pub(crate) kubectl: bool,
    pub(crate) noise: f64,
    pub(crate) heap: BinaryHeap<Reverse<Pending>>,
    pub(crate) files: Vec<Box<dyn Write>>,
    pub(crate) pool: Vec<Vec<u8>>,
    pub(crate) seq: u64,
    pub(crate) totals: Totals,
    pub(crate) scratch: Vec<u8>,
    /// Non-JSON stack lines of the trace being written.
    pub(crate) stack_lines: u32,
}

/// Generates logs and truth into `opts.out` (which must not hold `logs/` yet).
pub fn generate(opts: &Options) -> std::io::Result<Summary> {
    for (name, _) in opts.slow.iter().chain(&opts.fail_rate) {
        if !FLEET.iter().any(|f| f.0 == name) {
            return Err(std::io::Error::other(format!(
                "no service {name} in the fleet"
            )));
        }
    }
    let logs = opts.out.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut rng = Rng::new(opts.seed, 1);
    let n = opts.services.clamp(1, FLEET.len() - 1) + 1;
    let names: Vec<&str> = FLEET[..n].iter().map(|f| f.0).collect();
    let mut svcs = Vec::new();
    for (i, &(name, conv, calls, dbs)) in FLEET[..n].iter().enumerate() {
        let pods = (0..if i == 0 { 3 } else { rng.range(2, 3) })
            .map(|p| Pod {
                name: format!(
                    "{name}-{:08x}-{:05x}",
                    rng.u64() as u32,
                    rng.u64() & 0xfffff
                ),
                variant: (p % 2) as u8,
                pid: rng.range(7, 4000) as u32,
                delay_ns: rng.range(0, 15_000_000) as i64,
            })
            .collect();
        svcs.push(Svc {
            name,
            conv,
            calls: calls
                .iter()
                .filter_map(|c| names.iter().position(|n| n == c))
                .collect(),
            dbs,
            offset_ns: if i == 0 {
                0
            } else {
                rng.range(0, 100_000_000) as i64 - 50_000_000
            },
            pods,
            slow: opts
                .slow
                .iter()
                .rfind(|(n, _)| n == name)
                .map_or(1.0, |s| s.1),
            fail_rate: opts
                .fail_rate
                .iter()
                .rfind(|(n, _)| n == name)
                .map_or(0.004, |s| s.1),
        });
    }
    let mut files = Vec::new();
    let mut file_names = Vec::new();
    if opts.kubectl {
        file_names.push("logs/kubectl.log".to_string());
    } else {
        for s in &svcs {
            file_names.push(format!("logs/{}.jsonl", s.name));
        }
    }
    for f in &file_names {
        let out: Box<dyn Write> = if opts.kubectl && opts.stdout {
            Box::new(BufWriter::with_capacity(256 << 10, std::io::stdout()))
        } else {
            Box::new(BufWriter::with_capacity(
                256 << 10,
                File::create(opts.out.join(f))?,
            ))
        };
        files.push(out);
    }
    let mut truth = BufWriter::new(File::create(opts.out.join("truth.json"))?);
    truth.write_all(b"{\"format_version\":1,\"seed\":")?;
    write!(truth, "{},\n\"traces\":[\n", opts.seed)?;
    let mut g = Gen {
        rng,
        svcs,
        kubectl: opts.kubectl,
        noise: opts.noise,
        heap: BinaryHeap::new(),
        files,
        pool: Vec::new(),
        seq: 0,
        totals: Totals::default(),
        scratch: Vec::new(),
        stack_lines: 0,
    };
    let mut needles = NeedlePicker::default();
    let mut t = EPOCH_START_NS;
    let mut batch = g.batch_start(t);
    let mut first = true;
    while g.totals.bytes < opts.size {
        t += (-(1.0 - g.rng.f64()).ln() / opts.rate * 1e9) as i64;
        g.flush_before(t)?;
        let tr = g.request(t);
        needles.see(&tr, g.totals.traces);
        if !first {
            truth.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut truth, &tr)?;
        g.ambient(t);
        g.batch_step(&mut batch, t);
    }
    let tr = g.batch_end(batch, t);
    needles.see(&tr, g.totals.traces);
    truth.write_all(b",\n")?;
    serde_json::to_writer(&mut truth, &tr)?;
    g.flush_before(i64::MAX)?;
    for f in &mut g.files {
        f.flush()?;
    }
    let absent = format!("{:032x}", g.rng.id128());
    let needles = needles.finish(absent);
    let services: Vec<ServiceTruth> = g
        .svcs
        .iter()
        .map(|s| ServiceTruth {
            name: s.name.to_string(),
            convention: format!("{:?}", s.conv),
            clock_offset_ms: s.offset_ns as f64 / 1e6,
            trace_id_spelling: s.conv.spelling().to_string(),
            logs_span_ids: s.conv.logs_span_ids(),
            parent_field: s.conv.parent_field().map(str::to_string),
            pods: s.pods.iter().map(|p| p.name.clone()).collect(),
        })
        .collect();
    truth.write_all(b"\n],\n\"services\":")?;
    serde_json::to_writer(&mut truth, &services)?;
    truth.write_all(b",\n\"files\":")?;
    serde_json::to_writer(&mut truth, &file_names)?;
    truth.write_all(b",\n\"totals\":")?;
    serde_json::to_writer(&mut truth, &g.totals)?;
    truth.write_all(b",\n\"needles\":")?;
    serde_json::to_writer(&mut truth, &needles)?;
    truth.write_all(b"}\n")?;
    truth.flush()?;
    Ok(Summary {
        totals: g.totals,
        needles,
    })
}
