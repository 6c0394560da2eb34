//! Sessions through the public surface: the HTTP API (every endpoint, with wrong tokens,
//! roles and states) and what the rooms enforce for each role and session state.

use cocreate_server::session::token::TokenKey;
use cocreate_server::session::{Identity, Role};
use serde_json::{json, Value};
use yrs::{Map, Transact};

use crate::support::{
    add_card, card_text, close_of, open_config, raw_socket, strings, Client, TestServer, ADMIN_KEY,
};

/// The token secret of these tests' servers, so that tests can forge tokens with it.
const SECRET: &str = "a test token secret of at least 32 characters";

struct SessionServer {
    server: TestServer,
    _dir: tempfile::TempDir,
}

/// A server with sessions only (no open rooms) and a known token secret.
async fn start() -> SessionServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = open_config(dir.path());
    config.open_rooms = false;
    config.invites.token_secret = Some(SECRET.into());
    config.auto_hide_reports = 2;
    SessionServer {
        server: TestServer::start_with(config).await,
        _dir: dir,
    }
}

/// A token for `identity` signed with `secret`, valid from `from` to `until` seconds from now
/// (negative: in the past), as tokens count time.
fn forge(secret: &[u8], identity: &Identity, from: i64, until: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = |offset: i64| now.saturating_add_signed(offset);
    TokenKey::new(secret).issue(identity, at(from), at(until))
}

/// A created session: its id, join code and invite tokens by role.
struct Created {
    id: String,
    code: String,
    body: Value,
}

impl Created {
    /// The API path of this session, followed by `rest`.
    fn path(&self, rest: &str) -> String {
        format!("/api/sessions/{}{rest}", self.id)
    }

    fn invite(&self, role: &str) -> String {
        crate::support::invite(&self.body, role)
    }
}

impl SessionServer {
    async fn create(&self, template: &str) -> Created {
        let body = self
            .server
            .create_session(
                json!({"title": "Parking permits", "template": template, "language": "nl"}),
            )
            .await;
        Created {
            id: body["id"].as_str().unwrap().to_owned(),
            code: body["join_code"].as_str().unwrap().to_owned(),
            body,
        }
    }

    async fn join(&self, code: &str, name: &str) -> (String, String) {
        self.server.join(code, name).await
    }

    async fn post(&self, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        self.server.call("POST", path, Some(token), body).await
    }

    async fn post_expect(
        &self,
        path: &str,
        token: &str,
        body: Option<Value>,
        expected: (u16, &str),
    ) {
        self.server
            .call_expect(expected, "POST", path, Some(token), body)
            .await;
    }

    /// Joins with `body` (a code or an invite and a name) and expects it refused.
    async fn join_expect(&self, body: Value, expected: (u16, &str)) {
        self.server
            .call_expect(expected, "POST", "/api/join", None, Some(body))
            .await;
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.server.call("GET", path, Some(token), None).await
    }

    /// Reports the item at `item` (its API path) for `reason`.
    async fn report(&self, item: &str, token: &str, reason: &str) -> (u16, Value) {
        let body = json!({ "reason": reason });
        self.post(&format!("{item}/report"), token, Some(body))
            .await
    }

    fn room(&self, id: &str, token: &str) -> String {
        format!("{}?token={token}", self.server.url(id))
    }
}

#[tokio::test]
async fn creating_a_session_needs_the_admin_key_and_returns_an_invite_per_role() {
    let s = start().await;
    let body = json!({"title": "T", "template": "canvas", "language": "en"});
    let mut refused = vec![
        (None, body.clone(), (401, "invalid_admin_key")),
        (Some("wrong"), body, (401, "invalid_admin_key")),
    ];
    for bad in [
        json!({"title": "T", "template": "mural", "language": "en"}),
        json!({"title": "T", "template": "canvas", "language": "es"}),
        json!({"title": " ", "template": "canvas", "language": "en"}),
        json!({"title": "T"}),
    ] {
        refused.push((Some(ADMIN_KEY), bad, (400, "invalid_request")));
    }
    for (key, body, expected) in refused {
        let path = "/api/sessions";
        s.server
            .call_expect(expected, "POST", path, key, Some(body))
            .await;
    }
    let created = s.create("journey-map").await;
    assert_eq!(created.code.len(), 7);
    assert_eq!(created.body["session"]["template"], "journey-map");
    assert!(created.body["join_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/#code={}&lang=nl", created.code)));
    for role in ["moderator", "citizen", "observer", "researcher"] {
        let (status, me) = s.get("/api/me", &created.invite(role)).await;
        assert_eq!((status, &me["you"]["role"]), (200, &json!(role)), "{me}");
        assert_eq!(me["session"]["id"], created.id.as_str());
        // Only moderators see the join code.
        assert_eq!(me["session"]["join_code"].is_string(), role == "moderator");
    }
    // The template seeded the board: a fresh client sees the journey map's stages and lanes.
    let client = Client::connect(&s.room(&created.id, &created.invite("observer"))).await;
    let (stages, lanes) = (
        client.doc.get_or_insert_map("stages"),
        client.doc.get_or_insert_map("lanes"),
    );
    let txn = client.doc.transact();
    assert_eq!((stages.len(&txn), lanes.len(&txn)), (5, 6));
    drop(txn);
    s.server.stop().await;
}

#[tokio::test]
async fn joining_by_code_or_invite() {
    let s = start().await;
    let created = s.create("canvas").await;
    // Codes are read aloud and typed loosely: case, spaces and dashes do not matter.
    let typed = format!(
        "{}-{}",
        &created.code[..3].to_lowercase(),
        &created.code[3..]
    );
    let (token, pid) = s.join(&typed, "Ann").await;
    let (_, me) = s.get("/api/me", &token).await;
    assert_eq!(
        me["you"],
        json!({"participant_id": pid, "display_name": "Ann", "role": "citizen", "can_edit": true})
    );

    for (body, expected) in [
        (
            json!({"code": "ZZZZZZZ", "display_name": "A"}),
            (404, "join_code_not_found"),
        ),
        (
            json!({"code": created.code, "invite": token, "display_name": "A"}),
            (400, "invalid_request"),
        ),
        (
            json!({"code": created.code, "display_name": "\u{7}"}),
            (400, "invalid_request"),
        ),
        (
            json!({"invite": "not.a.token", "display_name": "A"}),
            (401, "invalid_token"),
        ),
    ] {
        s.join_expect(body, expected).await;
    }
    // An invite gives a personal token with the invite's role.
    let (status, body) = s.server.call("POST", "/api/join", None, Some(json!({"invite": created.invite("observer"), "display_name": "Obi", "language": "fr"}))).await;
    assert_eq!((status, &body["role"]), (200, &json!("observer")), "{body}");

    let moderator = created.invite("moderator");
    s.post(&created.path("/close"), &moderator, None).await;
    s.join_expect(
        json!({"code": created.code, "display_name": "Late"}),
        (409, "session_closed"),
    )
    .await;
    s.server.stop().await;
}

#[tokio::test]
async fn moderator_endpoints_refuse_wrong_tokens_roles_and_sessions() {
    let s = start().await;
    let created = s.create("canvas").await;
    let other = s.create("canvas").await;
    let moderator = |session: &str| Identity {
        session: session.into(),
        participant: "p_forged".into(),
        role: Role::Moderator,
        name: "M".into(),
    };
    let expired = forge(SECRET.as_bytes(), &moderator(&created.id), -100, -10);
    let foreign = forge(
        b"another secret entirely, 32 chars+",
        &moderator(&created.id),
        0,
        60,
    );
    let (_, citizen_pid) = s.join(&created.code, "Cit").await;
    let id = &created.id;
    let endpoints: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/api/sessions/{id}"), None),
        (
            "PATCH",
            format!("/api/sessions/{id}"),
            Some(json!({"phase": "vote"})),
        ),
        ("POST", format!("/api/sessions/{id}/lock"), None),
        ("POST", format!("/api/sessions/{id}/unlock"), None),
        ("POST", format!("/api/sessions/{id}/close"), None),
        (
            "POST",
            format!("/api/sessions/{id}/participants/{citizen_pid}/kick"),
            None,
        ),
        (
            "POST",
            format!("/api/sessions/{id}/participants/{citizen_pid}/remove-contributions"),
            None,
        ),
        (
            "POST",
            format!("/api/sessions/{id}/items/card-1/hide"),
            Some(json!({"reason": "spam"})),
        ),
        (
            "POST",
            format!("/api/sessions/{id}/items/card-1/unhide"),
            None,
        ),
    ];
    let citizen = created.invite("citizen");
    let researcher = created.invite("researcher");
    let other_moderator = other.invite("moderator");
    for (method, path, body) in &endpoints {
        let cases: [(Option<&str>, u16, &str); 6] = [
            (None, 401, "missing_token"),
            (Some("garbage"), 401, "invalid_token"),
            (Some(&foreign), 401, "invalid_token"),
            (Some(&expired), 401, "token_expired"),
            (Some(&citizen), 403, "forbidden"),
            (Some(&other_moderator), 403, "wrong_session"),
        ];
        for (token, status, code) in cases {
            s.server
                .call_expect((status, code), method, path, token, body.clone())
                .await;
        }
        s.server
            .call_expect(
                (403, "forbidden"),
                method,
                path,
                Some(&researcher),
                body.clone(),
            )
            .await;
    }
    s.server
        .call_expect(
            (404, "session_not_found"),
            "GET",
            "/api/sessions/nosuchsession",
            Some(&created.invite("moderator")),
            None,
        )
        .await;
    s.server
        .call_expect(
            (401, "token_expired"),
            "GET",
            "/api/me",
            Some(&expired),
            None,
        )
        .await;
    s.server.stop().await;
}

/// Issue 28: researchers replay a session after it ends, so their invite still admits them
/// once it is closed (to the history API, never to the live room); no other invite does.
#[tokio::test]
async fn a_researchers_invite_still_opens_a_closed_session_and_no_other_invite_does() {
    let s = start().await;
    let created = s.create("journey-map").await;
    let moderator = created.invite("moderator");
    s.post(&created.path("/close"), &moderator, None).await;
    let join = |role: &str| json!({"invite": created.invite(role), "display_name": "Rita"});
    let (status, joined) = s
        .server
        .call("POST", "/api/join", None, Some(join("researcher")))
        .await;
    assert_eq!(status, 200, "{joined}");
    let token = joined["token"].as_str().unwrap();
    for path in ["/history", "/export", "/state"] {
        let (status, _, _) = s.server.fetch(&created.path(path), token).await;
        assert_eq!(status, 200, "{path}");
    }
    for role in ["citizen", "observer", "moderator"] {
        s.server
            .call_expect(
                (409, "session_closed"),
                "POST",
                "/api/join",
                None,
                Some(join(role)),
            )
            .await;
    }
    s.server.stop().await;
}

#[tokio::test]
async fn lock_unlock_close_and_settings_follow_the_documented_states() {
    let s = start().await;
    let created = s.create("service-blueprint").await;
    let moderator = created.invite("moderator");
    let base = created.path("");
    for (action, state) in [
        ("lock", "locked"),
        ("lock", "locked"),
        ("unlock", "open"),
        ("close", "closed"),
    ] {
        let (status, body) = s.post(&format!("{base}/{action}"), &moderator, None).await;
        assert_eq!(
            (status, &body["session"]["state"]),
            (200, &json!(state)),
            "{action}: {body}"
        );
    }
    for action in ["lock", "unlock"] {
        s.post_expect(
            &format!("{base}/{action}"),
            &moderator,
            None,
            (409, "session_closed"),
        )
        .await;
    }
    s.server
        .call_expect(
            (409, "session_closed"),
            "PATCH",
            &base,
            Some(&moderator),
            Some(json!({"phase": "vote"})),
        )
        .await;

    let created = s.create("canvas").await;
    let moderator = created.invite("moderator");
    let base = created.path("");
    let change = json!({"phase": "vote", "timer_ends_at": 1_900_000_000_000u64, "votes_per_participant": 3, "title": "Renamed"});
    let (status, body) = s
        .server
        .call("PATCH", &base, Some(&moderator), Some(change))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = s.get("/api/me", &created.invite("citizen")).await;
    assert_eq!(
        (
            &me["session"]["phase"],
            &me["session"]["votes_per_participant"],
            &me["session"]["title"]
        ),
        (&json!("vote"), &json!(3), &json!("Renamed"))
    );
    let (_, body) = s
        .server
        .call(
            "PATCH",
            &base,
            Some(&moderator),
            Some(json!({"timer_ends_at": null})),
        )
        .await;
    assert_eq!(body["session"]["timer_ends_at"], Value::Null);
    assert_eq!(
        body["session"]["phase"], "vote",
        "fields not sent stay as they were"
    );
    for bad in [
        json!({"votes_per_participant": 1000}),
        json!({"colour": "red"}),
        json!({"title": ""}),
    ] {
        let (status, _) = s
            .server
            .call("PATCH", &base, Some(&moderator), Some(bad.clone()))
            .await;
        assert_eq!(status, 400, "{bad}");
    }
    s.post(&format!("{base}/lock"), &moderator, None).await;
    let (status, audit) = s
        .get(&format!("{base}/audit"), &created.invite("researcher"))
        .await;
    assert_eq!(status, 200);
    let actions = strings(&audit["entries"], "action");
    assert_eq!(actions, ["update", "update", "locked"]);
    // Researchers see pseudonyms only (the session does not keep names); moderators see names.
    assert_eq!(audit["entries"][2]["by_name"], "");
    let (_, audit) = s.get(&format!("{base}/audit"), &moderator).await;
    assert_eq!(audit["entries"][2]["by_name"], "Moderator");
    s.server.stop().await;
}

#[tokio::test]
async fn observers_are_read_only_and_their_edits_reach_nobody() {
    let s = start().await;
    let created = s.create("canvas").await;
    let mut moderator = Client::connect(&s.room(&created.id, &created.invite("moderator"))).await;
    let mut observer = Client::connect(&s.room(&created.id, &created.invite("observer"))).await;
    assert!(observer.wait_denied().await.contains("observers"));
    observer
        .wait_session(|m| m["you"]["can_edit"] == false && m["event"] == "joined")
        .await;
    observer.insert(0, "observer was here").await;
    // Dropped updates are reported as handled, so the client is not left waiting.
    observer.wait_all_saved().await;
    moderator.insert(0, "agenda").await;
    observer.wait_text(|t| t.contains("agenda")).await;
    moderator.wait_all_saved().await;
    // Nothing of the observer's was stored or relayed: a newcomer sees only the moderator's.
    let newcomer = Client::connect(&s.room(&created.id, &created.invite("observer"))).await;
    assert_eq!(newcomer.text(), "agenda");
    assert_eq!(moderator.text(), "agenda");
    s.server.stop().await;
}

#[tokio::test]
async fn a_lock_drops_citizens_edits_until_unlock() {
    let s = start().await;
    let created = s.create("canvas").await;
    let moderator_token = created.invite("moderator");
    let (citizen_token, _) = s.join(&created.code, "Cit").await;
    let mut moderator = Client::connect(&s.room(&created.id, &moderator_token)).await;
    let mut citizen = Client::connect(&s.room(&created.id, &citizen_token)).await;
    let base = created.path("");

    s.post(&format!("{base}/lock"), &moderator_token, None)
        .await;
    citizen
        .wait_session(|m| m["event"] == "locked" && m["you"]["can_edit"] == false)
        .await;
    assert!(citizen.wait_denied().await.contains("locked"));
    citizen.insert(0, "X").await;
    moderator.insert(0, "moderator only").await;
    citizen.wait_text(|t| t.contains("moderator only")).await;
    moderator.wait_all_saved().await;
    assert_eq!(moderator.text(), "moderator only");

    s.post(&format!("{base}/unlock"), &moderator_token, None)
        .await;
    citizen
        .wait_session(|m| m["event"] == "unlocked" && m["you"]["can_edit"] == true)
        .await;
    // Unlocking resyncs the citizen: what it wrote while locked arrives now, and its new
    // edits (which build on it) are not stuck behind a gap.
    citizen.insert(0, "Y").await;
    let text = moderator
        .wait_text(|t| t.contains('X') && t.contains('Y'))
        .await;
    assert_eq!(text.len(), "moderator only".len() + 2);
    s.server.stop().await;
}

#[tokio::test]
async fn a_kicked_participant_is_disconnected_and_refused_from_then_on() {
    let s = start().await;
    let created = s.create("canvas").await;
    let moderator = created.invite("moderator");
    let (token, pid) = s.join(&created.code, "Troll").await;
    let citizen = Client::connect(&s.room(&created.id, &token)).await;
    let mut bystander = Client::connect(&s.room(&created.id, &created.invite("observer"))).await;
    let (status, body) = s
        .post(
            &created.path(&format!("/participants/{pid}/kick")),
            &moderator,
            None,
        )
        .await;
    assert_eq!(
        (status, &body["participant"]["kicked"]),
        (200, &json!(true)),
        "{body}"
    );
    let (code, reason) = citizen.wait_closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "revoked: removed from the session by a moderator")
    );
    bystander.wait_session(|m| m["event"] == "kicked").await;
    let mut again = raw_socket(&s.room(&created.id, &token)).await;
    assert_eq!(
        close_of(&mut again).await,
        (
            1008,
            "revoked: removed from the session by a moderator".into()
        )
    );
    s.server
        .call_expect((403, "revoked"), "GET", "/api/me", Some(&token), None)
        .await;
    let (_, details) = s.get(&created.path(""), &moderator).await;
    let kicked: Vec<bool> = details["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == pid.as_str())
        .map(|p| p["kicked"].as_bool().unwrap())
        .collect();
    assert_eq!(kicked, [true]);
    s.post_expect(
        &created.path("/participants/p_nobody/kick"),
        &moderator,
        None,
        (404, "participant_not_found"),
    )
    .await;
    s.server.stop().await;
}

#[tokio::test]
async fn sockets_refuse_missing_tampered_foreign_and_expired_tokens() {
    let s = start().await;
    let created = s.create("canvas").await;
    let other = s.create("canvas").await;
    let citizen = created.invite("citizen");
    let (header, rest) = citizen.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let promoted = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims =
            String::from_utf8(engine.decode(rest.split_once('.').unwrap().0).unwrap()).unwrap();
        engine.encode(claims.replace("citizen", "moderator"))
    };
    let citizen_x = Identity {
        session: created.id.clone(),
        participant: "p_x".into(),
        role: Role::Citizen,
        name: "X".into(),
    };
    let expired = forge(SECRET.as_bytes(), &citizen_x, -100, -1);
    let cases = [
        (s.server.url(&created.id), "missing_token: missing token"),
        (
            s.room(&created.id, &format!("{header}.{promoted}.{signature}")),
            "invalid_token: token signature is invalid",
        ),
        (
            s.room(&created.id, &other.invite("moderator")),
            "wrong_session: token is for another session",
        ),
        (
            s.room(&created.id, &expired),
            "token_expired: token has expired",
        ),
        (
            s.server.url("not-a-session"),
            "missing_token: missing token",
        ),
    ];
    for (url, reason) in cases {
        let mut socket = raw_socket(&url).await;
        let (code, got) = close_of(&mut socket).await;
        assert_eq!(code, 1008, "{url}");
        assert!(got.contains(reason), "{url}: {got}");
    }
    s.server.stop().await;
}

#[tokio::test]
async fn hide_unhide_and_reports_keep_hidden_text_from_non_moderators() {
    let s = start().await;
    let created = s.create("canvas").await;
    let moderator_token = created.invite("moderator");
    let (citizen_token, citizen_pid) = s.join(&created.code, "Cit").await;
    let mut citizen = Client::connect(&s.room(&created.id, &citizen_token)).await;
    add_card(
        &mut citizen,
        "card-1",
        "my phone is 0470 123 456",
        &citizen_pid,
    )
    .await;
    citizen.wait_all_saved().await;
    let base = created.path("/items");

    let (status, body) = s
        .post(
            &format!("{base}/card-1/hide"),
            &moderator_token,
            Some(json!({"reason": "personal data"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    while card_text(&citizen, "card-1").as_deref() != Some("") {
        citizen.read_one().await;
    }
    // A newcomer's state does not carry the text; moderators read it from the API.
    let newcomer = Client::connect(&s.room(&created.id, &created.invite("observer"))).await;
    assert_eq!(card_text(&newcomer, "card-1").as_deref(), Some(""));
    let (_, details) = s.get(&created.path(""), &moderator_token).await;
    assert_eq!(
        details["moderation"]["items"]["card-1"]["hidden"]["text"],
        "my phone is 0470 123 456"
    );
    let (_, audit) = s.get(&created.path("/audit"), &moderator_token).await;
    assert!(
        !audit.to_string().contains("0470"),
        "the audit log keeps no hidden text"
    );

    let (status, _) = s
        .post(&format!("{base}/card-1/unhide"), &moderator_token, None)
        .await;
    assert_eq!(status, 200);
    s.post_expect(
        &format!("{base}/card-1/unhide"),
        &moderator_token,
        None,
        (409, "not_hidden"),
    )
    .await;
    s.post_expect(
        &format!("{base}/nope/hide"),
        &moderator_token,
        Some(json!({"reason": "x"})),
        (404, "item_not_found"),
    )
    .await;

    // Two reports (this server's threshold) hide the item pending review.
    let (status, body) = s
        .report(&format!("{base}/card-1"), &citizen_token, "offensive")
        .await;
    assert_eq!(
        (status, &body["item"]),
        (200, &json!({"reports": 1, "hidden": false}))
    );
    let (status, _) = s
        .report(&format!("{base}/card-1"), &citizen_token, "spam")
        .await;
    assert_eq!(
        status, 200,
        "a second report by the same participant replaces the first"
    );
    let (status, error) = s
        .report(&format!("{base}/card-1"), &citizen_token, "boring")
        .await;
    assert_eq!((status, &error["code"]), (400, &json!("invalid_request")));
    let (status, body) = s
        .report(
            &format!("{base}/card-1"),
            &created.invite("citizen"),
            "offensive",
        )
        .await;
    assert_eq!(
        (status, &body["item"]),
        (200, &json!({"reports": 2, "hidden": true}))
    );
    let (_, details) = s.get(&created.path(""), &moderator_token).await;
    assert_eq!(
        details["moderation"]["items"]["card-1"]["hidden"]["pending_review"],
        true
    );
    s.server.stop().await;
}

#[tokio::test]
async fn remove_contributions_deletes_exactly_one_participants_content() {
    let s = start().await;
    let created = s.create("canvas").await;
    let moderator_token = created.invite("moderator");
    let (ann_token, ann) = s.join(&created.code, "Ann").await;
    let (bob_token, bob) = s.join(&created.code, "Bob").await;
    let mut ann_client = Client::connect(&s.room(&created.id, &ann_token)).await;
    let mut bob_client = Client::connect(&s.room(&created.id, &bob_token)).await;
    add_card(&mut ann_client, "a", "Ann's idea", &ann).await;
    add_card(&mut bob_client, "b", "Bob's spam", &bob).await;
    ann_client.wait_all_saved().await;
    bob_client.wait_all_saved().await;
    let (status, body) = s
        .post(
            &created.path(&format!("/participants/{bob}/remove-contributions")),
            &moderator_token,
            None,
        )
        .await;
    assert_eq!(
        (status, &body["removed_clients"]),
        (200, &json!(1)),
        "{body}"
    );
    while card_text(&ann_client, "b").is_some() || card_text(&ann_client, "a").is_none() {
        ann_client.read_one().await;
    }
    assert_eq!(card_text(&ann_client, "a").as_deref(), Some("Ann's idea"));
    let newcomer = Client::connect(&s.room(&created.id, &created.invite("observer"))).await;
    assert_eq!(
        (
            card_text(&newcomer, "a").as_deref(),
            card_text(&newcomer, "b")
        ),
        (Some("Ann's idea"), None)
    );
    s.server.stop().await;
}

#[tokio::test]
async fn presence_names_and_roles_come_from_the_token() {
    let s = start().await;
    let created = s.create("canvas").await;
    let (token, pid) = s.join(&created.code, "Ann").await;
    let mut ann = Client::connect(&s.room(&created.id, &token)).await;
    let mut watcher = Client::connect(&s.room(&created.id, &created.invite("observer"))).await;
    let client_id = ann.doc.client_id();
    let spoof = r##"{"user":{"name":"The Mayor","role":"moderator","color":"#f00"},"cursor":1}"##;
    ann.send(&cocreate_protocol::Message::Awareness(
        yrs::sync::AwarenessUpdate {
            clients: [(
                client_id,
                yrs::sync::awareness::AwarenessUpdateEntry {
                    clock: 1,
                    json: spoof.into(),
                },
            )]
            .into(),
        },
    ))
    .await;
    watcher
        .wait_presence(|p| p.contains_key(&client_id.get()))
        .await;
    let state: Value = serde_json::from_str(&watcher.presence[&client_id.get()].1).unwrap();
    assert_eq!(
        state["user"],
        json!({"name": "Ann", "role": "citizen", "participant": pid, "color": "#f00"})
    );
    assert_eq!(state["cursor"], 1);
    s.server.stop().await;
}

#[tokio::test]
async fn an_open_connection_is_closed_when_its_token_expires() {
    let s = start().await;
    let created = s.create("canvas").await;
    let (_, pid) = s.join(&created.code, "Ann").await;
    let ann = Identity {
        session: created.id.clone(),
        participant: pid,
        role: Role::Citizen,
        name: "Ann".into(),
    };
    let short = forge(SECRET.as_bytes(), &ann, 0, 2);
    let mut expiring = Client::connect(&s.room(&created.id, &short)).await;
    let mut lasting = Client::connect(&s.room(&created.id, &created.invite("moderator"))).await;
    expiring.insert(0, "before expiry").await;
    expiring.wait_all_saved().await;

    let (code, reason) = expiring.wait_closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "token_expired: token expired")
    );
    // The room goes on for the others.
    lasting.wait_text(|text| text == "before expiry").await;
    lasting.insert(0, "after ").await;
    lasting.wait_all_saved().await;
    s.server.stop().await;
}
