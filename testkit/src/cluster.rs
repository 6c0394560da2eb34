//! A Redis Cluster for tests: masters on 127.0.0.1, either speaking only TLS (no plain TCP port;
//! their cluster bus and replication over TLS too, `tls-cluster`, `tls-replication`;
//! certificates made by `openssl` for `localhost` and 127.0.0.1, the address the nodes
//! announce) or plain TCP (the load tests' multi-node mode, where TLS would cost CPU the figures
//! should not include). The cluster is made by the launcher itself (slots assigned, nodes met)
//! over each node's unix socket, so `redis-cli` is not needed.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::redis::{free_port, settle, RedisServer};

/// The hash slots of a Redis Cluster.
const SLOTS: usize = 16384;

/// A cluster of masters without replicas; all killed when dropped.
pub struct Cluster {
    /// Each node and its TCP (or TLS) port.
    nodes: Vec<(RedisServer, u16)>,
    /// The CA and the certificates every node presents and trusts; `None`: plain TCP.
    certificates: Option<tempfile::TempDir>,
}

impl Cluster {
    /// Starts `masters` nodes speaking only TLS, gives each an equal share of the slots and
    /// introduces them; returns once every node knows them all and reports the cluster state ok.
    pub fn start_tls(masters: usize) -> Cluster {
        let certificates = tempfile::Builder::new()
            .prefix("cocreate-redis-tls-")
            .tempdir()
            .expect("temporary directory");
        crate::certificates::make(certificates.path());
        Cluster::start(masters, Some(certificates))
    }

    /// [`Cluster::start_tls`] with plain TCP, and the append-only file fsynced once a second
    /// (as production runs Redis) rather than on every write: for load figures.
    pub fn start_plain(masters: usize) -> Cluster {
        Cluster::start(masters, None)
    }

    fn start(masters: usize, certificates: Option<tempfile::TempDir>) -> Cluster {
        let started: Vec<(RedisServer, u16, u16)> = (0..masters)
            .map(|_| {
                let (port, bus) = (free_port(), free_port());
                let args = node_arguments(certificates.as_ref().map(|c| c.path()), port, bus);
                (RedisServer::start_with(|_| None, args), port, bus)
            })
            .collect();
        for (i, (node, ..)) in started.iter().enumerate() {
            let (first, last) = (i * SLOTS / masters, (i + 1) * SLOTS / masters - 1);
            let added = node.ask(&format!("CLUSTER ADDSLOTSRANGE {first} {last}"));
            assert_eq!(added, "+OK\r\n", "assigning slots {first}-{last}");
        }
        let (first, ..) = &started[0];
        for (_, port, bus) in &started[1..] {
            let met = first.ask(&format!("CLUSTER MEET 127.0.0.1 {port} {bus}"));
            assert_eq!(met, "+OK\r\n", "introducing the node on port {port}");
        }
        let nodes = started
            .into_iter()
            .map(|(node, port, _)| (node, port))
            .collect();
        let cluster = Cluster {
            nodes,
            certificates,
        };
        let known = format!("cluster_known_nodes:{masters}\r\n");
        settle("every node to see the whole cluster", || {
            cluster.nodes.iter().all(|(node, _)| {
                let info = node.ask("CLUSTER INFO");
                info.contains("cluster_state:ok\r\n") && info.contains(&known)
            })
        });
        cluster
    }

    /// cocreate's `--redis-url` for the cluster: every node (`rediss://` over TLS), comma-separated.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|(_, port)| match self.certificates {
                Some(_) => format!("rediss://localhost:{port}"),
                None => format!("redis://127.0.0.1:{port}"),
            })
            .collect();
        nodes.join(",")
    }

    /// The CA that signed every node's certificate (cocreate's `--redis-ca-file`), over TLS.
    pub fn ca_file(&self) -> PathBuf {
        let certificates = self.certificates.as_ref().expect("a TLS cluster");
        certificates.path().join("ca.crt")
    }

    /// The nodes, to ask over their unix sockets ([`RedisServer::ask`]).
    pub fn nodes(&self) -> impl Iterator<Item = &RedisServer> {
        self.nodes.iter().map(|(node, _)| node)
    }
}

/// A cluster node's arguments: `port` (TLS only, with the certificate from `certificates`, or
/// plain TCP), the cluster bus on `bus` (over TLS too). Client certificates are not required
/// (the bus presents the node's own: it is made for both server and client use).
fn node_arguments(certificates: Option<&std::path::Path>, port: u16, bus: u16) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut settings = vec![
        ("--cluster-enabled", "yes"),
        ("--cluster-config-file", "nodes.conf"),
        ("--cluster-node-timeout", "5000"),
        ("--bind", "127.0.0.1"),
    ];
    match certificates {
        Some(certificates) => {
            let file = |name: &str| certificates.join(name).into_os_string();
            args.extend(["--tls-port".into(), port.to_string().into()]);
            args.extend(["--tls-cert-file".into(), file("server.crt")]);
            args.extend(["--tls-key-file".into(), file("server.key")]);
            args.extend(["--tls-ca-cert-file".into(), file("ca.crt")]);
            settings.extend([
                ("--tls-auth-clients", "no"),
                ("--tls-cluster", "yes"),
                ("--tls-replication", "yes"),
            ]);
        }
        // For load figures: fsync once a second, as production runs Redis (the root README).
        None => args.extend([
            "--port".into(),
            port.to_string().into(),
            "--appendfsync".into(),
            "everysec".into(),
        ]),
    }
    for (name, value) in settings {
        args.extend([name.into(), value.into()]);
    }
    args.extend(["--cluster-port".into(), bus.to_string().into()]);
    args
}
