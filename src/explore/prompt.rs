//! The filter prompt (`/` on the list): the language of the command line's filters, typed as
//! one line. `--service pay --errors status>=500 timeout` keeps the traces that touch a
//! payment service, have errors, a line with status 500 or more and a line saying "timeout".

use regex::Regex;

use crate::traces::filter::{parse_instant, parse_span, TraceFilter, WhereClause};

/// A filter typed at the prompt, with what it asks of the lines (to know when the inputs must
/// be read again: the lines are tested while they are read).
#[derive(Debug, Clone, Default)]
pub struct TypedFilter {
    /// The filter.
    pub filter: TraceFilter,
}

impl TypedFilter {
    /// What the filter asks of lines, comparable: two filters with the same key need the same
    /// reading of the inputs.
    pub fn line_key(&self) -> Vec<String> {
        line_key(&self.filter)
    }
}

/// What `filter` asks of lines (its `--where` clauses and `--grep`), comparable.
pub fn line_key(filter: &TraceFilter) -> Vec<String> {
    let mut key: Vec<String> = filter
        .wheres
        .iter()
        .map(|w| format!("{:?} {:?} {}", w.field, w.op, w.value))
        .collect();
    if let Some(grep) = &filter.grep {
        key.push(format!("grep {}", grep.as_str()));
    }
    key
}

/// Splits the prompt into words; single or double quotes keep spaces in one word.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut any = false;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

/// Parses the prompt: the filter flags of the command line (`--service NAME`, `--errors`,
/// `--failed`, `--min-duration D`, `--shorter-than D`, `--since T`, `--until T`,
/// `--where EXPR`, `--grep REGEX`), a bare `FIELD OP VALUE` as a `--where`, and any other
/// words as text to find in a line, ignoring case. `now` is the clock for `--since 15m`.
pub fn parse_filter(text: &str, now: i64) -> Result<TypedFilter, String> {
    let mut filter = TraceFilter::default();
    let mut loose: Vec<String> = Vec::new();
    let mut grep: Option<String> = None;
    let mut it = words(text).into_iter();
    while let Some(word) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match word.as_str() {
            "--errors" => filter.errors = true,
            "--failed" => filter.failed = true,
            "--service" => filter
                .services
                .push(value("--service")?.to_ascii_lowercase()),
            "--min-duration" | "--longer-than" => {
                let v = value(&word)?;
                filter.min_duration_ns =
                    Some(parse_span(&v).ok_or(format!("not a duration: {v}"))?);
            }
            "--shorter-than" => {
                let v = value(&word)?;
                filter.max_duration_ns =
                    Some(parse_span(&v).ok_or(format!("not a duration: {v}"))?);
            }
            "--since" => {
                let v = value(&word)?;
                filter.since = Some(parse_instant(&v, now).map_err(|e| e.to_string())?);
            }
            "--until" => {
                let v = value(&word)?;
                filter.until = Some(parse_instant(&v, now).map_err(|e| e.to_string())?);
            }
            "--where" => {
                let v = value("--where")?;
                filter
                    .wheres
                    .push(WhereClause::parse(&v).map_err(|e| e.to_string())?);
            }
            "--grep" => grep = Some(value("--grep")?),
            w if w.starts_with("--") => return Err(format!("not a filter: {w}")),
            w if looks_like_clause(w) => {
                filter
                    .wheres
                    .push(WhereClause::parse(w).map_err(|e| e.to_string())?);
            }
            _ => loose.push(word),
        }
    }
    if !loose.is_empty() {
        let text = regex::escape(&loose.join(" "));
        let both = match grep {
            Some(g) => format!("(?:{g})|(?i:{text})"),
            None => format!("(?i){text}"),
        };
        grep = Some(both);
    }
    filter.grep = grep
        .map(|g| Regex::new(&g).map_err(|e| format!("--grep: {e}")))
        .transpose()?;
    Ok(TypedFilter { filter })
}

/// A word such as `status>=500` or `msg~time.?out`: a field name, then an operator.
fn looks_like_clause(word: &str) -> bool {
    let Some(at) = word.find(['=', '<', '>', '~', '!']) else {
        return false;
    };
    let field = &word[..at];
    !field.is_empty()
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

/// The filter as one short line for the status bar.
pub fn describe(filter: &TraceFilter) -> String {
    let mut parts: Vec<String> = Vec::new();
    if filter.errors {
        parts.push("errors".into());
    }
    if filter.failed {
        parts.push("failed".into());
    }
    for s in &filter.services {
        parts.push(format!("service~{s}"));
    }
    if let Some(d) = filter.min_duration_ns {
        parts.push(format!("≥{}", crate::records::duration::format_duration(d)));
    }
    if let Some(d) = filter.max_duration_ns {
        parts.push(format!("≤{}", crate::records::duration::format_duration(d)));
    }
    if filter.since.is_some() {
        parts.push("since".into());
    }
    if filter.until.is_some() {
        parts.push("until".into());
    }
    for w in &filter.wheres {
        parts.push(format!("{}{}", field_name(w), op_text(w)));
    }
    if let Some(g) = &filter.grep {
        parts.push(format!("/{}/", g.as_str()));
    }
    parts.join(" ")
}

fn field_name(w: &WhereClause) -> &str {
    use crate::traces::filter::WhereField;
    match &w.field {
        WhereField::Path(path) => path,
        WhereField::Level(_) => "level",
        WhereField::Status => "status",
        WhereField::Duration(_) => "duration",
        WhereField::Service => "service",
    }
}

fn op_text(w: &WhereClause) -> String {
    use crate::traces::filter::Op;
    let op = match w.op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Matches => "~",
    };
    format!("{op}{}", w.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_clauses_and_words() {
        let f = parse_filter("--service Pay --errors status>=500 time out", 0)
            .unwrap()
            .filter;
        assert_eq!(f.services, ["pay"]);
        assert!(f.errors);
        assert_eq!(f.wheres.len(), 1);
        let grep = f.grep.unwrap();
        assert!(grep.is_match("Time Out"));
        assert!(!grep.is_match("timeout"));
    }

    #[test]
    fn quotes_and_errors() {
        let f = parse_filter("--where 'msg~time ?out'", 0).unwrap().filter;
        assert_eq!(f.wheres[0].value, "time ?out");
        assert!(parse_filter("--service", 0).is_err());
        assert!(parse_filter("--bogus", 0).is_err());
        assert!(parse_filter("--min-duration fast", 0).is_err());
        assert!(parse_filter("", 0).unwrap().filter.line_predicates() == 0);
    }

    #[test]
    fn line_keys_tell_when_to_read_again() {
        let a = parse_filter("--errors status>=500", 0).unwrap();
        let b = parse_filter("--service x status>=500", 0).unwrap();
        let c = parse_filter("status>=501", 0).unwrap();
        assert_eq!(a.line_key(), b.line_key());
        assert_ne!(a.line_key(), c.line_key());
    }
}
