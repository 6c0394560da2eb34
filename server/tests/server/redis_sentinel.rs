//! Redis Sentinel: cocreate finds the master through a real sentinel and follows it through a
//! `SENTINEL FAILOVER` made while clients edit; nothing acknowledged is lost.

use std::sync::Arc;

use cocreate_testkit::sentinel::{SentinelGroup, MASTER};

use crate::redis_server::{query, unique_prefix};
use crate::support::{Client, TestServer};

/// A cocreate node that reaches `group`'s master through its sentinel, keys under `prefix`.
async fn node(group: &SentinelGroup, prefix: &str) -> TestServer {
    TestServer::fresh_with(|config| {
        config.store.redis_url = Some(group.url());
        config.store.redis_sentinel_master = Some(MASTER.to_owned());
        config.store.redis_prefix = prefix.to_owned();
    })
    .await
}

/// Appends `chunk` at the end of the client's text.
async fn append(client: &mut Client, chunk: &str) {
    let end = client.text().chars().count() as u32;
    client.insert(end, chunk).await;
}

/// Waits until `client`'s edits are saved; if the server closes it instead (the room reloads
/// when the new master's log lacks records the old one acknowledged), reconnects with its
/// document, as y-websocket does, which resends what the log lacks.
async fn saved_or_reconnected(client: Client, url: &str) -> Client {
    let doc = client.doc.clone();
    let waiting = tokio::spawn(async move {
        let mut client = client;
        client.wait_all_saved().await;
        client
    });
    match waiting.await {
        Ok(client) => client,
        Err(e) if e.is_panic() => Client::connect_with(url, doc).await,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_survive_a_sentinel_failover() {
    let group = Arc::new(
        tokio::task::spawn_blocking(SentinelGroup::start)
            .await
            .unwrap(),
    );
    let first_master = group.master_port();
    let prefix = unique_prefix();
    let server = node(&group, &prefix).await;
    let [mut a, b] = server.connect_synced("failover").await;

    let mut expected = String::new();
    for i in 0..10 {
        let chunk = format!("before{i};");
        append(&mut a, &chunk).await;
        expected.push_str(&chunk);
    }
    a.wait_all_saved().await;

    // The failover runs while `a` keeps editing.
    let failing_over = tokio::task::spawn_blocking({
        let group = group.clone();
        move || group.fail_over()
    });
    let mut i = 0;
    while !failing_over.is_finished() {
        let chunk = format!("during{i};");
        append(&mut a, &chunk).await;
        expected.push_str(&chunk);
        i += 1;
        // Pacing, not waiting for anything: a few edits per failover step.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    failing_over.await.expect("failover");
    assert_ne!(
        group.master_port(),
        first_master,
        "the sentinel named a new master"
    );

    // Edits go on until they reach the new master: the node asks the sentinel again within a
    // second, and until then the old master may still take (and later drop) writes.
    let mut new_master = redis::Client::open(group.master().url())
        .expect("unix url")
        .get_multiplexed_async_connection()
        .await
        .expect("the new master's unix socket");
    let log = format!("{prefix}:{{failover}}:log");
    let replicated: u64 = query(&mut new_master, "XLEN", &log).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut i = 0;
    while query::<u64>(&mut new_master, "XLEN", &log).await == replicated {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no edit reached the new master"
        );
        let chunk = format!("after{i};");
        append(&mut a, &chunk).await;
        expected.push_str(&chunk);
        i += 1;
        // Pacing, as above.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _a = saved_or_reconnected(a, &server.url("failover")).await;
    // `b` may have been closed by the reload: a newcomer sees the whole board, which the room
    // applies only once it is in the new master's log.
    drop(b);
    let [mut c] = server.connect_synced("failover").await;
    assert_eq!(c.wait_text(|t| t == expected).await, expected);
    server.stop().await;

    // A new node loads the room from the new master: every acknowledged edit is there.
    let again = node(&group, &prefix).await;
    let [fresh] = again.connect_synced("failover").await;
    assert_eq!(fresh.text(), expected);
    again.stop().await;
}
