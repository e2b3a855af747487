//! The simulated traffic: a request's (or job's) span tree, with calls between services, mesh
//! hops, database calls, producers and their late consumers, failures and retries.

use crate::common::conventions::Conv;
use crate::common::gen::{Gen, Kind, Sp, JOBS, MESH, ROUTES};
use crate::common::truth::TraceTruth;

/// A batch job that runs the whole time (`reindex-catalog` in `search`): its transaction
/// logs nothing itself, and now and then one of its bulk requests writes two lines naming it.
/// It is the `frequent` needle: many matches spread over every file's length.
pub(crate) struct Batch {
    trace: u128,
    spans: Vec<Sp>,
}

impl Gen {
    /// The batch job's transaction, started at `t`.
    pub(crate) fn batch_start(&mut self, t: i64) -> Batch {
        let svc = self
            .svcs
            .iter()
            .position(|s| s.name == "search")
            .unwrap_or(0);
        let mut spans = Vec::new();
        let root = self.span(
            &mut spans,
            None,
            svc,
            Kind::Server,
            t,
            "reindex-catalog".into(),
        );
        spans[root].logged = false;
        Batch {
            trace: self.rng.id128(),
            spans,
        }
    }

    /// One bulk request of the batch now and then (about 0.2 % of lines).
    pub(crate) fn batch_step(&mut self, b: &mut Batch, t: i64) {
        if !self.rng.chance(0.03) {
            return;
        }
        let svc = b.spans[0].svc;
        // Written beside a copy of the (unlogged) root, then kept: parent index 0 either way.
        let mut tmp = vec![b.spans[0].clone()];
        let c = self.span(
            &mut tmp,
            Some(0),
            svc,
            Kind::Client,
            t,
            "es bulk index".into(),
        );
        tmp[c].end = t + self.rng.duration(3_000_000);
        tmp[c].parent_logged = self.logs_parent(self.svcs[svc].conv, false);
        self.emit(b.trace, &mut tmp);
        b.spans.push(tmp.pop().expect("the bulk request"));
    }

    /// The batch's truth, ended at `t`.
    pub(crate) fn batch_end(&mut self, mut b: Batch, t: i64) -> TraceTruth {
        b.spans[0].end = t;
        self.stack_lines = 0;
        self.truth(b.trace, "batch", "reindex-catalog".into(), &b.spans)
    }

    /// One request (or job) and everything it causes; returns its truth.
    pub(crate) fn request(&mut self, t: i64) -> TraceTruth {
        let trace = self.rng.id128();
        let mut spans: Vec<Sp> = Vec::new();
        let mut asyncs: Vec<(usize, usize)> = Vec::new();
        let job = self.svcs.len() > 4 && self.rng.chance(0.03);
        let (kind, route);
        if job {
            let &(svc, name) = self.rng.pick(JOBS);
            let svc = self.svcs.iter().position(|s| s.name == svc).unwrap_or(1);
            kind = "job";
            route = name.to_string();
            self.server(
                &mut spans,
                &mut asyncs,
                svc,
                None,
                t,
                1,
                name.to_string(),
                None,
            );
        } else {
            let &(m, p, targets) = self.rng.pick(ROUTES);
            kind = "request";
            route = format!("{m} {p}");
            let root = self.span(&mut spans, None, 0, Kind::Server, t, format!("{m} {p}"));
            spans[root].http = Some((m, p.to_string()));
            let mut cur = t + self.rng.duration(300_000);
            let mut failed = false;
            let targets: Vec<usize> = targets
                .iter()
                .filter_map(|n| self.svcs.iter().position(|s| s.name == *n))
                .collect();
            let parallel = self.rng.chance(0.4);
            let mut end = cur;
            for callee in targets {
                let c = self.call(&mut spans, &mut asyncs, root, callee, cur, 1);
                end = end.max(spans[c].end);
                failed |= spans[c].error;
                if !parallel {
                    cur = spans[c].end + self.rng.duration(100_000);
                }
            }
            if spans.len() == 1 {
                end = cur + self.rng.duration(1_000_000);
            }
            let r = &mut spans[root];
            r.end = end + self.rng.duration(200_000);
            r.error = failed;
            r.status = Some(if failed { 502 } else { 200 });
        }
        let root_end = spans[0].end;
        // Consumers run after the request ended.
        while let Some((producer, svc)) = asyncs.pop() {
            let start = root_end + self.rng.range(50_000_000, 2_000_000_000) as i64;
            let name = format!(
                "{} consume",
                spans[producer].name.trim_end_matches(" publish")
            );
            // The consumer's first line names the destination it handles.
            let c = self.server(
                &mut spans,
                &mut asyncs,
                svc,
                Some(producer),
                start,
                3,
                name,
                None,
            );
            spans[c].is_async = true;
            spans[c].parent_logged = self.svcs[svc].conv == Conv::Gcp;
        }
        self.stack_lines = 0;
        self.emit(trace, &mut spans);
        self.truth(trace, kind, route, &spans)
    }

    fn span(
        &mut self,
        spans: &mut Vec<Sp>,
        parent: Option<usize>,
        svc: usize,
        kind: Kind,
        start: i64,
        name: String,
    ) -> usize {
        let pod = match parent {
            Some(p) if spans[p].svc == svc => spans[p].pod,
            _ if svc == MESH => 0,
            _ => self.rng.range(0, self.svcs[svc].pods.len() as u64 - 1) as usize,
        };
        spans.push(Sp {
            id: self.rng.id64(),
            parent,
            svc,
            pod,
            name,
            kind,
            start,
            end: start,
            error: false,
            status: None,
            logged: true,
            parent_logged: false,
            is_async: false,
            http: None,
            http_callee: None,
            lines: 0,
        });
        spans.len() - 1
    }

    /// A client span in `caller`'s service calling `callee` (through a mesh hop now and then).
    fn call(
        &mut self,
        spans: &mut Vec<Sp>,
        asyncs: &mut Vec<(usize, usize)>,
        caller: usize,
        callee: usize,
        start: i64,
        depth: u32,
    ) -> usize {
        let csvc = spans[caller].svc;
        let name = format!("call {}", self.svcs[callee].name);
        let c = self.span(spans, Some(caller), csvc, Kind::Client, start, name);
        spans[c].http_callee = Some(callee);
        spans[c].parent_logged = self.logs_parent(self.svcs[csvc].conv, false);
        let net = self.rng.range(150_000, 600_000) as i64;
        let (parent, sstart) = if self.rng.chance(0.04) {
            let m = self.span(
                spans,
                Some(c),
                MESH,
                Kind::Mesh,
                start + net / 2,
                "istio-proxy".into(),
            );
            spans[m].logged = false;
            (m, start + net)
        } else {
            (c, start + net)
        };
        let path = format!("/v1/{}", self.svcs[callee].name);
        let method = if self.rng.chance(0.5) { "GET" } else { "POST" };
        let s = self.server(
            spans,
            asyncs,
            callee,
            Some(parent),
            sstart,
            depth + 1,
            format!("{method} {path}"),
            Some((method, path)),
        );
        let send = spans[s].end;
        if spans[parent].kind == Kind::Mesh {
            spans[parent].end = send + net / 4;
        }
        let (err, status) = (spans[s].error, spans[s].status);
        let cs = &mut spans[c];
        cs.end = send + net;
        cs.error = err;
        cs.status = status;
        c
    }

    /// Whether a span's lines name its parent: conventions with a parent field write the
    /// current span context's parent on every line, yet 10 % of spans leave it out (a span
    /// started by hand, an MDC not propagated). ECS names only a client's transaction, and a
    /// GCP consumer only the producer in the header it received.
    fn logs_parent(&mut self, conv: Conv, server: bool) -> bool {
        match conv {
            Conv::Ecs => !server,
            Conv::Gcp => false,
            c => c.parent_field().is_some() && !self.rng.chance(0.1),
        }
    }

    /// A server span of `svc` and everything under it; returns its index.
    #[allow(clippy::too_many_arguments)]
    fn server(
        &mut self,
        spans: &mut Vec<Sp>,
        asyncs: &mut Vec<(usize, usize)>,
        svc: usize,
        parent: Option<usize>,
        start: i64,
        depth: u32,
        name: String,
        http: Option<(&'static str, String)>,
    ) -> usize {
        let me = self.span(spans, parent, svc, Kind::Server, start, name);
        spans[me].http = http;
        let conv = self.svcs[svc].conv;
        // 10 % of spans in a convention with a parent field leave it out.
        spans[me].parent_logged = parent.is_none() || self.logs_parent(conv, true);
        // A slowed service's own work is scaled; the random draws stay the same.
        let slow = self.svcs[svc].slow;
        let scaled = |ns: i64| (ns as f64 * slow) as i64;
        let mut cur = start + scaled(self.rng.duration(400_000));
        let mut end = cur;
        let mut child_failed = false;
        let n_ops = if depth >= 4 {
            self.rng.range(0, 1)
        } else {
            self.rng.range(1, 3)
        };
        let parallel = self.rng.chance(0.25);
        for _ in 0..n_ops {
            let calls = self.svcs[svc].calls.clone();
            let c = if !calls.is_empty() && depth < 4 && self.rng.chance(0.45) {
                let callee = *self.rng.pick(&calls);
                self.call(spans, asyncs, me, callee, cur, depth)
            } else if self.svcs[svc].dbs.is_empty() {
                continue;
            } else {
                let op = *self.rng.pick(self.svcs[svc].dbs);
                let c = self.span(spans, Some(me), svc, Kind::Client, cur, op.to_string());
                spans[c].end = cur + scaled(self.rng.duration(1_500_000));
                spans[c].error = self.rng.chance(0.015);
                // Quiet clients (and every client of an id-less service) log nothing.
                spans[c].logged = conv.logs_span_ids() && !self.rng.chance(0.25);
                spans[c].parent_logged = self.logs_parent(conv, false);
                c
            };
            end = end.max(spans[c].end);
            child_failed |= spans[c].error;
            if !parallel {
                cur = spans[c].end + scaled(self.rng.duration(150_000));
            }
        }
        // Producers: orders publishes, catalog hands images to thumbnails.
        let consumer = match self.svcs[svc].name {
            "orders" => self.svcs.iter().position(|s| s.name == "notifications"),
            "catalog" => self.svcs.iter().position(|s| s.name == "thumbnails"),
            _ => None,
        };
        if let Some(consumer) = consumer.filter(|_| depth < 5 && self.rng.chance(0.4)) {
            let p = self.span(
                spans,
                Some(me),
                svc,
                Kind::Producer,
                end,
                format!("{}-jobs publish", self.svcs[consumer].name),
            );
            spans[p].end = end + self.rng.duration(800_000);
            spans[p].parent_logged = self.logs_parent(conv, false);
            end = spans[p].end;
            asyncs.push((p, consumer));
        }
        let own_fault = self.rng.chance(self.svcs[svc].fail_rate);
        let failed = own_fault || (child_failed && self.rng.chance(0.5));
        let s = &mut spans[me];
        s.end = end + scaled(self.rng.duration(300_000));
        s.error = failed;
        s.status = Some(if failed { 500 } else { 200 });
        me
    }
}
