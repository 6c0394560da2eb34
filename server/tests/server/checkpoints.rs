//! Checkpoints bound how much of a room's log a load replays, without ever deleting history.

use cocreate_server::load_document;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::Storage;

use crate::redis_server::{storage_with_prefix, unique_prefix, url};
use crate::support::{append_typing, text_len, Client, TestServer};

const UPDATES: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_with_100k_updates_loads_from_its_checkpoint() {
    let prefix = unique_prefix();
    let storage = storage_with_prefix(&prefix).await;
    let room = RoomId::parse("long-session").unwrap();
    append_typing(storage.as_ref(), &room, UPDATES, 1000, |_| 1).await;

    // No checkpoint yet: a load replays the whole log.
    let cold = load_document(&room, storage.as_ref()).await.unwrap();
    assert_eq!(
        (cold.replayed, cold.checkpoint, text_len(&cold.doc)),
        (UPDATES, 0, UPDATES)
    );

    // A node serving the room leaves a checkpoint behind.
    let server = TestServer::fresh_with(|config| {
        config.store.redis_url = Some(url());
        config.store.redis_prefix = prefix.clone();
    })
    .await;
    let client = Client::connect(&server.url("long-session")).await;
    assert_eq!(client.text().len(), UPDATES);
    server.stop().await;

    let warm = load_document(&room, storage.as_ref()).await.unwrap();
    assert_eq!(
        (warm.replayed, warm.checkpoint, text_len(&warm.doc)),
        (0, UPDATES as u64, UPDATES)
    );
    assert_eq!(
        storage.read_log(&room, 0, usize::MAX).await.unwrap().len(),
        UPDATES,
        "history is kept"
    );
}
