//! Queries over ClickHouse's HTTP interface: the SQL in the body, the settings that keep a
//! search harmless in the URL, credentials in headers, the server's errors in one line.

use std::io::{self, BufRead, Read};
use std::time::Duration;

use crate::render::sanitize::sanitize;
use crate::source::sql::{quote, SECRET_PLACEHOLDER};
use crate::source::target::Target;

/// What the server said of a query besides its rows (`X-ClickHouse-Summary`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows the server read to answer.
    pub read_rows: u64,
    /// Bytes the server read to answer.
    pub read_bytes: u64,
    /// Rows it returned.
    pub result_rows: u64,
    /// How long the query ran on the server.
    pub elapsed_ns: u64,
}

/// A query's answer: its body, to be read as a stream, and the server's summary.
pub struct Reply {
    /// The rows, in the format the SQL asked for.
    pub body: Box<dyn Read + Send>,
    /// The server's counts, when it sent them.
    pub summary: Option<Summary>,
}

/// The settings every query is sent with (URL parameters). `wait_end_of_query` makes the
/// server finish before it answers, so an error (a timeout, too many rows) comes as an error
/// status instead of in the middle of rows already sent.
fn settings(target: &Target) -> Vec<(&'static str, String)> {
    vec![
        (
            "max_execution_time",
            target.timeout.as_secs().max(1).to_string(),
        ),
        ("max_result_rows", target.max_rows.to_string()),
        ("result_overflow_mode", "throw".to_string()),
        ("wait_end_of_query", "1".to_string()),
        ("date_time_output_format", "iso".to_string()),
        ("output_format_json_escape_forward_slashes", "0".to_string()),
        ("output_format_json_quote_64bit_integers", "0".to_string()),
        ("readonly", "1".to_string()),
    ]
}

/// The URL a query is posted to (no credentials: they go in headers).
pub fn query_url(target: &Target) -> String {
    let mut url = target.endpoint.clone();
    let mut params: Vec<(&str, String)> = Vec::new();
    if let Some(db) = &target.database {
        params.push(("database", db.clone()));
    }
    params.extend(settings(target));
    for (i, (key, value)) in params.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(key);
        url.push('=');
        url.extend(percent_encoding::utf8_percent_encode(
            value,
            percent_encoding::NON_ALPHANUMERIC,
        ));
    }
    url
}

/// Sends `sql` and returns the answer's body as a stream, or the error in one line (the
/// server's `Code: N. DB::Exception: …`, or why it could not be reached).
pub fn run(target: &Target, sql: &str) -> Result<Reply, String> {
    let sql = match &target.s3_keys {
        Some((_, secret)) => sql.replace(SECRET_PLACEHOLDER, &quote(secret)),
        None => sql.to_string(),
    };
    // The server stops the query at `max_execution_time`; the client waits a little longer
    // for the server's own message before it gives up.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(target.timeout + Duration::from_secs(5)))
        .http_status_as_error(false)
        .user_agent(concat!("tracegrep/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut request = agent
        .post(query_url(target))
        .header("Content-Type", "text/plain; charset=utf-8");
    if let Some(user) = &target.user {
        request = request.header("X-ClickHouse-User", user.as_str());
    }
    if let Some(password) = &target.password {
        request = request.header("X-ClickHouse-Key", password.as_str());
    }
    let response = request
        .send(sql.as_bytes())
        .map_err(|e| transport_error(&e, target))?;
    let status = response.status().as_u16();
    let summary = response
        .headers()
        .get("x-clickhouse-summary")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_summary);
    let code = response
        .headers()
        .get("x-clickhouse-exception-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = response.into_body();
    if status != 200 || code.is_some() {
        let text = body
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        return Err(server_error(status, &text));
    }
    Ok(Reply {
        body: Box::new(body.into_with_config().limit(u64::MAX).reader()),
        summary,
    })
}

/// Reads an answer in `JSONEachRow`, one row at a time.
pub fn each_row<T: serde::de::DeserializeOwned>(
    body: impl Read,
    mut row: impl FnMut(T),
) -> Result<(), String> {
    for line in io::BufReader::new(body).split(b'\n') {
        let line = line.map_err(|e| format!("reading the answer: {e}"))?;
        if line.is_empty() {
            continue;
        }
        let parsed = serde_json::from_slice(&line)
            .map_err(|e| format!("an answer row is not the JSON asked for: {e}"))?;
        row(parsed);
    }
    Ok(())
}

/// Reads a whole small answer (a count, a flag) as text.
pub fn run_to_string(target: &Target, sql: &str) -> Result<String, String> {
    let mut reply = run(target, sql)?;
    let mut text = String::new();
    reply
        .body
        .read_to_string(&mut text)
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok(text)
}

/// The first line of the server's error, without its version suffix and with control
/// characters shown escaped (the text comes from the network).
fn server_error(status: u16, text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(line) => {
            let line = match line.find(" (version ") {
                Some(cut) => &line[..cut],
                None => line,
            };
            sanitize(line).into_owned()
        }
        None => format!("HTTP {status} with an empty answer"),
    }
}

/// Why the server could not be asked, in words.
fn transport_error(error: &ureq::Error, target: &Target) -> String {
    match error {
        ureq::Error::Timeout(_) => format!(
            "no answer within {} s (raise it with timeout= in the URL)",
            (target.timeout + Duration::from_secs(5)).as_secs()
        ),
        ureq::Error::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            "cannot connect: connection refused".to_string()
        }
        ureq::Error::HostNotFound => "cannot connect: host not found".to_string(),
        other => format!("cannot connect: {other}"),
    }
}

/// `{"read_rows":"12","read_bytes":"480",…}`: numbers written as strings.
fn parse_summary(text: &str) -> Option<Summary> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let field = |name: &str| -> u64 {
        match value.get(name) {
            Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
            Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
            _ => 0,
        }
    };
    Some(Summary {
        read_rows: field("read_rows"),
        read_bytes: field("read_bytes"),
        result_rows: field("result_rows"),
        elapsed_ns: field("elapsed_ns"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_without_the_version() {
        let text = "Code: 60. DB::Exception: Unknown table expression identifier 'otel.nope'. (UNKNOWN_TABLE) (version 26.9.2.1 (official build))\n";
        assert_eq!(
            server_error(404, text),
            "Code: 60. DB::Exception: Unknown table expression identifier 'otel.nope'. (UNKNOWN_TABLE)"
        );
        assert_eq!(server_error(502, "\n"), "HTTP 502 with an empty answer");
        assert!(!server_error(500, "bad \x1b[31m red").contains('\x1b'));
    }

    #[test]
    fn summaries_are_read() {
        let s = parse_summary(r#"{"read_rows":"8192","read_bytes":"655360","result_rows":"3","elapsed_ns":"1500000"}"#)
            .unwrap();
        assert_eq!(
            (s.read_rows, s.result_rows, s.elapsed_ns),
            (8192, 3, 1_500_000)
        );
    }

    #[test]
    fn the_url_carries_the_settings_and_no_credentials() {
        let t = Target::parse("clickhouse://me@ch:8123/otel", |v| {
            (v == "TRACEGREP_CLICKHOUSE_PASSWORD").then(|| "pw".to_string())
        })
        .unwrap();
        let url = query_url(&t);
        assert!(
            url.starts_with("http://ch:8123/?database=otel&max_execution_time=60"),
            "{url}"
        );
        assert!(url.ends_with("&readonly=1"), "{url}");
        assert!(!url.contains("pw") && !url.contains("me@"), "{url}");
    }
}
