//! A request's outcome from what its entry span reports: the HTTP status or gRPC code its
//! lines carry, or whether it ended at error level.

/// Whether a status says the server failed: HTTP 5xx, or a gRPC code that OTel's semantic
/// conventions count as a server error (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
/// UNAVAILABLE, DATA_LOSS), by number or by name. 4xx is the client's fault: the request was
/// answered as designed.
pub fn status_is_failure(status: &str) -> bool {
    const GRPC_FAILURES: [(u64, &str); 6] = [
        (2, "UNKNOWN"),
        (4, "DEADLINE_EXCEEDED"),
        (12, "UNIMPLEMENTED"),
        (13, "INTERNAL"),
        (14, "UNAVAILABLE"),
        (15, "DATA_LOSS"),
    ];
    let s = status.trim();
    match s.parse::<u64>() {
        Ok(500..=599) => true,
        // gRPC codes are 0–16; HTTP statuses 100–599.
        Ok(code) => GRPC_FAILURES.iter().any(|&(n, _)| n == code),
        Err(_) => {
            let name = s.strip_prefix("StatusCode.").unwrap_or(s);
            GRPC_FAILURES
                .iter()
                .any(|&(_, n)| n.eq_ignore_ascii_case(name))
        }
    }
}

/// The label of an outcome: the status when the entry span's lines report one, else `ERROR`
/// when it failed and `OK` when it did not.
pub fn outcome_label(status: Option<&str>, failed: bool) -> &str {
    match status {
        Some(s) => s,
        None if failed => "ERROR",
        None => "OK",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_server_errors() {
        let rows = [
            ("500", true),
            ("503", true),
            ("599", true),
            ("404", false),
            ("200", false),
            ("0", false),
            ("14", true),
            ("4", true),
            ("5", false),
            ("UNAVAILABLE", true),
            ("unavailable", true),
            ("StatusCode.INTERNAL", true),
            ("NOT_FOUND", false),
            ("OK", false),
            ("", false),
        ];
        for (status, want) in rows {
            assert_eq!(status_is_failure(status), want, "{status}");
        }
    }
}
