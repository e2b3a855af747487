//! Writing a trace's lines: each logged span's start, middle and end lines in its service's
//! convention, lines outside any trace, and the heap that keeps every file in time order.

use std::cmp::Reverse;
use std::io::Write;

use crate::common::conventions::{self, plain_stack, Conv, Ev, Level};
use crate::common::gen::{Gen, Kind, Pending, Sp, MESH, SERVER_MSGS};
use crate::common::timefmt::rfc3339;

impl Gen {
    /// Writes every waiting line earlier than `t` (no later request can precede it).
    pub(crate) fn flush_before(&mut self, t: i64) -> std::io::Result<()> {
        while self.heap.peek().is_some_and(|p| p.0.key < t) {
            let Reverse(p) = self.heap.pop().expect("peeked");
            self.files[p.file].write_all(&p.bytes)?;
            self.pool.push(p.bytes);
        }
        Ok(())
    }

    /// Queues `lines` (already newline-terminated) of service `svc`'s pod at true time `t`.
    pub(crate) fn push(&mut self, svc: usize, pod: usize, t: i64, lines: &[u8]) {
        let mut bytes = self.pool.pop().unwrap_or_default();
        bytes.clear();
        let s = &self.svcs[svc];
        let (file, key) = if self.kubectl {
            let p = &s.pods[pod];
            let kt = t + p.delay_ns + 150_000;
            for line in lines.split_inclusive(|&b| b == b'\n') {
                bytes.extend_from_slice(b"[pod/");
                bytes.extend_from_slice(p.name.as_bytes());
                bytes.push(b'/');
                bytes.extend_from_slice(s.name.as_bytes());
                bytes.extend_from_slice(b"] ");
                rfc3339(&mut bytes, kt, 9);
                bytes.push(b' ');
                bytes.extend_from_slice(line);
            }
            (0, t + p.delay_ns)
        } else {
            bytes.extend_from_slice(lines);
            (svc, t)
        };
        self.totals.bytes += bytes.len() as u64;
        self.totals.lines += lines.iter().filter(|&&b| b == b'\n').count() as u64;
        self.seq += 1;
        self.heap.push(Reverse(Pending {
            key,
            seq: self.seq,
            file,
            bytes,
        }));
    }

    /// Lines outside any trace: health checks, pool stats, and plain-text noise.
    pub(crate) fn ambient(&mut self, t: i64) {
        if self.rng.chance(0.3) {
            let svc = self.rng.range(0, self.svcs.len() as u64 - 1) as usize;
            let msg = *self.rng.pick(&[
                "kube-probe GET /healthz",
                "connection pool stats",
                "cache stats",
                "consumer lag 0",
            ]);
            let mut line = std::mem::take(&mut self.scratch);
            line.clear();
            let s = &self.svcs[svc];
            let p = &s.pods[0];
            let ev = Ev {
                service: s.name,
                pod: &p.name,
                variant: p.variant,
                pid: p.pid,
                t: t + s.offset_ns,
                trace: 0,
                span: 0,
                parent: 0,
                txn: 0,
                header_parent: 0,
                request_id: 0,
                level: Level::Debug,
                msg,
                http: None,
                dur_ns: None,
                status: None,
                stack: false,
                root: false,
                db: None,
                messaging: None,
            };
            conventions::write(s.conv, &mut line, &ev);
            end_line(&mut line, s.conv);
            self.totals.ambient_json_lines += 1;
            self.push(svc, 0, t, &line);
            self.scratch = line;
        }
        if self.rng.chance(self.noise) {
            let svc = self.rng.range(0, self.svcs.len() as u64 - 1) as usize;
            let text: &[u8] = self.rng.pick::<&[u8]>(&[
                b"SLF4J: Class path contains multiple SLF4J bindings.\n",
                b"(node:1) [DEP0005] DeprecationWarning: Buffer() is deprecated\n",
                b"2026/11/20 10:00:01 http: TLS handshake error from 10.0.3.7:51234: EOF\n",
                b"  .   ____          _            __ _ _\n",
            ]);
            self.totals.non_json_lines += 1;
            self.push(svc, 0, t, text);
        }
    }
}

impl Gen {
    /// Writes every logged span's lines.
    pub(crate) fn emit(&mut self, trace: u128, spans: &mut [Sp]) {
        let mut line = std::mem::take(&mut self.scratch);
        for i in 0..spans.len() {
            let sp = &spans[i];
            if !sp.logged || sp.svc == MESH {
                continue;
            }
            let svc = sp.svc;
            let conv = self.svcs[svc].conv;
            let offset = self.svcs[svc].offset_ns;
            // The parent as the line names it: the true parent, when the convention writes it.
            let named_parent = match sp.parent {
                Some(p) if sp.parent_logged && conv != Conv::Gcp && conv != Conv::Ecs => {
                    spans[p].id
                }
                _ => 0,
            };
            let header_parent = match sp.parent {
                Some(p) if sp.parent_logged && conv == Conv::Gcp => spans[p].id,
                _ => 0,
            };
            let txn = match (sp.kind, sp.parent) {
                (Kind::Client | Kind::Producer, Some(p)) if conv == Conv::Ecs => spans[p].id,
                _ => 0,
            };
            let request_id = if conv.logs_span_ids() {
                0
            } else {
                u128::from(sp.id) << 64 | u128::from(sp.id)
            };
            let dur = sp.end - sp.start;
            let mut times: Vec<(i64, &str, bool)> = Vec::with_capacity(4);
            match sp.kind {
                Kind::Server => {
                    times.push((sp.start, "request started", false));
                    let mids = self.rng.range(0, 2);
                    for k in 0..mids {
                        let at = sp.start + dur * (k as i64 + 1) / (mids as i64 + 2);
                        times.push((at, SERVER_MSGS[(sp.id as usize + k as usize) % 4], false));
                    }
                    times.push((sp.end, "request completed", true));
                }
                _ => {
                    times.push((sp.start, "calling", false));
                    times.push((sp.end, "call finished", true));
                }
            }
            let mut n = 0;
            for (k, (t, msg, is_end)) in times.into_iter().enumerate() {
                let p = &self.svcs[svc].pods[sp.pod];
                let level = if is_end && sp.error {
                    Level::Error
                } else if sp.kind == Kind::Client && !is_end {
                    Level::Debug
                } else {
                    Level::Info
                };
                let stack = level == Level::Error && self.rng.chance(0.5);
                let full_msg: &str = match (sp.kind, is_end) {
                    (Kind::Client | Kind::Producer, _) => &sp.name,
                    _ => msg,
                };
                let ev = Ev {
                    service: self.svcs[svc].name,
                    pod: &p.name,
                    variant: p.variant,
                    pid: p.pid,
                    t: t + offset,
                    trace,
                    span: sp.id,
                    parent: if conv == Conv::Zap && k > 0 {
                        0
                    } else {
                        named_parent
                    },
                    txn,
                    header_parent: if k == 0 { header_parent } else { 0 },
                    request_id,
                    level,
                    msg: full_msg,
                    http: if sp.kind == Kind::Server {
                        sp.http.as_ref().map(|(m, p)| (*m, p.as_str()))
                    } else {
                        None
                    },
                    dur_ns: is_end.then_some(dur),
                    status: if is_end {
                        sp.status.filter(|_| sp.kind == Kind::Server)
                    } else {
                        None
                    },
                    stack,
                    root: sp.parent.is_none(),
                    db: if sp.kind == Kind::Client && sp.http_callee.is_none() {
                        db_system(&sp.name)
                    } else {
                        None
                    },
                    messaging: match sp.kind {
                        Kind::Producer => Some((sp.name.trim_end_matches(" publish"), "publish")),
                        Kind::Server if sp.is_async && k == 0 => {
                            Some((sp.name.trim_end_matches(" consume"), "process"))
                        }
                        _ => None,
                    },
                };
                line.clear();
                conventions::write(conv, &mut line, &ev);
                end_line(&mut line, conv);
                n += 1;
                if level == Level::Error && !stack && self.rng.chance(0.7) {
                    let st = plain_stack(conv);
                    for l in st {
                        line.extend_from_slice(l.as_bytes());
                        line.push(b'\n');
                    }
                    self.totals.non_json_lines += st.len() as u64;
                    self.stack_lines += st.len() as u32;
                }
                self.push(svc, sp.pod, t, &line);
            }
            self.totals.trace_lines += n as u64;
            spans[i].lines = n;
        }
        self.scratch = line;
    }
}

/// Ends a line: CRLF where the host writes it.
fn end_line(line: &mut Vec<u8>, conv: Conv) {
    if conv.crlf() {
        line.push(b'\r');
    }
    line.push(b'\n');
}

/// The `db.system` of a database or cache operation, by its name.
fn db_system(op: &str) -> Option<&'static str> {
    let first = op.split(' ').next().unwrap_or_default();
    Some(match first {
        "SELECT" | "INSERT" | "UPDATE" => "postgresql",
        "EXEC" => "mssql",
        "redis" => "redis",
        "es" => "elasticsearch",
        _ => return None,
    })
}
