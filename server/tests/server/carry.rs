//! Carrying cards through the API: from a closed session into another open session of its
//! process, seen live by the target's participants, with its origin and author kept, and
//! refused for every other combination of roles, states and items.

use serde_json::{json, Value};

use std::sync::Arc;

use crate::board_session::{process_of_two, process_of_two_on, process_of_two_with, BoardSession};
use crate::support::{add_card, card_text, now_ms, redis_node, zip_file, Client};

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

/// The board as a researcher reads it at an instant (ms since the epoch) of its history.
async fn board_at(s: &BoardSession, at: u64) -> Value {
    let (status, state) = s
        .call_as("researcher", "GET", &format!("/state?at={at}"), None)
        .await;
    assert_eq!(status, 200, "{state}");
    state
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
    let mut watcher = watcher(&second).await;
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
    erase_with_text(&first, &pid).await;
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

/// The moderator of `from` (closed) carries `items` into `to`: the copies' ids, in order.
pub async fn carried(from: &BoardSession, to: &BoardSession, items: &[&str]) -> Vec<String> {
    let answer = from.moderate("POST", "/carry", carry(to, items), 200).await;
    answer["carried"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["item"].as_str().unwrap().to_owned())
        .collect()
}

/// A moderator of `s` erases `pid` with their text.
async fn erase_with_text(s: &BoardSession, pid: &str) {
    let path = format!("/participants/{pid}/erase");
    s.moderate("POST", &path, Some(json!({"text": true})), 200)
        .await;
}

/// A citizen of `s` following its board live.
async fn watcher(s: &BoardSession) -> Client {
    let url = format!("{}?token={}", s.server.url(&s.id), s.invite("citizen"));
    Client::connect(&url).await
}

/// Every file of a session's research export, as one text.
async fn export_text(s: &BoardSession) -> String {
    let path = format!("/api/sessions/{}/export", s.id);
    let (status, _, bytes) = s.server.fetch(&path, &s.invite("researcher")).await;
    assert_eq!(status, 200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    names.iter().map(|name| zip_file(&mut zip, name)).collect()
}

/// Issue 34, finding 1: erasing a participant with their text in the source session reaches
/// their carried card in the target — its live board, every point of its history, its research
/// export, its published results and the process's.
#[tokio::test]
async fn an_erasure_in_the_source_reaches_every_copy() {
    erasure_reaches_every_copy(process_of_two().await).await;
}

/// The same on a node of the tests' Redis: the copies' records and the session records that
/// redact them live there.
#[tokio::test]
async fn an_erasure_in_the_source_reaches_every_copy_on_redis() {
    let prefix = crate::redis_server::unique_prefix();
    let node = Arc::new(redis_node(&prefix, "a").await);
    erasure_reaches_every_copy(process_of_two_on(node, Value::Null).await).await;
}

async fn erasure_reaches_every_copy(
    (process, first, second): (String, BoardSession, BoardSession),
) {
    let (_, carol) = first
        .citizen_writes("Carol", &[("card-1", "please erase me later, phone 0612")])
        .await;
    first.close().await;
    let copy = carried(&first, &second, &["card-1"]).await.remove(0);
    let mut live = watcher(&second).await;
    let carried_at = now_ms();
    second.moderate("POST", "/publish", None, 200).await;

    erase_with_text(&first, &carol).await;
    live.wait_card(&copy, |text| text == Some("[erased]")).await;
    let board = board_of(&second).await;
    assert_eq!(board["items"][copy.as_str()]["text"], "[erased]", "{board}");
    let then = board_at(&second, carried_at).await;
    assert_eq!(
        then["board"]["items"][copy.as_str()]["text"],
        "[erased]",
        "{then}"
    );
    let answers = [
        second
            .server
            .get(&format!("/api/results/{}", second.id))
            .await,
        second
            .server
            .get(&format!("/api/processes/{process}/results"))
            .await,
    ];
    for (status, answer) in answers {
        assert_eq!(status, 200, "{answer}");
        assert!(!answer.to_string().contains("0612"), "{answer}");
    }
    assert!(!export_text(&second).await.contains("0612"));
    // A card the erasure did not touch is not rewritten.
    let audit = second.moderate("GET", "/audit", None, 200).await;
    assert!(!audit.to_string().contains("0612"), "{audit}");
}

/// Issue 34, finding 1: removing a participant's contributions in the source removes their
/// carried cards from the target; another citizen's copy stays.
#[tokio::test]
async fn removed_contributions_take_their_copies_with_them() {
    let (_, first, second) = process_of_two().await;
    let (_, ann) = first
        .citizen_writes("Ann", &[("card-1", "buses too rare")])
        .await;
    first
        .citizen_writes("Bob", &[("card-2", "no benches")])
        .await;
    first.close().await;
    let copies = carried(&first, &second, &["card-1", "card-2"]).await;
    let mut live = watcher(&second).await;
    let carried_at = now_ms();
    first
        .moderate(
            "POST",
            &format!("/participants/{ann}/remove-contributions"),
            None,
            200,
        )
        .await;
    live.wait_card(&copies[0], |text| text.is_none()).await;
    assert_eq!(card_text(&live, &copies[1]).as_deref(), Some("no benches"));
    let board = board_of(&second).await;
    assert!(board["items"][copies[0].as_str()].is_null(), "{board}");
    let then = board_at(&second, carried_at).await;
    assert_eq!(
        then["board"]["items"][copies[0].as_str()]["text"],
        "[erased]",
        "{then}"
    );
    assert_eq!(
        then["board"]["items"][copies[1].as_str()]["text"],
        "no benches",
        "{then}"
    );
}

/// Issue 34, finding 1: hiding the source card hides its copy (moderators of the target see
/// why); unhiding it brings the copy back.
#[tokio::test]
async fn hiding_the_source_hides_its_copies_until_it_is_unhidden() {
    let (first, second, _) = two_phases().await;
    first.close().await;
    let copy = carried(&first, &second, &["card-1"]).await.remove(0);
    let mut live = watcher(&second).await;
    let hide = Some(json!({"reason": "personal data"}));
    first
        .moderate("POST", "/items/card-1/hide", hide, 200)
        .await;
    live.wait_card(&copy, |text| text == Some("")).await;
    let board = board_of(&second).await;
    assert_eq!(board["items"][copy.as_str()]["text"], "[hidden]", "{board}");
    let moderation = second.moderate("GET", "", None, 200).await["moderation"].take();
    let hidden = &moderation["items"][copy.as_str()]["hidden"];
    assert_eq!(hidden["by"], "source", "{moderation}");
    assert_eq!(hidden["text"], "buses too rare", "{moderation}");

    first
        .moderate("POST", "/items/card-1/unhide", None, 200)
        .await;
    live.wait_card(&copy, |text| text == Some("buses too rare"))
        .await;
    let moderation = second.moderate("GET", "", None, 200).await["moderation"].take();
    assert!(
        moderation["items"][copy.as_str()]["hidden"].is_null(),
        "{moderation}"
    );
}

/// Issue 34, finding 2: a card by someone who declined research, or from a session that was
/// not recorded, travels under `declined`, as the source's exports show it.
#[tokio::test]
async fn carried_cards_keep_the_research_terms_of_their_source() {
    let terms = [
        (
            json!({"recorded": true, "consent_required": true, "keep_names": false}),
            json!(false),
        ),
        (
            json!({"recorded": false, "consent_required": false, "keep_names": false}),
            // Consent to research that does not happen is no consent to the next session's.
            json!(true),
        ),
    ];
    for (research, consent) in terms {
        let (_, first, second) = process_of_two_with(research.clone()).await;
        let join = json!({"code": first.code, "display_name": "Ann", "research_consent": consent});
        let (status, joined) = first
            .server
            .call("POST", "/api/join", None, Some(join))
            .await;
        assert_eq!(status, 200, "{joined}");
        let ann = joined["participant_id"].as_str().unwrap();
        let url = format!(
            "{}?token={}",
            first.server.url(&first.id),
            joined["token"].as_str().unwrap()
        );
        let mut client = Client::connect(&url).await;
        add_card(&mut client, "card-1", "buses too rare", ann).await;
        client.wait_all_saved().await;
        first.close().await;
        let copy = carried(&first, &second, &["card-1"]).await.remove(0);
        let card = &board_of(&second).await["items"][copy.as_str()];
        assert_eq!(
            (&card["author"], &card["origin"]["author"]),
            (&json!("declined"), &json!("declined")),
            "{research}: {card}"
        );
        assert!(
            !export_text(&second).await.contains(ann),
            "no pseudonym travels"
        );
    }
}
