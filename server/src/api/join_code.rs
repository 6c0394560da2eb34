//! A session's join code: a moderator rotates it when it leaked (or after a kick, so that the
//! kicked person cannot simply join again). The old code stops working at once.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

use super::caller::{Caller, Moderators};
use super::public_url;
use super::sessions::join_url;
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /api/sessions/{id}/join-code`: a new join code for the session; the old one is refused
/// from now on (404 `join_code_not_found`). The audit log records the rotation, not the codes.
pub async fn rotate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(moderator, session, ..): Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    let session = state.sessions.rotate_join_code(&session.id).await?;
    state
        .sessions
        .record_action(
            &moderator,
            &session.id,
            "rotate-join-code",
            &session.id,
            None,
        )
        .await;
    state.announce(&session, "updated").await;
    let base = public_url(&state, &headers);
    Ok(Json(json!({
        "join_code": session.join_code,
        "join_url": join_url(&base, &session),
    })))
}
