//! Carrying cards through the API: from a closed session into another open session of its
//! process, seen live by the target's participants, with its origin and author kept, and
//! refused for every other combination of roles, states and items.

use serde_json::{json, Value};

use crate::board_session::{process_of_two, BoardSession};
use crate::support::{card_text, Client};

/// A process with a need-analysis session holding a citizen's cards (`card-1`, `card-2`) and an
/// open co-design session: the two sessions and the citizen's id.
async fn two_phases() -> (BoardSession, BoardSession, String) {
    let (first, second, _, pid) = two_phases_with_token().await;
    (first, second, pid)
}

/// [`two_phases`], with the citizen's token too.
async fn two_phases_with_token() -> (BoardSession, BoardSession, String, String) {
    let (_, first, second) = process_of_two().await;
    let (token, pid) = first
        .citizen_writes(
            "Ann",
            &[("card-1", "buses too rare"), ("card-2", "no benches")],
        )
        .await;
    (first, second, token, pid)
}

/// The moderator of `from` carries `items` into `to`, which is refused with `expected`.
async fn carrying_refused(
    from: &BoardSession,
    to: &BoardSession,
    items: &[&str],
    expected: (u16, &str),
) {
    let body = carry(to, items);
    from.refused_as(expected, "moderator", "POST", "/carry", body)
        .await;
}

fn carry(to: &BoardSession, items: &[&str]) -> Option<Value> {
    Some(json!({ "to": to.id, "items": items }))
}

/// The target board as a researcher reads it.
async fn board_of(s: &BoardSession) -> Value {
    let (status, state) = s.call_as("researcher", "GET", "/state", None).await;
    assert_eq!(status, 200, "{state}");
    state["board"].clone()
}

/// The carry entries of a session's audit log: action and target.
async fn carries(s: &BoardSession) -> Vec<(Value, Value)> {
    let audit = s.moderate("GET", "/audit", None, 200).await;
    audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("carry"))
        .map(|e| (e["action"].clone(), e["target"].clone()))
        .collect()
}

#[tokio::test]
async fn carried_cards_appear_live_with_their_origin_and_author() {
    let (first, second, pid) = two_phases().await;
    let url = format!(
        "{}?token={}",
        second.server.url(&second.id),
        second.invite("citizen")
    );
    let mut watcher = Client::connect(&url).await;
    first.close().await;
    let answer = first
        .moderate("POST", "/carry", carry(&second, &["card-1"]), 200)
        .await;
    let item = answer["carried"][0]["item"].as_str().unwrap().to_owned();
    assert_eq!(answer["carried"][0]["from"], "card-1");
    while card_text(&watcher, &item).as_deref() != Some("buses too rare") {
        watcher.read_one().await;
    }
    let board = board_of(&second).await;
    let card = &board["items"][item.as_str()];
    assert_eq!(
        (&card["type"], &card["author"], &card["origin"]),
        (
            &json!("card"),
            &json!(pid),
            &json!({"session": first.id, "item": "card-1", "author": pid})
        ),
        "{card}"
    );
    assert!(
        card.get("author_name").is_none(),
        "names do not travel: {card}"
    );
    carrying_refused(&first, &second, &["card-1"], (409, "already_carried")).await;

    assert_eq!(
        carries(&first).await,
        [(json!("carry-out"), json!("card-1"))]
    );
    assert_eq!(carries(&second).await, [(json!("carry-in"), json!(item))]);
}

#[tokio::test]
async fn carrying_needs_a_moderator_a_closed_source_and_an_open_session_of_the_process() {
    let (first, second, _) = two_phases().await;
    let expect = |token: String, body: Option<Value>, expected: (u16, &'static str)| {
        let (server, path) = (first.server.clone(), first.path("/carry"));
        async move {
            server
                .call_expect(expected, "POST", &path, Some(&token), body)
                .await
        }
    };
    let moderator = first.invite("moderator");
    expect(
        moderator.clone(),
        carry(&second, &["card-1"]),
        (409, "source_not_closed"),
    )
    .await;
    first.close().await;
    for role in ["citizen", "observer", "researcher"] {
        expect(
            first.invite(role),
            carry(&second, &["card-1"]),
            (403, "forbidden"),
        )
        .await;
    }
    let outsider = first.another(json!({})).await;
    let nowhere = Some(json!({"to": "no-such-session", "items": ["card-1"]}));
    let refusals = [
        (carry(&outsider, &["card-1"]), (409, "not_same_process")),
        (carry(&first, &["card-1"]), (409, "not_same_process")),
        (nowhere, (404, "session_not_found")),
        (carry(&second, &["card-9"]), (404, "item_not_found")),
        (carry(&second, &[]), (400, "invalid_request")),
        (
            carry(&second, &["card-1", "card-1"]),
            (400, "invalid_request"),
        ),
    ];
    for (body, expected) in refusals {
        expect(moderator.clone(), body, expected).await;
    }
    // Nothing was written by the refusals.
    let board = board_of(&second).await;
    assert_eq!(board["items"], json!({}), "{board}");
    second.close().await;
    expect(
        moderator,
        carry(&second, &["card-1"]),
        (409, "session_closed"),
    )
    .await;
}

#[tokio::test]
async fn hidden_cards_stay_behind_and_erased_text_travels_erased() {
    let (first, second, pid) = two_phases().await;
    first
        .moderate(
            "POST",
            "/items/card-2/hide",
            Some(json!({"reason": "personal data"})),
            200,
        )
        .await;
    first
        .moderate(
            "POST",
            &format!("/participants/{pid}/erase"),
            Some(json!({"text": true})),
            200,
        )
        .await;
    first.close().await;
    carrying_refused(&first, &second, &["card-2"], (409, "item_hidden")).await;
    let answer = first
        .moderate("POST", "/carry", carry(&second, &["card-1"]), 200)
        .await;
    let item = answer["carried"][0]["item"].as_str().unwrap();
    let board = board_of(&second).await;
    assert_eq!(board["items"][item]["text"], "[erased]", "{board}");
}

/// The citizen's receipt from the first session follows her carried card into the second one,
/// to the decision taken on it there; the card that stayed behind is not followed.
#[tokio::test]
async fn a_receipt_follows_a_carried_card_to_its_decision_in_the_next_session() {
    let (first, second, token, _) = two_phases_with_token().await;
    let (status, me) = first
        .server
        .call("GET", "/api/me", Some(&token), None)
        .await;
    assert_eq!(status, 200, "{me}");
    let receipt = format!("/api/receipts/{}", me["receipt"].as_str().unwrap());
    first.close().await;
    let answer = first
        .moderate("POST", "/carry", carry(&second, &["card-1"]), 200)
        .await;
    let copy = answer["carried"][0]["item"].as_str().unwrap().to_owned();
    second
        .decide(&copy, "planned", "a bus every ten minutes from May")
        .await;

    let (status, receipt) = first.server.call("GET", &receipt, None, None).await;
    assert_eq!(status, 200, "{receipt}");
    let line = |item: &str| {
        receipt["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["item"] == item)
            .cloned()
            .unwrap_or_else(|| panic!("{item} on the receipt: {receipt}"))
    };
    assert_eq!(
        line("card-1")["carried"],
        json!({
            "session": second.id,
            "title": "Parking permits",
            "item": copy,
            "status": "planned",
            "explanation": "a bus every ten minutes from May",
            "decided_at": line("card-1")["carried"]["decided_at"],
        })
    );
    assert!(line("card-1")["carried"]["decided_at"].is_u64());
    assert!(line("card-2").get("carried").is_none(), "{receipt}");
}
