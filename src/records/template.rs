//! Serilog message templates (`@mt` in CLEF): the message is the template with the line's
//! properties put in, as Serilog renders it into `@m`, so that a template and its rendered
//! form read the same, and name the same span.
//!
//! Syntax: `{Name}`, `{@Name}` (destructured), `{$Name}` (stringified), `{Name:format}`,
//! `{Name,width}` (negative: left-aligned), `{{` and `}}` for braces. Strings are quoted, as
//! Serilog writes them (`"GET"`), unless the format is `l` (literal). A property the line does
//! not carry, or a hole that is not one, stays as written.
//!
//! Only lines whose message is a template pay for this, and only when their message is read:
//! the line is parsed again to find its properties.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Fields that may hold a whole CLEF record as a string (the envelopes of `fields.rs`).
const ENVELOPES: [&str; 4] = ["log", "message", "MESSAGE", "body"];

/// Renders `template` with the properties of the JSON line `payload` (the object that holds
/// `@mt`, at the top or inside a string envelope). Without properties, the template as is.
pub fn render_with_line(template: &str, payload: &[u8]) -> String {
    let names = hole_names(template);
    if names.is_empty() {
        return render(template, &Map::new());
    }
    match properties(payload, &names) {
        Some(props) => render(template, &props),
        None => template.to_string(),
    }
}

/// The property names the template's holes name.
fn hole_names(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|piece| {
            let hole = &piece[..piece.find('}')?];
            let name = hole.split([':', ',']).next()?;
            Some(name.strip_prefix(['@', '$']).unwrap_or(name))
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The named properties of the object of `payload` that carries `@mt`. The values of other
/// keys are skipped, not built: this runs for every span named by a template.
fn properties(payload: &[u8], names: &[&str]) -> Option<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_slice(payload);
    if let Ok((true, props)) = Named(names).deserialize(&mut de) {
        return Some(props);
    }
    // A CLEF record carried as a string in an envelope (rare): parse it all.
    let Value::Object(mut outer) = serde_json::from_slice::<Value>(payload).ok()? else {
        return None;
    };
    ENVELOPES.iter().find_map(|key| match outer.remove(*key) {
        Some(Value::String(text)) => {
            let mut de = serde_json::Deserializer::from_str(&text);
            match Named(names).deserialize(&mut de) {
                Ok((true, props)) => Some(props),
                _ => None,
            }
        }
        _ => None,
    })
}

/// Reads an object keeping only the values of `names`; says whether it had `@mt`.
struct Named<'n>(&'n [&'n str]);

impl<'de> DeserializeSeed<'de> for Named<'_> {
    type Value = (bool, Map<String, Value>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Named<'_> {
    type Value = (bool, Map<String, Value>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut template, mut props) = (false, Map::new());
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.0;
            if key == "@mt" {
                template = true;
            }
            if self.0.contains(&key.as_ref()) {
                props.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok((template, props))
    }
}

/// A key, borrowed from the line unless it had escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Renders `template` with `props`.
pub fn render(template: &str, props: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            // A lone `}`: Serilog writes it as text.
            out.push('}');
            rest = after;
            continue;
        }
        match tail.find('}').map(|end| (&tail[1..end], end)) {
            Some((hole, end)) => {
                match render_hole(hole, props) {
                    Some(text) => out.push_str(&text),
                    None => out.push_str(&tail[..=end]),
                }
                rest = &tail[end + 1..];
            }
            None => {
                out.push_str(tail);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// One hole (between the braces): `[@|$]Name[,width][:format]`. `None` when it is not a
/// valid hole or the property is missing.
fn render_hole(hole: &str, props: &Map<String, Value>) -> Option<String> {
    let (hole, format) = match hole.split_once(':') {
        Some((h, f)) => (h, Some(f)),
        None => (hole, None),
    };
    let (hole, width) = match hole.split_once(',') {
        Some((h, w)) => (h, Some(w.trim().parse::<i32>().ok()?)),
        None => (hole, None),
    };
    let name = hole.strip_prefix(['@', '$']).unwrap_or(hole);
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let value = props.get(name)?;
    let text = if hole.starts_with('$') {
        // Stringified: the value's text, as a string.
        quoted(&plain(value))
    } else {
        scalar(value, format)
    };
    Some(match width {
        Some(w) => {
            let pad = (w.unsigned_abs() as usize).saturating_sub(text.chars().count());
            let spaces = " ".repeat(pad);
            if w < 0 {
                text + &spaces
            } else {
                spaces + &text
            }
        }
        None => text,
    })
}

/// A value as Serilog renders it in a message.
fn scalar(value: &Value, format: Option<&str>) -> String {
    match (value, format) {
        (Value::String(s), Some("l")) => s.clone(),
        (Value::String(s), _) => quoted(s),
        (Value::Number(n), Some(f)) => n
            .as_f64()
            .and_then(|x| fixed(x, f))
            .unwrap_or_else(|| n.to_string()),
        (Value::Array(items), _) => {
            let items: Vec<String> = items.iter().map(|v| scalar(v, None)).collect();
            format!("[{}]", items.join(", "))
        }
        (Value::Object(fields), _) => {
            let fields: Vec<String> = fields
                .iter()
                .filter(|(k, _)| k.as_str() != "$type")
                .map(|(k, v)| format!("{k}: {}", scalar(v, None)))
                .collect();
            let tag = match fields.is_empty() {
                true => String::new(),
                false => format!(" {} ", fields.join(", ")),
            };
            match value.get("$type").and_then(Value::as_str) {
                Some(t) => format!("{t} {{{tag}}}"),
                None => format!("{{{tag}}}"),
            }
        }
        (v, _) => plain(v),
    }
}

/// A value's text without quotes; .NET's `True`/`False` for booleans.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        v => v.to_string(),
    }
}

/// A string in double quotes, inner quotes and backslashes escaped (Serilog's rendering).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// .NET's fixed-point formats: `0.0000` (custom, as many decimals as zeros) and `F2`/`N2`
/// (`N` without group separators). Other formats leave the number as logged.
fn fixed(x: f64, format: &str) -> Option<String> {
    let decimals = if let Some(zeros) = format.strip_prefix("0.") {
        zeros.chars().all(|c| c == '0').then_some(zeros.len())?
    } else if format == "0" {
        0
    } else if let Some(n) = format.strip_prefix(['F', 'f', 'N', 'n']) {
        if n.is_empty() {
            2
        } else {
            n.parse::<usize>().ok().filter(|&n| n <= 20)?
        }
    } else {
        return None;
    };
    Some(format!("{x:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props() -> Map<String, Value> {
        let line = r#"{"HttpMethod":"GET","Uri":"http://cart/api/x","Elapsed":81.54432,"StatusCode":200,
            "Quote":"say \"hi\"","Ok":true,"Cart":{"Id":7,"Items":["a","b"]},"Typed":{"$type":"Cart","Id":1},
            "Nothing":null,"Ids":[1,2]}"#;
        match serde_json::from_str(line) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn renders_like_serilog() {
        let p = props();
        for (template, want) in [
            (
                "Start processing HTTP request {HttpMethod} {Uri}",
                r#"Start processing HTTP request "GET" "http://cart/api/x""#,
            ),
            (
                "responded {StatusCode} in {Elapsed:0.0000} ms",
                "responded 200 in 81.5443 ms",
            ),
            ("{Elapsed:F1} {Elapsed:N0} {Elapsed:0}", "81.5 82 82"),
            ("{Elapsed:#,##0.00}", "81.54432"),
            (
                "{HttpMethod:l} {$HttpMethod} {@Cart}",
                r#"GET "GET" { Id: 7, Items: ["a", "b"] }"#,
            ),
            (
                "{@Typed} {Ids} {Ok} {Nothing}",
                "Cart { Id: 1 } [1, 2] True null",
            ),
            ("[{StatusCode,5}] [{StatusCode,-5}]", "[  200] [200  ]"),
            ("{Quote}", r#""say \"hi\"""#),
            ("{{literal}} {{{StatusCode}}}", "{literal} {200}"),
            ("{Missing} {StatusCode}", "{Missing} 200"),
            (
                "{Missing:0.00,x} { spaced } {} {StatusCode,wide}",
                "{Missing:0.00,x} { spaced } {} {StatusCode,wide}",
            ),
            ("unclosed {StatusCode", "unclosed {StatusCode"),
            ("stray } and {{", "stray } and {"),
            ("東京 {StatusCode} 東京", "東京 200 東京"),
        ] {
            assert_eq!(render(template, &p), want, "{template}");
        }
    }

    #[test]
    fn properties_come_from_the_line_or_its_envelope() {
        let line = br#"{"@mt":"GET {Path}","Path":"/a"}"#;
        assert_eq!(render_with_line("GET {Path}", line), r#"GET "/a""#);
        let wrapped = br#"{"stream":"stdout","log":"{\"@mt\":\"GET {Path}\",\"Path\":\"/b\"}"}"#;
        assert_eq!(render_with_line("GET {Path}", wrapped), r#"GET "/b""#);
        assert_eq!(render_with_line("GET {Path}", b"not json"), "GET {Path}");
        let escaped = br#"{"@mt":"{A} {B}","A":1,"\u0042":"x","C":{"deep":[1,2]}}"#;
        assert_eq!(render_with_line("{A} {B}", escaped), r#"1 "x""#);
        assert_eq!(render_with_line("{{A}}", escaped), "{A}");
    }
}
