//! cocreate's load generator: simulated participants speaking the y-websocket protocol (or
//! Hocuspocus's) to a server, each with a real yrs replica of the board, measuring update
//! fan-out latency, throughput, join and sync times, and the server's CPU and memory, and
//! failing when the replicas do not converge.
//!
//! `scenario` names what to run, `run` runs one plan, `participant` is one simulated person,
//! `board` their document and edits, `wire` the framing, `precreate` rooms made over HTTP first, `metrics` and `procstat` what is
//! measured, `report` the tables. `history_costs` is apart: what a session's reads cost as its
//! history grows, for server binaries it starts itself.

pub mod board;
pub mod history_costs;
pub mod metrics;
pub mod participant;
pub mod precreate;
pub mod procstat;
pub mod report;
pub mod run;
pub mod scenario;
pub mod wire;
