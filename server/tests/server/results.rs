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

/// Issue 28 (and 34's finding on hidden cards): a comment names the card it is on; a comment on
/// a hidden card is left out with it; a moderator's example card is listed but not counted
/// among people's contributions.
#[tokio::test]
async fn comments_name_their_card_and_moderators_items_are_not_counted() {
    use crate::support::{add_card, Client};
    use yrs::{Map, MapPrelim, TextPrelim};
    let s = BoardSession::start(json!({})).await;
    let moderator = s.me("moderator").await["you"]["participant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}?token={}", s.server.url(&s.id), s.invite("moderator"));
    let mut example = Client::connect(&url).await;
    add_card(
        &mut example,
        "example",
        "for example: more benches",
        &moderator,
    )
    .await;
    example.wait_all_saved().await;
    let (token, pid) = s
        .citizen_writes("Cit", &[("card-1", "a shelter"), ("card-2", "Jan, Elm 12")])
        .await;
    let mut citizen = Client::connect(&format!("{}?token={token}", s.server.url(&s.id))).await;
    let items = citizen.doc.get_or_insert_map("items");
    citizen
        .edit(move |txn| {
            for (id, parent, text) in [
                ("c-1", "card-1", "yes, at the stop"),
                ("c-2", "card-2", "he lives at Elm 12"),
            ] {
                let comment = items.insert(txn, id, MapPrelim::default());
                comment.insert(txn, "type", "comment");
                comment.insert(txn, "parent", parent);
                comment.insert(txn, "author", pid.clone());
                comment.insert(txn, "text", TextPrelim::new(text));
            }
        })
        .await;
    citizen.wait_all_saved().await;
    let hide = json!({"reason": "personal data"});
    s.moderate("POST", "/items/card-2/hide", Some(hide), 200)
        .await;
    s.decide("card-1", "accepted", "a shelter at the stop")
        .await;
    s.decide("example", "accepted", "an example").await;
    s.moderate("POST", "/publish", None, 200).await;

    let results = public(&s, 200).await;
    assert!(!results.to_string().contains("Elm 12"), "{results}");
    let cards: Vec<&Value> = results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["cards"].as_array().unwrap())
        .collect();
    let comment = cards
        .iter()
        .find(|c| c["item"] == "c-1")
        .expect("the comment is listed");
    assert_eq!(
        (&comment["kind"], &comment["on"]),
        (&json!("comment"), &json!("card-1"))
    );
    let example = cards.iter().find(|c| c["item"] == "example");
    assert_eq!(
        example.map(|c| &c["by_moderator"]),
        Some(&json!(true)),
        "{results}"
    );
    assert!(comment.get("by_moderator").is_none(), "{comment}");
    assert_eq!(
        results["counts"],
        json!({"contributions": 2, "decided": 1, "accepted": 1}),
        "card-1 and c-1, card-1 accepted, the example's decision not counted: {results}"
    );
}
