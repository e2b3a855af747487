//! Render: turning a [`Trace`](crate::traces::Trace) into text for people or machines.
//!
//! Each format has its own module and writes only to the writer it is handed. Every string
//! that came from a log goes through [`sanitize`] before a terminal sees it; the JSON format
//! escapes for JSON instead (control characters, and bidi overrides and line separators as `\uXXXX`:
//! the same text, safe to print) and never carries colour.

pub mod baseline;
pub mod complete;
pub mod csv;
pub mod diff;
pub mod export;
pub mod fields;
pub mod grid;
pub mod header;
pub mod json;
mod json_text;
pub mod parallel;
pub mod raw;
pub mod report;
pub mod sanitize;
pub mod stats;
pub mod table;
pub mod term;
pub mod timeline;
pub mod tree;
pub mod view;
pub mod waterfall;
