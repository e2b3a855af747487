//! tracegrep: find one distributed trace in JSON logs and show it.
//!
//! The pipeline runs one way, each stage in its own module:
//!
//! ```text
//! input  →  records  →  traces  →  render
//! files,    walker,      group,     waterfall, timeline,
//! stdin,    prefilter,   span tree, table, json, reports
//! decode    extract      stats
//! ```
//!
//! [`input`] finds and opens sources and cuts them into units; [`records`] walks blocks of
//! lines, decoding every line or only the prefilter's candidates; [`traces`] builds span trees
//! and summaries; [`render`] writes them. [`search`] is the one search worker every mode reads
//! through, and [`modes`] are its sinks with their outputs (docs/architecture.md). [`mcp`]
//! serves the same modes to AI agents over the Model Context Protocol.

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod diag;
pub mod exit;
pub mod explore;
pub mod input;
pub mod mcp;
pub mod modes;
pub mod progress;
pub mod push;
pub mod records;
pub mod render;
pub mod search;
pub mod source;
pub mod traces;
