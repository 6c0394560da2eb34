//! Zone rules held by the server (issue 27, part 3): a citizen's cards are theirs, the board's
//! structure the moderators', and a step opens or closes zones. A change a rule forbids is
//! dropped before the log: it reaches no other participant and no storage, also from a client
//! that ignores the rules, and its writer is told (`edit-refused`).

use serde_json::{json, Value};
use yrs::{Map, Out};

use crate::board_session::BoardSession;
use crate::support::{add_card, add_card_at, frames_until, raw_socket, type_into, vote, Client};

/// The session message telling a writer their edit was refused: its zone.
async fn refused_zone(client: &mut Client) -> String {
    client.wait_session(|m| m["event"] == "edit-refused").await;
    let message = client.session.clone().unwrap_or_default();
    assert!(
        message["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{message}"
    );
    message["zone"].as_str().unwrap_or_default().to_owned()
}

impl BoardSession {
    /// A connection to the session's board with `token`.
    async fn board(&self, token: &str) -> Client {
        Client::connect(&format!("{}?token={token}", self.server.url(&self.id))).await
    }

    /// The board as the research API answers it.
    async fn board_state(&self) -> Value {
        self.call_as("moderator", "GET", "/state", None).await.1
    }
}

/// Deletes root map `root`'s entry `key` on `client`'s board and sends it.
async fn remove(client: &mut Client, root: &str, key: &str) {
    let map = client.doc.get_or_insert_map(root);
    let key = key.to_owned();
    client.edit(move |txn| drop(map.remove(txn, &key))).await;
}

/// Sets field `field` of item `item` on `client`'s board and sends it.
async fn set_field(client: &mut Client, item: &str, field: &str, value: &str) {
    let items = client.doc.get_or_insert_map("items");
    let (item, field, value) = (item.to_owned(), field.to_owned(), value.to_owned());
    client
        .edit(move |txn| {
            let Some(Out::YMap(card)) = items.get(txn, &item) else {
                panic!("no item {item}")
            };
            card.insert(txn, field, value);
        })
        .await;
}

#[tokio::test]
async fn a_citizen_changes_only_their_own_cards_and_never_the_structure() {
    let s = BoardSession::start(json!({"template": "journey-map"})).await;
    let (ann_token, ann) = s.server.join(&s.code, "Ann").await;
    let (bob_token, bob) = s.server.join(&s.code, "Bob").await;
    let mut ann_board = s.board(&ann_token).await;
    add_card(&mut ann_board, "ann-1", "long queues", &ann).await;
    ann_board.wait_all_saved().await;
    let mut observer = raw_socket(&format!(
        "{}?token={}",
        s.server.url(&s.id),
        s.invite("observer")
    ))
    .await;

    // Bob, with a client that ignores the rules: each of these is refused whole. After each he
    // starts over from the server's board, as the web client does.
    let bob_sees = |board: &Client| board.item_field("ann-1", "author").is_some();
    let mut bob_board = s.board(&bob_token).await;
    bob_board.wait_for(bob_sees).await;
    type_into(&mut bob_board, "ann-1", " HACKED").await;
    refused_zone(&mut bob_board).await;
    for (root, key, zone) in [
        ("lanes", "lane-actions", "structure"),
        ("items", "ann-1", ""),
    ] {
        let mut bob_board = s.board(&bob_token).await;
        bob_board.wait_for(bob_sees).await;
        remove(&mut bob_board, root, key).await;
        let refused = refused_zone(&mut bob_board).await;
        assert!(
            zone.is_empty() || refused == zone,
            "{root}/{key}: {refused}"
        );
    }
    let mut bob_board = s.board(&bob_token).await;
    bob_board.wait_for(bob_sees).await;
    set_field(&mut bob_board, "ann-1", "hidden", "gone").await;
    refused_zone(&mut bob_board).await;

    // What Bob may do goes through: his own card, changed and deleted.
    let mut bob_board = s.board(&bob_token).await;
    add_card(&mut bob_board, "bob-1", "no parking near the office", &bob).await;
    set_field(&mut bob_board, "bob-1", "lane", "lane-pain-points").await;
    remove(&mut bob_board, "items", "bob-1").await;
    bob_board.wait_all_saved().await;
    // The moderator renames a lane: the structure is theirs.
    let mut moderator = s.board(&s.invite("moderator")).await;
    let lanes = moderator.doc.get_or_insert_map("lanes");
    moderator
        .edit(move |txn| {
            let Some(Out::YMap(lane)) = lanes.get(txn, "lane-actions") else {
                panic!("no lane")
            };
            lane.insert(txn, "title", "What people do (barrier)");
        })
        .await;
    moderator.wait_all_saved().await;

    // Up to the moderator's rename, no frame the observer received held a refused change.
    assert!(
        !frames_until(&mut observer, "(barrier)", "HACKED").await,
        "a refused edit reached the observer"
    );
    let state = s.board_state().await;
    let items = &state["board"]["items"];
    assert_eq!(items["ann-1"]["text"], "long queues", "{state}");
    assert!(items["ann-1"].get("hidden").is_none(), "{state}");
    assert!(items.get("bob-1").is_none(), "{state}");
    assert!(
        state["board"]["lanes"].get("lane-actions").is_some(),
        "{state}"
    );
}

#[tokio::test]
async fn a_step_opens_one_lane_and_its_end_closes_what_it_opened() {
    let s = BoardSession::start(json!({"template": "journey-map"})).await;
    let agenda = json!({"steps": [
        {"id": "pains", "title": "Pains", "method": "brainwrite",
         "zones": {"lane:lane-pain-points": {"citizen": "add"}, "structure": {"citizen": "edit"}}},
    ]});
    s.moderate("PUT", "/agenda", Some(agenda), 200).await;
    s.moderate("POST", "/agenda/steps/pains/start", None, 200)
        .await;
    let (token, ann) = s.server.join(&s.code, "Ann").await;
    let pains = [("stage", "stage-apply"), ("lane", "lane-pain-points")];
    let actions = [("stage", "stage-apply"), ("lane", "lane-actions")];

    let mut board = s.board(&token).await;
    add_card_at(&mut board, "in-pains", "forms lost", &ann, &pains).await;
    type_into(&mut board, "in-pains", " twice").await;
    board.wait_all_saved().await;
    add_card_at(&mut board, "in-actions", "fills in a form", &ann, &actions).await;
    assert_eq!(refused_zone(&mut board).await, "lane:lane-actions");
    let mut board = s.board(&token).await;
    board
        .wait_for(|c| c.item_field("in-pains", "author").is_some())
        .await;
    remove(&mut board, "items", "in-pains").await;
    assert_eq!(refused_zone(&mut board).await, "lane:lane-pain-points");
    // The step opened the structure to citizens.
    let mut board = s.board(&token).await;
    let stages = board.doc.get_or_insert_map("stages");
    board
        .edit(move |txn| drop(stages.remove(txn, "stage-follow-up")))
        .await;
    board.wait_all_saved().await;

    s.moderate("POST", "/agenda/end", None, 200).await;
    let mut board = s.board(&token).await;
    add_card_at(&mut board, "in-actions", "fills in a form", &ann, &actions).await;
    board.wait_all_saved().await;
    let lanes = board.doc.get_or_insert_map("lanes");
    board
        .edit(move |txn| drop(lanes.remove(txn, "lane-actions")))
        .await;
    assert_eq!(refused_zone(&mut board).await, "structure");

    let state = s.board_state().await;
    let items = &state["board"]["items"];
    assert_eq!(items["in-pains"]["text"], "forms lost twice", "{state}");
    assert_eq!(items["in-actions"]["text"], "fills in a form", "{state}");
    assert!(
        state["board"]["stages"].get("stage-follow-up").is_none(),
        "{state}"
    );
    assert!(
        state["board"]["lanes"].get("lane-actions").is_some(),
        "{state}"
    );
}

#[tokio::test]
async fn a_client_that_keeps_resending_refused_edits_is_closed() {
    let s = BoardSession::start(json!({"template": "journey-map"})).await;
    let (token, _) = s.server.join(&s.code, "Mallory").await;
    let mut board = s.board(&token).await;
    for n in 0..60 {
        let lanes = board.doc.get_or_insert_map("lanes");
        board
            .edit(move |txn| {
                lanes.insert(txn, format!("lane-{n}"), "x");
            })
            .await;
    }
    let (code, reason) = board.wait_closed().await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("refused edits"), "{reason}");
    let state = s.board_state().await;
    assert!(state["board"]["lanes"].get("lane-0").is_none(), "{state}");
}

#[tokio::test]
async fn a_secret_vote_is_cast_apart_and_counted_at_the_reveal() {
    let s = BoardSession::start(json!({"template": "journey-map"})).await;
    let mut moderator = s.board(&s.invite("moderator")).await;
    add_card(&mut moderator, "m1", "evening hours", "moderator").await;
    add_card(&mut moderator, "m2", "one form", "moderator").await;
    moderator.wait_all_saved().await;
    let agenda = json!({"steps": [
        {"id": "vote", "title": "Vote", "method": "vote", "secret": true, "votes": 2},
    ]});
    s.moderate("PUT", "/agenda", Some(agenda), 200).await;
    s.moderate("POST", "/agenda/steps/vote/start", None, 200)
        .await;
    let (ann_token, ann) = s.server.join(&s.code, "Ann").await;
    let (bob_token, bob) = s.server.join(&s.code, "Bob").await;
    let mut bob_raw = raw_socket(&format!("{}?token={bob_token}", s.server.url(&s.id))).await;

    // On the board a vote would show the tally: refused.
    let mut board = s.board(&ann_token).await;
    board
        .wait_for(|c| c.item_field("m1", "author").is_some())
        .await;
    vote(&mut board, &[format!("m1|{ann}|0")]).await;
    assert_eq!(refused_zone(&mut board).await, "votes");
    // Apart, in her draft room: three votes (one beyond the step's 2) and one in Bob's name.
    let drafts = format!(
        "{}?token={ann_token}",
        s.server.url(&format!("{}:drafts:{ann}", s.id))
    );
    let mut apart = Client::connect(&drafts).await;
    let cast = [
        format!("m1|{ann}|0"),
        format!("m2|{ann}|1"),
        format!("m1|{ann}|2"),
        format!("m1|{bob}|0"),
    ];
    vote(&mut apart, &cast).await;
    apart.wait_all_saved().await;
    add_card(&mut moderator, "barrier", "barrier card", "moderator").await;
    moderator.wait_all_saved().await;
    assert!(
        !frames_until(&mut bob_raw, "barrier card", &format!("|{ann}|")).await,
        "a secret vote reached another participant"
    );
    let before = s.board_state().await;
    assert!(
        before["board"]["votes"]
            .as_object()
            .is_none_or(|v| v.is_empty()),
        "{before}"
    );

    s.moderate("POST", "/agenda/reveal", None, 200).await;
    let after = s.board_state().await;
    let votes = &after["board"]["votes"];
    assert_eq!(
        votes["m1"].as_u64().unwrap_or(0) + votes["m2"].as_u64().unwrap_or(0),
        2,
        "{after}"
    );
    assert_eq!(
        votes["m1"], 2,
        "the first two of her votes in sorted order: {after}"
    );
}
