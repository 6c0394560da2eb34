//! Rotating a session's join code: the new code admits, the old one is refused at once, on
//! every node of a shared store.

use serde_json::{json, Value};

use crate::redis_server::{unique_prefix, url};
use crate::support::{fields, TestServer};

/// Creates a session on `server`: its id, join code and moderator invite.
async fn session(server: &TestServer) -> (String, String, String) {
    let created = server
        .create_session(json!({"title": "T", "template": "canvas", "language": "en"}))
        .await;
    let field = |value: &Value| value.as_str().unwrap().to_owned();
    let moderator = field(&created["invites"]["moderator"]["token"]);
    (
        field(&created["id"]),
        field(&created["join_code"]),
        moderator,
    )
}

/// Rotates the join code as `token` (a moderator): the new code.
async fn rotate(server: &TestServer, id: &str, token: &str) -> String {
    let path = format!("/api/sessions/{id}/join-code");
    let (status, body) = server.call("POST", &path, Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    let code = body["join_code"].as_str().unwrap().to_owned();
    let url = body["join_url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/#code={code}&lang=en")), "{url}");
    code
}

/// Joining with a code that no longer works.
async fn refused(server: &TestServer, code: &str) {
    let body = json!({"code": code, "display_name": "Late"});
    server
        .call_expect(
            (404, "join_code_not_found"),
            "POST",
            "/api/join",
            None,
            Some(body),
        )
        .await;
}

#[tokio::test]
async fn a_moderator_rotates_the_join_code_and_the_old_one_stops_at_once() {
    let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
    let (id, old, moderator) = session(&server).await;
    let (citizen, _) = server.join(&old, "Cit").await;
    let path = format!("/api/sessions/{id}/join-code");
    server
        .call_expect((403, "forbidden"), "POST", &path, Some(&citizen), None)
        .await;

    let new = rotate(&server, &id, &moderator).await;
    assert_ne!(new, old);
    refused(&server, &old).await;
    server.join(&new, "Newcomer").await;
    let (_, details) = server
        .call(
            "GET",
            &format!("/api/sessions/{id}"),
            Some(&moderator),
            None,
        )
        .await;
    assert_eq!(details["join_code"], json!(new));
    // The audit log says the code was rotated, and keeps neither code.
    let (_, audit) = server
        .call(
            "GET",
            &format!("/api/sessions/{id}/audit"),
            Some(&moderator),
            None,
        )
        .await;
    let actions = fields(&audit["entries"], "action");
    assert!(actions.contains(&&json!("rotate-join-code")), "{audit}");
    assert!(!audit.to_string().contains(&old) && !audit.to_string().contains(&new));
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_join_code_is_refused_on_every_node() {
    let prefix = unique_prefix();
    let node = |name: &'static str| {
        let prefix = prefix.clone();
        TestServer::fresh_with(move |config| {
            config.store.redis_url = Some(url());
            config.store.redis_prefix = prefix;
            config.node_id = Some(name.to_owned());
        })
    };
    let (a, b) = (node("a").await, node("b").await);
    let (id, old, moderator) = session(&a).await;
    b.join(&old, "Before").await;
    let new = rotate(&a, &id, &moderator).await;
    refused(&b, &old).await;
    b.join(&new, "After").await;
    // The old code is free again: nothing in the store names it.
    let mut raw = crate::redis_server::raw_connection().await;
    let key = format!("{prefix}:join-code:{old}");
    let stored: Option<String> = crate::redis_server::query(&mut raw, "GET", &key).await;
    assert_eq!(stored, None);
    a.stop().await;
    b.stop().await;
}

/// Issue 28: a join page says which session a typed code opens and opens in its language,
/// before anyone joins; an unknown code is the same 404 as joining with it.
#[tokio::test]
async fn a_join_code_previews_its_session_in_its_language() {
    let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
    let created = server
        .create_session(
            json!({"title": "Parkeervergunning", "template": "journey-map", "language": "nl"}),
        )
        .await;
    let code = created["join_code"].as_str().unwrap();
    let moderator = created["invites"]["moderator"]["token"].as_str().unwrap();
    // Typed as people type it: lower case, with a dash.
    let typed = format!("{}-{}", &code[..3], &code[3..]).to_lowercase();
    let (status, preview) = server.get(&format!("/api/join/{typed}")).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        (
            &preview["title"],
            &preview["language"],
            &preview["template"],
            &preview["state"]
        ),
        (
            &json!("Parkeervergunning"),
            &json!("nl"),
            &json!("journey-map"),
            &json!("open")
        )
    );
    let id = created["id"].as_str().unwrap();
    server
        .call(
            "POST",
            &format!("/api/sessions/{id}/close"),
            Some(moderator),
            None,
        )
        .await;
    let (_, preview) = server.get(&format!("/api/join/{code}")).await;
    assert_eq!(preview["state"], "closed");
    server
        .call_expect(
            (404, "join_code_not_found"),
            "GET",
            "/api/join/NOPE000",
            None,
            None,
        )
        .await;
    server.stop().await;
}

/// Issue 28: an invite link's page says which session it opens too, before anyone has a token,
/// and shows nothing about anyone in it; every link a session is created with opens the web
/// client in the session's language.
#[tokio::test]
async fn an_invite_previews_its_session_and_every_link_carries_the_language() {
    let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
    let created = server
        .create_session(
            json!({"title": "Parkeervergunning", "template": "canvas", "language": "nl"}),
        )
        .await;
    let code = created["join_code"].as_str().unwrap();
    let join_url = created["join_url"].as_str().unwrap();
    assert!(
        join_url.ends_with(&format!("/#code={code}&lang=nl")),
        "{join_url}"
    );
    for role in ["moderator", "citizen", "observer", "researcher"] {
        let invite = &created["invites"][role];
        let token = invite["token"].as_str().unwrap();
        let url = invite["url"].as_str().unwrap();
        assert!(url.ends_with(&format!("/#invite={token}&lang=nl")), "{url}");
    }

    let invite = created["invites"]["citizen"]["token"].as_str().unwrap();
    let (status, by_invite) = server
        .get(&format!("/api/join/preview?invite={invite}"))
        .await;
    assert_eq!(status, 200, "{by_invite}");
    let (_, by_code) = server.get(&format!("/api/join/preview?code={code}")).await;
    assert_eq!(by_invite, by_code);
    let keys: Vec<&String> = by_invite.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["language", "research", "state", "template", "title"]);
    assert_eq!(
        (&by_invite["title"], &by_invite["language"]),
        (&json!("Parkeervergunning"), &json!("nl"))
    );

    // Only invites preview: a personal token, a forged one, both or neither are refused.
    let (personal, _) = server.join(code, "Anna").await;
    for (query, expected) in [
        (format!("invite={personal}"), (403, "not_an_invite")),
        (format!("invite={invite}x"), (401, "invalid_token")),
        (
            format!("code={code}&invite={invite}"),
            (400, "invalid_request"),
        ),
        (String::new(), (400, "invalid_request")),
        ("who=all".to_owned(), (400, "invalid_request")),
        ("code=NOPE000".to_owned(), (404, "join_code_not_found")),
    ] {
        let path = format!("/api/join/preview?{query}");
        server.call_expect(expected, "GET", &path, None, None).await;
    }
    server.stop().await;
}
