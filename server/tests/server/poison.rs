//! Issue 33: a 37-byte update that yrs applied without error, after which every encoding of
//! the document panicked (no sync, no checkpoint, for good, across restarts). It is refused on
//! receipt with 1008 in every kind of room, on both stores and across nodes, and a room whose
//! log already holds it loads without it.

use bytes::Bytes;
use cocreate_protocol::{close, Message, SyncMessage};
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{EmbeddedStorage, NewRecord, Origin, Storage};
use futures_util::StreamExt;
use serde_json::json;
use yrs::Doc;

use crate::redis_server::{storage_with_prefix, unique_prefix};
use crate::support::{
    add_card, card_text, close_of, redis_node, session_server, two_redis_nodes, Client, TestServer,
    WAIT,
};

/// The update of issue 33, found by the `update` fuzz target: one GC block at clock 2 whose
/// length runs past the largest clock.
const POISON: &str = "0101c0de93fa010200fffffffffffe0000010202020202020202020248c8020202de93fe01";

fn poison() -> Vec<u8> {
    (0..POISON.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&POISON[i..i + 2], 16).unwrap())
        .collect()
}

/// The reason the sender is closed with.
const REASON: &str = "runs past the largest clock";

/// Sends the poison as a y-websocket update message and waits for the server's close, then
/// for it to hang up: the close code and reason.
async fn send_poison(mut client: Client) -> (u16, String) {
    client
        .send(&Message::Sync(SyncMessage::Update(poison())))
        .await;
    let close = close_of(&mut client.socket).await;
    let drained = tokio::time::timeout(WAIT, async {
        while client.socket.next().await.is_some() {}
    });
    drained.await.expect("the server hangs up after its close");
    close
}

/// Reads `client` until card `id` has `text`.
async fn wait_card_text(client: &mut Client, id: &str, text: &str) {
    client.wait_card(id, |t| t == Some(text)).await;
}

#[tokio::test]
async fn the_poison_update_is_refused_in_an_open_room_and_the_room_goes_on_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let [mut editor, mut watcher] = server.connect_synced("room").await;
    add_card(&mut editor, "before", "written before", "").await;
    wait_card_text(&mut watcher, "before", "written before").await;

    let attacker = Client::connect(&server.url("room")).await;
    let (code, reason) = send_poison(attacker).await;
    assert_eq!(code, close::POLICY_VIOLATION, "{reason}");
    assert!(reason.contains(REASON), "{reason}");

    // Nobody else noticed: they keep editing, and a newcomer syncs everything.
    add_card(&mut editor, "after", "written after", "").await;
    wait_card_text(&mut watcher, "after", "written after").await;
    let [newcomer] = server.connect_synced("room").await;
    holds_what_was_written_before_and_after(&newcomer);
    let samples = server.scrape().await;
    assert_eq!(samples["cocreate_rejected_total{reason=\"policy\"}"], 1.0);
    editor.wait_all_saved().await;
    server.stop().await;

    let server = TestServer::start(dir.path()).await;
    let [reloaded] = server.connect_synced("room").await;
    assert_eq!(
        card_text(&reloaded, "after").as_deref(),
        Some("written after")
    );
    server.stop().await;
}

/// The cards written before the poison was sent and after it, as a newcomer syncs them.
fn holds_what_was_written_before_and_after(newcomer: &Client) {
    assert_eq!(
        card_text(newcomer, "before").as_deref(),
        Some("written before")
    );
    assert_eq!(
        card_text(newcomer, "after").as_deref(),
        Some("written after")
    );
}

/// A session on `server`: its id, join code and moderator token.
async fn session(server: &TestServer) -> (String, String, String) {
    let body = json!({"title": "Parking permits", "template": "canvas", "language": "nl"});
    let created = server.create_session(body).await;
    let field = |path: &[&str]| {
        path.iter()
            .fold(&created, |v, k| &v[k])
            .as_str()
            .unwrap()
            .to_owned()
    };
    (
        field(&["id"]),
        field(&["join_code"]),
        field(&["invites", "moderator", "token"]),
    )
}

/// Joins the session `(id, code)` on `server` as `name`: a connected client and participant id.
async fn citizen(server: &TestServer, (id, code): (&str, &str), name: &str) -> (Client, String) {
    let (token, participant) = server.join(code, name).await;
    let url = format!("{}?token={token}", server.url(id));
    (Client::connect(&url).await, participant)
}

/// A citizen on node `a` sends the poison; the others (on `a` and on `b`) keep editing, and a
/// newcomer syncs everything.
async fn a_citizen_cannot_poison_a_session(a: &TestServer, b: &TestServer) {
    let (id, code, _) = session(a).await;
    let (mut ann, ann_id) = citizen(a, (&id, &code), "Ann").await;
    let (mut bob, bob_id) = citizen(b, (&id, &code), "Bob").await;
    add_card(&mut ann, "before", "written before", &ann_id).await;
    wait_card_text(&mut bob, "before", "written before").await;

    let (troll, _) = citizen(a, (&id, &code), "Troll").await;
    let (code_got, reason) = send_poison(troll).await;
    assert_eq!(code_got, close::POLICY_VIOLATION, "{reason}");
    assert!(reason.contains(REASON), "{reason}");

    add_card(&mut bob, "after", "written after", &bob_id).await;
    wait_card_text(&mut ann, "after", "written after").await;
    for node in [a, b] {
        let (newcomer, _) = citizen(node, (&id, &code), "Lea").await;
        holds_what_was_written_before_and_after(&newcomer);
    }
}

#[tokio::test]
async fn a_citizen_cannot_poison_a_session_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = session_server(dir.path()).await;
    a_citizen_cannot_poison_a_session(&server, &server).await;
    server.stop().await;
}

#[tokio::test]
async fn a_citizen_cannot_poison_a_session_served_by_two_nodes_on_redis() {
    let (_, a, b) = two_redis_nodes().await;
    a_citizen_cannot_poison_a_session(&a, &b).await;
    a.stop().await;
    b.stop().await;
}

/// A record as an older version stored it, from `participant`'s connection.
fn stored(update: Vec<u8>, participant: &str) -> NewRecord {
    NewRecord {
        at_ms: 1_800_000_000_000,
        origin: Origin {
            node: "older".into(),
            connection: 7,
            participant: Some(participant.to_owned()),
        },
        update: Bytes::from(update),
    }
}

/// A card `id` with `text` by `author`, written by a client of its own on top of `board`.
fn card_update(board: &Client, id: &str, text: &str, author: &str) -> Vec<u8> {
    use yrs::{Map, MapPrelim, ReadTxn, Text, TextPrelim, Transact};
    let doc = board.copied_into(Doc::new());
    let before = doc.transact().state_vector();
    let items = doc.get_or_insert_map("items");
    let mut txn = doc.transact_mut();
    let card = items.insert(&mut txn, id, MapPrelim::default());
    card.insert(&mut txn, "type", "card");
    card.insert(&mut txn, "author", author);
    let field = card.insert(&mut txn, "text", TextPrelim::new(""));
    field.insert(&mut txn, 0, text);
    drop(txn);
    let update = doc.transact().encode_state_as_update_v1(&before);
    update
}

/// A session on `server` where Ann wrote a card, and the records an older version would have
/// stored after it: the poison, then Ann's next card. Returns the session, the room and them.
async fn session_with_a_poisoned_tail(
    server: &TestServer,
) -> ((String, String, String), RoomId, Vec<NewRecord>) {
    let (id, code, moderator) = session(server).await;
    let (mut ann, ann_id) = citizen(server, (&id, &code), "Ann").await;
    add_card(&mut ann, "before", "written before", &ann_id).await;
    ann.wait_all_saved().await;
    let after = card_update(&ann, "after", "written after", &ann_id);
    let records = vec![stored(poison(), &ann_id), stored(after, &ann_id)];
    let room = RoomId::parse(&id).unwrap();
    ((id, code, moderator), room, records)
}

/// The room loads with both cards and counts the skip; history, export and the board's state
/// answer over the poison.
async fn loads_without_the_poison(
    server: &TestServer,
    (id, code, moderator): &(String, String, String),
) {
    let (reader, _) = citizen(server, (id, code), "Wim").await;
    assert_eq!(
        card_text(&reader, "before").as_deref(),
        Some("written before")
    );
    assert_eq!(
        card_text(&reader, "after").as_deref(),
        Some("written after")
    );
    assert!(server.scrape().await["cocreate_records_skipped_total"] >= 1.0);
    for path in ["history", "export", "metrics"] {
        let (status, _, body) = server
            .fetch(&format!("/api/sessions/{id}/{path}"), moderator)
            .await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    }
    let (status, _, state) = server
        .fetch(&format!("/api/sessions/{id}/state"), moderator)
        .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&state).contains("written after"));
}

#[tokio::test]
async fn a_poisoned_log_loads_without_the_poison_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = session_server(dir.path()).await;
    let (session, room, records) = session_with_a_poisoned_tail(&server).await;
    server.stop().await;
    EmbeddedStorage::open(dir.path())
        .unwrap()
        .append(&room, records)
        .await
        .unwrap();
    let server = session_server(dir.path()).await;
    loads_without_the_poison(&server, &session).await;
    server.stop().await;
}

#[tokio::test]
async fn a_poisoned_log_loads_without_the_poison_on_redis() {
    let prefix = unique_prefix();
    let a = redis_node(&prefix, "a").await;
    let (session, room, records) = session_with_a_poisoned_tail(&a).await;
    a.stop().await;
    storage_with_prefix(&prefix)
        .await
        .append(&room, records)
        .await
        .unwrap();
    let b = redis_node(&prefix, "b").await;
    loads_without_the_poison(&b, &session).await;
    b.stop().await;
}
