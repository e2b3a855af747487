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

/// The text of a raw JSON value: a string unescaped, a number or a boolean as written
/// (ids above 2^53 are numbers in some logs), anything else empty.
fn text_of_raw(raw: &str) -> String {
    format!(
        "multiIf(startsWith({raw}, '\"'), JSONExtractString(concat('{{\"v\":', {raw}, '}}'), 'v'), \
match({raw}, '^-?[0-9][0-9.eE+-]*$|^true$|^false$'), {raw}, '')"
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

/// The keys a query reads from each line. The line is parsed once into its top-level keys
/// and raw values (`JSONExtractKeysAndValuesRaw`, the column `kv`); each top-level key an
/// alias needs is looked up once (`r0`, `r1`, …), a nested one is extracted from its raw
/// object, and each alias's text is a column (`k0`, `k1`, …) of an inner query that the
/// expressions read. One parse per line: extracting each of two hundred keys from the line
/// instead parsed it two hundred times (over 60 s for 4.2 million lines on two cores). The
/// lookups of some 160 top-level keys per line are now the cost (51 s for those lines; 50
/// lookups took 2.5 s): keys learned from a sample of the lines would cut them.
#[derive(Debug, Default)]
pub struct LineFields {
    /// The top-level keys looked up, in order (`r{i}`).
    tops: Vec<String>,
    /// The text of each key path, in order (`k{i}`).
    keys: Vec<String>,
}

impl LineFields {
    /// The column that holds the text at `keys` (a top-level key, or a path into one).
    fn key(&mut self, keys: &[&str]) -> String {
        let Some((top, rest)) = keys.split_first() else {
            return "''".to_string();
        };
        let at = match self.tops.iter().position(|t| t == top) {
            Some(at) => at,
            None => {
                self.tops.push((*top).to_string());
                self.tops.len() - 1
            }
        };
        let raw = if rest.is_empty() {
            format!("r{at}")
        } else {
            let path: Vec<String> = rest.iter().map(|k| quote(k)).collect();
            format!("JSONExtractRaw(r{at}, {})", path.join(", "))
        };
        let expr = text_of_raw(&raw);
        let at = match self.keys.iter().position(|k| *k == expr) {
            Some(at) => at,
            None => {
                self.keys.push(expr);
                self.keys.len() - 1
            }
        };
        format!("k{at}")
    }

    /// The inner query's select list over `kv`: each top-level key's raw value, then each
    /// key's text, under their names.
    pub fn select_list(&self) -> String {
        let tops = self
            .tops
            .iter()
            .enumerate()
            // The last of a repeated key, as the reader keeps it (zerolog can write a key twice).
            .map(|(i, t)| format!("arrayLast(x -> x.1 = {}, kv).2 AS r{i}", quote(t)));
        let keys = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, e)| format!("{e} AS k{i}"));
        tops.chain(keys).collect::<Vec<_>>().join(", ")
    }

    /// The texts of every alias of the roles `keep` accepts, best first, each wrapped as
    /// `keep` says (`{}` is the text).
    fn role_texts(&mut self, keep: impl Fn(Role) -> Option<String>) -> Vec<String> {
        self.role_keys(keep)
            .into_iter()
            .map(|(_, wrapped)| wrapped)
            .collect()
    }

    /// [`LineFields::role_texts`] with the key column each comes from.
    fn role_keys(&mut self, keep: impl Fn(Role) -> Option<String>) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, role) in BUILTIN_ALIASES {
            let Some(wrap) = keep(*role) else { continue };
            for keys in spellings(path) {
                let key = self.key(&keys);
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
    pub fn trace(&mut self) -> String {
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
        let keys = self.role_keys( |role| match role {
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
    pub fn span(&mut self) -> String {
        // A span's own field, else the span part of a propagation header, as the reader does.
        first(&self.role_texts( |role| match role {
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
    pub fn time(&mut self) -> String {
        let text =
            first(&self.role_texts(|role| matches!(role, Role::Time).then(|| "{}".to_string())));
        format!(
        "if(match({text} AS tt, '^[0-9]+(\\\\.[0-9]+)?$'), \
toInt64(multiIf(length(splitByChar('.', tt)[1]) <= 11, toFloat64(tt) * 1e9, length(splitByChar('.', tt)[1]) <= 14, toFloat64(tt) * 1e6, length(splitByChar('.', tt)[1]) <= 17, toFloat64(tt) * 1e3, toFloat64(tt))), \
toUnixTimestamp64Nano(parseDateTime64BestEffortOrZero(tt, 9, 'UTC')))"
    )
    }

    /// The line's service, else the file's name (as a local file lends it), else `''`.
    pub fn service(&mut self, file: Option<&str>) -> String {
        let mut texts =
            self.role_texts(|role| matches!(role, Role::Service).then(|| "{}".to_string()));
        if let Some(file) = file {
            texts.push(format!("replaceRegexpOne({file}, '\\\\..*$', '')"));
        }
        first(&texts)
    }

    /// The line's message, `''` when none.
    pub fn message(&mut self) -> String {
        // An envelope field that holds no JSON is the message, as the reader takes it.
        first(&self.role_texts(|role| match role {
            Role::Message => Some("{}".to_string()),
            Role::Envelope => Some("if(startsWith(trimLeft({}), '{'), '', {})".to_string()),
            _ => None,
        }))
    }

    /// Whether the line is at error level or above: a level name, or a number on its alias's
    /// scale.
    pub fn error(&mut self) -> String {
        let texts = self.role_texts( |role| match role {
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
        let trace = fields.trace();
        let span = fields.span();
        let list = fields.select_list();
        // `trace_id` is the first trace alias; `traceparent` feeds both the trace and the span.
        assert!(trace.starts_with("multiIf(k0 != '', "));
        // Each top-level key is looked up once, whatever reads it.
        assert_eq!(list.matches("x.1 = 'traceparent', kv").count(), 1);
        assert!(span.contains("splitByChar('-', k"));
        // Every name given inside an expression is its key's own.
        assert!(!trace.contains("__"));
        assert!(trace.contains("AS k0_x") && trace.contains("AS k0_g"));
        assert!(list.contains("x.1 = 'trace.id', kv"));
        assert!(list.contains("JSONExtractRaw(r"));
    }

    #[test]
    fn no_alias_gives_an_empty_text() {
        assert_eq!(first(&[]), "''");
        assert_eq!(first(&["a".into()]), "multiIf(a != '', a, '')");
    }
}
