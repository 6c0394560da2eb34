//! What cocreate's test suites share (a dev-dependency only): a real redis-server, started on
//! a unix socket, that a test can kill, stop and restart, or one shared by a whole test binary;
//! one reachable over TLS only, with certificates of its own; a Sentinel group to fail over; a
//! Redis Cluster over TLS only or plain TCP.

mod certificates;
pub mod cluster;
pub mod redis;
pub mod sentinel;
