//! The HTTP API under `/api`: sessions (create, join, state) and moderation. Every answer is
//! JSON; every error is an [`ApiError`]. A handler names who may call it (`caller::Caller`),
//! which checks the bearer token's session, role and revocation before anything else.

mod announce;
mod caller;
mod carry;
mod decisions;
mod history;
mod moderation;
mod processes;
mod receipts;
mod results;
mod sessions;

pub(crate) use sessions::{moderator_view, move_session, NewSession, SessionMaker};

use std::net::SocketAddr;

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::limits::Limit;
use yrs::Doc;

use crate::room::load_document;
use crate::room_id::RoomId;
use crate::session::now_ms;
use crate::state::AppState;
use crate::storage::{NewRecord, Origin, SharedStorage, SERVER_EDIT};

/// The `/api` routes, with request bodies limited to `max_request_bytes`.
pub fn routes(max_request_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/api/sessions", post(sessions::create))
        .route("/api/join", post(sessions::join))
        .route("/api/me", get(sessions::me))
        .route("/api/receipts/{receipt}", get(receipts::show))
        .route(
            "/api/receipts/{receipt}/evaluation",
            post(receipts::evaluate),
        )
        .route("/api/results/{id}", get(results::results))
        .route("/api/processes", post(processes::create))
        .route("/api/processes/{id}", get(processes::details))
        .route("/api/processes/{id}/results", get(processes::results))
        .nest("/api/sessions/{id}", session_routes())
        .layer(DefaultBodyLimit::max(max_request_bytes))
}

/// The routes of one session, under `/api/sessions/{id}`.
fn session_routes() -> Router<AppState> {
    use crate::session::SessionState::{Closed, Locked, Open};
    use sessions::transition;
    Router::new()
        .route("/", get(sessions::details).patch(sessions::change))
        .route("/lock", transition(Locked, "locked"))
        .route("/unlock", transition(Open, "unlocked"))
        .route("/close", transition(Closed, "closed"))
        .route("/audit", get(sessions::audit_log))
        .route("/history", get(history::history))
        .route("/state", get(history::board_at))
        .route("/metrics", get(history::metrics))
        .route("/export", get(history::export))
        .route("/participants/{pid}/erase", post(moderation::erase))
        .route("/participants/{pid}/kick", post(moderation::kick))
        .route(
            "/participants/{pid}/remove-contributions",
            post(moderation::remove_contributions),
        )
        .route("/items/{item}/hide", post(moderation::hide))
        .route("/items/{item}/unhide", post(moderation::unhide))
        .route("/items/{item}/report", post(moderation::report))
        .route("/items/{item}/decision", put(decisions::decide))
        .route("/decisions", get(decisions::decisions))
        .route("/publish", post(results::publish))
        .route("/unpublish", post(results::unpublish))
        .route("/carry", post(carry::carry))
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
fn attempt(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Result<(), ApiError> {
    let ip = state.guards.client_ip(peer, headers);
    if let Err(wait) = state.guards.joins.attempt(ip) {
        state.metrics.limited(Limit::JoinAttempts);
        tracing::warn!(%ip, "join attempts limited");
        let message = "too many attempts from your address; wait a moment and try again";
        return Err(ApiError::limited(Limit::JoinAttempts, message, Some(wait)));
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
    let doc = load_document(&room, state.storage.as_ref()).await?.doc;
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
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(value.to_owned())
}

/// Checks a longer person-entered text that may be empty (an explanation, a description):
/// trimmed, at most `max` characters, line breaks but no other control characters.
fn plain_text(value: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.chars().count() > max || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::bad_request(format!(
            "{field} must be at most {max} characters of plain text"
        )));
    }
    Ok(value.to_owned())
}
