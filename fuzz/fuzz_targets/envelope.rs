//! Envelopes: kubectl, CRI, Docker, stern and syslog prefixes, split pieces, and JSON carried in
//! a string. Any bytes as a line (no panic; the payload is a slice of the line), and a JSON line
//! behind every prefix and inside every carrier must read as it does bare.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tracegrep::diag::Diagnostics;
use tracegrep::records::envelope::{
    envelope_stream, envelope_text, is_docker_fragment, unwrap_line, workload_of_pod,
};
use tracegrep::records::extract::extract;
use tracegrep::records::fields::{FieldOverrides, FieldTable};
use tracegrep::records::geometry::join_pieces;
use tracegrep::records::payload::{decode_payload, view_payload};
use tracegrep::records::{decode, Decoded};

fn table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    TABLE.get_or_init(|| FieldTable::new(&FieldOverrides::default()))
}

/// Prefixes runtimes and tools put before a line, each peeled off whole.
const PREFIXES: [&str; 7] = [
    "[pod/checkout-7d9f8b6c5-x2x9z/app] ",
    "2026-11-20T10:00:01.123456789Z ",
    "2026-11-20T10:00:01.123456789+01:00 stdout F ",
    "[pod/web-0/web] 2026-11-20T10:00:01Z stderr F ",
    "checkout-7d9f8b6c5-x2x9z app ",
    "default checkout-7d9f8b6c5-x2x9z app ",
    "Nov 20 10:00:01 host checkout[123]: ",
];

/// Every reading of any line: nothing may panic, and the payload lies inside the line.
fn any_line(data: &[u8]) {
    let env = unwrap_line(data);
    let range = data.as_ptr_range();
    let p = env.payload.as_ptr_range();
    assert!(range.start <= p.start && p.end <= range.end);
    let _ = env.service();
    if let Some(pod) = env.pod {
        assert!(pod.starts_with(workload_of_pod(pod)));
    }
    let mut diag = Diagnostics::default();
    let _ = decode_payload(table(), &env, &mut diag);
    let _ = view_payload(table(), &env, &mut diag, |v, _| v.decode());
    let _ = envelope_text(data);
    let _ = envelope_stream(data);
    let _ = is_docker_fragment(data);
    if let Some((joined, env)) = join_pieces(data, 0) {
        let mut env = env;
        env.payload = &joined;
        let _ = decode_payload(table(), &env, &mut diag);
    }
}

/// A JSON object line read bare, and the same behind each prefix and in each carrier.
fn wrapped(inner: &str) {
    let Ok(bare) = extract(inner.as_bytes(), table()) else {
        return;
    };
    if bare.unwrapped {
        // It carries JSON in a string already: one more level may pass the depth limit.
        return;
    }
    let bare = decode(&bare);
    for prefix in PREFIXES {
        let line = format!("{prefix}{inner}");
        let env = unwrap_line(line.as_bytes());
        assert_eq!(env.payload, inner.as_bytes(), "behind {prefix:?}");
    }
    let text = serde_json::to_string(&format!("{inner}\n")).unwrap();
    for carrier in [
        format!(r#"{{"log":{text},"stream":"stdout","time":"2026-11-20T10:00:01.5Z"}}"#),
        format!(r#"{{"message":{text},"kubernetes":{{"pod_name":"web-0"}}}}"#),
        format!(r#"{{"MESSAGE":{text},"__CURSOR":"s=1","SYSLOG_IDENTIFIER":"web"}}"#),
    ] {
        let Ok(outer) = extract(carrier.as_bytes(), table()) else {
            panic!("carrier not read: {carrier}");
        };
        let outer = decode(&outer);
        // The ids are the inner line's; its other fields beat the carrier's where it has them.
        assert_eq!(
            (&outer.trace, outer.span, outer.parent),
            (&bare.trace, bare.span, bare.parent),
            "in {carrier}"
        );
        let kept = |o: &Decoded, b: &Decoded| {
            (b.level.is_none() || o.level == b.level)
                // A service derived from bunyan's `name` yields to a carrier's own (journald's
                // SYSLOG_IDENTIFIER); a service field of the line beats it.
                && (b.service.is_none() || b.service == b.service_hint || o.service == b.service)
                && (b.message.is_none() || o.message == b.message)
                && (b.status.is_none() || o.status == b.status)
                && (b.time.is_none() || o.time == b.time)
        };
        assert!(kept(&outer, &bare), "in {carrier}: {outer:?} vs {bare:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    any_line(data);
    if data.first() == Some(&b'{') && !data.contains(&b'\n') && !data.contains(&b'\r') {
        if let Ok(inner) = std::str::from_utf8(data) {
            wrapped(inner);
        }
    }
});
