//! Processes: `POST /api/processes` (admin key) creates one, `GET /api/processes/{id}` shows
//! it with its sessions (to a moderator of one of them, or the admin key), and
//! `GET /api/processes/{id}/results` (no token) gathers its sessions' published results, and
//! `GET /api/processes/{id}/export.qdpx` (a researcher or moderator of one of its sessions) is
//! its sessions together as one REFI-QDA project, and `…/metrics` and `…/export` (the same
//! callers) its research view: participation by phase of the cycle, cards carried forward and
//! decided, as figures and as a dataset.
//! Sessions join a process when they are created (`crate::session::process::enrol`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use std::io::Cursor;

use super::caller::{bearer, check_member, require_admin_key, Requester};
use super::history::{export_failed, export_slot, session_material, zip_answer};
use super::results::{not_published, published, PUBLIC_RESULTS};
use super::revalidate::revalidated_json;
use super::{plain_text, public_read, room_of, text_field, Body};
use crate::dataset::process::{write_process_dataset, ProcessView};
use crate::dataset::qdpx::{write_qdpx, ProjectScope};
use crate::error::ApiError;
use crate::history::session_records;
use crate::receipt::evaluation;
use crate::session::process::{Process, ALL_PROCESSES, PROCESSES, PROCESS_SESSIONS};
use crate::session::{ids, now_ms, now_secs, Role, Session};
use crate::state::AppState;

/// Longest process title and organisation name, and description, in characters.
const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 2000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProcess {
    title: String,
    #[serde(default)]
    description: String,
    organisation: Option<String>,
}

/// `POST /api/processes` (admin key): creates a process; 201 with the process.
pub async fn create(
    State(state): State<AppState>,
    requester: Requester,
    Body(new): Body<NewProcess>,
) -> Result<Response, ApiError> {
    require_admin_key(&state, &requester)?;
    let process = Process {
        id: ids::session_id(),
        title: text_field(&new.title, "title", MAX_TITLE)?,
        description: plain_text(&new.description, "description", MAX_DESCRIPTION)?,
        organisation: match &new.organisation {
            Some(name) => Some(text_field(name, "organisation", MAX_TITLE)?),
            None => None,
        },
        created_at: now_ms(),
    };
    PROCESSES
        .put(state.storage.as_ref(), ALL_PROCESSES, &process.id, &process)
        .await?;
    tracing::info!(process = %process.id, "process created");
    let body = json!({ "sessions": [] });
    Ok((StatusCode::CREATED, Json(with_process(&process, body))).into_response())
}

/// A process and its sessions, oldest first.
async fn process_and_sessions(
    state: &AppState,
    id: &str,
) -> Result<(Process, Vec<Session>), ApiError> {
    let storage = state.storage.as_ref();
    let process = PROCESSES
        .get(storage, ALL_PROCESSES, id)
        .await?
        .ok_or_else(ApiError::process_not_found)?;
    let mut sessions = Vec::new();
    for (session, _) in PROCESS_SESSIONS.all(storage, id).await? {
        if let Some(session) = state.sessions.get(&session).await? {
            sessions.push(session);
        }
    }
    sessions.sort_by_key(|s| s.created_at);
    Ok((process, sessions))
}

/// The process's fields, with `rest`'s fields after them.
fn with_process(process: &Process, mut rest: Value) -> Value {
    let mut body = json!(process);
    if let (Some(body), Some(rest)) = (body.as_object_mut(), rest.as_object_mut()) {
        body.append(rest);
    }
    body
}

/// `GET /api/processes/{id}`: the process and its sessions with their cycle phase, and the
/// evaluation figures, for the admin key (over all its sessions) or a moderator of one of its
/// sessions (over that session only: a moderator sees no figures of sessions they do not
/// moderate).
pub async fn details(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    // A token has three dot-separated parts; anything else is taken for the admin key, and a
    // wrong one counts as an admin-key attempt (so this is no way around that limit).
    let presented = bearer(&requester.headers)?;
    let identity = match presented.split('.').count() {
        3 => Some(state.tokens.verify(presented, now_secs())?),
        _ => {
            require_admin_key(&state, &requester)?;
            None
        }
    };
    let (process, sessions) = process_and_sessions(&state, &id).await?;
    if let Some(identity) = &identity {
        let theirs = sessions.iter().find(|s| s.id == identity.session);
        let Some(session) = theirs.filter(|_| identity.role == Role::Moderator) else {
            return Err(ApiError::forbidden(
                "only a moderator of one of the process's sessions may see it",
            ));
        };
        check_member(identity, session)?;
    }
    let mut listed = Vec::new();
    let mut evaluations = Vec::new();
    for session in &sessions {
        if identity.as_ref().is_none_or(|i| i.session == session.id) {
            evaluations.extend(evaluation::all(state.storage.as_ref(), &session.id).await?);
        }
        let published = super::results::is_published(&state, &session.id).await?;
        listed.push(json!({
            "id": session.id,
            "title": session.title,
            "state": session.state,
            "cycle_phase": session.cycle.cycle_phase,
            "created_at": session.created_at,
            "results_published": published,
        }));
    }
    let figures = evaluation::figures(&evaluations);
    let body = json!({ "sessions": listed, "evaluation": figures });
    Ok(Json(with_process(&process, body)))
}

/// `GET /api/processes/{id}/results` (no token): the published results of the process's
/// sessions, in the order they were held, with counts over all of them; 404 while none is
/// published.
pub async fn results(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    public_read(&state, &requester)?;
    let (process, sessions) = match process_and_sessions(&state, &id).await {
        Err(e) if e.code == "process_not_found" => return Err(not_published()),
        other => other?,
    };
    let mut listed = Vec::new();
    let mut counts = [0u64; 3];
    for session in &sessions {
        let Some(mut results) = published(&state, &session.id).await? else {
            continue;
        };
        for (count, name) in counts
            .iter_mut()
            .zip(["contributions", "decided", "accepted"])
        {
            *count += results["counts"][name].as_u64().unwrap_or(0);
        }
        results["session"]["cycle_phase"] = json!(session.cycle.cycle_phase);
        listed.push(results);
    }
    if listed.is_empty() {
        return Err(not_published());
    }
    let [contributions, decided, accepted] = counts;
    let body = json!({
        "process": {
            "id": process.id,
            "title": process.title,
            "description": process.description,
            "organisation": process.organisation,
        },
        "counts": { "contributions": contributions, "decided": decided, "accepted": accepted },
        "sessions": listed,
    });
    Ok(revalidated_json(&requester.headers, PUBLIC_RESULTS, &body))
}

/// The sessions of a process the caller may study, for a researcher or moderator of one of
/// them: their own session (a researcher's only while it is recorded), and every other session
/// of the process that is recorded for research, in the order they were held; and the ids of
/// those left out.
async fn studied_sessions(
    state: &AppState,
    requester: &Requester,
    id: &str,
) -> Result<(Process, Vec<Session>, Vec<String>), ApiError> {
    let identity = state
        .tokens
        .verify(bearer(&requester.headers)?, now_secs())?;
    let (process, sessions) = process_and_sessions(state, id).await?;
    let theirs = sessions.iter().find(|s| s.id == identity.session);
    let allowed = [Role::Moderator, Role::Researcher].contains(&identity.role);
    let Some(own) = theirs.filter(|_| allowed) else {
        return Err(ApiError::forbidden(
            "only a researcher or moderator of one of the process's sessions may study it",
        ));
    };
    check_member(&identity, own)?;
    if identity.role == Role::Researcher && !own.research.recorded {
        return Err(ApiError::not_recorded());
    }
    let own = own.id.clone();
    let (included, left_out): (Vec<Session>, Vec<Session>) = sessions
        .into_iter()
        .partition(|s| s.id == own || s.research.recorded);
    let left_out = left_out.into_iter().map(|s| s.id).collect();
    Ok((process, included, left_out))
}

/// `GET /api/processes/{id}/export.qdpx`: the process's sessions as one REFI-QDA project (a
/// source per session, in the order they were held), for a researcher or moderator of one of
/// them, of the sessions they may study ([`studied_sessions`]; the project's description
/// names those left out).
pub async fn export_qdpx(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (process, included, left_out) = studied_sessions(&state, &requester, &id).await?;
    let slot = export_slot(&state)?;
    let mut materials = Vec::new();
    for session in &included {
        let Some(records) = session_records(&state.sessions, &session.id).await? else {
            continue;
        };
        let room = room_of(&session.id)?;
        materials.push(session_material(&state, &room, records).await?);
    }
    let mut what = format!("Process {} ({})", process.id, process.title);
    if !left_out.is_empty() {
        what.push_str(&format!(
            "; sessions not recorded for research are left out: {}",
            left_out.join(", ")
        ));
    }
    let scope = ProjectScope {
        id: process.id.clone(),
        name: process.title.clone(),
        what,
    };
    let zip = write_qdpx(&scope, &materials, Cursor::new(Vec::new())).map_err(export_failed)?;
    Ok(zip_answer(
        zip.into_inner(),
        format!("cocreate-process-{id}.qdpx"),
        slot,
    ))
}

/// The research view of the process's sessions the caller may study ([`studied_sessions`]).
async fn process_view(
    state: &AppState,
    requester: &Requester,
    id: &str,
) -> Result<ProcessView, ApiError> {
    let (process, included, left_out) = studied_sessions(state, requester, id).await?;
    let mut sessions = Vec::new();
    for session in &included {
        if let Some(records) = session_records(&state.sessions, &session.id).await? {
            sessions.push((room_of(&session.id)?, records));
        }
    }
    let storage = state.storage.as_ref();
    let view =
        ProcessView::gather(storage, state.keyframe_spacing, process, sessions, left_out).await?;
    tracing::info!(process = %id, sessions = view.sessions.len(), carried = view.carried.len(), "process view gathered");
    Ok(view)
}

/// `GET /api/processes/{id}/metrics`: participation by phase of the cycle and the cards carried
/// forward and decided, over the sessions the caller may study.
pub async fn metrics(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = process_view(&state, &requester, &id).await?;
    Ok(Json(json!(view)))
}

/// `GET /api/processes/{id}/export`: the same as a dataset (a zip of CSV files and a README).
pub async fn export(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let slot = export_slot(&state)?;
    let view = process_view(&state, &requester, &id).await?;
    let zip = write_process_dataset(&view, Cursor::new(Vec::new())).map_err(export_failed)?;
    Ok(zip_answer(
        zip.into_inner(),
        format!("cocreate-process-{id}.zip"),
        slot,
    ))
}
