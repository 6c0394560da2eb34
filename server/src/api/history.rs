//! Research endpoints (researchers and moderators): the history as NDJSON, the board at a
//! moment, participation figures, and the exports (the dataset, the REFI-QDA project). All
//! follow the session's disclosure rules (`cocreate_board::Disclosure`).

use std::io::Cursor;
use std::time::Duration;

use axum::body::Body as HttpBody;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use super::caller::{Caller, Researchers};
use super::{room_of, Query};
use crate::dataset::qdpx::{write_qdpx, ProjectScope, SessionMaterial};
use crate::dataset::{write_dataset, ExportError};
use crate::error::ApiError;
use crate::history::memos::session_memos;
use crate::history::outcomes::Tracker;
use crate::history::participation::Counter;
use crate::history::{
    each_event, session_records, state_json, Position, Seeker, SessionRecords, Walk,
};
use crate::limits::{Limit, EXPORT_RETRY_AFTER, MAX_CONCURRENT_EXPORTS};
use crate::outcome::DECISIONS;
use crate::receipt::evaluation;
use crate::room_id::RoomId;
use crate::session::Role;
use crate::state::AppState;
use crate::storage::Seq;

/// Events buffered between the history walk and a slow reader.
const STREAM_PAGES: usize = 4;

/// The session's records, for a researcher or moderator; researchers only while the
/// session is recorded for research.
async fn research_access(
    state: &AppState,
    caller: Caller<Researchers>,
) -> Result<(RoomId, SessionRecords), ApiError> {
    let Caller(identity, session, ..) = caller;
    if identity.role == Role::Researcher && !session.research.recorded {
        return Err(ApiError::not_recorded());
    }
    let records = session_records(&state.sessions, &session.id)
        .await?
        .ok_or_else(|| ApiError::not_found("session_not_found", "no such session"))?;
    Ok((room_of(&session.id)?, records))
}

fn position(value: Option<&str>, name: &str, default: Position) -> Result<Position, ApiError> {
    match value {
        None => Ok(default),
        Some(value) => value
            .parse()
            .map_err(|e: String| ApiError::bad_request(format!("{name}: {e}"))),
    }
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/sessions/{id}/history?from=&to=`: the events in order, one JSON object per
/// line, streamed as the log is replayed. `from`/`to`: a sequence number, ms since the epoch
/// or an RFC 3339 time (default: the whole session).
pub async fn history(
    State(state): State<AppState>,
    caller: Caller<Researchers>,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let (room, records) = research_access(&state, caller).await?;
    let from = position(query.from.as_deref(), "from", Position::Seq(0))?;
    let until = position(query.to.as_deref(), "to", Position::Seq(Seq::MAX))?;
    let (lines, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(STREAM_PAGES);
    tokio::spawn(async move {
        let storage = state.storage.clone();
        let walked = async {
            let mut walk = Walk::new(
                storage.as_ref(),
                &room,
                state.keyframe_spacing,
                &records,
                from,
                until,
            )
            .await?;
            while let Some(events) = walk.next_page(|_, _| {}).await? {
                let mut page = Vec::new();
                for event in events {
                    serde_json::to_writer(&mut page, &event).unwrap_or_default();
                    page.push(b'\n');
                }
                if lines.send(Ok(page.into())).await.is_err() {
                    break; // the client went away
                }
            }
            Ok::<_, crate::storage::StorageError>(())
        };
        if let Err(e) = walked.await {
            // Headers are sent: the stream ends early and the client sees a broken body.
            tracing::error!(session = %room, error = %e, "history stream failed");
            let _ = lines.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|line| (line, receiver))
    });
    Ok((
        [(CONTENT_TYPE, "application/x-ndjson")],
        HttpBody::from_stream(stream),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct StateQuery {
    at: Option<String>,
}

/// `GET /api/sessions/{id}/state?at=`: the board as it was then (default: now), rebuilt from
/// the nearest keyframe, with the agenda's step current then; says which keyframe and how
/// many records it read.
pub async fn board_at(
    State(state): State<AppState>,
    caller: Caller<Researchers>,
    Query(query): Query<StateQuery>,
) -> Result<Json<Value>, ApiError> {
    let (room, records) = research_access(&state, caller).await?;
    let at = position(query.at.as_deref(), "at", Position::Seq(Seq::MAX))?;
    let mut seeker = Seeker::new(state.storage.as_ref(), &room, state.keyframe_spacing).await?;
    let seeked = seeker.state_at(at).await?;
    Ok(Json(state_json(&records, at, &seeked)))
}

#[derive(Deserialize)]
pub struct MetricsQuery {
    bucket_seconds: Option<u64>,
}

/// `GET /api/sessions/{id}/metrics?bucket_seconds=60`: participation figures.
pub async fn metrics(
    State(state): State<AppState>,
    caller: Caller<Researchers>,
    Path(id): Path<String>,
    Query(query): Query<MetricsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (room, records) = research_access(&state, caller).await?;
    let bucket = seconds(query.bucket_seconds, 60, "bucket_seconds")?;
    let mut counter = Counter::new(bucket.as_millis() as u64);
    let mut outcomes = Tracker::default();
    let storage = state.storage.as_ref();
    each_event(storage, &room, state.keyframe_spacing, &records, |event| {
        counter.add(event);
        outcomes.add(event);
    })
    .await?;
    let decisions = DECISIONS.all(storage, &id).await?.into_iter().collect();
    let evaluations = evaluation::all(storage, &id).await?;
    let mut body = serde_json::to_value(counter.finish()).unwrap_or_default();
    body["session"] = json!(id);
    body["bucket_seconds"] = json!(bucket.as_secs());
    body["outcomes"] = json!(outcomes.finish(&decisions).figures);
    body["evaluation"] = json!(evaluation::figures(&evaluations));
    Ok(Json(body))
}

/// A duration in seconds from a query, 1 s to a day.
fn seconds(value: Option<u64>, default: u64, name: &str) -> Result<Duration, ApiError> {
    match value.unwrap_or(default) {
        secs @ 1..=86_400 => Ok(Duration::from_secs(secs)),
        _ => Err(ApiError::bad_request(format!("{name} must be 1 to 86400"))),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    interval_seconds: Option<u64>,
}

/// `GET /api/sessions/{id}/export?interval_seconds=300`: the research dataset as a zip.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller<Researchers>,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let (room, records) = research_access(&state, caller).await?;
    let interval = seconds(query.interval_seconds, 300, "interval_seconds")?;
    let slot = export_slot(&state)?;
    let zip = write_dataset(
        state.storage.as_ref(),
        &room,
        state.keyframe_spacing,
        &records,
        interval,
        Cursor::new(Vec::new()),
    )
    .await
    .map_err(export_failed)?;
    Ok(zip_answer(
        zip.into_inner(),
        format!("cocreate-{id}.zip"),
        slot,
    ))
}

/// `GET /api/sessions/{id}/export.qdpx`: the session as a REFI-QDA project (a zip of
/// `project.qde` and `Sources/`), for qualitative analysis programs.
pub async fn export_qdpx(
    State(state): State<AppState>,
    caller: Caller<Researchers>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (room, records) = research_access(&state, caller).await?;
    let slot = export_slot(&state)?;
    let scope = ProjectScope {
        id: id.clone(),
        name: records.session.title.clone(),
        what: format!("Session {} ({})", id, records.session.title),
    };
    let material = session_material(&state, &room, records).await?;
    let zip = write_qdpx(&scope, &[material], Cursor::new(Vec::new())).map_err(export_failed)?;
    Ok(zip_answer(
        zip.into_inner(),
        format!("cocreate-{id}.qdpx"),
        slot,
    ))
}

/// What a REFI-QDA project needs of one session.
pub(super) async fn session_material(
    state: &AppState,
    room: &RoomId,
    records: SessionRecords,
) -> Result<SessionMaterial, ApiError> {
    let storage = state.storage.as_ref();
    let id = records.session.id.clone();
    let decisions = DECISIONS.all(storage, &id).await?.into_iter().collect();
    let memos = session_memos(storage, &id).await?;
    let material = SessionMaterial::gather(
        storage,
        room,
        state.keyframe_spacing,
        records,
        decisions,
        memos,
    )
    .await?;
    Ok(material)
}

/// One of the server's export places, or 429 when all are taken.
pub(super) fn export_slot(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    state.guards.exports.take().ok_or_else(|| {
        state.metrics.limited(Limit::Exports);
        let message = format!(
            "{MAX_CONCURRENT_EXPORTS} exports are being built on this server; try again shortly"
        );
        ApiError::limited(Limit::Exports, message, Some(EXPORT_RETRY_AFTER))
    })
}

/// A failed export as an answer: storage errors as themselves, the rest 500 `export_failed`.
pub(super) fn export_failed(e: ExportError) -> ApiError {
    match e {
        ExportError::Storage(e) => ApiError::from(e),
        other => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "export_failed",
            other.to_string(),
        ),
    }
}

/// A built zip as a download named `filename`.
pub(super) fn zip_answer(zip: Vec<u8>, filename: String, slot: OwnedSemaphorePermit) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    // The place is given back once the zip is sent (or the download given up), not before:
    // until then its bytes are in memory.
    let zip = Bytes::from(zip);
    let length = zip.len().to_string();
    let zip = futures_util::stream::iter([Ok(zip)]);
    let sent = futures_util::stream::once(async move {
        drop(slot);
        Ok::<_, std::convert::Infallible>(Bytes::new())
    });
    (
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CONTENT_LENGTH, length),
        ],
        HttpBody::from_stream(zip.chain(sent)),
    )
        .into_response()
}
