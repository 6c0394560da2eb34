//! Dot-vote limits on the server (`votes_per_participant`): votes an update adds beyond its
//! sender's limit, or in another participant's name, are removed again by a server edit that
//! every client receives, and the sender is told; a client that reconnects with the refused
//! votes still in its document converges without being refused again.

use serde_json::{json, Value};
use yrs::{Map, Transact};

use crate::support::{add_card, vote, Client, TestServer};

/// A session whose participants have two votes each, and a citizen connected to it who added
/// a card to vote on: the server, the citizen's room URL, participant id and client.
async fn voting_citizen() -> (TestServer, String, String, Client) {
    let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
    let created = server
        .create_session(json!({"title": "T", "template": "canvas", "language": "en"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let moderator = created["invites"]["moderator"]["token"].as_str().unwrap();
    let change = json!({"votes_per_participant": 2});
    let path = format!("/api/sessions/{id}");
    let (status, _) = server
        .call("PATCH", &path, Some(moderator), Some(change))
        .await;
    assert_eq!(status, 200);
    let (token, pid) = server
        .join(created["join_code"].as_str().unwrap(), "Ann")
        .await;
    let url = format!("{}?token={token}", server.url(id));
    let mut client = Client::connect(&url).await;
    add_card(&mut client, "card-1", "a card", &pid).await;
    (server, url, pid, client)
}

/// Votes with `keys` in one update and waits to be told which were refused.
async fn refused_of(client: &mut Client, keys: &[String]) -> Value {
    vote(client, keys).await;
    client.wait_session(|m| m["event"] == "vote-refused").await;
    client.session.as_ref().unwrap()["refused_votes"].clone()
}

/// The vote keys in a client's document, sorted.
fn votes(client: &Client) -> Vec<String> {
    let map = client.doc.get_or_insert_map("votes");
    let mut keys: Vec<String> = map
        .keys(&client.doc.transact())
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys
}

/// Reads until the client's votes are `expected`.
async fn wait_votes(client: &mut Client, expected: &[String]) {
    while votes(client) != expected {
        client.read_one().await;
    }
}

#[tokio::test]
async fn votes_beyond_the_limit_are_removed_for_everyone_and_the_sender_is_told() {
    let (server, url, pid, mut ann) = voting_citizen().await;
    let keys: Vec<String> = (0..3).map(|n| format!("card-1|{pid}|{n}")).collect();
    assert_eq!(refused_of(&mut ann, &keys).await, json!([keys[2]]));
    wait_votes(&mut ann, &keys[..2]).await;
    // Whoever joins now sees the two votes the limit allows.
    let newcomer = Client::connect(&url).await;
    assert_eq!(votes(&newcomer), keys[..2]);
    server.stop().await;
}

#[tokio::test]
async fn a_vote_in_another_participants_name_is_refused_whole() {
    let (server, url, pid, mut ann) = voting_citizen().await;
    let forged = vec![
        "card-1|p_someoneelse|0".to_owned(),
        format!("card-1|{pid}|0"),
    ];
    // The zone rules refuse the update before the log: neither vote is cast.
    vote(&mut ann, &forged).await;
    ann.wait_session(|m| m["event"] == "edit-refused").await;
    let mut again = Client::connect(&url).await;
    vote(&mut again, &forged[1..]).await;
    wait_votes(&mut again, &forged[1..]).await;
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_reconnects_with_refused_votes_converges_without_a_loop() {
    let (server, url, pid, mut ann) = voting_citizen().await;
    let keys: Vec<String> = (0..4).map(|n| format!("card-1|{pid}|{n}")).collect();
    vote(&mut ann, &keys).await;
    ann.wait_all_saved().await;
    // Gone before the removal reached it (the room may even unload): its document still
    // holds all four votes.
    let doc = ann.vanish();
    let mut back = Client::connect_with(&url, doc).await;
    wait_votes(&mut back, &keys[..2]).await;
    // Still connected, its edits still saved, and nothing more was refused.
    back.insert(0, "still here").await;
    back.wait_all_saved().await;
    assert_eq!(votes(&back), keys[..2]);
    assert_ne!(back.session.as_ref().unwrap()["event"], "vote-refused");
    server.stop().await;
}
