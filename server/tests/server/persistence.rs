//! Nothing is lost across a restart, and what is stored has the shape the storage contract
//! promises (a kept log plus a checkpoint written on unload).

use cocreate_protocol::close;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{Checkpoint, EmbeddedStorage, Storage};

use crate::support::{close_of, Client, TestServer};

#[tokio::test]
async fn content_survives_a_restart_and_shutdown_closes_with_1001() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let [mut writer, mut witness] = server.connect_synced("keep").await;
    for word in ["journey ", "map ", "survives"] {
        let at = writer.text().len() as u32;
        writer.insert(at, word).await;
        let written = writer.text();
        witness.wait_text(|t| t == written).await;
    }

    let stopping = tokio::spawn(server.stop());
    let (code, reason) = close_of(&mut writer.socket).await;
    assert_eq!(
        (code, reason.as_str()),
        (close::GOING_AWAY, "server shutting down")
    );
    stopping.await.unwrap();

    let server = TestServer::start(dir.path()).await;
    let [reader] = server.connect_synced("keep").await;
    assert_eq!(reader.text(), "journey map survives");
    server.stop().await;
}

#[tokio::test]
async fn the_log_keeps_every_update_and_unload_writes_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let [mut writer, mut witness] = server.connect_synced("history").await;
    for i in 0..25u32 {
        writer.insert(i, "a").await;
    }
    witness.wait_text(|t| t.len() == 25).await;
    server.stop().await;

    let storage = EmbeddedStorage::open(dir.path()).unwrap();
    let room = RoomId::parse("history").unwrap();
    let log = storage.read_log(&room, 0, 1000).await.unwrap();
    assert_eq!(log.len(), 25, "every update is a record");
    assert_eq!(
        log.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=25).collect::<Vec<_>>()
    );
    assert!(log.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    let stored = storage.load(&room).await.unwrap();
    assert_eq!(stored.checkpoint.map(|c| c.covers), Some(25));
    assert!(
        stored.records.is_empty(),
        "the checkpoint covers the whole log"
    );
}

#[tokio::test]
async fn shutdown_closes_every_client_with_1001() {
    let server = TestServer::fresh().await;
    let mut clients = Vec::new();
    for i in 0..30 {
        clients.push(Client::connect(&server.url(&format!("room-{}", i % 3))).await);
    }
    let stopping = tokio::spawn(server.stop());
    for client in &mut clients {
        assert_eq!(
            close_of(&mut client.socket).await,
            (close::GOING_AWAY, "server shutting down".to_string())
        );
    }
    stopping.await.unwrap();
}

#[tokio::test]
async fn a_reconnecting_clients_step2_with_only_known_deletions_is_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let url = server.url("reconnects");
    let mut editor = Client::connect(&url).await;
    let mut witness = Client::connect(&url).await;
    editor.insert(0, "abcdef").await;
    editor.remove(1, 2).await;
    witness.wait_text(|t| t == "adef").await;
    let mut doc = editor.vanish();
    for _ in 0..3 {
        doc = Client::connect_with(&url, doc).await.vanish();
    }
    witness.insert(0, ">").await;
    let mut last = Client::connect(&url).await;
    last.wait_text(|t| t == ">adef").await;
    server.stop().await;

    let storage = EmbeddedStorage::open(dir.path()).unwrap();
    let log = storage
        .read_log(&RoomId::parse("reconnects").unwrap(), 0, 100)
        .await
        .unwrap();
    assert_eq!(
        log.len(),
        3,
        "insert, delete, insert; reconnects add nothing"
    );
}

#[tokio::test]
async fn a_checkpoint_that_does_not_apply_falls_back_to_the_whole_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let [mut writer, mut witness] = server.connect_synced("fallback").await;
    writer.insert(0, "from the log").await;
    witness.wait_text(|t| t == "from the log").await;
    server.stop().await;

    let storage = EmbeddedStorage::open(dir.path()).unwrap();
    let room = RoomId::parse("fallback").unwrap();
    let garbage = Checkpoint {
        covers: 1000,
        state: bytes::Bytes::from_static(&[0xFF, 0xFF, 0xFF]),
    };
    storage.save_checkpoint(&room, garbage).await.unwrap();
    drop(storage);

    let server = TestServer::start(dir.path()).await;
    let [reader] = server.connect_synced("fallback").await;
    assert_eq!(reader.text(), "from the log");
    server.stop().await;
}
