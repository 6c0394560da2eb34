//! Session history, replay and research exports: a scripted session (citizens and a
//! moderator editing, a lock, a kick, remove-contributions) replayed through the history
//! API on both backends; erasure and consent; bounded seeks into a 100,000-update log.

use std::collections::BTreeMap;
use std::io::Read;

use cocreate_server::config::ServeConfig;
use cocreate_server::history::{Position, Seeker};
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{EmbeddedStorage, Storage};
use serde_json::{json, Value};
use yrs::{Map, Out};

use crate::redis_server::{unique_prefix, url};
use crate::support::{
    add_card, append_typing, card_text, open_config, strings, text_len, type_into, zip_file,
    Client, TestServer,
};

/// What a scripted session left behind, for the assertions.
struct Scripted {
    server: TestServer,
    _dir: tempfile::TempDir,
    id: String,
    moderator: String,
    researcher: String,
    citizen: String,
    /// Pseudonym -> script name (`ann`, `bob`, `moderator`).
    names: BTreeMap<String, &'static str>,
    /// (seq, at) after each step, with the card texts expected then.
    steps: Vec<(u64, u64, BTreeMap<&'static str, &'static str>)>,
}

impl Scripted {
    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let path = format!("/api/sessions/{}{path}", self.id);
        self.server.call("GET", &path, Some(token), None).await
    }

    async fn post(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let path = format!("/api/sessions/{}{path}", self.id);
        self.server
            .call("POST", &path, Some(&self.moderator), body)
            .await
    }

    /// The history as parsed NDJSON lines.
    async fn history(&self, query: &str) -> Vec<Value> {
        let path = format!("/api/sessions/{}/history{query}", self.id);
        let (status, headers, body) = self.server.fetch(&path, &self.researcher).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(headers["content-type"], "application/x-ndjson");
        String::from_utf8(body)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
            .collect()
    }

    /// The board's card texts at a position, as the state API rebuilds it.
    async fn cards_at(&self, at: &str) -> BTreeMap<String, String> {
        let (status, state) = self.get(&format!("/state?at={at}"), &self.researcher).await;
        assert_eq!(status, 200, "{state}");
        state["board"]["items"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, item)| (id.clone(), item["text"].as_str().unwrap().to_owned()))
            .collect()
    }

    /// The latest log position and its time.
    async fn now(&self) -> (u64, u64) {
        let (_, state) = self.get("/state", &self.researcher).await;
        (
            state["seq"].as_u64().unwrap(),
            state["at"].as_u64().unwrap(),
        )
    }

    async fn step(&mut self, expected: &[(&'static str, &'static str)]) {
        let (seq, at) = self.now().await;
        self.steps
            .push((seq, at, expected.iter().copied().collect()));
    }

    async fn export(&self) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
        let path = format!("/api/sessions/{}/export", self.id);
        let (status, headers, body) = self.server.fetch(&path, &self.researcher).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(headers["content-type"], "application/zip");
        zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a zip")
    }
}

/// A journey-map session: Ann and Bob (citizens) and a moderator add, edit and move cards;
/// the moderator locks, kicks Bob and removes his contributions.
async fn run_script(mut config: ServeConfig, dir: tempfile::TempDir, keep_names: bool) -> Scripted {
    config.open_rooms = false;
    let server = TestServer::start_with(config).await;
    let research = json!({"recorded": true, "consent_required": false, "keep_names": keep_names});
    let created = server
        .create_session(json!({"title": "Parking", "template": "journey-map", "language": "en", "research": research}))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let code = created["join_code"].as_str().unwrap().to_owned();
    let invite = |role: &str| crate::support::invite(&created, role);
    let (moderator, researcher) = (invite("moderator"), invite("researcher"));
    let mut names = BTreeMap::new();
    let mut join = async |name: &str, label: &'static str| {
        let (token, pid) = server.join(&code, name).await;
        names.insert(pid.clone(), label);
        (token, pid)
    };
    let (ann_token, ann) = join("Ann", "ann").await;
    let (bob_token, bob) = join("Bob", "bob").await;
    let (_, me) = server.call("GET", "/api/me", Some(&moderator), None).await;
    names.insert(
        me["you"]["participant_id"].as_str().unwrap().to_owned(),
        "moderator",
    );
    let base = server.url(&id);
    let room = |token: &str| format!("{base}?token={token}");
    let mut script = Scripted {
        server,
        _dir: dir,
        id: id.clone(),
        moderator: moderator.clone(),
        researcher,
        citizen: ann_token.clone(),
        names,
        steps: Vec::new(),
    };
    let mut mod_client = Client::connect(&room(&moderator)).await;
    let mut ann_client = Client::connect(&room(&ann_token)).await;
    let mut bob_client = Client::connect(&room(&bob_token)).await;
    script.step(&[]).await;

    add_card(&mut ann_client, "a", "Long queue", &ann).await;
    ann_client.wait_all_saved().await;
    script.step(&[("a", "Long queue")]).await;

    add_card(&mut bob_client, "b", "Unclear form", &bob).await;
    bob_client.wait_all_saved().await;
    type_into(&mut ann_client, "a", " at the desk").await;
    ann_client.wait_all_saved().await;
    script
        .step(&[("a", "Long queue at the desk"), ("b", "Unclear form")])
        .await;

    while card_text(&mod_client, "a").as_deref() != Some("Long queue at the desk") {
        mod_client.read_one().await;
    }
    type_into(&mut mod_client, "a", "!").await;
    let items = mod_client.doc.get_or_insert_map("items");
    mod_client
        .edit(move |txn| {
            let Some(Out::YMap(card)) = items.get(txn, "a") else {
                panic!("no card")
            };
            card.insert(txn, "lane", "pain-points");
            card.insert(txn, "order", "a1");
        })
        .await;
    mod_client.wait_all_saved().await;
    script
        .step(&[("a", "Long queue at the desk!"), ("b", "Unclear form")])
        .await;

    assert_eq!(script.post("/lock", None).await.0, 200);
    bob_client.wait_session(|m| m["event"] == "locked").await;
    add_card(&mut bob_client, "c", "Never stored", &bob).await;
    bob_client.wait_all_saved().await;
    let kick = format!("/participants/{bob}/kick");
    assert_eq!(script.post(&kick, None).await.0, 200);
    bob_client.wait_closed().await;
    let remove = format!("/participants/{bob}/remove-contributions");
    assert_eq!(script.post(&remove, None).await.0, 200);
    while card_text(&ann_client, "b").is_some() {
        ann_client.read_one().await;
    }
    script.step(&[("a", "Long queue at the desk!")]).await;
    mod_client.hang_up().await;
    ann_client.hang_up().await;
    script
}

async fn embedded_script(keep_names: bool) -> Scripted {
    let dir = tempfile::tempdir().unwrap();
    run_script(open_config(dir.path()), dir, keep_names).await
}

/// The history's events as (who, entity, action, target) with script names for pseudonyms,
/// without joins and connections (their order against edits depends on timing).
fn normalized(script: &Scripted, events: &[Value]) -> Vec<(String, String, String, String)> {
    events
        .iter()
        .filter(|e| e["entity"] != "participant" && e["participant"].is_string())
        .map(|e| {
            let who = e["participant"].as_str().unwrap();
            let target = e["target"].as_str().unwrap();
            let name = |id: &str| {
                script
                    .names
                    .get(id)
                    .map_or(id.to_owned(), |n| n.to_string())
            };
            (
                name(who),
                e["entity"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                name(target),
            )
        })
        .collect()
}

fn expected_events() -> Vec<(String, String, String, String)> {
    [
        ("ann", "card", "added", "a"),
        ("bob", "card", "added", "b"),
        ("ann", "card", "text-edited", "a"),
        ("moderator", "card", "text-edited", "a"),
        ("moderator", "card", "moved", "a"),
        ("moderator", "moderation", "locked", "SESSION"),
        ("moderator", "moderation", "kick", "bob"),
        ("moderator", "card", "deleted", "b"),
        ("moderator", "moderation", "remove-contributions", "bob"),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect()
}

#[tokio::test]
async fn a_scripted_session_replays_as_it_happened() {
    let script = embedded_script(false).await;

    // The board at each step's sequence number and at its time is the board of that step.
    for (seq, at, expected) in &script.steps {
        let expected: BTreeMap<String, String> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            script.cards_at(&seq.to_string()).await,
            expected,
            "seq {seq}"
        );
        assert_eq!(script.cards_at(&at.to_string()).await, expected, "at {at}");
    }
    let rfc3339 = cocreate_server::format::rfc3339(script.steps[2].1);
    assert_eq!(script.cards_at(&rfc3339).await.len(), 2, "{rfc3339}");

    // Events: kinds, authors and order; the lock's target is the session.
    let events = script.history("").await;
    let mut expected = expected_events();
    for event in expected.iter_mut() {
        if event.3 == "SESSION" {
            event.3 = script.id.clone();
        }
    }
    assert_eq!(normalized(&script, &events), expected);
    let roles: Vec<&str> = events
        .iter()
        .filter(|e| e["entity"] == "card")
        .map(|e| e["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles[..3], ["citizen", "citizen", "citizen"]);
    assert!(
        events.iter().all(|e| !e.to_string().contains("Ann")),
        "no names"
    );
    let connects = events.iter().filter(|e| e["action"] == "connected").count();
    assert_eq!(connects, 3, "three clients connected");

    // A window of the history: only what happened after step 1, up to step 2.
    let (from, to) = (script.steps[1].0, script.steps[2].0);
    let window = script.history(&format!("?from={from}&to={to}")).await;
    let seqs: Vec<u64> = window.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert!(
        !seqs.is_empty() && seqs.iter().all(|s| *s > from && *s <= to),
        "{seqs:?}"
    );

    // The export: columns and counts match the history.
    let mut zip = script.export().await;
    let events_csv = zip_file(&mut zip, "events.csv");
    let mut lines = events_csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "seq,at,time,participant,role,entity,action,target,detail,by_server"
    );
    assert_eq!(lines.count(), events.len());
    let participants = zip_file(&mut zip, "participants.csv");
    let ann_row = participants
        .lines()
        .find(|l| l.starts_with(script.pid("ann")))
        .unwrap();
    let columns: Vec<&str> = ann_row.split(',').collect();
    assert_eq!(
        (columns[1], columns[8], columns[9]),
        ("citizen", "1", "2"),
        "{ann_row}"
    );
    assert_eq!(zip_file(&mut zip, "moderation.csv").lines().count(), 1 + 3);
    let final_board: Value = serde_json::from_str(&zip_file(&mut zip, "final-board.json")).unwrap();
    assert_eq!(
        final_board["board"]["items"]["a"]["text"],
        "Long queue at the desk!"
    );
    assert_eq!(final_board["board"]["items"]["a"]["lane"], "pain-points");
    let readme = zip_file(&mut zip, "README.md");
    for column in [
        "research_consent",
        "first_connected_at",
        "text-edited",
        "board-at-intervals",
    ] {
        assert!(readme.contains(column), "README documents {column}");
    }
    let intervals = zip_file(&mut zip, "board-at-intervals.jsonl");
    let last: Value = serde_json::from_str(intervals.lines().last().unwrap()).unwrap();
    assert_eq!(last["board"], final_board["board"]);

    // Participation figures.
    let (status, metrics) = script.get("/metrics", &script.researcher).await;
    assert_eq!(status, 200, "{metrics}");
    assert_eq!(
        metrics["by_role"],
        json!({"citizen": 3, "moderator": 2}),
        "{metrics}"
    );
    assert_eq!(metrics["distinct_contributors"], 3);
    assert!((metrics["citizen_share"].as_f64().unwrap() - 0.6).abs() < 1e-9);
    assert!(metrics["gini"].as_f64().is_some());

    // People joined under these research terms: they can get stricter, not looser.
    let looser =
        json!({"research": {"recorded": true, "consent_required": false, "keep_names": true}});
    let path = format!("/api/sessions/{}", script.id);
    let (status, error) = script
        .server
        .call("PATCH", &path, Some(&script.moderator), Some(looser))
        .await;
    assert_eq!(
        (status, &error["code"]),
        (409, &json!("research_terms_fixed")),
        "{error}"
    );
    let stricter =
        json!({"research": {"recorded": true, "consent_required": true, "keep_names": false}});
    let (status, _) = script
        .server
        .call("PATCH", &path, Some(&script.moderator), Some(stricter))
        .await;
    assert_eq!(status, 200);
    // Now consent is required, citizens who were never asked count as having declined.
    let (_, metrics) = script.get("/metrics", &script.researcher).await;
    let rows = strings(&metrics["by_participant"], "participant");
    assert!(
        rows.contains(&"declined") && !rows.contains(&script.pid("ann")),
        "{rows:?}"
    );
    assert_eq!(
        metrics["distinct_contributors"], 3,
        "people still counted apart"
    );

    // Citizens may not read the history.
    let (status, error) = script.get("/history", &script.citizen).await;
    assert_eq!(
        (status, &error["code"]),
        (403, &json!("forbidden")),
        "{error}"
    );
    script.server.stop().await;
}

impl Scripted {
    fn pid(&self, name: &str) -> &str {
        self.names.iter().find(|(_, n)| **n == name).unwrap().0
    }
}

#[tokio::test]
async fn the_same_script_on_redis_gives_the_same_history() {
    let embedded = embedded_script(false).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = open_config(dir.path());
    config.store.redis_url = Some(url());
    config.store.redis_prefix = unique_prefix();
    let redis = run_script(config, dir, false).await;
    let on_redis = normalized(&redis, &redis.history("").await);
    let on_embedded = normalized(&embedded, &embedded.history("").await);
    assert_eq!(on_redis.len(), expected_events().len());
    // Targets name the session, whose id differs between the runs.
    let without_session = |events: Vec<(String, String, String, String)>, id: &str| {
        events
            .into_iter()
            .map(|mut e| {
                if e.3 == id {
                    e.3 = "session".into();
                }
                e
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        without_session(on_redis, &redis.id),
        without_session(on_embedded, &embedded.id)
    );
    redis.server.stop().await;
    embedded.server.stop().await;
}

#[tokio::test]
async fn erasure_removes_a_name_and_text_from_every_answer() {
    let script = embedded_script(true).await;
    let ann = script.pid("ann").to_owned();
    let mut before = script.export().await;
    assert!(
        zip_file(&mut before, "participants.csv").contains("Ann"),
        "names kept"
    );

    let erase = format!("/participants/{ann}/erase");
    let (status, body) = script.post(&erase, Some(json!({"text": true}))).await;
    assert_eq!(status, 200, "{body}");

    // The live board: her runs are redacted, the moderator's "!" stays.
    let newcomer_url = format!(
        "{}?token={}",
        script.server.url(&script.id),
        script.moderator
    );
    let newcomer = Client::connect(&newcomer_url).await;
    assert_eq!(card_text(&newcomer, "a").as_deref(), Some("[erased]!"));

    // Every research answer, at every point of the history.
    let mut answers = Vec::new();
    for (seq, _, _) in &script.steps {
        answers.push(
            script
                .get(&format!("/state?at={seq}"), &script.researcher)
                .await
                .1
                .to_string(),
        );
    }
    assert_eq!(
        script.cards_at(&script.steps[1].0.to_string()).await["a"],
        "[erased]"
    );
    answers.push(
        script
            .get("/metrics", &script.researcher)
            .await
            .1
            .to_string(),
    );
    answers.push(script.get("/audit", &script.moderator).await.1.to_string());
    answers.push(script.get("", &script.moderator).await.1.to_string());
    answers.extend(script.history("").await.iter().map(Value::to_string));
    let mut zip = script.export().await;
    for name in [
        "README.md",
        "events.csv",
        "participants.csv",
        "moderation.csv",
        "final-board.json",
        "board-at-intervals.jsonl",
    ] {
        answers.push(zip_file(&mut zip, name));
    }
    for answer in &answers {
        assert!(!answer.contains("Ann"), "name in {answer}");
        assert!(
            !answer.contains("Long queue") && !answer.contains("at the desk"),
            "text in {answer}"
        );
    }
    // The skeleton stays: she contributed, under her pseudonym.
    let events = script.history("").await;
    assert!(events
        .iter()
        .any(|e| e["participant"] == ann.as_str() && e["action"] == "added"));
    // Bob's name is still there (names are kept in this session).
    assert!(zip_file(&mut zip, "participants.csv").contains("Bob"));
    script.server.stop().await;
}

#[tokio::test]
async fn consent_is_asked_and_who_declines_appears_only_in_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(open_config(dir.path())).await;
    let research = json!({"recorded": true, "consent_required": true, "keep_names": true});
    let created = server
        .create_session(
            json!({"title": "T", "template": "canvas", "language": "en", "research": research}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let code = created["join_code"].as_str().unwrap();
    assert_eq!(created["session"]["research"]["consent_required"], true);
    let (status, error) = server
        .call(
            "POST",
            "/api/join",
            None,
            Some(json!({"code": code, "display_name": "Dee"})),
        )
        .await;
    assert_eq!((status, &error["code"]), (400, &json!("consent_required")));
    let mut tokens = Vec::new();
    for (name, consent) in [("Dee", false), ("Eve", true)] {
        let (status, body) = server
            .call(
                "POST",
                "/api/join",
                None,
                Some(json!({"code": code, "display_name": name, "research_consent": consent})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        tokens.push((
            body["token"].as_str().unwrap().to_owned(),
            body["participant_id"].as_str().unwrap().to_owned(),
        ));
    }
    for (i, (token, pid)) in tokens.iter().enumerate() {
        let mut client = Client::connect(&format!("{}?token={token}", server.url(id))).await;
        add_card(&mut client, &format!("n{i}"), "idea", pid).await;
        client.wait_all_saved().await;
        client.hang_up().await;
    }
    let researcher = created["invites"]["researcher"]["token"].as_str().unwrap();
    let (status, headers, body) = server
        .fetch(&format!("/api/sessions/{id}/export"), researcher)
        .await;
    assert_eq!(
        (status, headers["content-type"].as_str()),
        (200, "application/zip")
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let (dee, eve) = (&tokens[0].1, &tokens[1].1);
    let files = [
        "events.csv",
        "participants.csv",
        "final-board.json",
        "contributions_by_step.csv",
    ];
    let everything: String = files.iter().map(|name| zip_file(&mut zip, name)).collect();
    assert!(
        !everything.contains(dee.as_str()) && !everything.contains("Dee"),
        "declined is aggregated"
    );
    assert!(everything.contains(eve.as_str()) && everything.contains("Eve"));
    assert!(zip_file(&mut zip, "participants.csv")
        .lines()
        .any(|l| l.starts_with("declined,citizen,")));
    // No agenda: each card counts outside any step, Dee's only in the aggregate.
    let by_step = zip_file(&mut zip, "contributions_by_step.csv");
    assert!(
        by_step.contains(",,declined,citizen,1,0,0,0\r\n"),
        "{by_step}"
    );
    assert!(by_step.contains(&format!(",,{eve},citizen,1,0,0,0\r\n")));
    let final_board: Value = serde_json::from_str(&zip_file(&mut zip, "final-board.json")).unwrap();
    assert_eq!(final_board["board"]["items"]["n0"]["author"], "declined");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeking_into_100k_updates_reads_a_bounded_number_of_records() {
    const UPDATES: u64 = 100_000;
    const SPACING: u64 = 1000;
    let dir = tempfile::tempdir().unwrap();
    let storage = EmbeddedStorage::open(dir.path()).unwrap();
    let room = RoomId::parse("long-session").unwrap();
    // One update per 10 ms of server time.
    let at_ms = |n: usize| 1_700_000_000_000 + n as u64 * 10;
    append_typing(&storage, &room, UPDATES as usize, 5000, at_ms).await;
    let length = |doc: &yrs::Doc| text_len(doc) as u64;

    // A log without keyframes (an old session): the first seek replays it and leaves them.
    let mut seeker = Seeker::new(&storage, &room, SPACING).await.unwrap();
    let first = seeker.state_at(Position::Seq(UPDATES)).await.unwrap();
    assert_eq!(
        (first.records_read as u64, length(&first.doc)),
        (UPDATES, UPDATES)
    );
    assert_eq!(
        storage.keyframes(&room).await.unwrap().len() as u64,
        UPDATES / SPACING
    );

    // From then on, any point costs at most one keyframe gap.
    let mut seeker = Seeker::new(&storage, &room, SPACING).await.unwrap();
    for seq in [1, 999, 1000, 54_321, 99_999, UPDATES] {
        let seeked = seeker.state_at(Position::Seq(seq)).await.unwrap();
        assert_eq!((seeked.seq, length(&seeked.doc)), (seq, seq));
        assert!(
            seeked.records_read as u64 <= SPACING,
            "seq {seq}: read {}",
            seeked.records_read
        );
    }
    // By time: the record at 54,321 was accepted at +543,200 ms.
    let at = Position::Time(1_700_000_000_000 + 54_320 * 10);
    let seeked = seeker.state_at(at).await.unwrap();
    assert_eq!(length(&seeked.doc), 54_321);
    assert!(
        seeked.records_read as u64 <= SPACING,
        "read {}",
        seeked.records_read
    );
}

#[tokio::test]
async fn the_command_line_exports_and_replays_from_a_data_dir() {
    let script = embedded_script(false).await;
    let (id, steps) = (script.id.clone(), script.steps.clone());
    let dir = script._dir.path().to_owned();
    script.server.stop().await;
    let cocreate = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cocreate"))
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .output()
            .expect("run cocreate");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    let (seq, _, expected) = &steps[2];
    let state: Value = serde_json::from_slice(&cocreate(&[
        "replay",
        "--session",
        &id,
        "--at",
        &seq.to_string(),
    ]))
    .expect("JSON on stdout");
    let items = state["board"]["items"].as_object().unwrap();
    let texts: BTreeMap<&str, &str> = items
        .iter()
        .map(|(id, item)| (id.as_str(), item["text"].as_str().unwrap()))
        .collect();
    assert_eq!(&texts, expected);
    let out = dir.join("dataset.zip");
    cocreate(&["export", "--session", &id, "--out", out.to_str().unwrap()]);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut events = String::new();
    zip.by_name("events.csv")
        .unwrap()
        .read_to_string(&mut events)
        .unwrap();
    assert!(events.lines().count() > expected_events().len());
}
