//! A session's agenda through the API: who reads and changes it, what is refused (with its
//! code, changing nothing), running steps (start, reveal, end, the session's `step`, `phase`
//! and `timer_ends_at`), the audit log and history, on the embedded store and on Redis; and
//! timed steps ending on the server, once, across restarts and nodes.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::board_session::BoardSession;
use crate::support::{redis_node, two_redis_nodes, Client, TestServer, WAIT};

/// The roles that may not change an agenda.
const NOT_MODERATORS: [&str; 3] = ["citizen", "observer", "researcher"];

/// A journey map (it has stages and lanes to name in zone rules) on `server`.
async fn journey_map(server: Arc<TestServer>) -> BoardSession {
    BoardSession::create_on(server, json!({"template": "journey-map"})).await
}

/// A journey map on a fresh embedded server.
async fn embedded() -> BoardSession {
    let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
    journey_map(Arc::new(server)).await
}

/// A journey map on a node of the tests' Redis.
async fn on_redis() -> BoardSession {
    let prefix = crate::redis_server::unique_prefix();
    journey_map(Arc::new(redis_node(&prefix, "a").await)).await
}

/// The workshop's agenda: private brainwriting (timed, pains lane only), a discussion, a
/// secret vote with three dots.
fn workshop() -> Value {
    json!({"steps": [
        {"id": "write", "title": "Write pains alone", "method": "brainwrite", "minutes": 5,
         "private": true, "anonymous": true,
         "zones": {"lane:lane-pain-points": {"citizen": "add"}, "structure": {"citizen": "read"}}},
        {"title": "Discuss", "method": "discuss"},
        {"id": "vote", "title": "Dot-vote", "method": "vote", "votes": 3, "secret": true,
         "zones": {"votes": {"citizen": "edit"}}},
    ]})
}

impl BoardSession {
    /// The agenda as `role` reads it.
    async fn agenda_as(&self, role: &str) -> Value {
        let (status, body) = self.call_as(role, "GET", "/agenda", None).await;
        assert_eq!(status, 200, "{body}");
        body["agenda"].clone()
    }

    /// The session as a citizen is told it (`GET /api/me`).
    async fn public_session(&self) -> Value {
        self.me("citizen").await["session"].clone()
    }

    /// The audit entries with `action`, as (by, target, reason).
    async fn audited(&self, action: &str) -> Vec<(String, String, Value)> {
        let log = self.moderate("GET", "/audit", None, 200).await;
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .map(|e| {
                let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                (text(&e["by"]), text(&e["target"]), e["reason"].clone())
            })
            .collect()
    }

    /// A citizen's live connection to the board.
    async fn citizen_connected(&self) -> Client {
        let (token, _) = self.server.join(&self.code, "Cit").await;
        Client::connect(&format!("{}?token={token}", self.server.url(&self.id))).await
    }

    /// The moderator's participant id.
    async fn moderator_id(&self) -> String {
        let me = self.me("moderator").await;
        me["you"]["participant_id"].as_str().unwrap().to_owned()
    }
}

/// Polls the session as a citizen sees it until its current step has ended (a timed step's
/// end is decided by the server's clock, which nothing else announces to an HTTP caller).
async fn until_ended(session: &BoardSession) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let public = session.public_session().await;
        if !public["step"]["ended_at"].is_null() {
            return public;
        }
        assert!(Instant::now() < deadline, "the step never ended: {public}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every role reads the agenda; no role but moderators (nor another session's moderator, nor
/// a caller without a token) changes it.
async fn only_moderators_change_the_agenda(s: &BoardSession) {
    for role in ["moderator", "citizen", "observer", "researcher"] {
        assert_eq!(
            s.agenda_as(role).await,
            json!({"steps": [], "current": null})
        );
    }
    s.moderate("PUT", "/agenda", Some(workshop()), 200).await;
    let changes = [
        ("PUT", "/agenda", Some(workshop())),
        ("POST", "/agenda/steps/write/start", None),
        ("POST", "/agenda/reveal", None),
        ("POST", "/agenda/end", None),
    ];
    for (method, rest, body) in &changes {
        for role in NOT_MODERATORS {
            s.refused_as((403, "forbidden"), role, method, rest, body.clone())
                .await;
        }
        s.server
            .call_expect(
                (401, "missing_token"),
                method,
                &s.path(rest),
                None,
                body.clone(),
            )
            .await;
    }
    let other = s.another(json!({})).await;
    let foreign = other.invite("moderator");
    s.server
        .call_expect(
            (403, "wrong_session"),
            "POST",
            &s.path("/agenda/steps/write/start"),
            Some(&foreign),
            None,
        )
        .await;
    // Nothing the refused calls asked for happened.
    assert_eq!(s.agenda_as("observer").await["current"], Value::Null);
    assert_eq!(s.audited("step-started").await, vec![]);
}

#[tokio::test]
async fn everyone_reads_the_agenda_and_only_moderators_change_it_on_both_stores() {
    only_moderators_change_the_agenda(&embedded().await).await;
    only_moderators_change_the_agenda(&on_redis().await).await;
}

/// Replacing the agenda: ids kept or made, every participant reads it, audited once per change.
async fn an_agenda_is_stored_with_its_ids(s: &BoardSession) {
    let stored = s.moderate("PUT", "/agenda", Some(workshop()), 200).await["agenda"].clone();
    let steps = stored["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!((ids[0], ids[2]), ("write", "vote"));
    assert!(ids[1].starts_with("step_") && ids[1].len() > 5, "{ids:?}");
    assert_eq!(
        steps[0],
        json!({"id": "write", "title": "Write pains alone", "method": "brainwrite",
               "minutes": 5.0, "private": true, "anonymous": true, "votes": null, "secret": false,
               "zones": {"lane:lane-pain-points": {"citizen": "add"},
                         "structure": {"citizen": "read"}}, "on_end": "end"})
    );
    assert_eq!(
        (
            &steps[1]["minutes"],
            &steps[1]["private"],
            &steps[1]["zones"]
        ),
        (&Value::Null, &json!(false), &json!({}))
    );
    assert_eq!(stored["current"], Value::Null);
    assert_eq!(s.agenda_as("citizen").await, stored);
    assert_eq!(s.public_session().await["step"], Value::Null);

    // Sent back as read, it is the same agenda: nothing changes, nothing is audited.
    let again = json!({ "steps": stored["steps"] });
    let answer = s.moderate("PUT", "/agenda", Some(again), 200).await;
    assert_eq!(answer["agenda"], stored);
    let audited = s.audited("agenda").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    let (by, target, reason) = &audited[0];
    assert_eq!(
        (by.as_str(), target.as_str()),
        (s.moderator_id().await.as_str(), s.id.as_str())
    );
    let recorded: Value = serde_json::from_str(reason.as_str().unwrap()).unwrap();
    assert_eq!(recorded, stored["steps"], "the rules are in the history");
}

#[tokio::test]
async fn an_agenda_is_stored_with_its_ids_on_both_stores() {
    an_agenda_is_stored_with_its_ids(&embedded().await).await;
    an_agenda_is_stored_with_its_ids(&on_redis().await).await;
}

#[tokio::test]
async fn a_bad_agenda_is_refused_with_its_code_and_changes_nothing() {
    let s = embedded().await;
    let stored = s.moderate("PUT", "/agenda", Some(workshop()), 200).await["agenda"].clone();
    let step = |extra: Value| {
        let mut step = json!({"title": "Write", "method": "brainwrite"});
        step.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "steps": [step] })
    };
    let zone =
        |zone: &str, role: &str, access: &str| step(json!({"zones": {zone: {role: access}}}));
    let refused = [
        (
            (400, "unknown_method"),
            step(json!({"method": "brainstorm"})),
        ),
        ((400, "invalid_minutes"), step(json!({"minutes": -1}))),
        ((400, "invalid_minutes"), step(json!({"minutes": 0}))),
        ((400, "invalid_minutes"), step(json!({"minutes": 1441}))),
        ((400, "invalid_votes"), step(json!({"votes": -1}))),
        ((400, "invalid_votes"), step(json!({"votes": 101}))),
        (
            (400, "unknown_zone"),
            zone("lane:lane-nowhere", "citizen", "add"),
        ),
        ((400, "unknown_zone"), zone("canvas", "citizen", "add")),
        ((400, "unknown_zone"), zone("pain-points", "citizen", "add")),
        ((400, "unknown_role"), zone("structure", "admin", "edit")),
        (
            (400, "unknown_access"),
            zone("structure", "citizen", "write"),
        ),
        (
            (400, "invalid_zone_rule"),
            zone("structure", "moderator", "read"),
        ),
        (
            (400, "invalid_zone_rule"),
            zone("votes", "observer", "edit"),
        ),
        ((400, "invalid_request"), step(json!({"title": " "}))),
        (
            (400, "invalid_request"),
            step(json!({"title": "a".repeat(121)})),
        ),
        ((400, "invalid_request"), step(json!({"id": "a/b"}))),
        ((400, "invalid_request"), step(json!({"colour": "red"}))),
        (
            (400, "invalid_request"),
            json!({"steps": [{"method": "vote"}]}),
        ),
        (
            (400, "invalid_request"),
            json!({"steps": vec![json!({"title": "x", "method": "custom"}); 51]}),
        ),
        (
            (400, "duplicate_step"),
            json!({"steps": [{"id": "a", "title": "x", "method": "vote"},
                             {"id": "a", "title": "y", "method": "vote"}]}),
        ),
    ];
    for (expected, body) in refused {
        s.refused_as(expected, "moderator", "PUT", "/agenda", Some(body))
            .await;
    }
    assert_eq!(s.agenda_as("moderator").await, stored);
    assert_eq!(s.audited("agenda").await.len(), 1);

    // The limits are inclusive; every stage and lane of the board is a zone.
    let fits = step(
        json!({"minutes": 1440, "votes": 100, "title": "a".repeat(120),
        "zones": {"stage:stage-follow-up": {"citizen": "read"}, "emotions": {"citizen": "edit"},
                  "comments": {"citizen": "add"}, "connectors": {}}}),
    );
    s.moderate("PUT", "/agenda", Some(fits), 200).await;
}

/// A whole run of the workshop: starting, the session's `step`, `phase` and `timer_ends_at`,
/// reveal, end, the next step ending the one under way, and every refusal on the way.
async fn an_agenda_runs_step_by_step(s: &BoardSession) {
    s.refused_as(
        (409, "no_current_step"),
        "moderator",
        "POST",
        "/agenda/reveal",
        None,
    )
    .await;
    s.refused_as(
        (409, "no_current_step"),
        "moderator",
        "POST",
        "/agenda/end",
        None,
    )
    .await;
    s.moderate("PUT", "/agenda", Some(workshop()), 200).await;
    s.refused_as(
        (404, "step_not_found"),
        "moderator",
        "POST",
        "/agenda/steps/nope/start",
        None,
    )
    .await;

    let before = s.public_session().await;
    let started = s
        .moderate("POST", "/agenda/steps/write/start", None, 200)
        .await;
    assert_eq!(started["agenda"]["current"], "write");
    let step = s.public_session().await["step"].clone();
    let at = step["started_at"].as_u64().unwrap();
    assert!(at >= before["created_at"].as_u64().unwrap());
    assert_eq!(
        step,
        json!({"id": "write", "title": "Write pains alone", "method": "brainwrite",
               "started_at": at, "ends_at": at + 5 * 60_000, "ended_at": null,
               "private": true, "anonymous": true, "secret": false, "revealed": false,
               "on_end": "end", "paused_at": null, "remaining_ms": null})
    );
    assert_eq!(started["session"]["step"], step);
    let details = s.moderate("GET", "", None, 200).await;
    assert_eq!(details["step"], step, "moderators see it too");
    let public = s.public_session().await;
    assert_eq!(
        (&public["phase"], &public["timer_ends_at"]),
        (&json!("Write pains alone"), &json!(at + 5 * 60_000))
    );
    // The step sets phase and timer: setting them by hand is refused, the rest is not.
    for change in [json!({"phase": "diverge"}), json!({"timer_ends_at": null})] {
        s.refused_as(
            (409, "step_current"),
            "moderator",
            "PATCH",
            "",
            Some(change),
        )
        .await;
    }
    s.moderate("PATCH", "", Some(json!({"title": "Permits"})), 200)
        .await;
    // Starting the step under way again changes nothing.
    s.moderate("POST", "/agenda/steps/write/start", None, 200)
        .await;
    assert_eq!(s.public_session().await["step"], step);
    // The step under way stays on the agenda.
    let without = json!({"steps": [{"id": "vote", "title": "Dot-vote", "method": "vote"}]});
    s.refused_as(
        (409, "step_running"),
        "moderator",
        "PUT",
        "/agenda",
        Some(without),
    )
    .await;

    let revealed = s.moderate("POST", "/agenda/reveal", None, 200).await;
    assert_eq!(revealed["session"]["step"]["revealed"], true);
    s.moderate("POST", "/agenda/reveal", None, 200).await;

    // The next step ends this one; a vote step's dots are the session's limit while it runs.
    assert_eq!(public["votes_per_participant"], 5);
    s.moderate("POST", "/agenda/steps/vote/start", None, 200)
        .await;
    let public = s.public_session().await;
    assert_eq!(
        (
            &public["step"]["id"],
            &public["step"]["secret"],
            &public["step"]["revealed"]
        ),
        (&json!("vote"), &json!(true), &json!(false))
    );
    assert_eq!(public["votes_per_participant"], 3);
    assert_eq!(
        public["timer_ends_at"],
        Value::Null,
        "the vote has no duration"
    );

    let ended = s.moderate("POST", "/agenda/end", None, 200).await;
    let step = &ended["session"]["step"];
    assert!(step["ended_at"].as_u64().unwrap() >= step["started_at"].as_u64().unwrap());
    assert_eq!(
        ended["agenda"]["current"], "vote",
        "an ended step stays current"
    );
    assert_eq!(s.public_session().await["votes_per_participant"], 5);
    s.moderate("POST", "/agenda/end", None, 200).await;
    // Revealed after its end (the tallies of a secret vote), once.
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    s.moderate("POST", "/agenda/reveal", None, 200).await;

    // A step that is neither private nor secret has nothing to reveal.
    let discuss = s.agenda_as("moderator").await["steps"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.moderate("POST", &format!("/agenda/steps/{discuss}/start"), None, 200)
        .await;
    s.refused_as(
        (409, "nothing_to_reveal"),
        "moderator",
        "POST",
        "/agenda/reveal",
        None,
    )
    .await;

    let moderator = s.moderator_id().await;
    let by = |target: &str, reason: Value| (moderator.clone(), target.to_owned(), reason);
    assert_eq!(
        s.audited("step-started").await,
        vec![
            by("write", json!("Write pains alone")),
            by("vote", json!("Dot-vote")),
            by(&discuss, json!("Discuss")),
        ]
    );
    assert_eq!(
        s.audited("step-ended").await,
        vec![
            by("write", json!("next step")),
            by("vote", json!("moderator")),
        ]
    );
    assert_eq!(
        s.audited("step-revealed").await,
        vec![by("write", Value::Null), by("vote", Value::Null)]
    );

    // A locked session runs its agenda too: only who may write changes.
    s.moderate("POST", "/lock", None, 200).await;
    s.moderate("POST", "/agenda/steps/write/start", None, 200)
        .await;
    assert_eq!(s.public_session().await["step"]["id"], "write");
    s.moderate("POST", "/unlock", None, 200).await;

    // Closing ends the step under way; then nothing starts, reveals or changes any more.
    s.close().await;
    let public = s.public_session().await;
    assert!(public["step"]["ended_at"].is_u64(), "{public}");
    assert_eq!(
        public["timer_ends_at"],
        Value::Null,
        "ended before its time"
    );
    let closed = (409, "session_closed");
    s.refused_as(
        closed,
        "moderator",
        "POST",
        "/agenda/steps/write/start",
        None,
    )
    .await;
    s.refused_as(closed, "moderator", "POST", "/agenda/reveal", None)
        .await;
    s.refused_as(closed, "moderator", "PUT", "/agenda", Some(workshop()))
        .await;
    s.moderate("POST", "/agenda/end", None, 200).await;
    assert_eq!(
        s.audited("step-ended").await[2..],
        [
            by(&discuss, json!("next step")),
            by("write", json!("closed"))
        ]
    );
}

#[tokio::test]
async fn an_agenda_runs_step_by_step_on_the_embedded_store() {
    an_agenda_runs_step_by_step(&embedded().await).await;
}

#[tokio::test]
async fn an_agenda_runs_step_by_step_on_redis() {
    an_agenda_runs_step_by_step(&on_redis().await).await;
}

#[tokio::test]
async fn participants_are_told_of_each_step_and_history_keeps_it() {
    let s = embedded().await;
    let mut citizen = s.citizen_connected().await;
    s.moderate("PUT", "/agenda", Some(workshop()), 200).await;
    citizen.wait_session(|m| m["event"] == "agenda").await;
    s.moderate("POST", "/agenda/steps/write/start", None, 200)
        .await;
    citizen
        .wait_session(|m| m["event"] == "step-started" && m["session"]["step"]["id"] == "write")
        .await;
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    citizen
        .wait_session(|m| m["event"] == "step-revealed" && m["session"]["step"]["revealed"] == true)
        .await;
    s.moderate("POST", "/agenda/end", None, 200).await;
    citizen
        .wait_session(|m| m["event"] == "step-ended" && m["session"]["step"]["ended_at"].is_u64())
        .await;
    assert_eq!(
        citizen.session.as_ref().unwrap()["session"]["phase"],
        "Write pains alone"
    );
    citizen.hang_up().await;

    let (status, _, body) = s
        .server
        .fetch(&s.path("/history"), &s.invite("researcher"))
        .await;
    assert_eq!(status, 200);
    let steps: Vec<(String, String)> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|e| e["entity"] == "moderation")
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap().to_owned();
            (text(&e["action"]), text(&e["target"]))
        })
        .collect();
    let expected = [
        ("agenda", s.id.as_str()),
        ("step-started", "write"),
        ("step-revealed", "write"),
        ("step-ended", "write"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, t)| (a.to_string(), t.to_string()))
        .collect();
    assert_eq!(steps, expected);
}

/// A timed step (`minutes` of a little over a second) with nobody acting: it ends at its
/// `ends_at`, once, named by the timer.
async fn ends_on_time_once(s: &BoardSession, started: &Value) {
    let ends_at = started["session"]["step"]["ends_at"].as_u64().unwrap();
    let public = until_ended(s).await;
    assert_eq!(public["step"]["ended_at"], ends_at, "{public}");
    assert_eq!(
        public["timer_ends_at"], ends_at,
        "time is up, as the countdown said"
    );
    assert_eq!(
        s.audited("step-ended").await,
        vec![("timer".to_owned(), "quick".to_owned(), json!("time"))]
    );
}

/// An agenda with one step of `minutes`, started: the start's answer.
async fn timed_step_started(s: &BoardSession, minutes: f64) -> Value {
    let agenda = json!({"steps": [{"id": "quick", "title": "Quick", "method": "brainwrite",
                                   "minutes": minutes, "private": true}]});
    s.moderate("PUT", "/agenda", Some(agenda), 200).await;
    s.moderate("POST", "/agenda/steps/quick/start", None, 200)
        .await
}

#[tokio::test]
async fn a_timed_step_ends_on_time_without_a_moderator() {
    let s = embedded().await;
    let mut citizen = s.citizen_connected().await;
    let started = timed_step_started(&s, 0.02).await;
    citizen
        .wait_session(|m| m["event"] == "step-ended" && m["session"]["step"]["ended_at"].is_u64())
        .await;
    ends_on_time_once(&s, &started).await;
    // Its drafts can still be revealed; ending it again changes nothing.
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    s.moderate("POST", "/agenda/end", None, 200).await;
    assert_eq!(s.audited("step-ended").await.len(), 1);
    citizen.hang_up().await;
}

#[tokio::test]
async fn a_step_whose_time_passed_while_the_server_was_down_ends_when_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(crate::support::session_server(dir.path()).await);
    let s = journey_map(server.clone()).await;
    let started = timed_step_started(&s, 0.01).await;
    let ends_at = started["session"]["step"]["ends_at"].as_u64().unwrap();
    let created = s.created();
    drop(s);
    Arc::into_inner(server).expect("one owner").stop().await;
    while cocreate_server::session::now_ms() <= ends_at {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server = Arc::new(crate::support::session_server(dir.path()).await);
    // The restarted server serves the same session; only its stored record is read.
    let s = BoardSession::reopen(server, &created);
    ends_on_time_once(&s, &started).await;
}

/// Two nodes on Redis, and a third started while the step is under way: each knows the
/// step's end (the one it started on, the one whose room follows the session, the one that
/// read it at start), and the step still ends once: one audit entry, every node sees it ended.
#[tokio::test]
async fn a_timed_step_ends_once_across_nodes() {
    let (prefix, a, b) = two_redis_nodes().await;
    let a = Arc::new(a);
    let s = journey_map(a.clone()).await;
    let on_b = BoardSession::reopen(Arc::new(b), &s.created());
    let mut citizen_on_b = on_b.citizen_connected().await;
    let started = timed_step_started(&s, 0.03).await;
    let c = redis_node(&prefix, "c").await;
    let on_c = BoardSession::reopen(Arc::new(c), &s.created());
    citizen_on_b
        .wait_session(|m| m["event"] == "step-ended" && m["session"]["step"]["ended_at"].is_u64())
        .await;
    ends_on_time_once(&s, &started).await;
    for node in [&on_b, &on_c] {
        let public = node.public_session().await;
        assert_eq!(
            public["step"]["ended_at"],
            started["session"]["step"]["ends_at"]
        );
    }
    // Every clock has fired by now (they wake at the same instant): still one end.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(on_c.audited("step-ended").await.len(), 1);
    citizen_on_b.hang_up().await;
}

/// The step's countdown as the start or a change answered it.
fn countdown(answer: &Value) -> (Value, Value, Value) {
    let step = &answer["session"]["step"];
    (
        step["ends_at"].clone(),
        step["paused_at"].clone(),
        step["remaining_ms"].clone(),
    )
}

#[tokio::test]
async fn a_countdown_is_extended_paused_and_resumed_and_each_change_is_told() {
    let s = embedded().await;
    let mut citizen = s.citizen_connected().await;
    let started = timed_step_started(&s, 10.0).await;
    let ends_at = started["session"]["step"]["ends_at"].as_u64().unwrap();

    let extended = s
        .moderate("POST", "/agenda/extend", Some(json!({"minutes": 1})), 200)
        .await;
    assert_eq!(countdown(&extended).0, ends_at + 60_000);
    citizen
        .wait_session(|m| m["event"] == "step-extended")
        .await;
    let paused = s.moderate("POST", "/agenda/pause", None, 200).await;
    let (end, paused_at, remaining) = countdown(&paused);
    assert!(end.is_null() && paused_at.is_u64(), "{paused}");
    let remaining = remaining.as_u64().unwrap();
    assert!(
        remaining > 10 * 60_000 && remaining <= 11 * 60_000,
        "{paused}"
    );
    assert!(
        s.public_session().await["timer_ends_at"].is_null(),
        "no countdown while paused"
    );
    // Paused: more time adds to what is left; pausing again, or a bad duration, is refused.
    let more = s
        .moderate("POST", "/agenda/extend", Some(json!({"minutes": 0.5})), 200)
        .await;
    assert_eq!(countdown(&more).2, remaining + 30_000);
    let (status, body) = s.call_as("moderator", "POST", "/agenda/pause", None).await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("already_paused"))
    );
    for minutes in [json!(0), json!(-1), json!(121), json!("one")] {
        let body = Some(json!({ "minutes": minutes }));
        let (status, _) = s.call_as("moderator", "POST", "/agenda/extend", body).await;
        assert_eq!(status, 400, "{minutes}");
    }
    let (status, _) = s.call_as("citizen", "POST", "/agenda/pause", None).await;
    assert_eq!(status, 403);

    let before = cocreate_server::session::now_ms();
    let resumed = s.moderate("POST", "/agenda/resume", None, 200).await;
    let ends_at = countdown(&resumed).0.as_u64().unwrap();
    assert!(ends_at >= before + remaining + 30_000, "{resumed}");
    assert!(countdown(&resumed).1.is_null());
    let (status, body) = s.call_as("moderator", "POST", "/agenda/resume", None).await;
    assert_eq!((status, body["code"].clone()), (409, json!("not_paused")));
    let mut events = Vec::new();
    for event in ["step-extended", "step-paused", "step-resumed"] {
        events.push(s.audited(event).await.len());
    }
    assert_eq!(events, [2, 1, 1], "extended, paused, resumed");

    s.moderate("POST", "/agenda/end", None, 200).await;
    let (status, body) = s
        .call_as(
            "moderator",
            "POST",
            "/agenda/extend",
            Some(json!({"minutes": 1})),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (409, json!("no_running_step"))
    );
    citizen.hang_up().await;
}

#[tokio::test]
async fn a_step_that_locks_on_time_locks_the_session_and_one_that_continues_ends_nothing() {
    let s = embedded().await;
    let agenda = json!({"steps": [
        {"id": "quick", "title": "Quick", "method": "brainwrite", "minutes": 0.02, "on_end": "lock"},
        {"id": "open", "title": "Open", "method": "discuss", "minutes": 0.01, "on_end": "continue"},
    ]});
    let stored = s.moderate("PUT", "/agenda", Some(agenda), 200).await;
    assert_eq!(stored["agenda"]["steps"][0]["on_end"], "lock");
    let bad = json!({"steps": [{"title": "T", "method": "discuss", "on_end": "explode"}]});
    let (status, body) = s.call_as("moderator", "PUT", "/agenda", Some(bad)).await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("invalid_on_end"))
    );

    let mut citizen = s.citizen_connected().await;
    s.moderate("POST", "/agenda/steps/quick/start", None, 200)
        .await;
    citizen.wait_session(|m| m["event"] == "step-ended").await;
    assert_eq!(
        citizen.session.as_ref().unwrap()["session"]["state"],
        "locked"
    );
    assert_eq!(
        citizen.wait_denied().await,
        "read-only: a moderator locked the session"
    );
    assert_eq!(s.audited("locked").await.len(), 1);

    s.moderate("POST", "/unlock", None, 200).await;
    let started = s
        .moderate("POST", "/agenda/steps/open/start", None, 200)
        .await;
    let ends_at = started["session"]["step"]["ends_at"].as_u64().unwrap();
    // Well past its time (its timer says so), it is still under way: the facilitator decides.
    while cocreate_server::session::now_ms() <= ends_at + 300 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let public = s.public_session().await;
    assert!(public["step"]["ended_at"].is_null(), "{public}");
    assert_eq!(public["timer_ends_at"], ends_at);
    citizen.hang_up().await;
}

#[tokio::test]
async fn a_moderator_brings_everyone_to_a_zone_and_lets_them_go() {
    let s = embedded().await;
    let mut citizen = s.citizen_connected().await;
    let body = Some(json!({"zone": "lane:lane-pain-points"}));
    let answer = s.moderate("POST", "/focus", body, 200).await;
    assert_eq!(answer["session"]["focus"]["zone"], "lane:lane-pain-points");
    citizen
        .wait_session(|m| {
            m["event"] == "focus" && m["session"]["focus"]["zone"] == "lane:lane-pain-points"
        })
        .await;
    // Who joins later is brought there too: it is the session's.
    assert_eq!(
        s.public_session().await["focus"]["zone"],
        "lane:lane-pain-points"
    );
    let (status, body) = s
        .call_as(
            "moderator",
            "POST",
            "/focus",
            Some(json!({"zone": "lane:nowhere"})),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!("unknown_zone")));
    let (status, _) = s
        .call_as("citizen", "POST", "/focus", Some(json!({"zone": "canvas"})))
        .await;
    assert_eq!(status, 403);
    s.moderate("POST", "/focus", Some(json!({"zone": null})), 200)
        .await;
    citizen
        .wait_session(|m| m["event"] == "focus" && m["session"]["focus"].is_null())
        .await;
    assert_eq!(s.audited("focus").await.len(), 2);
    citizen.hang_up().await;
}
