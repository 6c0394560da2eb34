//! `GET /metrics`: scraped and parsed after a known workload, the counters move as expected.

use cocreate_protocol::close;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::support::{close_of, open_config, raw_socket, Client, TestServer, WAIT};

#[tokio::test]
async fn counters_follow_a_known_workload() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(open_config(dir.path())).await;
    let before = server.scrape().await;
    for name in [
        "cocreate_connections_open",
        "cocreate_rooms_loaded",
        "cocreate_pending_bytes",
        "cocreate_fanout_latency_seconds_count",
        "cocreate_storage_append_seconds_bucket{le=\"+Inf\"}",
        "cocreate_rejected_total{reason=\"malformed\"}",
        "cocreate_redis_reconnects_total",
    ] {
        assert_eq!(before.get(name), Some(&0.0), "{name}");
    }

    let url = server.url("metered");
    let mut editor = Client::connect(&url).await;
    let mut watcher = Client::connect(&url).await;
    for i in 0..10 {
        editor.insert(i, "x").await;
    }
    watcher.wait_text(|t| t.len() == 10).await;
    editor.wait_all_saved().await;
    let busy = server.scrape().await;
    assert_eq!(busy["cocreate_connections_open"], 2.0);
    assert_eq!(busy["cocreate_connections_total"], 2.0);
    assert_eq!(busy["cocreate_rooms_loaded"], 1.0);
    // Ten updates, and each client's sync step 2 (empty: they had nothing).
    assert_eq!(busy["cocreate_updates_received_total"], 12.0);
    assert!(busy["cocreate_update_bytes_received_total"] > 10.0);
    assert!(
        busy["cocreate_messages_sent_total"] >= 10.0,
        "the watcher got 10 updates"
    );
    assert_eq!(busy["cocreate_fanout_latency_seconds_count"], 10.0);
    let appends = busy["cocreate_storage_append_seconds_count"];
    assert!(
        (1.0..=10.0).contains(&appends),
        "{appends} appends (grouped)"
    );
    assert_eq!(busy["cocreate_storage_append_errors_total"], 0.0);
    assert_eq!(busy["cocreate_pending_bytes"], 0.0);

    let mut vandal = raw_socket(&url).await;
    vandal
        .send(WsMessage::Binary(vec![0, 2, 10, 1, 2].into()))
        .await
        .unwrap();
    assert_eq!(close_of(&mut vandal).await.0, close::PROTOCOL_ERROR);
    editor.hang_up().await;
    watcher.hang_up().await;
    // Connections and rooms are released: the gauges return to zero.
    let deadline = tokio::time::Instant::now() + WAIT;
    let idle = loop {
        let now = server.scrape().await;
        if now["cocreate_connections_open"] == 0.0 && now["cocreate_rooms_loaded"] == 0.0 {
            break now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not released: {now:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(idle["cocreate_connections_total"], 3.0);
    assert_eq!(idle["cocreate_rejected_total{reason=\"malformed\"}"], 1.0);
    assert_eq!(idle["cocreate_rejected_total{reason=\"policy\"}"], 0.0);
    server.stop().await;
}
