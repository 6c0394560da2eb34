//! Memos on the replay (`GET|POST …/memos`, `PATCH|DELETE …/memos/{memo}`, issue 31), with
//! every role, on the embedded store and on Redis: researchers and moderators read all and
//! write their own; only the writer changes a memo; the writer or a moderator deletes it;
//! citizens and observers are refused, and so is a request without a token. Memos reach the
//! dataset as memos.csv.

use serde_json::{json, Value};

use cocreate_server::config::ServeConfig;

use crate::receipts::Workshop;
use crate::redis_server;
use crate::support::now_ms;

/// A call that must answer `expected`: the body.
async fn call(
    w: &Workshop,
    method: &str,
    rest: &str,
    token: &str,
    body: Option<Value>,
    expected: u16,
) -> Value {
    let path = w.path(rest);
    let (status, answer) = w.server.call(method, &path, Some(token), body).await;
    assert_eq!(status, expected, "{method} {path}: {answer}");
    answer
}

async fn memos_with_every_role(store: impl FnOnce(&mut ServeConfig)) {
    let w = Workshop::storing(store).await;
    let mut ann = w.join("Ann").await;
    ann.card("c1", "Queue too long").await;
    let at = now_ms();
    let memo = |text: &str, item: Option<&str>| json!({"at": at, "text": text, "item": item});

    // Who may not.
    let (list, one) = (w.path("/memos"), w.path("/memos/memo_x"));
    for (method, path, body) in [
        ("GET", &list, None),
        ("POST", &list, Some(memo("no", None))),
        ("PATCH", &one, Some(json!({"text": "no"}))),
        ("DELETE", &one, None),
    ] {
        for token in [&ann.token, &w.observer] {
            let server = &w.server;
            server
                .call_expect((403, "forbidden"), method, path, Some(token), body.clone())
                .await;
        }
        w.server
            .call_expect((401, "missing_token"), method, path, None, body.clone())
            .await;
    }

    // What is refused.
    let refused = [
        (json!({"at": at, "text": ""}), 400, "invalid_request"),
        (
            json!({"at": at, "text": "a\u{202E}b"}),
            400,
            "invalid_request",
        ),
        (
            json!({"at": at + 3_600_000, "text": "later"}),
            400,
            "invalid_request",
        ),
        (
            json!({"at": 1_000_000_000_000u64, "text": "before"}),
            400,
            "invalid_request",
        ),
        (
            json!({"at": at, "text": "t", "extra": 1}),
            400,
            "invalid_request",
        ),
        (memo("nowhere", Some("no-such-card")), 404, "item_not_found"),
    ];
    for (body, status, code) in refused {
        let server = &w.server;
        server
            .call_expect(
                (status, code),
                "POST",
                &list,
                Some(&w.researcher),
                Some(body),
            )
            .await;
    }

    // Researchers and moderators write, and read each other's.
    let mine = call(
        &w,
        "POST",
        "/memos",
        &w.researcher,
        Some(memo("The queue again.\nNote it.", Some("c1"))),
        201,
    )
    .await;
    let mine = mine["memo"]["id"].as_str().unwrap().to_owned();
    let theirs = call(
        &w,
        "POST",
        "/memos",
        &w.moderator,
        Some(memo("Quiet room.", None)),
        201,
    )
    .await;
    let theirs = theirs["memo"]["id"].as_str().unwrap().to_owned();
    for token in [&w.researcher, &w.moderator] {
        let listed = call(&w, "GET", "/memos", token, None, 200).await;
        let ids: Vec<&str> = listed["memos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        let mut expected = vec![mine.as_str(), theirs.as_str()];
        expected.sort();
        assert_eq!(ids, expected, "same instant: by id");
        assert_eq!(listed["memos"][0]["at"], at);
    }

    // Only the writer changes a memo.
    let path = format!("/memos/{mine}");
    let change = json!({"text": "The queue, again.", "item": null, "at": at - 1});
    let server = &w.server;
    server
        .call_expect(
            (403, "forbidden"),
            "PATCH",
            &w.path(&path),
            Some(&w.moderator),
            Some(change.clone()),
        )
        .await;
    let changed = call(&w, "PATCH", &path, &w.researcher, Some(change), 200).await;
    assert_eq!(changed["memo"]["text"], "The queue, again.");
    assert_eq!(changed["memo"]["at"], at - 1);
    assert!(changed["memo"].get("item").is_none(), "untied: {changed}");
    let tied = call(
        &w,
        "PATCH",
        &path,
        &w.researcher,
        Some(json!({"item": "c1"})),
        200,
    )
    .await;
    assert_eq!(tied["memo"]["item"], "c1");
    assert_eq!(
        tied["memo"]["text"], "The queue, again.",
        "fields not given are kept"
    );
    server
        .call_expect(
            (404, "memo_not_found"),
            "PATCH",
            &w.path("/memos/memo_none"),
            Some(&w.researcher),
            Some(json!({"text": "x"})),
        )
        .await;

    // The dataset has them.
    let csv = w.export_file("memos.csv").await;
    assert!(
        csv.starts_with("memo,at,time,item,by,text,created_at,updated_at"),
        "{csv}"
    );
    assert!(
        csv.contains("The queue, again.") && csv.contains("Quiet room."),
        "{csv}"
    );

    // The writer or a moderator deletes.
    let theirs_path = format!("/memos/{theirs}");
    server
        .call_expect(
            (403, "forbidden"),
            "DELETE",
            &w.path(&theirs_path),
            Some(&w.researcher),
            None,
        )
        .await;
    call(&w, "DELETE", &path, &w.moderator, None, 200).await;
    call(&w, "DELETE", &theirs_path, &w.moderator, None, 200).await;
    server
        .call_expect(
            (404, "memo_not_found"),
            "DELETE",
            &w.path(&path),
            Some(&w.moderator),
            None,
        )
        .await;
    let listed = call(&w, "GET", "/memos", &w.researcher, None, 200).await;
    assert_eq!(listed["memos"], json!([]));
}

#[tokio::test]
async fn memos_with_every_role_on_the_embedded_store() {
    memos_with_every_role(|_| {}).await;
}

#[tokio::test]
async fn memos_with_every_role_on_redis() {
    let prefix = redis_server::unique_prefix();
    memos_with_every_role(|config| {
        config.store.redis_url = Some(redis_server::url());
        config.store.redis_prefix = prefix;
    })
    .await;
}

#[tokio::test]
async fn a_session_holds_at_most_a_thousand_memos() {
    let w = Workshop::start().await;
    let body = json!({"at": now_ms(), "text": "noted"});
    for _ in 0..1000 {
        call(&w, "POST", "/memos", &w.researcher, Some(body.clone()), 201).await;
    }
    let path = w.path("/memos");
    let server = &w.server;
    server
        .call_expect(
            (409, "too_many_memos"),
            "POST",
            &path,
            Some(&w.moderator),
            Some(body),
        )
        .await;
    let listed = call(&w, "GET", "/memos", &w.moderator, None, 200).await;
    assert_eq!(listed["memos"].as_array().unwrap().len(), 1000);
}
