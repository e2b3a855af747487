//! Integration tests: the real binary on the fixture files. One test binary for all of them,
//! since linking is the slow part on small machines.

mod all;
mod baseline;
mod changing;
mod ci;
mod cli;
mod clickhouse;
#[allow(dead_code)]
#[path = "../examples/common/mod.rs"]
mod common;
mod complete;
mod completions;
mod conformance;
mod conventions;
mod diff;
mod explore;
mod export;
mod follow;
mod fuzz;
mod hostile;
mod junit_xsd;
mod mcp;
mod pty;
mod push;
mod report_hostile;
mod streams;
mod tree;
mod truth;
mod util;
