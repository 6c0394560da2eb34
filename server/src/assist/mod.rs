//! Sensemaking support (issue 29): themes, similar cards and coverage of a session's board,
//! computed on this node's CPU by the local sentence encoder (`cocreate-sense`), every run
//! recorded so that each suggestion can be checked card by card.
//!
//! Top to bottom: `cards` chooses what a caller's run may read; `engine` embeds it (off the
//! async runtime, a few runs at a time, recently seen texts cached); `cluster` groups the
//! embeddings and `terms` names the groups, which `themes` puts together; `similar` and
//! `coverage` answer their own questions; `runs` keeps the record of every run and writes
//! `assist_runs.csv`. The HTTP side is `api/assist.rs`.

pub mod cards;
pub mod cluster;
pub mod coverage;
mod engine;
pub mod runs;
pub mod similar;
pub mod terms;
pub mod themes;

pub use engine::{text_sha256, Assistant, Embedder, RunFailed, MAX_CONCURRENT_RUNS};
