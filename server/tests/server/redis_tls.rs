//! Redis over TLS: a redis-server of the test's own that takes TCP connections only over TLS
//! (certificates made by the testkit with openssl), cocreate on it with `--redis-ca-file`, and
//! with a client certificate where the server requires one; and a Redis Cluster that speaks
//! only TLS, clients to nodes and node to node.

use clap::Parser;
use cocreate_server::config::Cli;
use cocreate_server::storage::{
    RedisOptions, RedisStorage, RedisTlsError, RedisTlsFiles, StorageError,
};
use cocreate_testkit::cluster::Cluster;
use cocreate_testkit::redis::RedisServer;

use crate::redis_server::{query, unique_prefix};
use crate::support::{Client, TestServer};

/// Connects a store with `tls`.
async fn connect(url: &str, tls: RedisTlsFiles) -> Result<RedisStorage, StorageError> {
    let options = RedisOptions {
        tls,
        ..RedisOptions::default()
    };
    RedisStorage::connect_with(url, &unique_prefix(), &options).await
}

/// The TLS files for `redis`: its CA, and its client certificate when `client` is set.
fn files(redis: &RedisServer, client: bool) -> RedisTlsFiles {
    RedisTlsFiles {
        ca: Some(redis.tls_file("ca.crt")),
        client_cert: client.then(|| redis.tls_file("client.crt")),
        client_key: client.then(|| redis.tls_file("client.key")),
    }
}

/// A cocreate node on `redis` over TLS with `tls`: edits through it converge between two
/// clients, and what they wrote is in `redis` (read back over its unix socket).
async fn serves_over_tls(redis: &RedisServer, tls: RedisTlsFiles) {
    let prefix = unique_prefix();
    let server = TestServer::fresh_with(|config| {
        config.store.redis_url = Some(redis.tls_url());
        config.store.redis_prefix = prefix.clone();
        config.store.redis_ca_file = tls.ca;
        config.store.redis_client_cert_file = tls.client_cert;
        config.store.redis_client_key_file = tls.client_key;
    })
    .await;
    let [mut a, mut b] = server.connect_synced("tls-board").await;
    a.insert(0, "over tls").await;
    assert_eq!(b.wait_text(|t| t == "over tls").await, "over tls");
    b.insert(0, "both ").await;
    assert_eq!(a.wait_text(|t| t == "both over tls").await, "both over tls");
    a.wait_all_saved().await;
    b.wait_all_saved().await;

    let mut raw = redis::Client::open(redis.url())
        .expect("unix url")
        .get_multiplexed_async_connection()
        .await
        .expect("unix socket");
    let stored: i64 = query(&mut raw, "XLEN", format!("{prefix}:{{tls-board}}:log")).await;
    assert!(stored >= 2, "{stored} records stored over TLS");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_converge_through_a_tls_only_redis() {
    let redis = RedisServer::start_tls(false);
    serves_over_tls(&redis, files(&redis, false)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_presents_the_client_certificate() {
    let redis = RedisServer::start_tls(true);
    let refused = connect(&redis.tls_url(), files(&redis, false))
        .await
        .err()
        .expect("a Redis that requires client certificates refuses a client without one");
    assert!(matches!(refused, StorageError::Redis(_)), "{refused}");

    serves_over_tls(&redis, files(&redis, true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_certificate_is_verified() {
    let redis = RedisServer::start_tls(false);
    // Without the private CA, the system's roots do not vouch for the server.
    let untrusted = RedisStorage::connect(&redis.tls_url(), &unique_prefix())
        .await
        .err()
        .expect("a certificate of an unknown CA is refused");
    assert!(matches!(untrusted, StorageError::Redis(_)), "{untrusted}");
}

#[tokio::test]
async fn tls_settings_that_cannot_work_fail_at_start_up() {
    let plain = crate::redis_server::url();
    let redis = RedisServer::start_tls(false);

    let not_tls = connect(&plain, files(&redis, false)).await;
    assert!(matches!(
        not_tls,
        Err(StorageError::RedisTls(RedisTlsError::NotTls))
    ));

    let missing = RedisTlsFiles {
        ca: Some(redis.tls_file("no-such-ca.crt")),
        ..RedisTlsFiles::default()
    };
    let unreadable = connect(&redis.tls_url(), missing)
        .await
        .err()
        .expect("an unreadable CA file is an error");
    let message = unreadable.to_string();
    assert!(
        message.contains("--redis-ca-file") && message.contains("no-such-ca.crt"),
        "{message}"
    );

    let half = Cli::try_parse_from(["cocreate", "serve", "--redis-client-cert-file", "c.crt"])
        .expect_err("a client certificate without its key is refused");
    assert!(
        half.to_string().contains("--redis-client-key-file"),
        "{half}"
    );
}

/// Two cocreate nodes on a 3-master Redis Cluster over TLS only (`rediss://` to each node,
/// the cluster bus over TLS too): clients on either node converge, the log is in the cluster,
/// and a third node started afterwards serves everything from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_converge_through_a_tls_only_redis_cluster() {
    let cluster = Cluster::start_tls(3);
    let prefix = unique_prefix();
    let node = |name: &str| {
        let (url, ca, prefix, name) = (cluster.url(), cluster.ca_file(), &prefix, name.to_owned());
        TestServer::fresh_with(move |config| {
            config.store.redis_url = Some(url);
            config.store.redis_ca_file = Some(ca);
            config.store.redis_prefix = prefix.clone();
            config.node_id = Some(name);
        })
    };
    let (a, b) = (node("a").await, node("b").await);
    let mut on_a = Client::connect(&a.url("cluster-board")).await;
    let mut on_b = Client::connect(&b.url("cluster-board")).await;
    on_a.insert(0, "over a tls cluster").await;
    on_b.wait_text(|t| t == "over a tls cluster").await;
    on_b.insert(0, "both ").await;
    let expected = "both over a tls cluster";
    assert_eq!(on_a.wait_text(|t| t == expected).await, expected);
    on_a.wait_all_saved().await;
    on_b.wait_all_saved().await;

    // The room's log is on the node that owns its slot; the others redirect.
    let log = format!("XLEN {prefix}:{{cluster-board}}:log");
    let answers: Vec<String> = cluster.nodes().map(|node| node.ask(&log)).collect();
    let owners: Vec<&String> = answers.iter().filter(|a| a.starts_with(':')).collect();
    assert_eq!(owners.len(), 1, "{answers:?}");
    let stored: u64 = owners[0].trim()[1..].parse().expect("a count");
    assert!(stored >= 2, "{stored} records in the cluster");

    let c = node("c").await;
    let late = Client::connect(&c.url("cluster-board")).await;
    assert_eq!(late.text(), expected);
    for server in [a, b, c] {
        server.stop().await;
    }
}
