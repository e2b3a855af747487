//! Test support shared by `examples/gen_logs.rs`, `examples/score_tree.rs` and the integration
//! tests (which include this folder with `#[path]`, so `cargo test` needs nothing but cargo).
//!
//! - [`gen`]: a deterministic generator of interleaved multi-service JSON logs with a ground
//!   truth (`truth.json`), written in the conventions real services use ([`conventions`]).
//! - [`check`]: the needle check (tracegrep's `--format json` against the truth) and the strict
//!   tree score, the one home of both.

pub mod check;
pub mod conventions;
pub mod emit;
pub mod encode_go_node;
pub mod encode_jvm_py_net;
pub mod gen;
pub mod record;
pub mod rng;
pub mod timefmt;
pub mod traffic;
pub mod truth;
