//! A line's service, by one rule for every view: the service the line names (its own field, its
//! envelope's workload, bunyan's application name) → the service its file stands for → the
//! name of the logger that wrote it → [`UNKNOWN_SERVICE`].
//!
//! The file comes before the logger because loggers name components far more often than
//! applications (zap's named sub-loggers, log4j's class names), while a file is usually one
//! service's output (`checkout.jsonl`, a container's log).

use crate::records::{LineFields, Record};

/// The name used for lines that name no service and come from no file.
pub const UNKNOWN_SERVICE: &str = "unknown";

/// The service of a line that names none itself: its file's (`fallback`), else its logger's.
pub fn unnamed_service(fallback: Option<&str>, line: &impl LineFields) -> Option<String> {
    fallback.map(str::to_string).or_else(|| line.service_hint())
}

/// The service of a line: its own, else [`unnamed_service`].
pub fn line_service(line: &impl LineFields, fallback: Option<&str>) -> Option<String> {
    line.service().or_else(|| unnamed_service(fallback, line))
}

/// [`line_service`], or [`UNKNOWN_SERVICE`].
pub fn line_service_or_unknown(line: &impl LineFields, fallback: Option<&str>) -> String {
    line_service(line, fallback).unwrap_or_else(|| UNKNOWN_SERVICE.to_string())
}

/// Names the service of a record whose line named none, by the same rule.
pub fn name_record_service(record: &mut Record, fallback: Option<&str>) {
    if record.service.is_none() {
        record.service = fallback
            .map(str::to_string)
            .or_else(|| record.service_hint.clone());
    }
}
