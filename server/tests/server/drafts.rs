//! Private drafts (issue 27): during a private step a participant writes into a room of their
//! own, which nobody else may open; no byte of a draft reaches another participant, an observer,
//! a moderator or the session's research answers before the reveal, which puts every draft on
//! the board at once in its author's name and empties the draft rooms.

use serde_json::{json, Value};

use crate::board_session::BoardSession;
use crate::support::{add_card, close_of, frames_until, raw_socket, Client};

const SECRET: &str = "the counter staff never call back";

/// A journey map whose agenda starts with a private, timed brainwriting step, started.
async fn writing_alone(anonymous: bool) -> BoardSession {
    let s = BoardSession::start(json!({"template": "journey-map"})).await;
    let agenda = json!({"steps": [
        {"id": "write", "title": "Write alone", "method": "brainwrite", "minutes": 5,
         "private": true, "anonymous": anonymous},
        {"id": "discuss", "title": "Discuss", "method": "discuss"},
    ]});
    s.moderate("PUT", "/agenda", Some(agenda), 200).await;
    s.moderate("POST", "/agenda/steps/write/start", None, 200)
        .await;
    s
}

impl BoardSession {
    /// The WebSocket URL of `room` with `token`.
    fn room_url(&self, room: &str, token: &str) -> String {
        format!("{}?token={token}", self.server.url(room))
    }

    /// `participant`'s draft room's name.
    fn drafts(&self, participant: &str) -> String {
        format!("{}:drafts:{participant}", self.id)
    }
}

fn contains(value: &Value, text: &str) -> bool {
    value.to_string().contains(text)
}

#[tokio::test]
async fn drafts_reach_nobody_until_the_reveal_puts_them_on_the_board() {
    let s = writing_alone(false).await;
    let (ann_token, ann) = s.server.join(&s.code, "Ann").await;
    let (bob_token, _) = s.server.join(&s.code, "Bob").await;
    let mut others = raw_socket(&s.room_url(&s.id, &bob_token)).await;
    let mut observer = raw_socket(&s.room_url(&s.id, &s.invite("observer"))).await;
    let mut drafts = Client::connect(&s.room_url(&s.drafts(&ann), &ann_token)).await;
    add_card(&mut drafts, "mine-1", SECRET, &ann).await;
    drafts.wait_all_saved().await;

    // Nobody else opens Ann's drafts: not Bob, not an observer, not a moderator.
    for token in [
        bob_token.clone(),
        s.invite("observer"),
        s.invite("moderator"),
    ] {
        let mut socket = raw_socket(&s.room_url(&s.drafts(&ann), &token)).await;
        let (code, reason) = close_of(&mut socket).await;
        assert_eq!(code, 1008, "{reason}");
        assert!(reason.contains("private drafts"), "{reason}");
    }
    // The facilitator sees how many, never what.
    let counts = s.moderate("GET", "/agenda/drafts", None, 200).await;
    let ann_count = counts["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["participant"] == ann.as_str())
        .cloned();
    assert_eq!(
        ann_count.map(|d| d["cards"].clone()),
        Some(json!(1)),
        "{counts}"
    );
    assert!(!contains(&counts, SECRET));
    let (_, state) = s.call_as("researcher", "GET", "/state", None).await;
    assert!(!contains(&state, SECRET), "{state}");
    let history = format!("/api/sessions/{}/history", s.id);
    let (status, _, lines) = s.server.fetch(&history, &s.invite("researcher")).await;
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&lines).contains(SECRET));

    // A card the moderator writes on the board is the barrier: up to it, no frame Bob or the
    // observer received held the draft.
    let mut moderator = Client::connect(&s.room_url(&s.id, &s.invite("moderator"))).await;
    add_card(&mut moderator, "barrier", "barrier card", "moderator").await;
    moderator.wait_all_saved().await;
    for socket in [&mut others, &mut observer] {
        assert!(
            !frames_until(socket, "barrier card", SECRET).await,
            "a draft leaked"
        );
    }

    let revealed = s.moderate("POST", "/agenda/reveal", None, 200).await;
    assert_eq!(revealed["agenda"]["current"], "write");
    assert!(!frames_until(&mut others, SECRET, "\u{0}never").await);
    moderator
        .wait_for(|c| board_card(c, SECRET).is_some())
        .await;
    let card = board_card(&moderator, SECRET).unwrap();
    assert!(card.starts_with('d') && !card.contains(&ann), "{card}");
    assert_eq!(
        moderator.item_field(&card, "author").as_deref(),
        Some(ann.as_str())
    );
    assert_eq!(
        moderator.item_field(&card, "author_name").as_deref(),
        Some("Ann")
    );
    // Her draft room is empty again; revealing again adds nothing.
    drafts.wait_for(|c| board_card(c, SECRET).is_none()).await;
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    let (_, state) = s.call_as("researcher", "GET", "/state", None).await;
    let copies = state["board"]["items"]
        .as_object()
        .unwrap()
        .values()
        .filter(|i| i["text"] == SECRET)
        .count();
    assert_eq!(copies, 1, "{state}");
}

#[tokio::test]
async fn an_anonymous_step_reveals_without_names_and_erased_drafts_are_gone() {
    let s = writing_alone(true).await;
    let (ann_token, ann) = s.server.join(&s.code, "Ann").await;
    let (bob_token, bob) = s.server.join(&s.code, "Bob").await;
    for (token, pid, text) in [(&ann_token, &ann, "Ann's idea"), (&bob_token, &bob, SECRET)] {
        let mut drafts = Client::connect(&s.room_url(&s.drafts(pid), token)).await;
        add_card(&mut drafts, "d-1", text, pid).await;
        drafts.wait_all_saved().await;
    }
    let erase = Some(json!({"text": true}));
    s.moderate("POST", &format!("/participants/{bob}/erase"), erase, 200)
        .await;
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    let (_, state) = s.call_as("moderator", "GET", "/state", None).await;
    let items = state["board"]["items"].as_object().unwrap();
    let ann_card = items.values().find(|i| i["text"] == "Ann's idea");
    assert!(
        ann_card.is_some_and(|c| c.get("author_name").is_none()),
        "{state}"
    );
    assert!(
        !contains(&state, SECRET),
        "an erased participant's draft stays unrevealed"
    );
}

/// The id of the card whose text is `text` on a client's board.
fn board_card(client: &Client, text: &str) -> Option<String> {
    let items = client.doc.get_or_insert_map("items");
    let ids: Vec<String> = {
        let txn = yrs::Transact::transact(&client.doc);
        yrs::Map::keys(&items, &txn).map(str::to_owned).collect()
    };
    ids.into_iter()
        .find(|id| crate::support::card_text(client, id).as_deref() == Some(text))
}
