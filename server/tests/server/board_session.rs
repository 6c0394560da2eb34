//! A session on a fresh server whose board already holds citizens' cards: where the tests of
//! decisions, results, processes and carried cards start.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::support::{add_card, Client, TestServer, ADMIN_KEY};

/// A session created with the admin key, on a server of its own or shared with other sessions.
pub struct BoardSession {
    pub server: Arc<TestServer>,
    pub id: String,
    pub code: String,
    created: Value,
}

/// A server with a process and two of its sessions (need analysis, co-design): the process's
/// id and the sessions.
pub async fn process_of_two() -> (String, BoardSession, BoardSession) {
    process_of_two_with(Value::Null).await
}

/// [`process_of_two`], the first session created with `research` terms (`null`: the default).
pub async fn process_of_two_with(research: Value) -> (String, BoardSession, BoardSession) {
    let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
    process_of_two_on(Arc::new(server), research).await
}

/// [`process_of_two_with`] on `server` (a node on Redis, say).
pub async fn process_of_two_on(
    server: Arc<TestServer>,
    research: Value,
) -> (String, BoardSession, BoardSession) {
    let outside = BoardSession::create_on(server, json!({})).await;
    let id = outside
        .create_process(json!({"title": "Mobility 2027", "description": "Buses, bikes and benches.", "organisation": "City of Ghent"}))
        .await;
    let mut first = json!({"process": id, "cycle_phase": "need-analysis"});
    if !research.is_null() {
        first["research"] = research;
    }
    let first = outside.another(first).await;
    let second = outside
        .another(json!({"process": id, "cycle_phase": "co-design"}))
        .await;
    (id, first, second)
}

/// [`process_of_two`] with its participants' cards, and a third session of the process that is
/// not recorded for research: Ann's `card-1` and `card-2` in the first (need analysis), Bob's
/// `card-9` in the second (co-design), Zebulon's `card-5` in the third. The process's id and
/// the three sessions.
pub async fn process_of_three_written() -> (String, BoardSession, BoardSession, BoardSession) {
    let (process, first, second) = process_of_two().await;
    let unrecorded = first
        .another(json!({"process": process, "research": {"recorded": false}}))
        .await;
    first
        .citizen_writes(
            "Ann",
            &[("card-1", "buses too rare"), ("card-2", "no benches")],
        )
        .await;
    second
        .citizen_writes("Bob", &[("card-9", "a bus app")])
        .await;
    unrecorded
        .citizen_writes("Zebulon", &[("card-5", "words nobody may study")])
        .await;
    (process, first, second, unrecorded)
}

impl BoardSession {
    /// A server and a canvas session created with `extra` fields (process, cycle_phase,
    /// research) besides its title.
    pub async fn start(extra: Value) -> Self {
        let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
        Self::create_on(Arc::new(server), extra).await
    }

    /// Another session on this one's server (`extra` as for [`BoardSession::start`]).
    pub async fn another(&self, extra: Value) -> Self {
        Self::create_on(self.server.clone(), extra).await
    }

    /// A session on `server`, created with `extra` fields (template, process, …) besides its
    /// title.
    pub async fn create_on(server: Arc<TestServer>, extra: Value) -> Self {
        let mut body = json!({"title": "Parking permits", "template": "canvas", "language": "nl"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let created = server.create_session(body).await;
        BoardSession {
            id: created["id"].as_str().unwrap().to_owned(),
            code: created["join_code"].as_str().unwrap().to_owned(),
            server,
            created,
        }
    }

    /// This session as another server reaches it: a node sharing its store, or the same
    /// data after a restart. `created` is what creating it answered ([`BoardSession::created`]).
    pub fn reopen(server: Arc<TestServer>, created: &Value) -> Self {
        BoardSession {
            id: created["id"].as_str().unwrap().to_owned(),
            code: created["join_code"].as_str().unwrap().to_owned(),
            server,
            created: created.clone(),
        }
    }

    /// What creating the session answered: its id, join code and invites.
    pub fn created(&self) -> Value {
        self.created.clone()
    }

    /// The invite token of a role (moderator, citizen, observer, researcher).
    pub fn invite(&self, role: &str) -> String {
        crate::support::invite(&self.created, role)
    }

    /// The API path of this session, followed by `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/api/sessions/{}{rest}", self.id)
    }

    /// A citizen `name` joins and writes `cards` (id, text), saved before this returns: their
    /// token and participant id.
    pub async fn citizen_writes(&self, name: &str, cards: &[(&str, &str)]) -> (String, String) {
        let (token, pid) = self.server.join(&self.code, name).await;
        let url = format!("{}?token={token}", self.server.url(&self.id));
        let mut client = Client::connect(&url).await;
        for (id, text) in cards {
            add_card(&mut client, id, text, &pid).await;
        }
        client.wait_all_saved().await;
        client.hang_up().await;
        (token, pid)
    }

    /// A call to this session's API (`rest` after its path) with `role`'s invite: the status
    /// and the body.
    pub async fn call_as(
        &self,
        role: &str,
        method: &str,
        rest: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let token = self.invite(role);
        self.server
            .call(method, &self.path(rest), Some(&token), body)
            .await
    }

    /// The same call, which must be refused with `expected` (status and error code).
    pub async fn refused_as(
        &self,
        expected: (u16, &str),
        role: &str,
        method: &str,
        rest: &str,
        body: Option<Value>,
    ) {
        let token = self.invite(role);
        self.server
            .call_expect(expected, method, &self.path(rest), Some(&token), body)
            .await;
    }

    /// What `GET /api/me` answers `role`'s invite.
    pub async fn me(&self, role: &str) -> Value {
        let token = self.invite(role);
        self.server
            .call("GET", "/api/me", Some(&token), None)
            .await
            .1
    }

    /// A moderator's call to this session's API, which must answer `status`: the body.
    pub async fn moderate(
        &self,
        method: &str,
        rest: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let (got, answer) = self.call_as("moderator", method, rest, body).await;
        assert_eq!(got, status, "{method} {rest}: {answer}");
        answer
    }

    /// A moderator sets the decision on `item`: the decision answered.
    pub async fn decide(&self, item: &str, status: &str, explanation: &str) -> Value {
        let body = json!({ "status": status, "explanation": explanation });
        let path = format!("/items/{item}/decision");
        self.moderate("PUT", &path, Some(body), 200).await["decision"].clone()
    }

    /// Creates a process with the admin key (`body`: title, description, organisation): its id.
    pub async fn create_process(&self, body: Value) -> String {
        let (status, process) = self
            .server
            .call("POST", "/api/processes", Some(ADMIN_KEY), Some(body))
            .await;
        assert_eq!(status, 201, "{process}");
        process["id"].as_str().unwrap().to_owned()
    }

    /// Closes the session.
    pub async fn close(&self) {
        self.moderate("POST", "/close", None, 200).await;
    }
}
