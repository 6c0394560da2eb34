//! The processes a fault test breaks: cocreate nodes (killed with SIGKILL, stopped with
//! SIGTERM, restarted on the same port) and a Redis of the test's own.

use std::process::Command;

use cocreate_testkit::cluster::Cluster;
use cocreate_testkit::redis::RedisServer;

use crate::server::{Backend, Server};

/// Where the test keeps its rooms: the same store across every node it starts.
pub enum Store {
    Embedded(tempfile::TempDir),
    Redis(RedisServer),
    /// A Redis Cluster shared by several nodes (the multi-node mode).
    Cluster(Cluster),
}

impl Store {
    pub fn embedded() -> Store {
        Store::Embedded(tempfile::tempdir().expect("temp dir"))
    }

    pub fn redis() -> Store {
        Store::Redis(RedisServer::start())
    }

    /// Starts a node on this store with `extra` flags. Blocks while it starts (milliseconds):
    /// called from a multi-threaded runtime, the participants go on on the other worker.
    pub fn node(&self, listen: &str, extra: &[&str]) -> Server {
        let url;
        let backend = match self {
            Store::Embedded(dir) => Backend::Embedded(dir.path()),
            Store::Redis(redis) => {
                url = redis.url();
                Backend::Redis(&url)
            }
            Store::Cluster(cluster) => {
                url = cluster.url();
                Backend::Redis(&url)
            }
        };
        tokio::task::block_in_place(|| Server::start(Some(backend), listen, extra))
    }
}

/// `kill -9`: the node dies at once, mid-write; returns when it is gone.
pub fn kill(server: &mut Server) {
    server.child.kill().expect("SIGKILL");
    tokio::task::block_in_place(|| server.child.wait()).expect("reap the node");
}

/// Stops a node the way an operator does (SIGTERM: it closes its clients and unloads its
/// rooms) and waits for it to exit.
pub fn stop(server: &mut Server) {
    let pid = server.child.id().to_string();
    let status = Command::new("kill").arg(&pid).status().expect("kill");
    assert!(status.success(), "kill -TERM {pid} failed");
    tokio::task::block_in_place(|| server.child.wait()).expect("reap the node");
}

/// The panics a node wrote to its standard error, if any.
pub fn panics(server: &Server) -> Vec<String> {
    std::fs::read_to_string(&server.stderr)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("panicked"))
        .map(str::to_owned)
        .collect()
}
