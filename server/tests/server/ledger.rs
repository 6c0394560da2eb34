//! Receipts and results read a session's ledger (issue 32), not its whole history: warm on the
//! node that read it last, stored with the session, stale (records since), lost or unreadable
//! (rebuilt from the log), and read on another node, they answer the same; revalidating an
//! unchanged answer is a 304.

use std::path::Path;

use serde_json::{json, Value};

use cocreate_server::config::ServeConfig;
use cocreate_server::storage::{EmbeddedStorage, RecordBackend};

use crate::receipts::{listed, Joined, Workshop};
use crate::redis_server;
use crate::support::{
    exchange, http_request, open_config, redis_node, type_into, Client, TestServer,
};

/// Keystrokes typed into a card: past the point where the ledger is saved (200 records).
const KEYSTROKES: usize = 240;

/// A session built through every kind of change receipts and results read: cards, comments,
/// votes (one taken back), long typing, a card hidden and unhidden, a card deleted, a decision,
/// a participant erased with their text; results published. Returns Ann, who stays.
async fn build(w: &Workshop) -> Joined {
    let mut ann = w.join("Ann").await;
    let mut bob = w.join("Bob").await;
    let mut eve = w.join("Eve").await;
    ann.card("a1", "Het formulier").await;
    bob.card("b1", "Wachtrij").await;
    eve.card("e1", "Mijn adres is Dorpsstraat 1").await;
    ann.comment("c1", "b1", "Ook bij mij").await;
    ann.vote("b1", 0, true).await;
    ann.vote("b1", 1, true).await;
    ann.vote("b1", 1, false).await;
    for _ in 0..KEYSTROKES {
        type_into(&mut ann.client, "a1", "!").await;
    }
    ann.client.wait_all_saved().await;
    ann.card("a2", "Weggegooid").await;
    ann.delete("a2").await;
    moderate(w, "/items/b1/hide", json!({"reason": "check"})).await;
    moderate(w, "/items/b1/unhide", json!({})).await;
    moderate(
        w,
        &format!("/participants/{}/erase", eve.pid),
        json!({"text": true}),
    )
    .await;
    w.decide("a1", "accepted", "We korten het formulier in")
        .await;
    moderate(w, "/publish", json!({})).await;
    ann
}

async fn moderate(w: &Workshop, rest: &str, body: Value) {
    let (status, answer) = w
        .server
        .call("POST", &w.path(rest), Some(&w.moderator), Some(body))
        .await;
    assert_eq!(status, 200, "{rest}: {answer}");
}

/// What the public reads answer on `server`: a receipt and the session's published results.
async fn reads(server: &TestServer, session: &str, receipt: &str) -> (Value, Value) {
    let (status, receipt) = server.get(&format!("/api/receipts/{receipt}")).await;
    assert_eq!(status, 200, "{receipt}");
    let (status, results) = server.get(&format!("/api/results/{session}")).await;
    assert_eq!(status, 200, "{results}");
    (receipt, results)
}

/// What the session built by [`build`] must read as, whichever way the ledger was found.
fn check(receipt: &Value, results: &Value) {
    assert_eq!(
        listed(receipt),
        [("card", "a1"), ("comment", "c1"), ("vote", "b1")]
            .map(|(k, i)| (k.to_owned(), i.to_owned()))
    );
    let card = &receipt["contributions"][0];
    assert_eq!(
        card["text"],
        format!("Het formulier{}", "!".repeat(KEYSTROKES))
    );
    assert_eq!(card["status"], "accepted");
    assert_eq!(receipt["contributions"][2]["votes"], 1);
    let text = results.to_string();
    assert!(!text.contains("Dorpsstraat"), "erased text in {text}");
    assert_eq!(results["counts"]["contributions"], 4, "{results}");
}

/// The session's stored record of `kind` (`ledger`, `client-owners`), read with the server
/// stopped.
async fn stored(data: &Path, session: &str, kind: &str) -> Option<Vec<u8>> {
    let storage = EmbeddedStorage::open(data).expect("the store opens");
    let record = storage.record(session, kind, "newest").await;
    record.expect("the store reads").map(|b| b.to_vec())
}

/// Replaces (`None`: removes) the session's stored ledger, with the server stopped.
async fn damage_ledger(data: &Path, session: &str, damage: Option<&[u8]>) {
    let storage = EmbeddedStorage::open(data).expect("the store opens");
    match damage {
        Some(bytes) => {
            let bytes = bytes.to_vec().into();
            storage.put_record(session, "ledger", "newest", bytes).await
        }
        None => storage
            .delete_record(session, "ledger", "newest")
            .await
            .map(drop),
    }
    .expect("the store writes");
}

fn session_config(data: &Path) -> ServeConfig {
    let mut config = open_config(data);
    config.open_rooms = false;
    config
}

#[tokio::test]
async fn receipts_and_results_read_the_same_from_a_warm_stored_stale_or_rebuilt_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let w = Workshop::on(data).await;
    let mut ann = build(&w).await;
    let (session, receipt) = (w.id.clone(), ann.receipt.clone());
    // The first read builds the ledger from the log (and saves it); the second finds it warm.
    let first = reads(&w.server, &session, &receipt).await;
    check(&first.0, &first.1);
    assert_eq!(reads(&w.server, &session, &receipt).await, first);
    ann.client.hang_up().await;
    w.server.stop().await;

    // Stored: a cold node opens the ledger, and the checkpoint's client ids.
    assert!(stored(data, &session, "ledger").await.is_some());
    assert!(stored(data, &session, "client-owners").await.is_some());
    let server = TestServer::start_with(session_config(data)).await;
    assert_eq!(reads(&server, &session, &receipt).await, first);

    // Stale: a change after the stored ledger is read from the log's tail.
    let url = format!("{}?token={}", server.url(&session), ann.token);
    ann.client = Client::connect(&url).await;
    ann.vote("a1", 0, true).await;
    let stale = reads(&server, &session, &receipt).await;
    assert_eq!(
        listed(&stale.0),
        [
            ("card", "a1"),
            ("comment", "c1"),
            ("vote", "b1"),
            ("vote", "a1")
        ]
        .map(|(k, i)| (k.to_owned(), i.to_owned()))
    );
    ann.client.hang_up().await;
    server.stop().await;

    // Lost, then unreadable: rebuilt from the log, the same answers.
    for damage in [None, Some(&b"{not a ledger"[..])] {
        damage_ledger(data, &session, damage).await;
        let server = TestServer::start_with(session_config(data)).await;
        assert_eq!(
            reads(&server, &session, &receipt).await,
            stale,
            "{damage:?}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn two_nodes_read_the_same_receipt_and_results_as_the_session_goes_on() {
    let prefix = redis_server::unique_prefix();
    let w = Workshop::storing(|config| {
        config.store.redis_url = Some(redis_server::url());
        config.store.redis_prefix = prefix.clone();
        config.node_id = Some("a".into());
    })
    .await;
    let b = redis_node(&prefix, "b").await;
    let mut ann = build(&w).await;
    let on_a = reads(&w.server, &w.id, &ann.receipt).await;
    check(&on_a.0, &on_a.1);
    assert_eq!(reads(&b, &w.id, &ann.receipt).await, on_a);
    // A change through node a: node b's ledger catches up from the log.
    ann.vote("a1", 0, true).await;
    let on_b = reads(&b, &w.id, &ann.receipt).await;
    assert_eq!(listed(&on_b.0).len(), 4, "{}", on_b.0);
    assert_eq!(reads(&w.server, &w.id, &ann.receipt).await, on_b);
    b.stop().await;
    w.server.stop().await;
}

#[tokio::test]
async fn public_reads_carry_an_etag_and_revalidate_to_304() {
    let w = Workshop::start().await;
    let mut ann = w.join("Ann").await;
    ann.card("a1", "Het formulier").await;
    moderate(&w, "/publish", json!({})).await;
    for (path, cache) in [
        (
            format!("/api/receipts/{}", ann.receipt),
            "private, no-cache",
        ),
        (format!("/api/results/{}", w.id), "public, no-cache"),
    ] {
        let (status, headers, _) =
            exchange(w.server.addr, &http_request("GET", &path, None, None)).await;
        assert_eq!(
            (status, headers["cache-control"].as_str()),
            (200, cache),
            "{path}"
        );
        let etag = headers["etag"].clone();
        let again = http_request("GET", &path, None, None).replacen(
            "\r\n",
            &format!("\r\nIf-None-Match: {etag}\r\n"),
            1,
        );
        let (status, headers, body) = exchange(w.server.addr, &again).await;
        assert_eq!((status, body.len()), (304, 0), "{path}");
        assert_eq!(headers["etag"], etag);
        // A change makes a new tag.
        ann.card(&format!("a{}", path.len()), "Nog een").await;
        let (status, headers, _) = exchange(w.server.addr, &again).await;
        assert_eq!(status, 200, "{path}");
        assert_ne!(headers["etag"], etag, "{path}");
    }
    w.server.stop().await;
}
