//! Severity levels.
//!
//! Loggers spell severity as names in any case, with suffixes (`INFO+2`, `INFO2`), or as
//! numbers on one of several scales. Both are folded into the six OTel severity bands so
//! records from different producers can be filtered and coloured the same way. Matching
//! works on bytes and never allocates.

/// Severity, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Finest-grained diagnostics (OTel 1–4).
    Trace,
    /// Diagnostics (OTel 5–8).
    Debug,
    /// Normal operation (OTel 9–12).
    Info,
    /// Something unexpected but handled (OTel 13–16).
    Warn,
    /// A failed operation (OTel 17–20).
    Error,
    /// The process or a whole component cannot continue (OTel 21–24).
    Fatal,
}

impl Level {
    /// Short upper-case label for display: TRACE DEBUG INFO WARN ERROR FATAL
    pub fn label(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }
}

// CRITICAL sits below ALERT/EMERGENCY in GCP and syslog, so it stays an Error (OTel 18,
// log-formats.md §3) rather than collapsing into Fatal with them. JUL names follow the
// OTel JUL bridge; zap's DPanic is already a panic-class level.
const NAMES: &[(&str, Level)] = &[
    ("trace", Level::Trace),
    ("verbose", Level::Trace),
    ("finest", Level::Trace),
    ("silly", Level::Trace),
    ("debug", Level::Debug),
    ("finer", Level::Debug),
    ("fine", Level::Debug),
    ("config", Level::Debug),
    ("info", Level::Info),
    ("information", Level::Info),
    ("informational", Level::Info),
    ("notice", Level::Info),
    ("default", Level::Info),
    ("warn", Level::Warn),
    ("warning", Level::Warn),
    ("error", Level::Error),
    ("err", Level::Error),
    ("severe", Level::Error),
    ("critical", Level::Error),
    ("crit", Level::Error),
    ("alert", Level::Fatal),
    ("emerg", Level::Fatal),
    ("emergency", Level::Fatal),
    ("fatal", Level::Fatal),
    ("panic", Level::Fatal),
    ("dpanic", Level::Fatal),
];

/// Level from a textual level in any case: trace, verbose, debug, info, information, notice,
/// warn, warning, error, err, critical, crit, alert, emerg, emergency, fatal, panic, dpanic,
/// severe, finest/finer/fine/config (JUL), GCP `DEFAULT` (→ Info). slog's `INFO+2` /
/// `WARN-4` and OTel severityText `INFO2` keep the base name. Surrounding ASCII whitespace
/// is ignored. One-letter forms (`I`, `E`) are not accepted: they are too easily a
/// different field's value. Unknown → None. CLEF's absent `@l` meaning Information is the
/// caller's rule, not this function's.
pub fn level_from_text(s: &str) -> Option<Level> {
    // A file spells a handful of levels, most lines the same as the line before: compared
    // with the last one read, not looked up among the names again.
    let text = s.as_bytes();
    let (last, last_len, last_level) = LAST_LEVEL.get();
    if last
        .get(..last_len)
        .is_some_and(|last| crate::records::bytes::same(last, text))
    {
        return last_level;
    }
    let level = level_by_name(text);
    let mut remembered = [0; LAST_LEVEL_CAPACITY];
    if let Some(place) = remembered.get_mut(..text.len()) {
        place.copy_from_slice(text);
        LAST_LEVEL.set((remembered, text.len(), level));
    }
    level
}

/// The longest level text [`LAST_LEVEL`] remembers.
const LAST_LEVEL_CAPACITY: usize = 16;

thread_local! {
    /// The last level text a thread read and its level (`usize::MAX` long: none yet).
    static LAST_LEVEL: std::cell::Cell<([u8; LAST_LEVEL_CAPACITY], usize, Option<Level>)> =
        const { std::cell::Cell::new(([0; LAST_LEVEL_CAPACITY], usize::MAX, None)) };
}

fn level_by_name(text: &[u8]) -> Option<Level> {
    let base = strip_suffix(text.trim_ascii());
    NAMES
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(base))
        .map(|&(_, level)| level)
}

/// Drops a trailing `+n`/`-n` (slog) or bare `n` (OTel `INFO2`): both refine a base level.
fn strip_suffix(b: &[u8]) -> &[u8] {
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    match b.split_at_checked(b.len() - digits) {
        Some((head, _)) if digits > 0 => match head.split_last() {
            Some((b'+' | b'-', base)) => base,
            _ => head,
        },
        _ => b,
    }
}

/// Which numeric scale a numeric level field uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericLevelScale {
    /// pino/bunyan 10 20 30 40 50 60; also Monolog 100 200 250 300 400 500 550 600 (told apart by magnitude)
    Bunyan,
    /// OTel SeverityNumber 1–24 (0 = unset → None)
    OtelSeverity,
    /// logback level_value 5000 10000 20000 30000 40000
    Logback,
    /// syslog/journald PRIORITY 0–7 (0 emerg … 7 debug)
    Syslog,
}

/// Level from a number on the given scale; between-values round down to the band they are
/// in; out of range → None. Bunyan accepts 10..=99 (pino custom levels above 60 stay
/// Fatal) and Monolog 100..=600; Logback accepts 5000..=59999 (log4j 1's FATAL is 50000,
/// and OFF/ALL are None); syslog CRITICAL (2) and Monolog CRITICAL (500) are Error, as in
/// [`level_from_text`].
pub fn level_from_number(n: i64, scale: NumericLevelScale) -> Option<Level> {
    use Level::*;
    Some(match scale {
        NumericLevelScale::Bunyan => match n {
            10..=19 => Trace,
            20..=29 | 100..=199 => Debug,
            30..=39 | 200..=299 => Info,
            40..=49 | 300..=399 => Warn,
            50..=59 | 400..=549 => Error,
            60..=99 | 550..=600 => Fatal,
            _ => return None,
        },
        NumericLevelScale::OtelSeverity => match n {
            1..=4 => Trace,
            5..=8 => Debug,
            9..=12 => Info,
            13..=16 => Warn,
            17..=20 => Error,
            21..=24 => Fatal,
            _ => return None,
        },
        NumericLevelScale::Logback => match n {
            5_000..=9_999 => Trace,
            10_000..=19_999 => Debug,
            20_000..=29_999 => Info,
            30_000..=39_999 => Warn,
            40_000..=49_999 => Error,
            50_000..=59_999 => Fatal,
            _ => return None,
        },
        NumericLevelScale::Syslog => match n {
            0 | 1 => Fatal,
            2 | 3 => Error,
            4 => Warn,
            5 | 6 => Info,
            7 => Debug,
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::Level::*;
    use super::NumericLevelScale::*;
    use super::*;

    #[test]
    fn a_level_reads_the_same_whatever_was_read_before_it() {
        let texts = [
            "info",
            "info",
            "INFO",
            "nope",
            "nope",
            "",
            " error ",
            "error",
            "informational",
            "a very long level name indeed",
            "warn",
            "",
            "info",
        ];
        for order in [texts.to_vec(), texts.iter().rev().copied().collect()] {
            for t in order.iter().chain(order.iter()) {
                assert_eq!(level_from_text(t), level_by_name(t.as_bytes()), "{t:?}");
            }
        }
    }

    #[test]
    fn text() {
        let rows: &[(&str, Option<Level>)] = &[
            ("info", Some(Info)),        // zap, zerolog, logrus
            ("warning", Some(Warn)),     // logrus, Python, GCP
            ("DEBUG", Some(Debug)),      // slog
            ("INFO+2", Some(Info)),      // slog
            ("WARN-4", Some(Warn)),      // slog
            ("ERROR+8", Some(Error)),    // slog
            ("INFO2", Some(Info)),       // OTel severityText
            ("Information", Some(Info)), // OTLP, CLEF, .NET
            ("Verbose", Some(Trace)),    // CLEF
            ("Critical", Some(Error)),   // .NET, Python, GCP (§3: 18)
            ("CRITICAL", Some(Error)),   // Python levelname
            ("NOTICE", Some(Info)),      // GCP, ECS example
            ("DEFAULT", Some(Info)),     // GCP
            ("ALERT", Some(Fatal)),      // GCP
            ("EMERGENCY", Some(Fatal)),  // GCP
            ("emerg", Some(Fatal)),      // syslog
            ("crit", Some(Error)),       // syslog
            ("err", Some(Error)),        // syslog
            ("dpanic", Some(Fatal)),     // zap
            ("panic", Some(Fatal)),      // zap, logrus
            ("fatal", Some(Fatal)),      // pino names, zerolog
            ("trace", Some(Trace)),      // pino names, logrus
            ("TRACE", Some(Trace)),      // OTel
            ("SEVERE", Some(Error)),     // JUL
            ("FINE", Some(Debug)),       // JUL
            ("finest", Some(Trace)),     // JUL
            (" info ", Some(Info)),
            ("I", None),
            ("E", None),
            ("", None),
            ("2", None),
            ("+2", None),
            ("INFO+", None),
            ("INFO+2x", None),
            ("informative", None),
            ("off", None),
            ("ïnfo", None),
            ("ınfo", None), // dotless i must not case-fold to ASCII
        ];
        for &(s, want) in rows {
            assert_eq!(level_from_text(s), want, "{s:?}");
        }
    }

    #[test]
    fn numbers() {
        let rows: &[(i64, NumericLevelScale, Option<Level>)] = &[
            (10, Bunyan, Some(Trace)),
            (20, Bunyan, Some(Debug)),
            (30, Bunyan, Some(Info)), // pino, bunyan
            (35, Bunyan, Some(Info)),
            (40, Bunyan, Some(Warn)),
            (50, Bunyan, Some(Error)),
            (60, Bunyan, Some(Fatal)),
            (9, Bunyan, None),
            (100, Bunyan, Some(Debug)), // Monolog
            (200, Bunyan, Some(Info)),
            (250, Bunyan, Some(Info)),
            (300, Bunyan, Some(Warn)),
            (400, Bunyan, Some(Error)),
            (500, Bunyan, Some(Error)),
            (550, Bunyan, Some(Fatal)),
            (600, Bunyan, Some(Fatal)),
            (601, Bunyan, None),
            (0, OtelSeverity, None),
            (1, OtelSeverity, Some(Trace)),
            (4, OtelSeverity, Some(Trace)),
            (5, OtelSeverity, Some(Debug)),
            (9, OtelSeverity, Some(Info)),
            (10, OtelSeverity, Some(Info)),
            (13, OtelSeverity, Some(Warn)),
            (18, OtelSeverity, Some(Error)),
            (24, OtelSeverity, Some(Fatal)),
            (25, OtelSeverity, None),
            (-1, OtelSeverity, None),
            (5000, Logback, Some(Trace)),
            (10000, Logback, Some(Debug)),
            (20000, Logback, Some(Info)),
            (30000, Logback, Some(Warn)),
            (40000, Logback, Some(Error)), // logstash-logback example
            (50000, Logback, Some(Fatal)),
            (4999, Logback, None),
            (i64::from(i32::MAX), Logback, None), // OFF
            (i64::from(i32::MIN), Logback, None), // ALL
            (0, Syslog, Some(Fatal)),
            (1, Syslog, Some(Fatal)),
            (2, Syslog, Some(Error)),
            (3, Syslog, Some(Error)),
            (4, Syslog, Some(Warn)),
            (5, Syslog, Some(Info)),
            (6, Syslog, Some(Info)), // journald example
            (7, Syslog, Some(Debug)),
            (8, Syslog, None),
            (i64::MIN, Syslog, None),
        ];
        for &(n, scale, want) in rows {
            assert_eq!(level_from_number(n, scale), want, "{n} {scale:?}");
        }
    }

    #[test]
    fn labels_and_order() {
        let all = [Trace, Debug, Info, Warn, Error, Fatal];
        let labels: Vec<_> = all.iter().map(|l| l.label()).collect();
        assert_eq!(labels, ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        for l in all {
            assert_eq!(level_from_text(l.label()), Some(l));
        }
    }
}
