//! Lines that lost their request's context: the line has a trace or correlation id field (by
//! the same alias table as every other read), but it holds a placeholder (`undefined`,
//! `null`, `-`, `0`, an all-zero id, an empty string), as a Node service logs when a callback
//! ran outside `AsyncLocalStorage.run`. Such a line has no trace, so no search keys it; these
//! checks tell it apart from a line that simply has no id field (a startup line).

use crate::records::extract::Scalar;
use crate::records::fields::{FieldTable, Role, Slot};
use crate::records::ids::NO_ID_WORDS;
use crate::records::view::LineView;

/// The line names a trace or correlation id field whose value is a placeholder. Only asked of
/// lines that decoded to no trace.
pub fn lost_context(view: &LineView<'_>, table: &FieldTable) -> bool {
    let e = view.extracted();
    let slots = [Slot::Trace, Slot::TraceHeader, Slot::Correlation];
    if slots
        .iter()
        .filter_map(|&s| e.get(s))
        .any(|f| is_placeholder(&f.value))
    {
        return true;
    }
    // The extractor drops JSON nulls: look for one at an id path, only in lines that have one.
    let payload = view.payload();
    memchr::memmem::find(payload, b"null").is_some() && has_null_id(payload, table)
}

/// An id value that says "no id": empty, only zeros and dashes (`0`, `-`, an all-zero trace
/// id or traceparent), or a word loggers write for a missing value (`undefined`, `null`).
pub fn is_placeholder(value: &Scalar<'_>) -> bool {
    match value {
        Scalar::U64(v) => *v == 0,
        Scalar::I64(_) | Scalar::F64(_) | Scalar::Bool(_) => false,
        Scalar::Str(s) => {
            let v = s.trim().trim_matches('"');
            v.bytes().all(|b| b == b'0' || b == b'-')
                || NO_ID_WORDS.iter().any(|w| v.eq_ignore_ascii_case(w))
        }
    }
}

/// Deepest object nesting searched for a null id (the aliases are a few levels deep).
const MAX_DEPTH: usize = 6;

/// The JSON object in `payload` has `null` at a trace or correlation id path.
fn has_null_id(payload: &[u8], table: &FieldTable) -> bool {
    let Some(brace) = memchr::memchr(b'{', payload) else {
        return false;
    };
    let Ok(serde_json::Value::Object(map)) =
        serde_json::from_slice::<serde_json::Value>(&payload[brace..])
    else {
        return false;
    };
    null_under(&map, "", table, 0)
}

fn null_under(
    map: &serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    table: &FieldTable,
    depth: usize,
) -> bool {
    map.iter().any(|(key, value)| {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            serde_json::Value::Null => table
                .leaf(&path)
                .is_some_and(|a| matches!(a.role, Role::Trace(_))),
            serde_json::Value::Object(inner) if depth < MAX_DEPTH && table.is_prefix(&path) => {
                null_under(inner, &path, table, depth + 1)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;
    use crate::records::envelope::unwrap_line;
    use crate::records::fields::FieldOverrides;
    use crate::records::payload::view_payload;
    use crate::records::LineFields;

    fn lost(line: &str) -> bool {
        let table = FieldTable::new(&FieldOverrides::default());
        let env = unwrap_line(line.as_bytes());
        view_payload(&table, &env, &mut Diagnostics::default(), |v, _| {
            v.ids().trace.is_none() && lost_context(v, &table)
        })
        .unwrap_or(false)
    }

    #[test]
    fn placeholders_in_id_fields_are_lost_context() {
        for line in [
            r#"{"traceId":"undefined","msg":"x"}"#,
            r#"{"trace_id":"null","msg":"x"}"#,
            r#"{"trace_id":null,"msg":"x"}"#,
            r#"{"trace_id":"-","msg":"x"}"#,
            r#"{"trace_id":"0","msg":"x"}"#,
            r#"{"trace_id":0,"msg":"x"}"#,
            r#"{"trace_id":"","msg":"x"}"#,
            r#"{"trace_id":"00000000000000000000000000000000","msg":"x"}"#,
            r#"{"traceparent":"00-00000000000000000000000000000000-0000000000000000-00"}"#,
            r#"{"correlationId":"undefined","msg":"x"}"#,
            r#"{"dd":{"trace_id":null},"msg":"x"}"#,
        ] {
            assert!(lost(line), "{line}");
        }
    }

    #[test]
    fn lines_without_an_id_field_or_with_an_id_are_not() {
        for line in [
            r#"{"msg":"server started","pid":null}"#,
            r#"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"x"}"#,
            r#"{"msg":"trace_id null in the text"}"#,
            r#"{"trace_id":true}"#,
            "not json",
        ] {
            assert!(!lost(line), "{line}");
        }
    }
}
