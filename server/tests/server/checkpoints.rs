//! Checkpoints bound how much of a room's log a load replays, without ever deleting history.

use cocreate_server::load_document;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{NewRecord, Origin, Storage};
use yrs::{GetString, Transact};

use crate::redis_server::{storage_with_prefix, unique_prefix, url};
use crate::support::{typing, Client, TestServer};

const UPDATES: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_with_100k_updates_loads_from_its_checkpoint() {
    let prefix = unique_prefix();
    let storage = storage_with_prefix(&prefix).await;
    let room = RoomId::parse("long-session").unwrap();
    for chunk in typing(UPDATES).chunks(1000) {
        let records = chunk
            .iter()
            .map(|update| NewRecord {
                at_ms: 1,
                origin: Origin {
                    node: "elsewhere".into(),
                    connection: 1,
                    participant: None,
                },
                update: update.clone(),
            })
            .collect();
        storage.append(&room, records).await.unwrap();
    }
    let text_of = |doc: &yrs::Doc| {
        doc.get_or_insert_text("text")
            .get_string(&doc.transact())
            .len()
    };

    // No checkpoint yet: a load replays the whole log.
    let cold = load_document(&room, storage.as_ref()).await.unwrap();
    assert_eq!(
        (cold.replayed, cold.checkpoint, text_of(&cold.doc)),
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
        (warm.replayed, warm.checkpoint, text_of(&warm.doc)),
        (0, UPDATES as u64, UPDATES)
    );
    assert_eq!(
        storage.read_log(&room, 0, usize::MAX).await.unwrap().len(),
        UPDATES,
        "history is kept"
    );
}
