//! Authorship the server vouches for: a Yjs client id belongs to the participant who first
//! writes with it (the server's own edits keep theirs), and an update that writes under
//! someone else's is refused with 1008, never stored or relayed, on every node and after a
//! restart; remove-contributions and the history follow that ownership.

use std::collections::HashSet;

use tempfile::TempDir;

use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{EmbeddedStorage, NewRecord, Origin, Storage};
use futures_util::StreamExt;
use serde_json::{json, Value};
use yrs::{Doc, Map, MapRef, Out, ReadTxn, Text, Transact, TransactionMut};

use crate::redis_server::storage_with_prefix;
use crate::support::{
    add_card, card_text, close_of, session_server, two_redis_nodes, Client, TestServer, WAIT,
};

/// A session on `server`: its id, join code and moderator token.
struct Session {
    id: String,
    code: String,
    moderator: String,
}

impl Session {
    async fn create(server: &TestServer) -> Self {
        let body = json!({"title": "Permits", "template": "canvas", "language": "en"});
        let created = server.create_session(body).await;
        let field = |path: &[&str]| {
            let value = path.iter().fold(&created, |v, key| &v[key]);
            value.as_str().unwrap().to_owned()
        };
        Session {
            id: field(&["id"]),
            code: field(&["join_code"]),
            moderator: field(&["invites", "moderator", "token"]),
        }
    }

    /// The session's room on `server`, as the holder of `token`.
    fn url(&self, server: &TestServer, token: &str) -> String {
        format!("{}?token={token}", server.url(&self.id))
    }
}

/// Joins `session` as `name` and connects with a fresh document: the client and its
/// participant id.
async fn citizen(server: &TestServer, session: &Session, name: &str) -> (Client, String) {
    let (token, participant) = server.join(&session.code, name).await;
    (
        Client::connect(&session.url(server, &token)).await,
        participant,
    )
}

/// Ann joins `session` and writes card `c`, saved: her client and participant id.
async fn ann_wrote_a_card(server: &TestServer, session: &Session) -> (Client, String) {
    let (mut ann, ann_id) = citizen(server, session, "Ann").await;
    add_card(&mut ann, "c", "Ann's words", &ann_id).await;
    ann.wait_all_saved().await;
    (ann, ann_id)
}

/// A session on a server of its own, stored in the returned directory, where Ann wrote card
/// `c`: the directory, the server, the session, and Ann's client and participant id.
async fn ann_wrote_on_a_server_of_its_own() -> (TempDir, TestServer, Session, (Client, String)) {
    let dir = tempfile::tempdir().unwrap();
    let server = session_server(dir.path()).await;
    let session = Session::create(&server).await;
    let ann = ann_wrote_a_card(&server, &session).await;
    (dir, server, session, ann)
}

/// Removes a participant's contributions as the moderator: how many client ids were theirs.
async fn remove_contributions(server: &TestServer, session: &Session, participant: &str) -> Value {
    let path = format!(
        "/api/sessions/{}/participants/{participant}/remove-contributions",
        session.id
    );
    let (status, body) = server
        .call("POST", &path, Some(&session.moderator), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["removed_clients"].clone()
}

/// Joins `session` as a troll whose document writes under `client_id`, and types into the
/// card `card` with it: the troll's connection, which should be closed.
async fn forge(
    server: &TestServer,
    session: &Session,
    client_id: u64,
    card: &str,
) -> (Client, String) {
    let (token, participant) = server.join(&session.code, "Troll").await;
    let doc = Doc::with_client_id(client_id);
    let mut troll = Client::connect_with(&session.url(server, &token), doc).await;
    let items = troll.doc.get_or_insert_map("items");
    let card = card.to_owned();
    troll.edit(move |txn| type_into(&items, txn, &card)).await;
    (troll, participant)
}

/// Types "FORGED " at the start of the text of card `card` in `items`.
fn type_into(items: &MapRef, txn: &mut TransactionMut, card: &str) {
    let Some(Out::YMap(card)) = items.get(txn, card) else {
        panic!("the card is on the board")
    };
    let Some(Out::YText(text)) = card.get(txn, "text") else {
        panic!("the card has a text")
    };
    text.insert(txn, 0, "FORGED ");
}

/// The pseudonyms the history credits with changes to card `card`.
async fn card_authors(server: &TestServer, session: &Session, card: &str) -> HashSet<String> {
    let path = format!("/api/sessions/{}/history", session.id);
    let (status, _, body) = server.fetch(&path, &session.moderator).await;
    assert_eq!(status, 200);
    let events: Vec<Value> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    events
        .iter()
        .filter(|e| e["target"] == card && e["by_server"] == false)
        .map(|e| e["participant"].as_str().unwrap().to_owned())
        .collect()
}

/// Reads until the server closes `client`, then until it hung up (after counting the refusal).
async fn refused(mut client: Client) -> (u16, String) {
    let close = close_of(&mut client.socket).await;
    let drained = tokio::time::timeout(WAIT, async {
        while client.socket.next().await.is_some() {}
    });
    drained.await.expect("the server hangs up after its close");
    close
}

fn refusal(client_id: u64, owner: &str) -> (u16, String) {
    let reason = format!(
        "forged_update: update writes under client id {client_id}, which belongs to {owner}"
    );
    (1008, reason)
}

/// Reads `witness` until a card `id` arrives (a later edit: anything before it arrived too).
async fn wait_card(witness: &mut Client, id: &str) {
    while card_text(witness, id).is_none() {
        witness.read_one().await;
    }
}

fn policy_refusals(samples: &std::collections::HashMap<String, f64>) -> f64 {
    samples["cocreate_rejected_total{reason=\"policy\"}"]
}

#[tokio::test]
async fn a_troll_writing_under_a_citizens_client_id_is_refused_and_nothing_of_it_kept() {
    let (dir, server, session, (mut ann, ann_id)) = ann_wrote_on_a_server_of_its_own().await;
    let (mut witness, witness_id) = citizen(&server, &session, "Wim").await;
    let refused_before = policy_refusals(&server.scrape().await);

    let ann_client = ann.doc.client_id().get();
    let (troll, troll_id) = forge(&server, &session, ann_client, "c").await;
    assert_eq!(
        refused(troll).await,
        refusal(ann_client, "another participant")
    );
    assert_eq!(
        policy_refusals(&server.scrape().await),
        refused_before + 1.0
    );

    // Everyone else's next edits arrive; the forged one never did.
    add_card(&mut witness, "w", "later", &witness_id).await;
    add_card(&mut ann, "a2", "more", &ann_id).await;
    wait_card(&mut ann, "w").await;
    wait_card(&mut witness, "a2").await;
    for client in [&ann, &witness] {
        assert_eq!(card_text(client, "c").as_deref(), Some("Ann's words"));
    }
    server.stop().await;

    let storage = EmbeddedStorage::open(dir.path()).unwrap();
    let log = storage
        .read_log(&RoomId::parse(&session.id).unwrap(), 0, 1000)
        .await
        .unwrap();
    assert!(log
        .iter()
        .all(|r| r.origin.participant.as_deref() != Some(&troll_id)));
    assert_eq!(log.len(), 4, "the seed and three cards");
}

#[tokio::test]
async fn writing_under_the_servers_client_id_is_refused() {
    let (_dir, server, session, (ann, _)) = ann_wrote_on_a_server_of_its_own().await;
    let ann_client = ann.doc.client_id();
    let others: Vec<u64> = {
        let txn = ann.doc.transact();
        let clients = txn
            .state_vector()
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>();
        clients
            .into_iter()
            .filter(|c| *c != ann_client)
            .map(|c| c.get())
            .collect()
    };
    let [server_client] = others[..] else {
        panic!("the board is the server's seed and Ann's card: {others:?}")
    };

    let (troll, _) = forge(&server, &session, server_client, "c").await;
    assert_eq!(refused(troll).await, refusal(server_client, "the server"));
    server.stop().await;
}

#[tokio::test]
async fn ownership_holds_after_a_restart() {
    let (dir, server, session, (ann, _)) = ann_wrote_on_a_server_of_its_own().await;
    let ann_client = ann.doc.client_id().get();
    server.stop().await;

    // The room loads from the checkpoint its unload wrote: ownership comes from the log.
    let server = session_server(dir.path()).await;
    let (troll, _) = forge(&server, &session, ann_client, "c").await;
    assert_eq!(
        refused(troll).await,
        refusal(ann_client, "another participant")
    );
    let (witness, _) = citizen(&server, &session, "Wim").await;
    assert_eq!(card_text(&witness, "c").as_deref(), Some("Ann's words"));
    server.stop().await;
}

#[tokio::test]
async fn ownership_holds_across_nodes_and_a_forged_record_in_the_log_is_skipped_everywhere() {
    let (prefix, a, b) = two_redis_nodes().await;
    let session = Session::create(&a).await;
    let (mut witness, _) = citizen(&b, &session, "Wim").await;
    let (mut ann, ann_id) = ann_wrote_a_card(&a, &session).await;
    wait_card(&mut witness, "c").await;

    // Node b learnt from the log whose client id that is.
    let ann_client = ann.doc.client_id().get();
    let (troll, troll_id) = forge(&b, &session, ann_client, "c").await;
    assert_eq!(
        refused(troll).await,
        refusal(ann_client, "another participant")
    );

    // Two nodes racing could both store such a record: every node skips it, in log order.
    let forged = {
        let doc = ann.copied_into(Doc::with_client_id(ann_client));
        let items = doc.get_or_insert_map("items");
        let mut txn = doc.transact_mut();
        type_into(&items, &mut txn, "c");
        txn.encode_update_v1()
    };
    let record = NewRecord {
        at_ms: 1,
        origin: Origin {
            node: "c".into(),
            connection: 1,
            participant: Some(troll_id),
        },
        update: forged.into(),
    };
    let room = RoomId::parse(&session.id).unwrap();
    storage_with_prefix(&prefix)
        .await
        .append(&room, vec![record])
        .await
        .unwrap();
    add_card(&mut ann, "a2", "more", &ann_id).await;
    wait_card(&mut witness, "a2").await;
    let (late, _) = citizen(&a, &session, "Lea").await;
    for client in [&ann, &witness, &late] {
        assert_eq!(card_text(client, "c").as_deref(), Some("Ann's words"));
    }
    assert_eq!(card_authors(&b, &session, "c").await.len(), 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn remove_contributions_and_history_follow_ownership() {
    let (_dir, server, session, (mut ann, _)) = ann_wrote_on_a_server_of_its_own().await;
    let ann_client = ann.doc.client_id().get();
    let (troll, troll_id) = forge(&server, &session, ann_client, "c").await;
    refused(troll).await;
    // The troll comes back with a client of its own and adds its own card.
    let (token, troll_again) = server.join(&session.code, "Troll again").await;
    let mut troll = Client::connect(&session.url(&server, &token)).await;
    add_card(&mut troll, "t", "spam", &troll_again).await;
    troll.wait_all_saved().await;

    assert_eq!(remove_contributions(&server, &session, &troll_id).await, 0);
    assert_eq!(
        remove_contributions(&server, &session, &troll_again).await,
        1
    );
    while card_text(&ann, "t").is_none() {
        ann.read_one().await;
    }
    while card_text(&ann, "t").is_some() {
        ann.read_one().await;
    }
    assert_eq!(card_text(&ann, "c").as_deref(), Some("Ann's words"));

    // Every change to Ann's card is hers.
    assert_eq!(card_authors(&server, &session, "c").await.len(), 1);
    server.stop().await;
}

/// Sets an item's authorship fields as a hostile client would.
async fn claim(client: &mut Client, item: &str, author: &str, name: &str) {
    let items = client.doc.get_or_insert_map("items");
    let (item, author, name) = (item.to_owned(), author.to_owned(), name.to_owned());
    client
        .edit(move |txn| {
            let Some(yrs::Out::YMap(card)) = items.get(txn, &item) else {
                panic!("no item {item}")
            };
            card.insert(txn, "author", author);
            card.insert(txn, "author_name", name);
        })
        .await;
}

/// Issue 34, finding 3: the `author` and `author_name` a client writes are put right by the
/// server: a new item is its sender's, an existing one stays its creator's; every client, the
/// research state and a later load see the server's version.
async fn authors_are_vouched_for(w: crate::receipts::Workshop) {
    let mut ann = w.join("Ann").await;
    let mut mallory = w.join("Mallory").await;
    ann.card("a1", "Ann's card").await;
    claim(&mut ann.client, "a1", &ann.pid, "Ann").await;
    ann.client.wait_all_saved().await;
    // A card Mallory writes in Ann's name is Mallory's.
    crate::support::add_card(&mut mallory.client, "m1", "I am Ann", &ann.pid).await;
    claim(&mut mallory.client, "m1", &ann.pid, "Ann").await;
    let (ann_pid, mallory_pid) = (ann.pid.clone(), mallory.pid.clone());
    ann.client
        .wait_for(|c| c.item_field("m1", "author").as_deref() == Some(mallory_pid.as_str()))
        .await;
    ann.client
        .wait_for(|c| c.item_field("m1", "author_name").as_deref() == Some("Mallory"))
        .await;
    // Ann's card, claimed by Mallory, is refused whole: a card is its author's (zone rules).
    // (Mallory's claim must overwrite what Ann wrote last: a claim that raced Ann's own and lost
    // changes nothing anywhere, and is taken as such.)
    mallory
        .client
        .wait_for(|c| c.item_field("a1", "author_name").as_deref() == Some("Ann"))
        .await;
    claim(&mut mallory.client, "a1", &mallory.pid, "Mallory").await;
    mallory
        .client
        .wait_session(|m| m["event"] == "edit-refused")
        .await;
    // A moderator may change it, but not whose it is: their claim goes back to Ann.
    let url = format!("{}?token={}", w.server.url(&w.id), w.moderator);
    let mut moderator = Client::connect(&url).await;
    moderator
        .wait_for(|c| c.item_field("a1", "author").is_some())
        .await;
    claim(&mut moderator, "a1", &mallory.pid, "Mallory").await;
    moderator
        .wait_for(|c| c.item_field("a1", "author").as_deref() == Some(ann_pid.as_str()))
        .await;
    assert_eq!(
        moderator.item_field("a1", "author_name").as_deref(),
        Some("Ann")
    );
    // Research sees the same: m1 under Mallory's pseudonym, a1 under Ann's (participant ids
    // are the pseudonyms), and no names (the session does not keep them).
    let (status, state) = w
        .server
        .call("GET", &w.path("/state"), Some(&w.researcher), None)
        .await;
    assert_eq!(status, 200, "{state}");
    let items = &state["board"]["items"];
    assert_eq!(items["m1"]["author"], mallory.pid.as_str(), "{items}");
    assert_eq!(items["a1"]["author"], ann.pid.as_str(), "{items}");
    assert!(!state.to_string().contains("author_name"), "{state}");
    w.server.stop().await;
}

#[tokio::test]
async fn an_author_a_client_writes_is_the_senders_and_an_items_stays_its_creators() {
    authors_are_vouched_for(crate::receipts::Workshop::start().await).await;
}

#[tokio::test]
async fn authors_are_vouched_for_on_redis_too() {
    let w = crate::receipts::Workshop::storing(|config| {
        config.store.redis_url = Some(crate::redis_server::url());
        config.store.redis_prefix = crate::redis_server::unique_prefix();
    })
    .await;
    authors_are_vouched_for(w).await;
}
