//! Tests of [`super`].
use super::*;

const FULL: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;

#[test]
fn prefixes() {
    let p = |t: &str| TraceQuery::parse(t);
    let q = p("4bf92f35");
    assert_eq!(
        q.prefix,
        Some(IdPrefix {
            value: 0x4bf92f35,
            digits: 8
        })
    );
    assert!(q.exact && q.wants(&TraceKey::Full(FULL)));
    assert!(
        q.wants(&TraceKey::Low64(0x4bf92f35)),
        "a short Jaeger id, as before"
    );
    assert!(!q.wants(&TraceKey::Full(FULL + (1 << 100))));
    let q = p("4bf92f3577b34da6…");
    assert!(!q.exact && q.wants(&TraceKey::Full(FULL)));
    assert!(!q.wants(&TraceKey::Low64(0xa3ce929d0e0e4736)));
    assert!(p("a3ce929d…").wants(&TraceKey::Low64(0xa3ce929d0e0e4736)));
    assert_eq!(p("4BF92F35-77B3...").prefix.map(|p| p.digits), Some(12));
    assert_eq!(p("00-4bf92f3577").prefix.map(|p| p.digits), Some(10));
    // Whole ids, 64-bit ids, decimal ids, short or dashed anywhere else: no prefix.
    for whole in [
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "a3ce929d0e0e4736",
        "11803532876627986230",
        "4bf92f3",
        "4bf9-2f35",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "1-4bf92f35-77b34da6a3ce929d0e0e4736",
    ] {
        assert_eq!(p(whole).prefix, None, "{whole}");
    }
    // A prefix is found by its first eight digits in both cases.
    assert_eq!(
        p("4bf92f35…").needles(),
        [b"4bf92f35".to_vec(), b"4BF92F35".to_vec()]
    );
}

#[test]
fn query_spellings() {
    let rows: &[(&str, TraceKey)] = &[
        ("4bf92f3577b34da6a3ce929d0e0e4736", TraceKey::Full(FULL)),
        ("4BF92F3577B34DA6A3CE929D0E0E4736", TraceKey::Full(FULL)),
        ("4BF92F35-77B3-4DA6-A3CE-929D0E0E4736", TraceKey::Full(FULL)),
        ("4bf92f35-77b3-4da6-a3ce-929d0e0e4736", TraceKey::Full(FULL)),
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            TraceKey::Full(FULL),
        ),
        ("1-4bf92f35-77b34da6a3ce929d0e0e4736", TraceKey::Full(FULL)),
        (
            "projects/demo/traces/4bf92f3577b34da6a3ce929d0e0e4736",
            TraceKey::Full(FULL),
        ),
        ("11803532876627986230", TraceKey::Low64(0xa3ce929d0e0e4736)),
        ("a3ce929d0e0e4736", TraceKey::Low64(0xa3ce929d0e0e4736)),
        (
            "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:01",
            TraceKey::Full(FULL),
        ),
        (
            "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            TraceKey::Full(FULL),
        ),
        (
            "Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=53995c3f42cd8ad8;Sampled=1",
            TraceKey::Full(FULL),
        ),
        ("req-7f3a", TraceKey::Opaque("req-7f3a".into())),
    ];
    for (text, want) in rows {
        assert_eq!(&TraceQuery::parse(text).key, want, "{text}");
    }
}

#[test]
fn field_decoding() {
    let d = decode_trace_field(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        IdSyntax::Traceparent,
    );
    assert_eq!(d.trace, Some(TraceKey::Full(FULL)));
    assert_eq!(d.span, Some(SpanId(0x00f067aa0ba902b7)));
    let d = decode_trace_field(
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        IdSyntax::Traceparent,
    );
    assert_eq!(d.trace, None);
    let d = decode_trace_field(
        "80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-1-e457b5a2e4d86bd1",
        IdSyntax::B3,
    );
    assert_eq!(
        d.trace,
        Some(TraceKey::Full(0x80f198ee56343ba864fe8b2a57d3eff7))
    );
    assert_eq!(d.span, Some(SpanId(0x05e3ac9a4f6e3b90)));
    assert_eq!(d.parent, Some(SpanId(0xe457b5a2e4d86bd1)));
    let d = decode_trace_field(
        "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:01",
        IdSyntax::Uber,
    );
    assert_eq!(d.trace, Some(TraceKey::Full(FULL)));
    assert_eq!(d.parent, None);
    let d = decode_trace_field("abc123:00f067aa0ba902b7:0:01", IdSyntax::Uber);
    assert_eq!(d.trace, Some(TraceKey::Low64(0xabc123)));
    let d = decode_trace_field("11803532876627986230", IdSyntax::Decimal);
    assert_eq!(d.trace, Some(TraceKey::Low64(0xa3ce929d0e0e4736)));
    let d = decode_trace_field("68c2114800000000669b6b6b2aaf59c9", IdSyntax::Decimal);
    assert_eq!(
        d.trace,
        Some(TraceKey::Full(0x68c2114800000000669b6b6b2aaf59c9))
    );
    let d = decode_trace_field(
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        IdSyntax::XRay,
    );
    assert_eq!(
        d.trace,
        Some(TraceKey::Full(0x5759e988bd862e3fe1be46a994272793))
    );
    assert_eq!(d.parent, Some(SpanId(0x53995c3f42cd8ad8)));
    for zero in ["0", "", "00000000000000000000000000000000"] {
        assert_eq!(
            decode_trace_field(zero, IdSyntax::Hex).trace,
            None,
            "{zero:?}"
        );
        assert_eq!(
            decode_trace_field(zero, IdSyntax::Correlation).trace,
            None,
            "{zero:?}"
        );
    }
    assert_eq!(
        decode_trace_field("req-7f3a", IdSyntax::Correlation).trace,
        Some(TraceKey::Opaque("req-7f3a".into()))
    );
    for syntax in [IdSyntax::Hex, IdSyntax::Decimal, IdSyntax::Correlation] {
        assert_eq!(
            decode_trace_field("order-checkout-42", syntax).trace,
            Some(TraceKey::Opaque("order-checkout-42".into())),
            "{syntax:?}"
        );
        for none in ["null", "None", "undefined", "-", "N/A"] {
            assert_eq!(decode_trace_field(none, syntax).trace, None, "{none:?}");
        }
    }
    assert_eq!(parse_hex_span("0000000000000000"), None);
    assert_eq!(
        parse_decimal_span("8985025821692657638"),
        Some(SpanId(0x7cb139614fb3ffe6))
    );
}

#[test]
fn matching_joins_on_low64() {
    let full = TraceKey::Full(FULL);
    assert!(TraceKey::Low64(0xa3ce929d0e0e4736).matches(&full));
    assert!(full.matches(&TraceKey::Low64(0xa3ce929d0e0e4736)));
    assert!(!TraceKey::Full(FULL ^ (1 << 100)).matches(&full));
    assert!(TraceKey::Opaque("REQ-7F3A".into()).matches(&TraceKey::Opaque("req-7f3a".into())));
}

#[test]
fn needles_cover_every_spelling() {
    let q = TraceQuery::parse("4bf92f3577b34da6a3ce929d0e0e4736");
    let needles = q.needles();
    for spelling in [
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "4BF92F35-77B3-4DA6-A3CE-929D0E0E4736",
        "1-4bf92f35-77b34da6a3ce929d0e0e4736",
        "projects/demo/traces/4bf92f3577b34da6a3ce929d0e0e4736",
        "11803532876627986230",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ] {
        assert!(
            needles.iter().any(|n| contains(spelling.as_bytes(), n)),
            "{spelling}"
        );
    }
}

/// Found by fuzzing: a short id as `--all` prints it (padded) and a prefix with a leading
/// zero both find the id logged without its leading zeros.
#[test]
fn needles_cover_ids_logged_without_leading_zeros() {
    let has = |typed: &str, logged: &str| {
        TraceQuery::parse(typed)
            .needles()
            .iter()
            .any(|n| contains(logged.as_bytes(), n))
    };
    assert!(has("000000004bf92f35", r#""trace_id":"4bf92f35""#));
    assert!(has("00000000000000DA", r#""trace":"da""#));
    assert!(has(
        "0af76519…",
        r#""uber-trace-id":"af7651916cd43dd8448eb211c80319c:1:0:1""#
    ));
    // A random 64-bit id keeps its three needles (the prefilter's speed depends on it).
    assert_eq!(TraceQuery::parse("a3ce929d0e0e4736").needles().len(), 3);
}

/// Found by fuzzing: a correlation id of 17 to 31 digits (a snowflake request id) reads as
/// hex in a line and as decimal on the command line; the query wants both.
#[test]
fn a_digit_request_id_is_wanted_as_logged() {
    let logged = decode_trace_field("1234567890123456789", IdSyntax::Correlation).trace;
    let q = TraceQuery::parse("1234567890123456789");
    assert!(q.wants(&logged.expect("an id")));
    assert!(q.wants(&TraceKey::Low64(1234567890123456789)));
}

#[test]
fn shortcuts_for_common_spellings_agree_with_the_general_parsers() {
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let span = "00f067aa0ba902b7";
    let mut values = vec![
        trace.to_string(),
        span.to_string(),
        trace.to_uppercase(),
        "0".repeat(32),
        "0".repeat(16),
        format!("00-{trace}-{span}-01"),
        format!("ff-{trace}-{span}-01"),
        format!("FF-{trace}-{span}-01"),
        format!("00-{}-{span}-01", "0".repeat(32)),
        format!("00-{trace}-{}-01", "0".repeat(16)),
    ];
    // Every one-byte change of the common spellings: other bytes, spaces, dashes, slashes.
    let mut next = crate::records::random_u64s(0x9E37_79B9_7F4A_7C15);
    for base in values.clone() {
        for _ in 0..2_000 {
            let x = next();
            let mut bytes = base.clone().into_bytes();
            let at = (x >> 8) as usize % bytes.len();
            bytes[at] = b" -/gG0aF\t"[(x % 9) as usize];
            values.push(String::from_utf8(bytes).expect("ASCII"));
        }
    }
    for v in &values {
        assert_eq!(parse_hex_trace(v), parse_any_hex_trace(v), "{v:?}");
        assert_eq!(parse_hex_span(v), parse_any_hex_span(v), "{v:?}");
        assert_eq!(
            decode_trace_field(v, IdSyntax::Traceparent),
            split_traceparent(v),
            "{v:?}"
        );
    }
}
