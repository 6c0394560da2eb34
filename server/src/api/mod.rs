//! The HTTP API under `/api`: sessions (create, join, state), moderation, research, and its
//! own OpenAPI description (`openapi.json`). Every answer is JSON; every error is an
//! [`ApiError`]. A handler names who may call it (`caller::Caller`), which checks the bearer
//! token's session, role and revocation before anything else.

mod agenda;
mod announce;
mod assist;
mod caller;
mod carry;
mod copies;
mod decisions;
mod drafts;
mod history;
mod join_code;
mod memos;
mod moderation;
mod openapi;
mod paper;
mod processes;
mod receipts;
mod results;
mod revalidate;
mod sessions;

pub(crate) use sessions::{moderator_view, move_session, NewSession, SessionMaker};

use std::fmt::Display;
use std::hash::Hash;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::header::HOST;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, patch, post, put, MethodRouter};
use axum::{Json, Router};
use serde::de::DeserializeOwned;

use self::caller::Requester;
use crate::error::ApiError;
use crate::limits::{Attempts, Limit};
use cocreate_board::direction_override;
use yrs::Doc;

use crate::room::load_session_document;
use crate::room_id::RoomId;
use crate::session::now_ms;
use crate::state::AppState;
use crate::storage::{NewRecord, Origin, SharedStorage, SERVER_EDIT};

/// The `/api` routes, with request bodies limited to `max_request_bytes`.
pub fn routes(max_request_bytes: usize) -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .layer(DefaultBodyLimit::max(max_request_bytes))
}

/// A path under one participant of a session (`…/participants/{pid}/<action>`).
macro_rules! participant {
    ($action:literal) => {
        concat!("/api/sessions/{id}/participants/{pid}/", $action)
    };
}

/// A path under one item of a session's board (`…/items/{item}/<action>`).
macro_rules! item {
    ($action:literal) => {
        concat!("/api/sessions/{id}/items/{item}/", $action)
    };
}

/// Every `/api` route: its path, as `openapi.json` names it, and its handlers. One table, so
/// that a test holds the description's paths to exactly these.
fn table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    use crate::session::SessionState::{Closed, Locked, Open};
    use sessions::transition;
    vec![
        ("/api/openapi.json", get(openapi::openapi)),
        ("/api/sessions", post(sessions::create)),
        ("/api/join", post(sessions::join)),
        ("/api/join/preview", get(sessions::preview)),
        ("/api/join/{code}", get(sessions::preview_code)),
        ("/api/me", get(sessions::me)),
        (
            "/api/sessions/{id}",
            get(sessions::details).patch(sessions::change),
        ),
        ("/api/sessions/{id}/lock", transition(Locked, "locked")),
        ("/api/sessions/{id}/unlock", transition(Open, "unlocked")),
        ("/api/sessions/{id}/close", transition(Closed, "closed")),
        ("/api/sessions/{id}/audit", get(sessions::audit_log)),
        ("/api/sessions/{id}/join-code", post(join_code::rotate)),
        (
            "/api/sessions/{id}/agenda",
            get(agenda::agenda).put(agenda::replace),
        ),
        (
            "/api/sessions/{id}/agenda/steps/{step}/start",
            post(agenda::start),
        ),
        ("/api/sessions/{id}/agenda/reveal", post(agenda::reveal)),
        ("/api/sessions/{id}/agenda/drafts", get(drafts::counts)),
        ("/api/sessions/{id}/agenda/end", post(agenda::end)),
        ("/api/sessions/{id}/agenda/extend", post(agenda::extend)),
        ("/api/sessions/{id}/agenda/pause", post(agenda::pause)),
        ("/api/sessions/{id}/agenda/resume", post(agenda::resume)),
        ("/api/sessions/{id}/focus", post(agenda::focus)),
        ("/api/sessions/{id}/kit.pdf", get(paper::kit)),
        ("/api/sessions/{id}/history", get(history::history)),
        ("/api/sessions/{id}/state", get(history::board_at)),
        ("/api/sessions/{id}/metrics", get(history::metrics)),
        ("/api/sessions/{id}/export", get(history::export)),
        ("/api/sessions/{id}/export.qdpx", get(history::export_qdpx)),
        (
            "/api/sessions/{id}/memos",
            get(memos::memos).post(memos::create),
        ),
        (
            "/api/sessions/{id}/memos/{memo}",
            patch(memos::change).delete(memos::delete),
        ),
        (participant!("erase"), post(moderation::erase)),
        (participant!("kick"), post(moderation::kick)),
        (
            participant!("remove-contributions"),
            post(moderation::remove_contributions),
        ),
        (item!("hide"), post(moderation::hide)),
        (item!("unhide"), post(moderation::unhide)),
        (item!("report"), post(moderation::report)),
        (item!("decision"), put(decisions::decide)),
        ("/api/sessions/{id}/decisions", get(decisions::decisions)),
        ("/api/sessions/{id}/publish", post(results::publish)),
        ("/api/sessions/{id}/unpublish", post(results::unpublish)),
        ("/api/sessions/{id}/carry", post(carry::carry)),
        ("/api/sessions/{id}/assist/themes", post(assist::themes)),
        ("/api/sessions/{id}/assist/similar", post(assist::similar)),
        ("/api/sessions/{id}/assist/coverage", get(assist::coverage)),
        (
            "/api/sessions/{id}/assist/runs/{run}/accept",
            post(assist::accept),
        ),
        ("/api/receipts/{receipt}", get(receipts::show)),
        (
            "/api/receipts/{receipt}/evaluation",
            post(receipts::evaluate),
        ),
        ("/api/results/{id}", get(results::results)),
        ("/api/processes", post(processes::create)),
        ("/api/processes/{id}", get(processes::details)),
        ("/api/processes/{id}/results", get(processes::results)),
        ("/api/processes/{id}/metrics", get(processes::metrics)),
        ("/api/processes/{id}/export", get(processes::export)),
        (
            "/api/processes/{id}/export.qdpx",
            get(processes::export_qdpx),
        ),
    ]
}

/// A JSON body whose errors are answered as 400 `invalid_request` with the reason.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(
                ApiError::limited(Limit::RequestSize, "request body too large", None),
            ),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// A query string whose errors are answered as 400 `invalid_request` with the reason, like
/// every other error (axum's own answers them in plain text).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// Where the web client is reached: `--public-url`, or what the request was sent to.
fn public_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Counts a request that presents a secret (a join code, an invite, a receipt) against its
/// address's attempts per minute, so that secrets cannot be found by trying; 429 beyond.
fn attempt(state: &AppState, requester: &Requester) -> Result<(), ApiError> {
    let ip = requester.ip;
    let message = "too many attempts from your address; wait a moment and try again";
    limit_attempts(state, &state.guards.joins, Limit::JoinAttempts, ip, message)
}

/// Counts a read without a token (a receipt, published results) against its address's budget
/// of such reads, so that one address cannot keep a node busy for everyone; 429 beyond.
fn public_read(state: &AppState, requester: &Requester) -> Result<(), ApiError> {
    let message = "too many requests from your address; wait a moment and try again";
    let limiter = &state.guards.public_reads;
    limit_attempts(state, limiter, Limit::PublicReads, requester.ip, message)
}

/// Counts an attempt by `key` (an address, a participant) on one of the limiters: 429 for
/// `limit`, with how long to wait, once it has made too many.
fn limit_attempts<K: Hash + Eq + Display + Clone>(
    state: &AppState,
    limiter: &Attempts<K>,
    limit: Limit,
    key: K,
    message: &'static str,
) -> Result<(), ApiError> {
    if let Err(wait) = limiter.attempt(key.clone()) {
        state.metrics.limited(limit);
        tracing::warn!(by = %key, limit = limit.label(), "attempts limited");
        return Err(ApiError::limited(limit, message, Some(wait)));
    }
    Ok(())
}

/// The room of a session, for storage calls.
fn room_of(session: &str) -> Result<RoomId, ApiError> {
    RoomId::parse(session).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// A session's room and its board as stored now, for a server edit to build on.
async fn board(state: &AppState, session: &str) -> Result<(RoomId, Doc), ApiError> {
    let room = room_of(session)?;
    let doc = load_session_document(&room, state.storage.as_ref())
        .await?
        .doc;
    Ok((room, doc))
}

/// Appends a server-built edit (a moderation action) to a room's log, in the name of the
/// participant who asked for it (`None`: the server itself).
async fn append_edit(
    state: &AppState,
    room: &RoomId,
    by: Option<&str>,
    update: Vec<u8>,
) -> Result<(), ApiError> {
    append_as(&state.storage, &state.node, room, by, update).await
}

/// [`append_edit`] as written by `node`, for callers without a server (the admin CLI).
async fn append_as(
    storage: &SharedStorage,
    node: &str,
    room: &RoomId,
    by: Option<&str>,
    update: Vec<u8>,
) -> Result<(), ApiError> {
    let record = NewRecord {
        at_ms: now_ms(),
        origin: Origin {
            node: node.to_owned(),
            connection: SERVER_EDIT,
            participant: by.map(str::to_owned),
        },
        update: update.into(),
    };
    storage.append(room, vec![record]).await?;
    Ok(())
}

/// Checks a person-entered text: trimmed, 1 to `max` characters, no control characters.
fn text_field(value: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(unsafe_char) {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(value.to_owned())
}

/// A character no person-entered text may hold: a control character, or one that changes the
/// direction of the text around it (overrides and isolates, and in these short texts the marks
/// U+200E, U+200F, U+061C too), with which a name or an explanation reads reversed to everyone
/// else (SECURITY.md).
fn unsafe_char(c: char) -> bool {
    c.is_control() || direction_override(c) || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Checks a longer person-entered text that may be empty (an explanation, a description):
/// trimmed, at most `max` characters, line breaks but no other control characters.
fn plain_text(value: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.chars().count() > max || value.chars().any(|c| c != '\n' && unsafe_char(c)) {
        return Err(ApiError::bad_request(format!(
            "{field} must be at most {max} characters of plain text"
        )));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The description describes every route and no other: a route added to `table` without
    /// its description (or a described path that is not served) fails here. That each
    /// described method is served, and every answer matches, the server tests check.
    #[test]
    fn the_description_names_exactly_the_routed_paths() {
        let description: serde_json::Value =
            serde_json::from_str(super::openapi::DESCRIPTION).expect("openapi.json is JSON");
        let described: BTreeSet<&str> = description["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(String::as_str)
            .collect();
        let routed: BTreeSet<&str> = super::table().into_iter().map(|(path, _)| path).collect();
        assert_eq!(described, routed);
    }

    /// Issue 34: text that overrides its direction (U+202E) read reversed to everyone else.
    #[test]
    fn texts_that_change_direction_are_refused() {
        for text in ["Ann\u{202E}nnA", "ok\u{2067}x", "\u{200F}Bob"] {
            assert!(
                super::text_field(text, "display_name", 60).is_err(),
                "{text:?}"
            );
            assert!(
                super::plain_text(text, "explanation", 2000).is_err(),
                "{text:?}"
            );
        }
        assert!(super::text_field("Zoë – العربية", "display_name", 60).is_ok());
        assert!(super::plain_text("two\nlines", "explanation", 2000).is_ok());
    }
}
