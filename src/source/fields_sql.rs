//! SQL expressions that read tracegrep's fields out of a raw JSON line on the server,
//! generated from the built-in alias table the local reader uses (the same keys, in the same
//! order of preference), so that `--all` and `--stats` over JSON lines in object storage can
//! be grouped where the lines are.
//!
//! What the server cannot do as the local reader does, and leaves out: correlation ids (a
//! local run joins lines through them), JSON carried inside strings (Docker's `log`,
//! kubectl envelopes), ids the user named with `--trace-field` and friends, and the joining
//! of a 64-bit id with the 128-bit id it is the low half of.

use crate::records::aliases::BUILTIN_ALIASES;
use crate::records::fields::Role;
use crate::records::ids::IdSyntax;
use crate::records::level::NumericLevelScale;
use crate::source::sql::quote;

/// The value at `keys` of the JSON in `column` as text: a string as it is, a number or a
/// boolean as written (ids above 2^53 are numbers in some logs), anything else empty.
fn text_at(column: &str, keys: &[&str]) -> String {
    let keys: Vec<String> = keys.iter().map(|k| quote(k)).collect();
    let keys = keys.join(", ");
    format!(
        "multiIf(JSONType({column}, {keys}) = 'String', JSONExtractString({column}, {keys}), \
JSONType({column}, {keys}) IN ('Int64', 'UInt64', 'Double', 'Bool'), JSONExtractRaw({column}, {keys}), '')"
    )
}

/// The ways an alias's dotted path may be written: as one key (`"trace.id"`) or nested
/// (`{"trace":{"id":…}}`).
fn spellings(path: &str) -> Vec<Vec<&str>> {
    let nested: Vec<&str> = path.split('.').collect();
    if nested.len() == 1 {
        vec![nested]
    } else {
        vec![vec![path], nested]
    }
}

/// The first non-empty of `exprs`, or `''` (the server computes a repeated expression once).
fn first(exprs: &[String]) -> String {
    if exprs.is_empty() {
        return "''".to_string();
    }
    let arms: Vec<String> = exprs.iter().map(|e| format!("{e} != '', {e}")).collect();
    format!("multiIf({}, '')", arms.join(", "))
}

/// The keys a query reads from each line, each extracted once (a column of an inner query,
/// `k0`, `k1`, …), and the expressions over them.
#[derive(Debug, Default)]
pub struct LineFields {
    /// The extraction of each key, in order.
    keys: Vec<String>,
}

impl LineFields {
    /// The column that holds the text at `keys`.
    fn key(&mut self, column: &str, keys: &[&str]) -> String {
        let expr = text_at(column, keys);
        let at = match self.keys.iter().position(|k| *k == expr) {
            Some(at) => at,
            None => {
                self.keys.push(expr);
                self.keys.len() - 1
            }
        };
        format!("k{at}")
    }

    /// The inner query's select list: each key's extraction under its name.
    pub fn select_list(&self) -> String {
        let named: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, e)| format!("{e} AS k{i}"))
            .collect();
        named.join(", ")
    }

    /// The texts of every alias of the roles `keep` accepts, best first, each wrapped as
    /// `keep` says (`{}` is the text).
    fn role_texts(&mut self, column: &str, keep: impl Fn(Role) -> Option<String>) -> Vec<String> {
        self.role_keys(column, keep)
            .into_iter()
            .map(|(_, wrapped)| wrapped)
            .collect()
    }

    /// [`LineFields::role_texts`] with the key column each comes from.
    fn role_keys(
        &mut self,
        column: &str,
        keep: impl Fn(Role) -> Option<String>,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, role) in BUILTIN_ALIASES {
            let Some(wrap) = keep(*role) else { continue };
            for keys in spellings(path) {
                let key = self.key(column, &keys);
                // Names given inside an expression (`__x`) are made the key's own: the same
                // name may not stand for two expressions in one query.
                let wrapped = wrap.replace("{}", &key).replace("__", &format!("{key}_"));
                out.push((key, wrapped));
            }
        }
        out
    }
}

impl LineFields {
    /// The trace id as tracegrep writes it (16 or 32 lowercase hex digits), read from the
    /// best alias the line has, by that alias's syntax (as the reader fills its trace slot
    /// with the best-ranked alias present), from any alias but correlation ids; `''` when the
    /// line has none or it is not an id.
    pub fn trace(&mut self, column: &str) -> String {
        // GUIDs lose their dashes, GCP paths their prefix; then 1–16 digits are a 64-bit id,
        // 17–32 a whole one, zero none.
        let hex = |v: &str| {
            let bare = format!(
                "lower(if(match(replaceRegexpOne(trimBoth({v}), '^.*/traces/', '') AS __x, \
'^[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}$'), replaceAll(__x, '-', ''), __x))"
            );
            format!(
                "if(match({bare} AS __g, '^[0-9a-f]{{1,32}}$') AND NOT match(__g, '^0+$'), \
leftPad(__g, if(length(__g) <= 16, 16, 32), '0'), '')"
            )
        };
        let keys = self.role_keys(column, |role| match role {
            Role::Trace(IdSyntax::Hex) => Some(hex("{}")),
            Role::Trace(IdSyntax::Decimal) => Some(
                "if(match({}, '^[0-9]{1,20}$') AND {} != '0', leftPad(lower(hex(toUInt64OrZero({}))), 16, '0'), '')"
                    .to_string(),
            ),
            Role::Trace(IdSyntax::Traceparent) => Some(hex(
                "if(match({}, '^[0-9a-fA-F]{2}-'), splitByChar('-', {})[2], splitByChar('-', {})[1])",
            )),
            Role::Trace(IdSyntax::XRay) => Some(hex(
                "concat(substring(extract({}, '1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}'), 3, 8), substring(extract({}, '1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}'), 12, 24))",
            )),
            Role::Trace(IdSyntax::B3) => Some(hex("splitByChar('-', {})[1]")),
            Role::Trace(IdSyntax::Uber) => Some(hex("splitByChar(':', {})[1]")),
            _ => None,
        });
        let arms: Vec<String> = keys
            .iter()
            .map(|(key, decoded)| format!("{key} != '', {decoded}"))
            .collect();
        format!("multiIf({}, '')", arms.join(", "))
    }

    /// The line's span id as written (hex or decimal), `''` when none.
    pub fn span(&mut self, column: &str) -> String {
        // A span's own field, else the span part of a propagation header, as the reader does.
        first(&self.role_texts(column, |role| match role {
            Role::Span { .. } => Some("lower({})".to_string()),
            Role::Trace(IdSyntax::Traceparent) => Some(
                "lower(if(match({}, '^[0-9a-fA-F]{2}-'), splitByChar('-', {})[3], splitByChar('-', {})[2]))"
                    .to_string(),
            ),
            Role::Trace(IdSyntax::B3) => Some("lower(splitByChar('-', {})[2])".to_string()),
            Role::Trace(IdSyntax::Uber) => Some("lower(splitByChar(':', {})[2])".to_string()),
            _ => None,
        }))
    }

    /// The line's time in nanoseconds (RFC 3339 and the like, or an epoch number whose unit its
    /// digits tell), 0 when none.
    pub fn time(&mut self, column: &str) -> String {
        let text = first(&self.role_texts(column, |role| {
            matches!(role, Role::Time).then(|| "{}".to_string())
        }));
        format!(
        "if(match({text} AS tt, '^[0-9]+(\\\\.[0-9]+)?$'), \
toInt64(multiIf(length(splitByChar('.', tt)[1]) <= 11, toFloat64(tt) * 1e9, length(splitByChar('.', tt)[1]) <= 14, toFloat64(tt) * 1e6, length(splitByChar('.', tt)[1]) <= 17, toFloat64(tt) * 1e3, toFloat64(tt))), \
toUnixTimestamp64Nano(parseDateTime64BestEffortOrZero(tt, 9, 'UTC')))"
    )
    }

    /// The line's service, else the file's name (as a local file lends it), else `''`.
    pub fn service(&mut self, column: &str, file: Option<&str>) -> String {
        let mut texts = self.role_texts(column, |role| {
            matches!(role, Role::Service).then(|| "{}".to_string())
        });
        if let Some(file) = file {
            texts.push(format!("replaceRegexpOne({file}, '\\\\..*$', '')"));
        }
        first(&texts)
    }

    /// The line's message, `''` when none.
    pub fn message(&mut self, column: &str) -> String {
        // An envelope field that holds no JSON is the message, as the reader takes it.
        first(&self.role_texts(column, |role| match role {
            Role::Message => Some("{}".to_string()),
            Role::Envelope => Some("if(startsWith(trimLeft({}), '{'), '', {})".to_string()),
            _ => None,
        }))
    }

    /// Whether the line is at error level or above: a level name, or a number on its alias's
    /// scale.
    pub fn error(&mut self, column: &str) -> String {
        let texts = self.role_texts(column, |role| match role {
        Role::Level(scale) => {
            let numeric = match scale {
                NumericLevelScale::Bunyan => "toFloat64OrZero({}) >= 50",
                NumericLevelScale::OtelSeverity => "toFloat64OrZero({}) >= 17",
                NumericLevelScale::Logback => "toFloat64OrZero({}) >= 40000",
                NumericLevelScale::Syslog => "toFloat64OrNull({}) <= 3",
            };
            Some(format!(
                "if({{}} = '', '', if(match({{}}, '^[0-9.]+$'), toString(({numeric}) = 1), \
toString(lower({{}}) IN ('error', 'err', 'fatal', 'critical', 'crit', 'panic', 'alert', 'emerg', 'emergency', 'dpanic'))))"
            ))
        }
        _ => None,
    });
        format!("({} IN ('1', 'true'))", first(&texts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_extracted_once_and_named_per_key() {
        let mut fields = LineFields::default();
        let trace = fields.trace("line");
        let span = fields.span("line");
        let list = fields.select_list();
        // `trace_id` is the first trace alias; `traceparent` feeds both the trace and the span.
        assert!(trace.starts_with("multiIf(k0 != '', "));
        assert_eq!(
            list.matches("JSONType(line, 'traceparent') = 'String'")
                .count(),
            1
        );
        assert!(span.contains("splitByChar('-', k"));
        // Every name given inside an expression is its key's own.
        assert!(!trace.contains("__"));
        assert!(trace.contains("AS k0_x") && trace.contains("AS k0_g"));
        assert!(list.contains("JSONExtractString(line, 'trace', 'id')"));
        assert!(list.contains("JSONExtractString(line, 'trace.id')"));
    }

    #[test]
    fn no_alias_gives_an_empty_text() {
        assert_eq!(first(&[]), "''");
        assert_eq!(first(&["a".into()]), "multiIf(a != '', a, '')");
    }
}
