//! The load generator's tests against the freshly built server, in one binary: `smoke` runs
//! every scenario at a few participants (the harness itself), `soak` opens and closes rooms
//! for minutes (nothing leaks), `faults` breaks nodes, Redis and connections under load
//! (nothing is lost).
//!
//! The server binary is `target/<profile>/cocreate` next to this test's own directory
//! (`cargo test --workspace` builds it, for the server's own integration tests), or
//! `COCREATE_BIN`.

mod faults;
mod multi_node;
mod server;
mod smoke;
mod soak;
