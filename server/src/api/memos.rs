//! Memos on the replay: `GET|POST /api/sessions/{id}/memos` and
//! `PATCH|DELETE /api/sessions/{id}/memos/{memo}`. Researchers (while the session is recorded
//! for research) and moderators read every memo of the session and write their own; only the
//! writer changes a memo; the writer or a moderator deletes it (a moderator keeps the
//! session's records clean, e.g. of a memo that names someone). Memos are kept beside the
//! board, so they can be written after the session closed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::{Caller, Researchers};
use super::{board, plain_text, room_of, Body};
use crate::error::ApiError;
use crate::history::memos::{session_memos, Memo, MAX_MEMOS, MAX_MEMO_TEXT, MEMOS};
use crate::history::{Position, Seeker};
use crate::session::{ids, now_ms, Role, Session};
use crate::state::AppState;
use cocreate_board::edit::{self, ItemNotFound};

/// A new memo.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMemo {
    at: u64,
    text: String,
    #[serde(default)]
    item: Option<String>,
}

/// A change to a memo: the fields given replace the memo's; `item: null` unties it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoChange {
    at: Option<u64>,
    text: Option<String>,
    #[serde(default, with = "serde_with_null")]
    item: Option<Option<String>>,
}

/// Tells an absent `item` (keep) from `"item": null` (untie).
mod serde_with_null {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(deserializer).map(Some)
    }
}

/// Researchers only while the session is recorded for research.
pub(super) fn check_recorded(role: Role, session: &Session) -> Result<(), ApiError> {
    if role == Role::Researcher && !session.research.recorded {
        return Err(ApiError::not_recorded());
    }
    Ok(())
}

/// A memo's text: 1 to [`MAX_MEMO_TEXT`] characters of plain text.
fn memo_text(text: &str) -> Result<String, ApiError> {
    let text = plain_text(text, "text", MAX_MEMO_TEXT)?;
    if text.is_empty() {
        return Err(ApiError::bad_request(format!(
            "text must be 1 to {MAX_MEMO_TEXT} characters of plain text"
        )));
    }
    Ok(text)
}

/// An instant within the session: from its creation until now.
fn check_at(at: u64, session: &Session) -> Result<(), ApiError> {
    let now = now_ms();
    if at < session.created_at || at > now {
        return Err(ApiError::bad_request(format!(
            "at must be a time within the session, {} to {now} (ms since the epoch)",
            session.created_at
        )));
    }
    Ok(())
}

/// An item a memo may name: on the board at `at`, or on the board now.
async fn check_item(state: &AppState, session: &str, at: u64, item: &str) -> Result<(), ApiError> {
    let room = room_of(session)?;
    let mut seeker = Seeker::new(state.storage.as_ref(), &room, state.keyframe_spacing).await?;
    if edit::has_item(&seeker.state_at(Position::Time(at)).await?.doc, item) {
        return Ok(());
    }
    let (_, now) = board(state, session).await?;
    if edit::has_item(&now, item) {
        return Ok(());
    }
    Err(ItemNotFound(item.to_owned()).into())
}

fn memo_not_found() -> ApiError {
    ApiError::not_found("memo_not_found", "no such memo in this session")
}

/// `GET …/memos`: every memo of the session, in the order of the replay.
pub async fn memos(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Researchers>,
) -> Result<Json<Value>, ApiError> {
    check_recorded(caller.role, &session)?;
    let memos = session_memos(state.storage.as_ref(), &session.id).await?;
    Ok(Json(json!({ "memos": memos })))
}

/// `POST …/memos`: a new memo by the caller; 201 with the memo, 409 `too_many_memos` once the
/// session holds [`MAX_MEMOS`].
pub async fn create(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Researchers>,
    Body(request): Body<NewMemo>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_recorded(caller.role, &session)?;
    let text = memo_text(&request.text)?;
    check_at(request.at, &session)?;
    if let Some(item) = &request.item {
        check_item(&state, &session.id, request.at, item).await?;
    }
    let storage = state.storage.as_ref();
    if MEMOS.all(storage, &session.id).await?.len() >= MAX_MEMOS {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_memos",
            format!("a session holds at most {MAX_MEMOS} memos; delete some first"),
        ));
    }
    let now = now_ms();
    let memo = Memo {
        id: ids::memo_id(),
        at: request.at,
        text,
        item: request.item,
        by: caller.participant.clone(),
        created_at: now,
        updated_at: now,
    };
    MEMOS.put(storage, &session.id, &memo.id, &memo).await?;
    Ok((StatusCode::CREATED, Json(json!({ "memo": memo }))))
}

/// `PATCH …/memos/{memo}`: changes the caller's own memo.
pub async fn change(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Researchers>,
    Path((_, id)): Path<(String, String)>,
    Body(request): Body<MemoChange>,
) -> Result<Json<Value>, ApiError> {
    check_recorded(caller.role, &session)?;
    let storage = state.storage.as_ref();
    let mut memo = MEMOS
        .get(storage, &session.id, &id)
        .await?
        .ok_or_else(memo_not_found)?;
    if memo.by != caller.participant {
        return Err(ApiError::forbidden("only its writer may change a memo"));
    }
    if let Some(text) = &request.text {
        memo.text = memo_text(text)?;
    }
    if let Some(at) = request.at {
        check_at(at, &session)?;
        memo.at = at;
    }
    let moved = request.at.is_some() || request.item.is_some();
    if let Some(item) = request.item {
        memo.item = item;
    }
    if let (Some(item), true) = (&memo.item, moved) {
        check_item(&state, &session.id, memo.at, item).await?;
    }
    memo.updated_at = now_ms();
    MEMOS.put(storage, &session.id, &id, &memo).await?;
    Ok(Json(json!({ "memo": memo })))
}

/// `DELETE …/memos/{memo}`: removes a memo (its writer, or a moderator).
pub async fn delete(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Researchers>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_recorded(caller.role, &session)?;
    let storage = state.storage.as_ref();
    let memo = MEMOS
        .get(storage, &session.id, &id)
        .await?
        .ok_or_else(memo_not_found)?;
    if memo.by != caller.participant && caller.role != Role::Moderator {
        return Err(ApiError::forbidden(
            "only its writer or a moderator may delete a memo",
        ));
    }
    MEMOS.delete(storage, &session.id, &id).await?;
    Ok(Json(json!({ "deleted": id })))
}
