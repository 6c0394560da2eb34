//! Nothing is lost across a restart, and what is stored has the shape the storage contract
//! promises (a kept log plus a checkpoint written on unload).

use cocreate_protocol::close;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{EmbeddedStorage, Storage};

use crate::support::{close_of, Client, TestServer};

#[tokio::test]
async fn content_survives_a_restart_and_shutdown_closes_with_1001() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut writer = Client::connect(&server.url("keep")).await;
    let mut witness = Client::connect(&server.url("keep")).await;
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
    let reader = Client::connect(&server.url("keep")).await;
    assert_eq!(reader.text(), "journey map survives");
    server.stop().await;
}

#[tokio::test]
async fn the_log_keeps_every_update_and_unload_writes_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let mut writer = Client::connect(&server.url("history")).await;
    let mut witness = Client::connect(&server.url("history")).await;
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
