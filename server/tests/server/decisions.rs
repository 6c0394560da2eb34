//! Decisions on cards through the API: who may set and read them, in every session state,
//! and that every change is kept (audit log and history).

use serde_json::{json, Value};

use crate::board_session::BoardSession;
use crate::support::fields;

/// A session whose board holds a citizen's `card-1` and `card-2`.
async fn with_cards(extra: Value) -> BoardSession {
    let session = BoardSession::start(extra).await;
    session
        .citizen_writes(
            "Cit",
            &[("card-1", "bus stop too far"), ("card-2", "more benches")],
        )
        .await;
    session
}

fn decision(status: &str, explanation: &str) -> Option<Value> {
    Some(json!({ "status": status, "explanation": explanation }))
}

#[tokio::test]
async fn only_moderators_decide_and_the_decision_is_answered_as_stored() {
    let s = with_cards(json!({})).await;
    let path = s.path("/items/card-1/decision");
    for role in ["citizen", "observer", "researcher"] {
        s.server
            .call_expect(
                (403, "forbidden"),
                "PUT",
                &path,
                Some(&s.invite(role)),
                decision("accepted", "x"),
            )
            .await;
    }
    s.server
        .call_expect(
            (401, "missing_token"),
            "PUT",
            &path,
            None,
            decision("done", ""),
        )
        .await;
    let other = s.another(json!({})).await;
    s.server
        .call_expect(
            (403, "wrong_session"),
            "PUT",
            &path,
            Some(&other.invite("moderator")),
            decision("done", ""),
        )
        .await;

    let explanation = "  We move the stop in March.\nThanks!  ";
    let path = "/items/card-1/decision";
    let answer = s
        .moderate("PUT", path, decision("accepted", explanation), 200)
        .await;
    let me = s.me("moderator").await;
    let stored = &answer["decision"];
    assert_eq!(
        (&stored["item"], &stored["status"], &stored["explanation"]),
        (
            &json!("card-1"),
            &json!("accepted"),
            &json!("We move the stop in March.\nThanks!")
        )
    );
    assert_eq!(stored["by"], me["you"]["participant_id"], "{me}");
    assert!(stored["decided_at"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_decision_names_a_board_item_a_known_status_and_plain_text() {
    let s = with_cards(json!({})).await;
    let put = |item: &str| s.path(&format!("/items/{item}/decision"));
    let refused = [
        ((404, "item_not_found"), put("card-9"), decision("done", "")),
        (
            (400, "invalid_request"),
            put("card-1"),
            decision("maybe", ""),
        ),
        (
            (400, "invalid_request"),
            put("card-1"),
            decision("done", &"a".repeat(2001)),
        ),
        (
            (400, "invalid_request"),
            put("card-1"),
            decision("done", "bell\u{7}"),
        ),
        (
            (400, "invalid_request"),
            put("card-1"),
            Some(json!({"explanation": "x"})),
        ),
    ];
    for (expected, path, body) in refused {
        s.server
            .call_expect(expected, "PUT", &path, Some(&s.invite("moderator")), body)
            .await;
    }
    // The cap is inclusive; an explanation may be left out.
    s.decide("card-1", "done", &"a".repeat(2000)).await;
    s.moderate(
        "PUT",
        "/items/card-2/decision",
        Some(json!({"status": "under-consideration"})),
        200,
    )
    .await;
}

#[tokio::test]
async fn decisions_stay_writable_after_close_and_every_change_is_kept() {
    let s = with_cards(json!({})).await;
    let first = s.decide("card-1", "under-consideration", "").await;
    s.close().await;
    let changed = s
        .decide("card-1", "planned", "Budget found for 2027.")
        .await;
    assert_eq!(changed["status"], "planned");
    assert_eq!(
        changed["first_decided_at"], first["decided_at"],
        "the first decision's time is kept"
    );
    let listed = s.moderate("GET", "/decisions", None, 200).await;
    assert_eq!(listed["decisions"], json!([changed]));

    let audit = s.moderate("GET", "/audit", None, 200).await;
    let decided: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "decision")
        .collect();
    let details: Vec<&Value> = decided.iter().map(|e| &e["reason"]).collect();
    assert_eq!(
        details,
        [
            &json!("under-consideration"),
            &json!("planned: Budget found for 2027.")
        ],
        "{audit}"
    );
    assert!(decided.iter().all(|e| e["target"] == "card-1"));

    let (status, _, history) = s
        .server
        .fetch(&s.path("/history"), &s.invite("researcher"))
        .await;
    assert_eq!(status, 200);
    let events: Vec<Value> = String::from_utf8(history)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|e: &Value| e["entity"] == "decision")
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events
        .iter()
        .all(|e| e["action"] == "set" && e["target"] == "card-1"));
}

#[tokio::test]
async fn moderators_and_researchers_of_a_recorded_session_read_decisions() {
    let s = with_cards(json!({})).await;
    s.decide("card-2", "not-taken-up", "Out of scope.").await;
    s.decide("card-1", "done", "").await;
    let listed = s.moderate("GET", "/decisions", None, 200).await;
    let items = fields(&listed["decisions"], "item");
    assert_eq!(items, [&json!("card-1"), &json!("card-2")]);
    let (status, seen) = s.call_as("researcher", "GET", "/decisions", None).await;
    assert_eq!((status, &seen), (200, &listed));
    for role in ["citizen", "observer"] {
        s.refused_as((403, "forbidden"), role, "GET", "/decisions", None)
            .await;
    }

    let unrecorded = BoardSession::start(json!({"research": {"recorded": false}})).await;
    unrecorded
        .refused_as(
            (403, "not_recorded"),
            "researcher",
            "GET",
            "/decisions",
            None,
        )
        .await;
    unrecorded.moderate("GET", "/decisions", None, 200).await;
}

#[tokio::test]
async fn decisions_outlive_the_erasure_of_the_cards_author() {
    let s = BoardSession::start(json!({})).await;
    let (_, pid) = s
        .citizen_writes("Ann", &[("card-1", "my street floods")])
        .await;
    s.decide("card-1", "in-progress", "Drains ordered.").await;
    s.moderate(
        "POST",
        &format!("/participants/{pid}/erase"),
        Some(json!({"text": true})),
        200,
    )
    .await;
    let listed = s.moderate("GET", "/decisions", None, 200).await;
    assert_eq!(listed["decisions"][0]["status"], "in-progress");
    s.decide("card-1", "done", "Drains cleaned.").await;
}
