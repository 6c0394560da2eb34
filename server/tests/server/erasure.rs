//! Erasure and hiding complete (issue 19): text that went through hide → unhide stays its
//! writer's for erasure and remove-contributions, a person's text inside other authors' items
//! is covered (also while hidden), an item whose `text` is a plain string is hidden too, and
//! researchers are kept out of the live room, where the disclosure rules do not apply.

use std::io::Read;

use serde_json::{json, Value};
use yrs::{Map, MapPrelim, ReadTxn, StateVector, Transact};

use crate::support::{add_card, card_text, close_of, raw_socket, type_into, Client, TestServer};

/// A session with a moderator and two citizens, Ann and Bob, connected live.
struct Board {
    server: TestServer,
    id: String,
    moderator: String,
    observer: String,
    researcher: String,
    ann: String,
    bob: String,
    mod_client: Client,
    ann_client: Client,
    bob_client: Client,
}

impl Board {
    async fn start() -> Self {
        Board::start_with(false).await
    }

    /// [`Board::start`], with Ann an official who joined through the moderator's invite: she
    /// may write into Bob's card (a citizen may not: zone rules).
    async fn with_official_ann() -> Self {
        Board::start_with(true).await
    }

    async fn start_with(official_ann: bool) -> Self {
        let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
        let research = json!({"recorded": true, "consent_required": false, "keep_names": true});
        let created = server
            .create_session(json!({"title": "Permits", "template": "canvas", "language": "en", "research": research}))
            .await;
        let invite = |role: &str| crate::support::invite(&created, role);
        let id = created["id"].as_str().unwrap().to_owned();
        let code = created["join_code"].as_str().unwrap();
        let (ann_token, ann) = if official_ann {
            let body = json!({"invite": invite("moderator"), "display_name": "Ann"});
            let (status, joined) = server.call("POST", "/api/join", None, Some(body)).await;
            assert_eq!(status, 200, "{joined}");
            let field = |name: &str| joined[name].as_str().unwrap().to_owned();
            (field("token"), field("participant_id"))
        } else {
            server.join(code, "Ann").await
        };
        let (bob_token, bob) = server.join(code, "Bob").await;
        let room = |token: &str| format!("{}?token={token}", server.url(&id));
        let moderator = invite("moderator");
        let mod_client = Client::connect(&room(&moderator)).await;
        let ann_client = Client::connect(&room(&ann_token)).await;
        let bob_client = Client::connect(&room(&bob_token)).await;
        Board {
            id,
            moderator,
            observer: invite("observer"),
            researcher: invite("researcher"),
            ann,
            bob,
            mod_client,
            ann_client,
            bob_client,
            server,
        }
    }

    /// Bob adds card `b`, "Queue too long.", and Ann (an official: see `with_official_ann`)
    /// adds " Ask Jan." to it; both saved.
    async fn ann_writes_into_bobs_card(&mut self) {
        add_card(&mut self.bob_client, "b", "Queue too long.", &self.bob).await;
        self.bob_client.wait_all_saved().await;
        self.ann_client.wait_card("b", |t| t.is_some()).await;
        type_into(&mut self.ann_client, "b", " Ask Jan.").await;
        self.ann_client.wait_all_saved().await;
    }

    fn room(&self, token: &str) -> String {
        format!("{}?token={token}", self.server.url(&self.id))
    }

    /// A moderation call that must succeed (`path` under the session).
    async fn moderate(&self, path: &str, body: Value) -> Value {
        let path = format!("/api/sessions/{}{path}", self.id);
        let (status, answer) = self
            .server
            .call("POST", &path, Some(&self.moderator), Some(body))
            .await;
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }

    /// Hides an item; returns once the moderator's client saw its text go.
    async fn hide(&mut self, item: &str) {
        let body = json!({"reason": "personal data"});
        self.moderate(&format!("/items/{item}/hide"), body).await;
        self.mod_client.wait_card(item, |t| t == Some("")).await;
    }

    /// Unhides an item; returns once the moderator's client saw its text back.
    async fn unhide(&mut self, item: &str) {
        self.moderate(&format!("/items/{item}/unhide"), json!({}))
            .await;
        self.mod_client.wait_card(item, |t| t != Some("")).await;
    }

    /// Unhides an item; returns once the moderator's client reads `text` in it.
    async fn unhide_to(&mut self, item: &str, text: &str) {
        self.unhide(item).await;
        self.mod_client.wait_card(item, |t| t == Some(text)).await;
    }

    async fn erase_with_text(&self, participant: &str) {
        let path = format!("/participants/{participant}/erase");
        self.moderate(&path, json!({"text": true})).await;
    }

    /// Everything a researcher and a moderator can read of the session: the board now and at
    /// every record, the history, the moderator's view (hidden texts), and every file of the
    /// exports (the dataset and the REFI-QDA project).
    async fn every_answer(&self) -> String {
        let base = format!("/api/sessions/{}", self.id);
        let get = |path: String, token: String| async move {
            let (status, _, body) = self.server.fetch(&path, &token).await;
            assert_eq!(status, 200, "{path}");
            String::from_utf8_lossy(&body).into_owned()
        };
        let now: Value =
            serde_json::from_str(&get(format!("{base}/state"), self.researcher.clone()).await)
                .unwrap();
        let mut answers = String::new();
        for seq in 0..=now["seq"].as_u64().unwrap() {
            answers += &get(format!("{base}/state?at={seq}"), self.researcher.clone()).await;
        }
        answers += &get(format!("{base}/history"), self.researcher.clone()).await;
        answers += &get(base.clone(), self.moderator.clone()).await;
        for export in ["export", "export.qdpx"] {
            let (_, _, zip) = self
                .server
                .fetch(&format!("{base}/{export}"), &self.researcher)
                .await;
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
            for i in 0..zip.len() {
                zip.by_index(i)
                    .unwrap()
                    .read_to_string(&mut answers)
                    .unwrap();
            }
        }
        answers
    }

    /// What a client that joins now holds: the document's whole state, as bytes read as text.
    async fn newcomer_state(&self) -> String {
        let newcomer = Client::connect(&self.room(&self.observer)).await;
        let state = newcomer
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        String::from_utf8_lossy(&state).into_owned()
    }
}

/// Adds a comment on `parent`, as the web client does.
async fn add_comment(client: &mut Client, id: &str, parent: &str, text: &str, author: &str) {
    add_card(client, id, text, author).await;
    let items = client.doc.get_or_insert_map("items");
    let (id, parent) = (id.to_owned(), parent.to_owned());
    client
        .edit(move |txn| {
            let Some(yrs::Out::YMap(comment)) = items.get(txn, &id) else {
                panic!("no comment")
            };
            comment.insert(txn, "type", "comment");
            comment.insert(txn, "parent", parent);
        })
        .await;
}

#[tokio::test]
async fn text_that_went_through_hide_and_unhide_is_erased_everywhere() {
    let mut b = Board::start().await;
    let ann = b.ann.clone();
    add_card(&mut b.ann_client, "a", "my neighbour Jan", &ann).await;
    b.ann_client.wait_all_saved().await;
    b.hide("a").await;
    b.unhide_to("a", "my neighbour Jan").await;

    b.erase_with_text(&ann).await;
    b.mod_client.wait_card("a", |t| t == Some("[erased]")).await;
    assert!(!b.newcomer_state().await.contains("neighbour"));
    let answers = b.every_answer().await;
    assert!(!answers.contains("neighbour"), "text in {answers}");
    assert!(answers.contains("[erased]"));
    b.server.stop().await;
}

#[tokio::test]
async fn a_persons_comment_and_words_in_another_authors_card_are_erased() {
    let mut b = Board::with_official_ann().await;
    let ann = b.ann.clone();
    b.ann_writes_into_bobs_card().await;
    add_comment(&mut b.ann_client, "c", "b", "Jan knows", &ann).await;
    b.ann_client.wait_all_saved().await;
    // Bob's card is hidden and shown again: Ann's words in it come back under the server.
    b.hide("b").await;
    b.unhide_to("b", "Queue too long. Ask Jan.").await;

    b.erase_with_text(&ann).await;
    b.mod_client
        .wait_card("b", |t| t == Some("Queue too long.[erased]"))
        .await;
    b.mod_client.wait_card("c", |t| t == Some("[erased]")).await;
    assert!(!b.newcomer_state().await.contains("Jan"));
    let answers = b.every_answer().await;
    assert!(!answers.contains("Jan"), "text in {answers}");
    assert!(answers.contains("Queue too long."), "Bob's text stays");
    b.server.stop().await;
}

#[tokio::test]
async fn their_text_in_another_authors_hidden_item_does_not_come_back_on_unhide() {
    let mut b = Board::with_official_ann().await;
    let ann = b.ann.clone();
    b.ann_writes_into_bobs_card().await;
    b.hide("b").await;

    b.erase_with_text(&ann).await;
    // Not even moderators read it while the card is hidden.
    assert!(!b.every_answer().await.contains("Jan"));
    b.unhide_to("b", "Queue too long.[erased]").await;
    assert!(!b.newcomer_state().await.contains("Jan"));
    assert!(!b.every_answer().await.contains("Jan"));
    b.server.stop().await;
}

#[tokio::test]
async fn remove_contributions_finds_their_text_after_hide_and_unhide() {
    let mut b = Board::with_official_ann().await;
    let (ann, bob) = (b.ann.clone(), b.bob.clone());
    b.ann_writes_into_bobs_card().await;
    b.hide("b").await;
    b.unhide_to("b", "Queue too long. Ask Jan.").await;

    let path = format!("/participants/{ann}/remove-contributions");
    b.moderate(&path, json!({})).await;
    b.mod_client
        .wait_card("b", |t| t == Some("Queue too long."))
        .await;
    // Bob's removal takes his words only, also those the unhide restored.
    let path = format!("/participants/{bob}/remove-contributions");
    b.moderate(&path, json!({})).await;
    b.mod_client.wait_card("b", |t| t.is_none()).await;
    b.server.stop().await;
}

#[tokio::test]
async fn an_item_whose_text_is_a_plain_string_is_hidden_too() {
    let mut b = Board::start().await;
    let ann = b.ann.clone();
    // A hand-built client writes `text` as a plain string instead of a Y.Text.
    let items = b.ann_client.doc.get_or_insert_map("items");
    b.ann_client
        .edit(move |txn| {
            let item = items.insert(txn, "p", MapPrelim::default());
            item.insert(txn, "type", "card");
            item.insert(txn, "text", "call me on 0470 12 34 56");
            item.insert(txn, "author", ann);
        })
        .await;
    b.ann_client.wait_all_saved().await;
    b.hide("p").await;
    assert!(!b.newcomer_state().await.contains("0470"));
    let research = b.every_answer().await;
    // Only the moderator's view of the session keeps the hidden text.
    assert_eq!(research.matches("0470").count(), 1, "{research}");
    b.unhide_to("p", "call me on 0470 12 34 56").await;
    b.server.stop().await;
}

#[tokio::test]
async fn researchers_are_refused_in_the_live_room_and_replay_instead() {
    let mut b = Board::start().await;
    let ann = b.ann.clone();
    add_card(&mut b.ann_client, "a", "Long queue", &ann).await;
    b.ann_client.wait_all_saved().await;

    let mut socket = raw_socket(&b.room(&b.researcher)).await;
    let (code, reason) = close_of(&mut socket).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("replay"), "{reason}");
    // Observers still watch live; researchers read the board under the disclosure rules.
    let observer = Client::connect(&b.room(&b.observer)).await;
    assert_eq!(card_text(&observer, "a").as_deref(), Some("Long queue"));
    let path = format!("/api/sessions/{}/state", b.id);
    let (status, state) = b.server.call("GET", &path, Some(&b.researcher), None).await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["board"]["items"]["a"]["text"], "Long queue");
    b.server.stop().await;
}
