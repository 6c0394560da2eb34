//! What cocreate's test suites share (a dev-dependency only): a real redis-server, started on
//! a unix socket, that a test can kill, stop and restart, or one shared by a whole test binary;
//! also one reachable over TLS only, with certificates of its own.

mod certificates;
pub mod redis;
