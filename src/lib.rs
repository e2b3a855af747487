//! tracegrep: find one distributed trace in JSON logs and show it.
//!
//! The pipeline runs one way, each stage in its own module:
//!
//! ```text
//! input  →  records  →  traces  →  render
//! files,    prefilter,   group,     waterfall, timeline,
//! stdin,    extract,     span tree, json, raw
//! decompress decode ids  stats
//! ```
//!
//! [`input`] finds and opens sources and cuts them into blocks of whole lines; [`records`]
//! searches the blocks for the spellings of an id and decodes only the candidate lines into
//! [`records::Record`]s; [`traces`] orders them and builds the span tree; [`render`] writes a
//! [`traces::Trace`] in one format. [`app`] wires the stages; [`diag`] and [`exit`] are leaves
//! every stage may use.

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod diag;
pub mod exit;
pub mod input;
pub mod modes;
pub mod progress;
pub mod records;
pub mod render;
pub mod search;
pub mod traces;
