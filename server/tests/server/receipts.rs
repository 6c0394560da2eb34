//! Receipts through the public surface: issued on joining, listing exactly the holder's own
//! contributions with each card's decision, in every session state, without a token, months
//! later (a restart with the clock moved: the token expired, the receipt works), and gone
//! once the participant is erased.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;

use serde_json::{json, Value};
use yrs::Map;

use cocreate_server::config::ServeConfig;

use crate::redis_server;
use crate::support::{
    add_card, add_comment, exchange, http_request, open_config, Client, TestServer,
};

/// A session with a moderator (by invite) and citizens who joined by code, each connected.
pub struct Workshop {
    pub server: TestServer,
    pub id: String,
    pub code: String,
    /// The moderator's personal token (joined with the moderator invite).
    pub moderator: String,
    pub researcher: String,
    /// The observer invite, as created with the session.
    pub observer: String,
    /// A shared invite, as created with the session.
    pub citizen_invite: String,
    /// The shared invites for observers and moderators, as created with the session.
    pub observer_invite: String,
    pub moderator_invite: String,
    _dir: Option<tempfile::TempDir>,
}

/// Someone who joined: their token, participant id, receipt and connected client.
pub struct Joined {
    pub token: String,
    pub pid: String,
    pub receipt: String,
    pub client: Client,
}

impl Workshop {
    /// A session-only server (no open rooms) on its own data directory.
    pub async fn start() -> Self {
        Self::storing(|_| {}).await
    }

    /// [`Workshop::start`] with the store `store` sets (Redis).
    pub async fn storing(store: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = open_config(dir.path());
        store(&mut config);
        let mut workshop = Self::with(config).await;
        workshop._dir = Some(dir);
        workshop
    }

    /// A session-only server on `data`, with a new session recorded for research.
    pub async fn on(data: &std::path::Path) -> Self {
        Self::with(open_config(data)).await
    }

    /// A session-only server with `config` (its data directory the caller's).
    pub async fn on_config(config: ServeConfig) -> Self {
        Self::with(config).await
    }

    async fn with(mut config: ServeConfig) -> Self {
        config.open_rooms = false;
        let server = TestServer::start_with(config).await;
        let created = server
            .create_session(
                json!({"title": "Parkeervergunning", "template": "canvas", "language": "nl"}),
            )
            .await;
        let invite = |role: &str| crate::support::invite(&created, role);
        let (status, moderator) = server
            .call(
                "POST",
                "/api/join",
                None,
                Some(json!({"invite": invite("moderator"), "display_name": "Mo"})),
            )
            .await;
        assert_eq!(status, 200, "{moderator}");
        Workshop {
            id: created["id"].as_str().unwrap().to_owned(),
            code: created["join_code"].as_str().unwrap().to_owned(),
            moderator: moderator["token"].as_str().unwrap().to_owned(),
            researcher: invite("researcher"),
            observer: invite("observer"),
            citizen_invite: invite("citizen"),
            observer_invite: invite("observer"),
            moderator_invite: invite("moderator"),
            server,
            _dir: None,
        }
    }

    /// Joins by code as `name` and connects to the board.
    pub async fn join(&self, name: &str) -> Joined {
        let body = json!({"code": self.code, "display_name": name, "language": "nl"});
        let (status, joined) = self
            .server
            .call("POST", "/api/join", None, Some(body))
            .await;
        assert_eq!(status, 200, "{joined}");
        let token = joined["token"].as_str().unwrap().to_owned();
        let url = format!("{}?token={token}", self.server.url(&self.id));
        Joined {
            pid: joined["participant_id"].as_str().unwrap().to_owned(),
            receipt: joined["receipt"].as_str().unwrap().to_owned(),
            client: Client::connect(&url).await,
            token,
        }
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/api/sessions/{}{rest}", self.id)
    }

    /// A moderator's decision on `item`.
    pub async fn decide(&self, item: &str, status: &str, explanation: &str) {
        let path = self.path(&format!("/items/{item}/decision"));
        let body = json!({"status": status, "explanation": explanation});
        let (code, answer) = self
            .server
            .call("PUT", &path, Some(&self.moderator), Some(body))
            .await;
        assert_eq!(code, 200, "{answer}");
    }

    pub async fn close(&self) {
        let path = self.path("/close");
        let (status, body) = self
            .server
            .call("POST", &path, Some(&self.moderator), None)
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The session's figures (`/metrics`) as `token` reads them, which must answer 200.
    pub async fn metrics(&self, token: &str) -> Value {
        let path = self.path("/metrics");
        let (status, metrics) = self.server.call("GET", &path, Some(token), None).await;
        assert_eq!(status, 200, "{metrics}");
        metrics
    }

    /// One file of the research export, as the researcher downloads it.
    pub async fn export_file(&self, name: &str) -> String {
        let (status, _, body) = self
            .server
            .fetch(&self.path("/export"), &self.researcher)
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a zip");
        crate::support::zip_file(&mut zip, name)
    }

    /// `GET /api/receipts/{receipt}`, which must answer 200.
    pub async fn receipt(&self, receipt: &str) -> Value {
        let (status, body) = self.server.get(&format!("/api/receipts/{receipt}")).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

impl Joined {
    /// Adds a card they wrote, and waits until it is stored.
    pub async fn card(&mut self, id: &str, text: &str) {
        add_card(&mut self.client, id, text, &self.pid).await;
        self.client.wait_all_saved().await;
    }

    /// Comments on `card`.
    pub async fn comment(&mut self, id: &str, card: &str, text: &str) {
        add_comment(&mut self.client, id, card, text, &self.pid).await;
    }

    /// Deletes an item, as its author's client does.
    pub async fn delete(&mut self, item: &str) {
        let items = self.client.doc.get_or_insert_map("items");
        let item = item.to_owned();
        self.client
            .edit(move |txn| {
                items.remove(txn, &item);
            })
            .await;
        self.client.wait_all_saved().await;
    }

    /// Puts their `n`-th dot on `card` (as the web client keys votes), or takes it back.
    pub async fn vote(&mut self, card: &str, n: u32, cast: bool) {
        let votes = self.client.doc.get_or_insert_map("votes");
        let key = format!("{card}|{}|{n}", self.pid);
        self.client
            .edit(move |txn| {
                if cast {
                    votes.insert(txn, key, 1_700_000_000_000.0);
                } else {
                    votes.remove(txn, &key);
                }
            })
            .await;
        self.client.wait_all_saved().await;
    }
}

/// The `(kind, item)` of each contribution a receipt lists.
pub fn listed(receipt: &Value) -> Vec<(String, String)> {
    receipt["contributions"]
        .as_array()
        .expect("contributions")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("kind"), s("item"))
        })
        .collect()
}

#[tokio::test]
async fn a_receipt_lists_what_its_holder_contributed_with_each_cards_decision_and_nothing_of_others(
) {
    let w = Workshop::start().await;
    let mut ann = w.join("Ann").await;
    let mut bob = w.join("Bob").await;
    // Unguessable and opaque: 26 id characters (130 bits), one per participant.
    assert_eq!(ann.receipt.len(), 26, "{}", ann.receipt);
    assert!(ann
        .receipt
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_ne!(ann.receipt, bob.receipt);

    ann.card("a1", "Het formulier is te lang").await;
    bob.card("b1", "Wachtrij aan het loket").await;
    ann.comment("c1", "b1", "Ook bij mij").await;
    ann.vote("b1", 0, true).await;
    ann.vote("b1", 1, true).await;
    ann.vote("b1", 1, false).await;
    bob.vote("a1", 0, true).await;
    bob.comment("c2", "a1", "Eens").await;
    ann.card("a2", "Weggegooid").await;
    ann.delete("a2").await;
    w.decide("a1", "accepted", "We korten het formulier in")
        .await;
    w.decide("b1", "planned", "Extra loket vanaf maart").await;

    let receipt = w.receipt(&ann.receipt).await;
    assert_eq!(
        listed(&receipt),
        [("card", "a1"), ("comment", "c1"), ("vote", "b1")]
            .map(|(k, i)| (k.to_owned(), i.to_owned()))
    );
    let [card, comment, vote] = [0, 1, 2].map(|i| &receipt["contributions"][i]);
    assert_eq!(card["text"], "Het formulier is te lang");
    assert_eq!(
        (&card["status"], &card["explanation"]),
        (&json!("accepted"), &json!("We korten het formulier in"))
    );
    assert!(card["decided_at"].as_u64().is_some());
    // A comment answers to its card's decision; a vote shows the card and their own dots.
    assert_eq!(
        (&comment["on"], &comment["status"]),
        (&json!("b1"), &json!("planned"))
    );
    assert_eq!(
        (&vote["votes"], &vote["status"]),
        (&json!(1), &json!("planned"))
    );
    assert_eq!(vote["text"], "Wachtrij aan het loket");
    assert_eq!(
        receipt["session"],
        json!({"id": w.id, "title": "Parkeervergunning", "state": "open", "language": "nl"})
    );
    assert_eq!(
        (&receipt["language"], &receipt["role"]),
        (&json!("nl"), &json!("citizen"))
    );
    assert!(receipt["receipt_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/#receipt={}", ann.receipt)));
    // Nothing about others: not Bob's name, pseudonym, comment, or his dot on Ann's card.
    let text = receipt.to_string();
    for other in ["Bob", bob.pid.as_str(), "Eens", "Mo"] {
        assert!(!text.contains(other), "{other} in {text}");
    }
    assert!(!text.contains("Ann") && !text.contains(&ann.pid), "{text}");

    // Bob's receipt is his own; the language can be asked for.
    let (status, theirs) = w
        .server
        .get(&format!("/api/receipts/{}?lang=fr", bob.receipt))
        .await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(listed(&theirs).len(), 3, "{theirs}");
    assert_eq!(theirs["language"], "fr");
    w.server
        .call_expect(
            (400, "invalid_request"),
            "GET",
            &format!("/api/receipts/{}?lang=xx", bob.receipt),
            None,
            None,
        )
        .await;
    w.server
        .call_expect(
            (404, "receipt_not_found"),
            "GET",
            "/api/receipts/aaaaaaaaaaaaaaaaaaaaaaaaaa",
            None,
            None,
        )
        .await;
    w.server.stop().await;
}

#[tokio::test]
async fn me_returns_a_personal_tokens_receipt_and_shared_invites_have_none() {
    let w = Workshop::start().await;
    let ann = w.join("Ann").await;
    let (status, me) = w
        .server
        .call("GET", "/api/me", Some(&ann.token), None)
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["receipt"], json!(ann.receipt));
    assert!(me["receipt_url"].as_str().unwrap().ends_with(&ann.receipt));
    // Everyone who joins gets one, whatever the role; a shared invite is nobody's.
    let (_, moderator) = w
        .server
        .call("GET", "/api/me", Some(&w.moderator), None)
        .await;
    assert_eq!(
        moderator["receipt"].as_str().map(str::len),
        Some(26),
        "{moderator}"
    );
    for invite in [&w.citizen_invite, &w.researcher] {
        let (status, me) = w.server.call("GET", "/api/me", Some(invite), None).await;
        assert_eq!((status, me.get("receipt")), (200, None), "{me}");
    }
    w.server.stop().await;
}

#[tokio::test]
async fn a_receipt_works_in_every_state_and_after_close_shows_later_decisions() {
    let w = Workshop::start().await;
    let mut ann = w.join("Ann").await;
    ann.card("a1", "Langer open op zaterdag").await;
    for (action, state) in [("/lock", "locked"), ("/unlock", "open")] {
        w.server
            .call("POST", &w.path(action), Some(&w.moderator), None)
            .await;
        assert_eq!(w.receipt(&ann.receipt).await["session"]["state"], state);
    }
    w.close().await;
    let closed = w.receipt(&ann.receipt).await;
    assert_eq!(closed["session"]["state"], "closed");
    assert_eq!(closed["contributions"][0]["status"], Value::Null);
    // Decisions stay writable after close, and the receipt follows them.
    w.decide("a1", "in-progress", "Proef in het voorjaar").await;
    w.decide("a1", "done", "Sinds april open op zaterdag").await;
    let later = w.receipt(&ann.receipt).await;
    assert_eq!(
        (
            &later["contributions"][0]["status"],
            &later["contributions"][0]["explanation"]
        ),
        (&json!("done"), &json!("Sinds april open op zaterdag"))
    );
    w.server.stop().await;
}

#[tokio::test]
async fn erasure_removes_the_receipt_and_its_evaluation() {
    erasure_removes_a_receipt(Workshop::start().await).await;
}

#[tokio::test]
async fn receipts_and_evaluations_live_in_redis_as_in_the_embedded_store() {
    let w = Workshop::storing(|config| {
        config.store.redis_url = Some(redis_server::url());
        config.store.redis_prefix = redis_server::unique_prefix();
    })
    .await;
    erasure_removes_a_receipt(w).await;
}

async fn erasure_removes_a_receipt(w: Workshop) {
    let mut ann = w.join("Ann").await;
    let bob = w.join("Bob").await;
    ann.card("a1", "Mijn verhaal").await;
    let answers = json!({"answers": {"listened_to": 4, "comment": "Fijn gesprek"}});
    let path = format!("/api/receipts/{}/evaluation", ann.receipt);
    let (status, body) = w
        .server
        .call("POST", &path, None, Some(answers.clone()))
        .await;
    assert_eq!(status, 200, "{body}");
    w.close().await;

    let erase = w.path(&format!("/participants/{}/erase", ann.pid));
    let (status, body) = w
        .server
        .call(
            "POST",
            &erase,
            Some(&w.moderator),
            Some(json!({"text": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let gone = (404, "receipt_not_found");
    let receipt = format!("/api/receipts/{}", ann.receipt);
    w.server
        .call_expect(gone, "GET", &receipt, None, None)
        .await;
    w.server
        .call_expect(gone, "POST", &path, None, Some(answers))
        .await;
    // Her answers went with it; Bob's receipt is untouched.
    let metrics = w.metrics(&w.moderator).await;
    assert_eq!(metrics["evaluation"]["responses"], 0, "{metrics}");
    w.receipt(&bob.receipt).await;
    w.server.stop().await;
}

/// Reads without a token have a budget per address of their own: one address's receipt and
/// results lookups are refused beyond it, and the same address (a venue's) can still join.
#[tokio::test]
async fn public_reads_have_a_budget_per_address_that_leaves_joining_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = open_config(dir.path());
    config.public_reads_per_minute = 3;
    config.join_attempts_per_minute = 2;
    let w = Workshop::on_config(config).await;
    for _ in 0..3 {
        let path = "/api/receipts/nope";
        w.server
            .call_expect((404, "receipt_not_found"), "GET", path, None, None)
            .await;
    }
    let limited = (429, "too_many_attempts");
    let receipt = "/api/receipts/nope";
    w.server
        .call_expect(limited, "GET", receipt, None, None)
        .await;
    let results = format!("/api/results/{}", w.id);
    w.server
        .call_expect(limited, "GET", &results, None, None)
        .await;
    // Joining keeps its own budget.
    let ann = w.join("Ann").await;
    assert_eq!(ann.receipt.len(), 26);
    w.server.stop().await;
}

/// A `cocreate serve` process on `data` with its clock `hours` ahead: its address, once it
/// listens, and the process (killed by the caller).
fn serve_later(data: &std::path::Path, hours: u32) -> (SocketAddr, std::process::Child) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cocreate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--clock-offset-hours", &hours.to_string()])
        .arg("--data-dir")
        .arg(data)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start cocreate");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Bounded: the server logs its warnings and `listening` first thing.
    for line in lines.take(20) {
        let line: Value = serde_json::from_str(&line.unwrap()).expect("JSON line");
        if line["fields"]["message"] == "listening" {
            let addr = line["fields"]["addr"].as_str().unwrap().parse().unwrap();
            return (addr, child);
        }
        seen.push(line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    panic!("cocreate did not listen: {seen:?}");
}

#[tokio::test]
async fn months_later_the_token_has_expired_and_the_receipt_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let w = Workshop::on(dir.path()).await;
    let mut ann = w.join("Ann").await;
    ann.card("a1", "Brieven zijn onduidelijk").await;
    w.close().await;
    w.decide("a1", "planned", "Nieuwe brieven in de zomer")
        .await;
    let Joined {
        token,
        receipt,
        client,
        ..
    } = ann;
    client.hang_up().await;
    w.server.stop().await;

    // Three months on (tokens last a week).
    let (addr, mut later) = serve_later(dir.path(), 24 * 92);
    let call = |path: String, token: Option<String>| async move {
        let (status, _, body) =
            exchange(addr, &http_request("GET", &path, token.as_deref(), None)).await;
        (
            status,
            serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
        )
    };
    let (expired, me) = call("/api/me".into(), Some(token)).await;
    let (status, body) = call(format!("/api/receipts/{receipt}"), None).await;
    later.kill().unwrap();
    later.wait().unwrap();
    assert_eq!(
        (expired, &me["code"]),
        (401, &json!("token_expired")),
        "{me}"
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["contributions"][0]["text"],
            &body["contributions"][0]["status"]
        ),
        (&json!("Brieven zijn onduidelijk"), &json!("planned"))
    );
}

#[tokio::test]
async fn hidden_and_erased_text_reads_on_a_receipt_as_in_every_research_output() {
    let w = Workshop::start().await;
    let mut ann = w.join("Ann").await;
    let mut bob = w.join("Bob").await;
    ann.card("a1", "Bel me op 0470 12 34 56").await;
    bob.card("b1", "Bobs eigen woorden").await;
    ann.vote("b1", 0, true).await;
    let hide = w.path("/items/a1/hide");
    let reason = Some(json!({"reason": "persoonsgegevens"}));
    let (status, body) = w
        .server
        .call("POST", &hide, Some(&w.moderator), reason)
        .await;
    assert_eq!(status, 200, "{body}");
    let erase = w.path(&format!("/participants/{}/erase", bob.pid));
    let text = Some(json!({"text": true}));
    let (status, body) = w
        .server
        .call("POST", &erase, Some(&w.moderator), text)
        .await;
    assert_eq!(status, 200, "{body}");

    let receipt = w.receipt(&ann.receipt).await;
    let [card, vote] = [0, 1].map(|i| &receipt["contributions"][i]);
    assert_eq!(
        (&card["text"], &card["hidden"]),
        (&json!("[hidden]"), &json!(true))
    );
    assert_eq!(
        (&vote["text"], &vote["hidden"]),
        (&json!("[erased]"), &json!(false))
    );
    let text = receipt.to_string();
    assert!(!text.contains("0470") && !text.contains("Bobs"), "{text}");
    w.server.stop().await;
}

#[tokio::test]
async fn a_kicked_participant_still_sees_what_became_of_their_input() {
    let w = Workshop::start().await;
    let mut ann = w.join("Ann").await;
    ann.card("a1", "Te weinig banken").await;
    let kick = w.path(&format!("/participants/{}/kick", ann.pid));
    let (status, body) = w.server.call("POST", &kick, Some(&w.moderator), None).await;
    assert_eq!(status, 200, "{body}");
    w.decide("a1", "accepted", "Tien nieuwe banken").await;
    assert_eq!(
        w.receipt(&ann.receipt).await["contributions"][0]["status"],
        "accepted"
    );
    w.server.stop().await;
}
