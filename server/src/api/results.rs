//! Published results: moderators publish and unpublish a session's results
//! (`POST …/publish`, `…/unpublish`); anyone reads them, without a token, at
//! `GET /api/results/{id}` while they are published.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use super::caller::Requester;
use super::caller::{Caller, Moderators};
use super::revalidate::revalidated_json;
use super::{public_read, room_of};
use crate::error::ApiError;
use crate::outcome::{session_results, Publication, DECISIONS, PUBLICATIONS, PUBLISHED};
use crate::room_id::RoomId;
use crate::session::{now_ms, Role};
use crate::state::AppState;

/// `POST …/publish`: makes the session's results public (again: the time is renewed).
pub async fn publish(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    _body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let publication = Publication {
        published_at: now_ms(),
        by: moderator.participant.clone(),
    };
    PUBLICATIONS
        .put(state.storage.as_ref(), &session.id, PUBLISHED, &publication)
        .await?;
    state
        .sessions
        .record_action(&moderator, &session.id, "publish", &session.id, None)
        .await;
    Ok(Json(json!({
        "published": true,
        "published_at": publication.published_at,
        "results_url": format!("/api/results/{}", session.id),
    })))
}

/// `POST …/unpublish`: takes the results down; `GET /api/results/{id}` answers 404 again.
pub async fn unpublish(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    _body: Bytes,
) -> Result<Json<Value>, ApiError> {
    PUBLICATIONS
        .delete(state.storage.as_ref(), &session.id, PUBLISHED)
        .await?;
    state
        .sessions
        .record_action(&moderator, &session.id, "unpublish", &session.id, None)
        .await;
    Ok(Json(json!({ "published": false })))
}

/// Whether a session's results are published now.
pub(super) async fn is_published(state: &AppState, id: &str) -> Result<bool, ApiError> {
    let publication = PUBLICATIONS
        .get(state.storage.as_ref(), id, PUBLISHED)
        .await?;
    Ok(publication.is_some())
}

/// The results of a session if they are published: what `GET /api/results/{id}` answers, and
/// a process's results gather.
pub(super) async fn published(state: &AppState, id: &str) -> Result<Option<Value>, ApiError> {
    if RoomId::parse(id).is_err() {
        return Ok(None);
    }
    let storage = state.storage.as_ref();
    let Some(publication) = PUBLICATIONS.get(storage, id, PUBLISHED).await? else {
        return Ok(None);
    };
    let Some(session) = state.sessions.get(id).await? else {
        return Ok(None);
    };
    let decisions: Vec<_> = DECISIONS
        .all(storage, id)
        .await?
        .into_iter()
        .map(|(_, decision)| decision)
        .collect();
    let moderators = state
        .sessions
        .participants(id)
        .await?
        .into_iter()
        .filter(|p| p.role == Role::Moderator)
        .map(|p| p.id)
        .collect();
    let room = room_of(id)?;
    let results = state
        .ledgers
        .read(storage, &room, state.keyframe_spacing, |ledger| {
            session_results(&session, ledger.doc, &decisions, &publication, &moderators)
        })
        .await?;
    Ok(Some(results))
}

/// How caches may keep public results: anyone's cache, revalidated on every use (a decision
/// shows at once; an unchanged answer is a 304).
pub(super) const PUBLIC_RESULTS: &str = "public, no-cache";

/// `GET /api/results/{id}` (no token): the published results; 404 while unpublished.
pub async fn results(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    public_read(&state, &requester)?;
    let results = published(&state, &id).await?.ok_or_else(not_published)?;
    Ok(revalidated_json(
        &requester.headers,
        PUBLIC_RESULTS,
        &results,
    ))
}

/// Unpublished and unknown sessions answer alike: results say nothing about what is not public.
pub(super) fn not_published() -> ApiError {
    ApiError::not_found("results_not_published", "no published results here")
}
