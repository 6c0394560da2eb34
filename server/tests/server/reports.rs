//! Moderation that holds (issue 19): only invites mint participants, and those keep the
//! invite's role and record it; reports count once per person who may edit; kicking an invite
//! kicks everyone who joined through it, on the API and in the room.

use serde_json::{json, Value};

use crate::support::{add_card, close_of, raw_socket, Client, TestServer};

/// A session on a server whose threshold is two reports, with its moderator invite.
struct Board {
    server: TestServer,
    created: Value,
    moderator: String,
}

impl Board {
    async fn start() -> Self {
        let server = TestServer::fresh_with(|config| {
            config.open_rooms = false;
            config.auto_hide_reports = 2;
        })
        .await;
        let created = server
            .create_session(json!({"title": "Permits", "template": "canvas", "language": "en"}))
            .await;
        let moderator = created["invites"]["moderator"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        Board {
            server,
            created,
            moderator,
        }
    }

    fn id(&self) -> &str {
        self.created["id"].as_str().unwrap()
    }

    fn invite(&self, role: &str) -> String {
        crate::support::invite(&self.created, role)
    }

    fn path(&self, rest: &str) -> String {
        format!("/api/sessions/{}{rest}", self.id())
    }

    fn room(&self, token: &str) -> String {
        format!("{}?token={token}", self.server.url(self.id()))
    }

    /// Joins with `invite`: the answer's status and body.
    async fn mint(&self, invite: &str, name: &str) -> (u16, Value) {
        let body = json!({"invite": invite, "display_name": name});
        self.server
            .call("POST", "/api/join", None, Some(body))
            .await
    }

    /// Joins with `invite`, which must work: the personal token and participant id.
    async fn minted(&self, invite: &str, name: &str) -> (String, String) {
        let (status, body) = self.mint(invite, name).await;
        assert_eq!(status, 200, "{body}");
        let field = |name: &str| body[name].as_str().unwrap().to_owned();
        (field("token"), field("participant_id"))
    }

    /// The participant a token names.
    async fn participant_of(&self, token: &str) -> String {
        let (_, me) = self.server.call("GET", "/api/me", Some(token), None).await;
        me["you"]["participant_id"].as_str().unwrap().to_owned()
    }

    /// Reports `card-1`: the status and the `item` of the answer.
    async fn report(&self, token: &str) -> (u16, Value) {
        let path = self.path("/items/card-1/report");
        let body = json!({"reason": "offensive"});
        let (status, body) = self
            .server
            .call("POST", &path, Some(token), Some(body))
            .await;
        (status, body["item"].clone())
    }

    /// Ann joins by the join code and writes `card-1`, saved: the join code and her client.
    async fn ann_wrote_card_1(&self) -> (String, Client) {
        let code = self.created["join_code"].as_str().unwrap().to_owned();
        let (author_token, author) = self.server.join(&code, "Ann").await;
        let mut ann = Client::connect(&self.room(&author_token)).await;
        add_card(&mut ann, "card-1", "a card", &author).await;
        ann.wait_all_saved().await;
        (code, ann)
    }

    /// The moderator's view of the participant `pid`.
    async fn participant(&self, pid: &str) -> Value {
        let (_, details) = self
            .server
            .call("GET", &self.path(""), Some(&self.moderator), None)
            .await;
        let participants = details["participants"].as_array().unwrap();
        participants
            .iter()
            .find(|p| p["id"] == pid)
            .unwrap()
            .clone()
    }
}

#[tokio::test]
async fn only_invites_mint_and_what_they_mint_keeps_their_role_and_records_them() {
    let b = Board::start().await;
    let (observer, observer_pid) = b.minted(&b.invite("observer"), "Obi").await;
    let (_, me) = b.server.call("GET", "/api/me", Some(&observer), None).await;
    assert_eq!(me["you"]["role"], "observer");
    let invite_pid = b.participant_of(&b.invite("observer")).await;
    let minted = b.participant(&observer_pid).await;
    assert_eq!(minted["invited_by"], json!(invite_pid), "{minted}");
    assert_eq!(b.participant(&invite_pid).await["invite"], true);

    // A personal token, minted from an invite or joined by code, mints nothing.
    let code = b.created["join_code"].as_str().unwrap();
    let (citizen, _) = b.server.join(code, "Cit").await;
    for personal in [&observer, &citizen] {
        let body = json!({"invite": personal, "display_name": "Clone"});
        b.server
            .call_expect(
                (403, "not_an_invite"),
                "POST",
                "/api/join",
                None,
                Some(body),
            )
            .await;
    }
    b.server.stop().await;
}

#[tokio::test]
async fn reports_count_once_per_person_who_may_edit() {
    let b = Board::start().await;
    let (code, _ann) = b.ann_wrote_card_1().await;

    // Observers and researchers (and what they mint) watch; they do not report.
    let (minted_observer, _) = b.minted(&b.invite("observer"), "Obi").await;
    for token in [
        b.invite("observer"),
        b.invite("researcher"),
        minted_observer,
    ] {
        let path = b.path("/items/card-1/report");
        let body = json!({"reason": "spam"});
        let call =
            b.server
                .call_expect((403, "forbidden"), "POST", &path, Some(&token), Some(body));
        call.await;
    }

    // One shared citizen invite, any number of identities minted from it: one reporter.
    let citizen_invite = b.invite("citizen");
    assert_eq!(
        b.report(&citizen_invite).await,
        (200, json!({"reports": 1, "hidden": false}))
    );
    for name in ["Sock 1", "Sock 2", "Sock 3"] {
        let (sock, _) = b.minted(&citizen_invite, name).await;
        assert_eq!(
            b.report(&sock).await,
            (200, json!({"reports": 1, "hidden": false})),
            "{name} counts as the invite it joined through"
        );
    }
    // Another person (here by join code) makes the second report, which hides the item.
    let (other, _) = b.server.join(&code, "Bob").await;
    assert_eq!(
        b.report(&other).await,
        (200, json!({"reports": 2, "hidden": true}))
    );
    b.server.stop().await;
}

#[tokio::test]
async fn kicking_an_invite_kicks_everyone_who_joined_through_it() {
    let b = Board::start().await;
    let citizen_invite = b.invite("citizen");
    let invite_pid = b.participant_of(&citizen_invite).await;
    let (child, child_pid) = b.minted(&citizen_invite, "Child").await;
    let code = b.created["join_code"].as_str().unwrap();
    let (bystander, _) = b.server.join(code, "Bystander").await;
    let connected = Client::connect(&b.room(&child)).await;

    let kick = b.path(&format!("/participants/{invite_pid}/kick"));
    let (status, body) = b.server.call("POST", &kick, Some(&b.moderator), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kicked_with"], json!([child_pid]));

    // Its open connection is closed, and its token is refused from now on.
    let removed = (
        1008,
        "revoked: removed from the session by a moderator".to_owned(),
    );
    assert_eq!(connected.wait_closed().await, removed);
    assert_eq!(
        close_of(&mut raw_socket(&b.room(&child)).await).await,
        removed
    );
    b.server
        .call_expect((403, "revoked"), "GET", "/api/me", Some(&child), None)
        .await;
    assert_eq!(b.participant(&child_pid).await["kicked"], true);
    // The invite mints no more, and someone who joined otherwise stays.
    let (status, body) = b.mint(&citizen_invite, "Late").await;
    assert_eq!((status, &body["code"]), (403, &json!("revoked")));
    // A moderator does not kick the invite they joined through (and so themself).
    let (moderator, _) = b.minted(&b.moderator, "Mod").await;
    let own_invite = b.participant_of(&b.moderator).await;
    let kick = b.path(&format!("/participants/{own_invite}/kick"));
    b.server
        .call_expect(
            (400, "invalid_request"),
            "POST",
            &kick,
            Some(&moderator),
            None,
        )
        .await;
    let (status, _) = b
        .server
        .call("GET", "/api/me", Some(&bystander), None)
        .await;
    assert_eq!(status, 200);
    b.server.stop().await;
}

/// Issue 28: a report reaches the moderators' consoles at once (a `reported` session message),
/// not on their next refresh.
#[tokio::test]
async fn a_report_is_announced_to_the_room_as_it_arrives() {
    let b = Board::start().await;
    let (code, _ann) = b.ann_wrote_card_1().await;
    let mut moderator = Client::connect(&b.room(&b.moderator)).await;
    moderator.wait_session(|m| m["event"] == "joined").await;

    let (reporter, _) = b.server.join(&code, "Rob").await;
    assert_eq!(b.report(&reporter).await.0, 200);
    moderator.wait_session(|m| m["event"] == "reported").await;
    b.server.stop().await;
}
