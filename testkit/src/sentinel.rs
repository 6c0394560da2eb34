//! Redis Sentinel's smallest group for tests: a master and a replica (durable, like
//! [`RedisServer::start`]) and one sentinel monitoring them as [`MASTER`]. Master and replica
//! listen on TCP ports of 127.0.0.1 as well as their unix sockets: sentinels and replicas find
//! each other by address.

use std::ffi::OsString;
use std::path::Path;

use crate::redis::{free_port, settle, RedisServer};

/// The name the sentinel knows the master by (cocreate's `--redis-sentinel-master`).
pub const MASTER: &str = "mymaster";

/// A master, its replica and a sentinel; all killed when dropped.
pub struct SentinelGroup {
    servers: [(RedisServer, u16); 2],
    sentinel: RedisServer,
    sentinel_port: u16,
}

impl SentinelGroup {
    /// Starts the three; returns once the replica has synced and the sentinel knows it.
    pub fn start() -> SentinelGroup {
        let (master_port, replica_port) = (free_port(), free_port());
        let master = RedisServer::start_with(|_| None, port_arguments(master_port));
        let mut replica_args = port_arguments(replica_port);
        replica_args.extend(["--replicaof", "127.0.0.1"].map(OsString::from));
        replica_args.push(master_port.to_string().into());
        let replica = RedisServer::start_with(|_| None, replica_args);
        settle("the replica to sync", || {
            replica
                .ask("INFO replication")
                .contains("master_link_status:up")
        });

        let sentinel_port = free_port();
        let sentinel = RedisServer::start_with(
            |dir| Some(sentinel_config(dir, master_port)),
            ["--sentinel", "--port", &sentinel_port.to_string()]
                .map(OsString::from)
                .into(),
        );
        let group = SentinelGroup {
            servers: [(master, master_port), (replica, replica_port)],
            sentinel,
            sentinel_port,
        };
        settle("the sentinel to know the replica", || {
            group
                .sentinel
                .ask(&format!("SENTINEL REPLICAS {MASTER}"))
                .contains(&replica_port.to_string())
        });
        group
    }

    /// cocreate's `--redis-url` for the group: its sentinel.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.sentinel_port)
    }

    /// The port of the master the sentinel names now.
    pub fn master_port(&self) -> u16 {
        let answer = self
            .sentinel
            .ask(&format!("SENTINEL GET-MASTER-ADDR-BY-NAME {MASTER}"));
        let port = answer.lines().nth(4).expect("the master's port");
        port.parse().expect("a port number")
    }

    /// The server the sentinel names as master now.
    pub fn master(&self) -> &RedisServer {
        let port = self.master_port();
        let (server, _) = self
            .servers
            .iter()
            .find(|(_, p)| *p == port)
            .expect("the master is one of the group");
        server
    }

    /// `SENTINEL FAILOVER`, asked until the sentinel takes it (it refuses while it has no
    /// fresh news of the replica); returns once it names the other server as master and that
    /// server takes writes.
    pub fn fail_over(&self) {
        let before = self.master_port();
        settle("the sentinel to start a failover", || {
            self.sentinel
                .ask(&format!("SENTINEL FAILOVER {MASTER}"))
                .starts_with("+OK")
        });
        settle("the failover", || self.master_port() != before);
        let (promoted, _) = self
            .servers
            .iter()
            .find(|(_, port)| *port != before)
            .expect("the other server");
        settle("the promoted server to take writes", || {
            promoted.ask("INFO replication").contains("role:master")
        });
    }
}

/// Arguments that add a TCP port on 127.0.0.1.
fn port_arguments(port: u16) -> Vec<OsString> {
    ["--port", &port.to_string(), "--bind", "127.0.0.1"]
        .map(OsString::from)
        .into()
}

/// Writes the sentinel's configuration (it must be a file: the sentinel rewrites it) into
/// `dir`: it monitors the master with a quorum of one, and calls a server down after 1 s.
fn sentinel_config(dir: &Path, master_port: u16) -> std::path::PathBuf {
    let path = dir.join("sentinel.conf");
    let config = format!(
        "sentinel monitor {MASTER} 127.0.0.1 {master_port} 1\n\
         sentinel down-after-milliseconds {MASTER} 1000\n\
         sentinel failover-timeout {MASTER} 10000\n"
    );
    std::fs::write(&path, config).expect("write sentinel.conf");
    path
}
