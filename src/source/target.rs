//! What `--source` names: a ClickHouse server's HTTP interface and the data on it to read.
//!
//! ```text
//! clickhouse://host:8123/otel                       the exporter's otel_logs table in `otel`
//! clickhouse://host:8123/otel?table=my_logs         another table of the exporter's shape
//! clickhouse://host/?s3=https://bucket…/**/*.jsonl.gz   JSON lines in object storage
//! clickhouse://host/logs?table=raw&column=line      JSON lines in a String column
//! clickhouses://host:8443/otel                      the same over TLS
//! ```
//!
//! The password never comes from the URL (it would sit in shell history and in `ps`): it is
//! read from `TRACEGREP_CLICKHOUSE_PASSWORD` (or `CLICKHOUSE_PASSWORD`); the user from the URL,
//! else `TRACEGREP_CLICKHOUSE_USER` (or `CLICKHOUSE_USER`).

use std::time::Duration;

use url::Url;

/// A ClickHouse server and what to read on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The HTTP interface's base URL (`http://host:8123/`), without credentials.
    pub endpoint: String,
    /// How the source is named in messages (`clickhouse://host:8123/otel`).
    pub display: String,
    /// The database tables are read from, when the URL names one.
    pub database: Option<String>,
    /// The user to authenticate as.
    pub user: Option<String>,
    /// The user's password (from the environment only).
    pub password: Option<String>,
    /// What the data looks like.
    pub data: Data,
    /// The longest a query may run, on the server (`max_execution_time`) and for the reply.
    pub timeout: Duration,
    /// The most rows a query may return (`max_result_rows`): a search that matches more is
    /// refused by the server rather than cut.
    pub max_rows: u64,
    /// The object-storage access key id and secret for `s3()`, from the environment; without
    /// them the server's own credentials (or none, for a public bucket) are used.
    pub s3_keys: Option<(String, String)>,
}

/// The data a [`Target`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// A table of the OpenTelemetry Collector `clickhouseexporter`'s logs schema (`TraceId`,
    /// `SpanId`, `Timestamp`, `ServiceName`, `Body`, …).
    OtelLogs {
        /// The logs table (`otel_logs`).
        table: String,
        /// The exporter's trace id → time table (`otel_traces_trace_id_ts`), used to narrow
        /// the time searched when it exists; `None` when turned off (`trace_times=`).
        trace_times: Option<String>,
    },
    /// Raw JSON lines, each a log line as a file would hold it.
    Lines(Lines),
}

/// Where raw JSON lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lines {
    /// A String column of a table.
    Column {
        /// The table.
        table: String,
        /// The column holding whole lines.
        column: String,
    },
    /// The files an object-storage URL (with globs) matches, read by the `s3()` table
    /// function; gzip and zstd are decompressed by the server from the file names.
    S3 {
        /// The URL, `https://bucket.s3.region.amazonaws.com/logs/2026/11/**/*.jsonl.gz`.
        url: String,
    },
}

/// The default of `timeout=` (seconds).
const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// The default of `max_rows=`.
const DEFAULT_MAX_ROWS: u64 = 10_000_000;

/// Environment variables read for the user, then the password, most specific first.
pub const USER_VARS: [&str; 2] = ["TRACEGREP_CLICKHOUSE_USER", "CLICKHOUSE_USER"];
/// See [`USER_VARS`].
pub const PASSWORD_VARS: [&str; 2] = ["TRACEGREP_CLICKHOUSE_PASSWORD", "CLICKHOUSE_PASSWORD"];
/// Environment variables read for the object-storage key id and secret, in pairs.
pub const S3_KEY_VARS: [(&str, &str); 2] = [
    (
        "TRACEGREP_S3_ACCESS_KEY_ID",
        "TRACEGREP_S3_SECRET_ACCESS_KEY",
    ),
    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
];

impl Target {
    /// Parses a `--source` URL; `env` reads an environment variable (the process's, or a
    /// test's).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Target, String> {
        let url = Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
        let (http, default_port) = match url.scheme() {
            "clickhouse" | "http" => ("http", 8123),
            "clickhouses" | "https" => ("https", 8443),
            other => {
                return Err(format!(
                    "unknown scheme `{other}:` (clickhouse://, clickhouses:// for TLS, http://, https://)"
                ))
            }
        };
        if url.password().is_some() {
            return Err(format!(
                "a password in the URL is not read: set {} instead",
                PASSWORD_VARS[0]
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the URL names no host")?;
        let port = url.port().unwrap_or(default_port);
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let database = url
            .path()
            .trim_matches('/')
            .split('/')
            .next()
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        let mut table = None;
        let mut column = None;
        let mut s3 = None;
        let mut trace_times = Some("otel_traces_trace_id_ts".to_string());
        let mut timeout = Duration::from_secs(DEFAULT_TIMEOUT_SECS);
        let mut max_rows = DEFAULT_MAX_ROWS;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "table" => table = Some(identifier(&value, "table")?),
                "column" => column = Some(identifier(&value, "column")?),
                "s3" => s3 = Some(value.into_owned()),
                "trace_times" => {
                    trace_times = (!value.is_empty())
                        .then(|| identifier(&value, "trace_times"))
                        .transpose()?
                }
                "timeout" => {
                    let secs: f64 = value
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s > 0.0)
                        .ok_or_else(|| format!("timeout={value}: not a number of seconds"))?;
                    timeout = Duration::from_secs_f64(secs);
                }
                "max_rows" => {
                    max_rows = value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("max_rows={value}: not a positive number"))?
                }
                other => {
                    return Err(format!(
                        "unknown parameter `{other}` (table, column, s3, trace_times, timeout, max_rows)"
                    ))
                }
            }
        }
        let data = match (s3, table, column) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err("s3= reads files; it does not go with table= or column=".into())
            }
            (Some(url), None, None) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!("s3={url}: an http:// or https:// URL is needed"));
                }
                Data::Lines(Lines::S3 { url })
            }
            (None, table, Some(column)) => Data::Lines(Lines::Column {
                table: table.ok_or("column= needs table= too")?,
                column,
            }),
            (None, table, None) => Data::OtelLogs {
                table: table.unwrap_or_else(|| "otel_logs".to_string()),
                trace_times,
            },
        };
        let user = match url.username() {
            "" => USER_VARS.iter().find_map(|v| env(v)),
            name => Some(
                percent_decode(name).ok_or_else(|| format!("user `{name}`: not valid UTF-8"))?,
            ),
        };
        let password = PASSWORD_VARS.iter().find_map(|v| env(v));
        let s3_keys = S3_KEY_VARS
            .iter()
            .find_map(|(id, secret)| Some((env(id)?, env(secret)?)));
        let shown_db = database.as_deref().unwrap_or("");
        let display = match url.scheme() {
            "clickhouses" | "https" => format!("clickhouses://{host}:{port}/{shown_db}"),
            _ => format!("clickhouse://{host}:{port}/{shown_db}"),
        };
        Ok(Target {
            endpoint: format!("{http}://{host}:{port}/"),
            display,
            database,
            user,
            password,
            data,
            timeout,
            max_rows,
            s3_keys,
        })
    }
}

/// A table or column name as given: letters, digits, `_` and `.` (`db.table`) only, so that
/// it can be written into SQL as is.
fn identifier(value: &str, what: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !value.starts_with('.')
        && !value.ends_with('.');
    if ok {
        Ok(value.to_string())
    } else {
        Err(format!(
            "{what}={value}: only letters, digits, `_` and `.` are accepted"
        ))
    }
}

fn percent_decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Target, String> {
        Target::parse(text, |var| match var {
            "CLICKHOUSE_USER" => Some("reader".into()),
            "TRACEGREP_CLICKHOUSE_PASSWORD" => Some("secret".into()),
            _ => None,
        })
    }

    #[test]
    fn urls_name_the_server_and_the_data() {
        let t = parse("clickhouse://ch.internal/otel").unwrap();
        assert_eq!(t.endpoint, "http://ch.internal:8123/");
        assert_eq!(t.display, "clickhouse://ch.internal:8123/otel");
        assert_eq!(t.database.as_deref(), Some("otel"));
        assert_eq!(t.user.as_deref(), Some("reader"));
        assert_eq!(t.password.as_deref(), Some("secret"));
        assert_eq!(
            t.data,
            Data::OtelLogs {
                table: "otel_logs".into(),
                trace_times: Some("otel_traces_trace_id_ts".into())
            }
        );
        let t =
            parse("clickhouses://me@ch:9443/?s3=https://b.s3.amazonaws.com/l/**/*.gz&timeout=5")
                .unwrap();
        assert_eq!(t.endpoint, "https://ch:9443/");
        assert_eq!(t.user.as_deref(), Some("me"));
        assert_eq!(t.timeout, Duration::from_secs(5));
        assert_eq!(
            t.data,
            Data::Lines(Lines::S3 {
                url: "https://b.s3.amazonaws.com/l/**/*.gz".into()
            })
        );
        let t = parse("clickhouse://ch/logs?table=raw&column=line&max_rows=10").unwrap();
        assert_eq!(
            t.data,
            Data::Lines(Lines::Column {
                table: "raw".into(),
                column: "line".into()
            })
        );
        assert_eq!(t.max_rows, 10);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, says) in [
            ("ch.internal:8123", "scheme"),
            ("clickhouse://u:pw@ch/otel", "password in the URL"),
            ("postgres://ch/otel", "unknown scheme"),
            ("clickhouse://ch/otel?table=x;drop", "only letters"),
            ("clickhouse://ch/otel?column=line", "needs table="),
            ("clickhouse://ch/?s3=ftp://x", "http:// or https://"),
            ("clickhouse://ch/?s3=https://x&table=t", "does not go with"),
            ("clickhouse://ch/?timeout=soon", "seconds"),
            ("clickhouse://ch/?colour=red", "unknown parameter"),
        ] {
            let error = parse(url).unwrap_err();
            assert!(error.contains(says), "{url}: {error}");
        }
    }
}
