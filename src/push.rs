//! OTLP/HTTP: request bodies (OTLP/JSON) posted to a receiver's `/v1/traces`, with the
//! retries the OTLP specification asks of an exporter: on 429, 502, 503 and 504 and on
//! connection errors, with exponential backoff (or the receiver's `Retry-After`), never on
//! another status. The only module that talks to the network.

use std::time::Duration;

/// Attempts per request: the first and four retries.
const ATTEMPTS: u32 = 5;
/// The first wait between attempts; doubled each time, capped at [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Time for one request, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The URL of the traces endpoint: a URL ending in `/v1/traces` as it is, any other as a
/// base with `/v1/traces` appended (as `OTEL_EXPORTER_OTLP_ENDPOINT` is read).
pub fn traces_url(endpoint: &str) -> Result<String, String> {
    let endpoint = endpoint.trim();
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
        .ok_or_else(|| format!("{endpoint:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{endpoint:?} names no host"));
    }
    if endpoint.ends_with("/v1/traces") {
        return Ok(endpoint.to_string());
    }
    Ok(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
}

/// Headers as `OTEL_EXPORTER_OTLP_HEADERS` spells them: `k1=v1,k2=v2`, values URL-encoded.
pub fn parse_env_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((percent_decode(k.trim()), percent_decode(v.trim())))
            }
            _ => Err(format!("not KEY=VALUE: {pair:?}")),
        })
        .collect()
}

/// `%XX` escapes decoded (invalid ones kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A failed send, in one line for stderr.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The receiver answered with a status that is not retried, or still failing after the
    /// retries.
    #[error("{url} answered HTTP {status}{}", detail(body))]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// The receiver could not be reached (after the retries).
    #[error("cannot send to {url}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

fn detail(body: &str) -> String {
    let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.is_empty() {
        String::new()
    } else {
        let cut: String = body.chars().take(200).collect();
        format!(": {}", crate::render::sanitize::sanitize(&cut))
    }
}

/// What one accepted request told: spans the receiver said it rejected, and why.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// `partialSuccess.rejectedSpans`.
    pub rejected_spans: u64,
    /// `partialSuccess.errorMessage`.
    pub message: String,
    /// Attempts it took.
    pub attempts: u32,
}

/// Posts OTLP/JSON bodies to one receiver.
pub struct Sender {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
}

impl Sender {
    /// A sender to `url` (already the traces endpoint) with extra `headers`.
    pub fn new(url: &str, headers: &[(String, String)]) -> Sender {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .user_agent(concat!("tracegrep/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Sender {
            agent,
            url: url.to_string(),
            headers: headers.to_vec(),
        }
    }

    /// Posts one body, retrying what the OTLP specification says to retry.
    pub fn send(&self, body: &[u8]) -> Result<Accepted, SendError> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let failure = match self.post(body) {
                Ok((status, _, text)) if (200..300).contains(&status) => {
                    let mut accepted = partial_success(&text);
                    accepted.attempts = attempt;
                    return Ok(accepted);
                }
                Ok((status, retry_after, text)) => {
                    let error = SendError::Status {
                        url: self.url.clone(),
                        status,
                        body: text,
                    };
                    if !matches!(status, 429 | 502 | 503 | 504) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Err(reason) => (
                    SendError::Transport {
                        url: self.url.clone(),
                        reason,
                    },
                    None,
                ),
            };
            if attempt >= ATTEMPTS {
                return Err(failure.0);
            }
            let wait = failure.1.map_or(backoff, |w| w.min(MAX_BACKOFF));
            std::thread::sleep(wait);
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
    }

    /// One POST: the status, the `Retry-After` wait, and the start of the body.
    fn post(&self, body: &[u8]) -> Result<(u16, Option<Duration>, String), String> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        for (k, v) in &self.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let mut response = request.send(body).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        Ok((status, retry_after, text))
    }
}

/// The `partialSuccess` of an OTLP/JSON answer, if it has one.
fn partial_success(text: &str) -> Accepted {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Accepted::default();
    };
    let partial = &value["partialSuccess"];
    let rejected = match &partial["rejectedSpans"] {
        serde_json::Value::String(s) => s.parse().unwrap_or(0),
        v => v.as_u64().unwrap_or(0),
    };
    Accepted {
        rejected_spans: rejected,
        message: partial["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        attempts: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_headers() {
        assert_eq!(
            traces_url("http://localhost:4318").as_deref(),
            Ok("http://localhost:4318/v1/traces")
        );
        assert_eq!(
            traces_url("https://otlp.example/api/").as_deref(),
            Ok("https://otlp.example/api/v1/traces")
        );
        assert_eq!(
            traces_url("http://h:4318/v1/traces").as_deref(),
            Ok("http://h:4318/v1/traces")
        );
        assert!(traces_url("localhost:4318").is_err());
        assert!(traces_url("http://").is_err());
        assert_eq!(
            parse_env_headers("api-key=a%3Db ,x-team = core").unwrap(),
            vec![
                ("api-key".to_string(), "a=b".to_string()),
                ("x-team".to_string(), "core".to_string())
            ]
        );
        assert!(parse_env_headers("novalue").is_err());
        let partial =
            partial_success(r#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"x"}}"#);
        assert_eq!((partial.rejected_spans, partial.message.as_str()), (3, "x"));
    }
}
