//! Envelopes that container runtimes and `kubectl` put around a log line, peeled off per line.
//!
//! Handled here, without configuration, in the order they nest:
//! - `kubectl logs --prefix`: `[pod/NAME/CONTAINER] ` (kubectl adds it, so it comes first);
//! - `kubectl logs --timestamps` and CRI files: an RFC 3339 timestamp and a space;
//! - CRI (containerd, CRI-O): after the timestamp, `stdout|stderr`, a tag (`F` full, `P`
//!   partial: joined with the next pieces until an `F`) and the message;
//! - stern's default output: `[NAMESPACE] POD CONTAINER ` before the line;
//! - a BSD syslog prefix, `Nov 20 10:00:01 HOST TAG[PID]: ` (the tag names the service).
//!
//! Docker json-file lines are JSON themselves and are unwrapped by the field extractor (their
//! `log` field holds the inner line); its 16 KiB fragments are recognised here.

use crate::records::level::{level_from_text, Level};
use crate::records::time::{parse_time_text, Nanos};

/// What the envelopes of one line said, and the payload inside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Envelope<'a> {
    /// Pod name from a kubectl prefix.
    pub pod: Option<&'a str>,
    /// Container name from a kubectl prefix.
    pub container: Option<&'a str>,
    /// Program name from a syslog prefix.
    pub program: Option<&'a str>,
    /// Time from a kubectl `--timestamps` or CRI prefix.
    pub time: Option<Nanos>,
    /// A CRI line whose tag says more pieces of the same line follow.
    pub partial: bool,
    /// A CRI line (its pieces join).
    pub cri: bool,
    /// A level word in text before the JSON (logback's `%d %-5level %msg`, where the message is
    /// the app's JSON and only the wrapper knows the level).
    pub level: Option<Level>,
    /// What is left: the application's line.
    pub payload: &'a [u8],
}

impl Envelope<'_> {
    /// The service the envelope names: the workload a pod belongs to, else the container.
    pub fn service(&self) -> Option<String> {
        self.pod
            .map(workload_of_pod)
            .or(self.container)
            .or(self.program)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

/// Peels the envelopes off a line (without its line terminator).
pub fn unwrap_line(line: &[u8]) -> Envelope<'_> {
    let mut env = Envelope {
        payload: line,
        ..Envelope::default()
    };
    let mut rest = line;
    if let Some(after) = rest.strip_prefix(b"[pod/") {
        if let Some(close) = memchr::memchr(b']', after) {
            let inside = &after[..close];
            if let Ok(inside) = std::str::from_utf8(inside) {
                let (pod, container) = inside.split_once('/').unwrap_or((inside, ""));
                env.pod = Some(pod);
                env.container = (!container.is_empty()).then_some(container);
                rest = after[close + 1..]
                    .strip_prefix(b" ")
                    .unwrap_or(&after[close + 1..]);
            }
        }
    }
    if let Some((time, after)) = leading_timestamp(rest) {
        env.time = Some(time);
        rest = after;
        if let Some((partial, after)) = cri_stream_and_tag(rest) {
            env.cri = true;
            env.partial = partial;
            rest = after;
        }
    }
    // Both prefixes are text before the JSON: a line that starts with its object (most lines)
    // has neither, and is not split into words to find out.
    if env.pod.is_none() && env.time.is_none() && rest.first() != Some(&b'{') {
        if let Some((pod, container, after)) = stern_prefix(rest) {
            env.pod = Some(pod);
            env.container = Some(container);
            rest = after;
        } else if let Some((program, after)) = syslog_prefix(rest) {
            env.program = Some(program);
            rest = after;
        }
    }
    env.level = text_prefix_level(rest);
    env.payload = rest;
    env
}

/// The longest text before the JSON that is searched for a level word.
const LEVEL_PREFIX_MAX: usize = 64;

/// An upper-case level word (`INFO`, `WARN`, `ERROR`, …) among the words before the first `{`,
/// when the line does not start with it.
fn text_prefix_level(rest: &[u8]) -> Option<Level> {
    if rest.first() == Some(&b'{') {
        return None;
    }
    let head = &rest[..rest.len().min(LEVEL_PREFIX_MAX)];
    let brace = memchr::memchr(b'{', head)?;
    head[..brace]
        .split(u8::is_ascii_whitespace)
        .filter(|w| (2..=8).contains(&w.len()) && w.iter().all(u8::is_ascii_uppercase))
        .find_map(|w| level_from_text(std::str::from_utf8(w).ok()?))
}

/// `Nov 20 10:00:01 HOST TAG[PID]: ` or `… HOST TAG: `: the program's tag and the rest.
fn syslog_prefix(b: &[u8]) -> Option<(&str, &[u8])> {
    const MONTHS: &[&[u8]] = &[
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    if b.len() < 16 || !MONTHS.contains(&&b[..3]) || b[3] != b' ' {
        return None;
    }
    // `Nov 20 10:00:01` or `Nov  2 10:00:01`: the clock starts at byte 7.
    let clock = &b[7..15];
    if clock[2] != b':' || clock[5] != b':' || b[15] != b' ' {
        return None;
    }
    let rest = &b[16..];
    let host_end = memchr::memchr(b' ', rest)?;
    let rest = &rest[host_end + 1..];
    let colon = memchr::memmem::find(&rest[..rest.len().min(128)], b": ")?;
    let tag = std::str::from_utf8(&rest[..colon]).ok()?;
    let program = tag
        .split('[')
        .next()
        .filter(|p| !p.is_empty() && !p.contains(' '))?;
    Some((program, &rest[colon + 2..]))
}

/// stern's `POD CONTAINER {…}` (or `NAMESPACE POD CONTAINER {…}` with `-A`): two or three
/// Kubernetes names, the pod's with a dash, then the JSON.
fn stern_prefix(b: &[u8]) -> Option<(&str, &str, &[u8])> {
    let brace = memchr::memchr(b'{', &b[..b.len().min(256)])?;
    let head = std::str::from_utf8(&b[..brace]).ok()?;
    let names: Vec<&str> = head.split(' ').filter(|t| !t.is_empty()).collect();
    let is_name = |t: &str| {
        t.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
            && t.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
    };
    let (pod, container) = match names.as_slice() {
        [pod, container] | [_, pod, container] => (*pod, *container),
        _ => return None,
    };
    (names.iter().all(|t| is_name(t)) && pod.contains('-')).then_some((pod, container, &b[brace..]))
}

/// An RFC 3339 timestamp token at the start, followed by a space.
fn leading_timestamp(b: &[u8]) -> Option<(Nanos, &[u8])> {
    // Cheap shape check first: `2026-11-20T`.
    if b.len() < 21 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let space = memchr::memchr(b' ', &b[..b.len().min(40)])?;
    let token = std::str::from_utf8(&b[..space]).ok()?;
    Some((parse_time_text(token)?, &b[space + 1..]))
}

/// `stdout F ` / `stderr P:x ` after a CRI timestamp: whether the line is partial.
fn cri_stream_and_tag(b: &[u8]) -> Option<(bool, &[u8])> {
    let rest = b
        .strip_prefix(b"stdout ")
        .or_else(|| b.strip_prefix(b"stderr "))?;
    let space = memchr::memchr(b' ', rest);
    let (tag, after) = match space {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    match tag.split(|&c| c == b':').next()? {
        b"P" => Some((true, after)),
        b"F" => Some((false, after)),
        _ => None,
    }
}

/// The fields of a shipper's or runtime's JSON envelope that matter around a line of text.
#[derive(serde::Deserialize)]
#[allow(non_snake_case)]
struct Carrier {
    log: Option<String>,
    message: Option<String>,
    MESSAGE: Option<String>,
    kubernetes: Option<Kubernetes>,
    SYSLOG_IDENTIFIER: Option<String>,
    stream: Option<serde::de::IgnoredAny>,
    __CURSOR: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct Kubernetes {
    pod_name: Option<String>,
}

impl Carrier {
    /// The stream the line came from: the pod, or the syslog identifier.
    fn stream_name(&mut self) -> Option<String> {
        self.kubernetes
            .take()
            .and_then(|k| k.pod_name)
            .or_else(|| self.SYSLOG_IDENTIFIER.take())
    }
}

/// The text a JSON envelope carries when it is not itself JSON (a stack-trace line written to
/// stderr through Docker, Fluent Bit, Vector or journald), with the stream it came from (pod,
/// unit), so it can be attached to the record before it.
pub fn envelope_text(line: &[u8]) -> Option<(String, Option<String>)> {
    let mut carrier: Carrier = serde_json::from_slice(line).ok()?;
    // Only a shipper's or runtime's envelope carries a line: an application record with a
    // `message` field is a record of its own.
    let marked =
        carrier.stream.is_some() || carrier.kubernetes.is_some() || carrier.__CURSOR.is_some();
    if !marked {
        return None;
    }
    let stream = carrier.stream_name();
    let text = carrier.log.or(carrier.message).or(carrier.MESSAGE)?;
    if text.trim_start().starts_with('{') {
        return None;
    }
    let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
    Some((text, stream))
}

/// The stream a JSON line came from, as its envelope names it (pod, syslog identifier).
pub fn envelope_stream(line: &[u8]) -> Option<String> {
    serde_json::from_slice::<Carrier>(line).ok()?.stream_name()
}

/// Whether a line is a Docker json-file fragment: its `log` does not end with a newline, so
/// the next line continues it (Docker splits lines longer than 16 KiB).
pub fn is_docker_fragment(line: &[u8]) -> bool {
    if !line.starts_with(b"{\"log\":\"") {
        return false;
    }
    match memchr::memmem::rfind(line, b"\",\"stream\":\"") {
        Some(end) => !line[..end].ends_with(b"\\n"),
        None => false,
    }
}

/// The workload a pod belongs to: `checkout-7d9f8b6c5-x2x9z` → `checkout` (Deployment: the
/// ReplicaSet hash and the pod suffix), `web-0` → `web` (StatefulSet), `agent-x2x9z` →
/// `agent` (DaemonSet, Job).
pub fn workload_of_pod(pod: &str) -> &str {
    let mut name = pod;
    if let Some((head, last)) = name.rsplit_once('-') {
        let suffix = last.len() == 5
            && last
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let ordinal = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
        if (suffix || ordinal) && !head.is_empty() {
            name = head;
            if suffix {
                if let Some((head, hash)) = name.rsplit_once('-') {
                    let is_hash = (6..=10).contains(&hash.len())
                        && hash
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                        && hash.bytes().any(|b| b.is_ascii_digit());
                    if is_hash && !head.is_empty() {
                        name = head;
                    }
                }
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_prefix_and_timestamp() {
        let line = b"[pod/checkout-7d9f8b6c5-x2x9z/app] 2024-05-01T10:00:00.123456789Z {\"a\":1}";
        let env = unwrap_line(line);
        assert_eq!(env.pod, Some("checkout-7d9f8b6c5-x2x9z"));
        assert_eq!(env.container, Some("app"));
        assert_eq!(env.time, Some(1_714_557_600_123_456_789));
        assert_eq!(env.payload, b"{\"a\":1}");
        assert_eq!(env.service().as_deref(), Some("checkout"));
        assert!(!env.cri);
    }

    #[test]
    fn cri_lines() {
        let env = unwrap_line(b"2016-10-06T00:17:09.669794202Z stdout P log content 1");
        assert!(env.cri && env.partial);
        assert_eq!(env.payload, b"log content 1");
        let env = unwrap_line(b"2016-10-06T00:17:09.669794202Z stderr F:x {\"msg\":\"hi\"}");
        assert!(env.cri && !env.partial);
        assert_eq!(env.payload, b"{\"msg\":\"hi\"}");
        // A timestamp followed by text that is not a CRI stream is a kubectl timestamp.
        let env = unwrap_line(b"2016-10-06T00:17:09.669794202Z {\"msg\":\"hi\"}");
        assert!(!env.cri && env.time.is_some());
    }

    #[test]
    fn stern_default_output() {
        let env = unwrap_line(b"checkout-7d9f8b6c5-x2x9z app {\"msg\":\"hi\"}");
        assert_eq!(env.service().as_deref(), Some("checkout"));
        assert_eq!(env.payload, b"{\"msg\":\"hi\"}");
        let env = unwrap_line(b"prod checkout-7d9f8b6c5-x2x9z app {\"msg\":\"hi\"}");
        assert_eq!(env.container, Some("app"));
        for not_stern in [
            &b"INFO  {\"a\":1}"[..],
            b"Nov 20 10:00:01 host app[1]: {\"a\":1}",
            b"a b {",
        ] {
            assert_eq!(unwrap_line(not_stern).pod, None, "{not_stern:?}");
        }
    }

    #[test]
    fn a_level_word_before_the_json_is_kept() {
        let level = |line: &str| unwrap_line(line.as_bytes()).level;
        assert_eq!(
            level("2026-11-20T10:00:01.065Z ERROR {\"event\":\"issuer.timeout\"}"),
            Some(Level::Error)
        );
        assert_eq!(
            level("2026-11-20T10:00:01.033Z INFO  {\"a\":1}"),
            Some(Level::Info)
        );
        // Lower-case words are prose, not a level; a line that is JSON has no prefix.
        assert_eq!(level("user error {\"a\":1}"), None);
        assert_eq!(level("{\"level\":\"INFO\"}"), None);
        assert_eq!(level("GET /health {\"a\":1}"), None);
    }

    #[test]
    fn syslog_prefix_names_the_program() {
        let env = unwrap_line(b"Nov 20 10:00:01 vm-shop-1 checkout[1187]: {\"a\":1}");
        assert_eq!(env.service().as_deref(), Some("checkout"));
        assert_eq!(env.payload, b"{\"a\":1}");
        let env = unwrap_line(b"Nov  2 10:00:01 host cron: text");
        assert_eq!(env.program, Some("cron"));
    }

    #[test]
    fn plain_lines_pass_through() {
        for line in [
            &b"{\"msg\":\"x\"}"[..],
            b"",
            b"[pod/",
            b"[pod/x",
            b"2026-11-20 not a time",
        ] {
            assert_eq!(unwrap_line(line).payload, line);
        }
    }

    #[test]
    fn workloads() {
        let rows = [
            ("edge-gateway-lft7st2q8-l68kx", "edge-gateway"),
            ("cart-ds4vf7hv9q-pxpsl", "cart"),
            ("checkout-7d9f8b6c5-x2x9z", "checkout"),
            ("web-0", "web"),
            ("node-agent-x2x9z", "node-agent"),
            ("plain", "plain"),
            ("api-v2", "api-v2"),
        ];
        for (pod, want) in rows {
            assert_eq!(workload_of_pod(pod), want, "{pod}");
        }
    }

    #[test]
    fn docker_fragments() {
        assert!(is_docker_fragment(
            b"{\"log\":\"part one\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11Z\"}"
        ));
        assert!(!is_docker_fragment(
            b"{\"log\":\"whole\\n\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11Z\"}"
        ));
        assert!(!is_docker_fragment(b"{\"msg\":\"x\"}"));
    }
}
