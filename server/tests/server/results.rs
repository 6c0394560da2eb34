//! Published results through the API: publishing and unpublishing (moderators only, in any
//! session state), and what the public, token-free results show and leave out.

use serde_json::{json, Value};

use crate::board_session::BoardSession;

/// The public results of a session, which must answer `status`.
async fn public(s: &BoardSession, status: u16) -> Value {
    let (got, body) = s.server.get(&format!("/api/results/{}", s.id)).await;
    assert_eq!(got, status, "{body}");
    body
}

#[tokio::test]
async fn results_are_public_only_while_published_and_only_moderators_publish() {
    let s = BoardSession::start(json!({})).await;
    s.citizen_writes("Cit", &[("card-1", "benches")]).await;
    assert_eq!(public(&s, 404).await["code"], "results_not_published");
    let (status, unknown) = s.server.get("/api/results/no-such-session").await;
    assert_eq!(
        (status, &unknown["code"]),
        (404, &json!("results_not_published"))
    );
    for role in ["citizen", "observer", "researcher"] {
        for action in ["/publish", "/unpublish"] {
            s.refused_as((403, "forbidden"), role, "POST", action, None)
                .await;
        }
    }
    s.server
        .call_expect(
            (401, "missing_token"),
            "POST",
            &s.path("/publish"),
            None,
            None,
        )
        .await;

    let published = s.moderate("POST", "/publish", None, 200).await;
    assert_eq!(published["published"], true);
    let results = public(&s, 200).await;
    assert_eq!(results["session"]["id"], json!(s.id));
    assert_eq!(results["published_at"], published["published_at"]);
    s.moderate("POST", "/unpublish", None, 200).await;
    public(&s, 404).await;
    // Publishing works in any state, after close too.
    s.close().await;
    s.moderate("POST", "/publish", None, 200).await;
    assert_eq!(public(&s, 200).await["session"]["state"], "closed");

    let audit = s.moderate("GET", "/audit", None, 200).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.ends_with("publish"))
        .collect();
    assert_eq!(actions, ["publish", "unpublish", "publish"]);
}

#[tokio::test]
async fn results_group_cards_by_status_with_counts_and_leave_hidden_cards_out() {
    let s = BoardSession::start(json!({})).await;
    s.citizen_writes(
        "Cit",
        &[
            ("card-1", "move the stop"),
            ("card-2", "more benches"),
            ("card-3", "a shelter"),
            ("card-4", "free wifi"),
            ("card-5", "call me on 0470 11 22 33"),
        ],
    )
    .await;
    s.decide("card-1", "accepted", "Yes.").await;
    s.decide("card-2", "done", "Placed.").await;
    s.decide("card-3", "not-taken-up", "No room.").await;
    s.decide("card-5", "accepted", "").await;
    s.moderate(
        "POST",
        "/items/card-5/hide",
        Some(json!({"reason": "personal data"})),
        200,
    )
    .await;
    s.moderate("POST", "/publish", None, 200).await;
    let results = public(&s, 200).await;
    assert!(!results.to_string().contains("0470"), "{results}");
    assert!(!results.to_string().contains("card-5"), "{results}");
    assert_eq!(
        results["counts"],
        json!({"contributions": 4, "decided": 3, "accepted": 2})
    );
    let groups: Vec<(&str, Vec<&str>)> = results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let cards = g["cards"].as_array().unwrap();
            let ids = cards.iter().map(|c| c["item"].as_str().unwrap()).collect();
            (g["status"].as_str().unwrap(), ids)
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("accepted", vec!["card-1"]),
            ("done", vec!["card-2"]),
            ("not-taken-up", vec!["card-3"]),
            ("undecided", vec!["card-4"]),
        ]
    );
    let first = &results["groups"][0]["cards"][0];
    assert_eq!(
        (&first["text"], &first["explanation"], &first["kind"]),
        (&json!("move the stop"), &json!("Yes."), &json!("card"))
    );
}

#[tokio::test]
async fn results_name_nobody_and_show_erased_text_as_erased() {
    let s = BoardSession::start(json!({})).await;
    let (_, ann) = s
        .citizen_writes("Annemie Peeters", &[("card-1", "my street floods")])
        .await;
    let (_, bob) = s.citizen_writes("Bob", &[("card-2", "more trees")]).await;
    s.moderate("POST", "/publish", None, 200).await;
    let results = public(&s, 200).await.to_string();
    for name in ["Annemie", "Bob", ann.as_str(), bob.as_str()] {
        assert!(!results.contains(name), "{name} in {results}");
    }
    assert!(results.contains("my street floods"));
    s.moderate(
        "POST",
        &format!("/participants/{ann}/erase"),
        Some(json!({"text": true})),
        200,
    )
    .await;
    let results = public(&s, 200).await;
    let text = |item: &str| {
        results["groups"][0]["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["item"] == item)
            .map(|c| c["text"].clone())
    };
    assert_eq!(text("card-1"), Some(json!("[erased]")));
    assert_eq!(text("card-2"), Some(json!("more trees")));
}
