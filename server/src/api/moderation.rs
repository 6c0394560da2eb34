//! Moderation endpoints: kick, remove a participant's contributions, hide and unhide an item,
//! and reports (which hide an item pending review once there are enough of them). Document
//! edits are appended to the room's log like any update, so every client and node sees them
//! and the history keeps both the content and its removal.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::{Caller, Editors, Moderators};
use super::{append_edit, board, copies, drafts, text_field, Body};
use crate::error::ApiError;
use crate::receipt;
use crate::room::client_owners;
use crate::room_id::RoomId;
use crate::session::hidden::{self, WrittenRun};
use crate::session::{
    now_ms, Erasure, Hidden, Identity, ItemModeration, Participant, Report, ReportReason, Role,
    Session, SessionState,
};
use crate::state::AppState;
use crate::storage::Seq;
use cocreate_board::edit::{self, HiddenMark, ItemNotFound};
use cocreate_board::ERASED_TEXT;
use yrs::ClientID;

/// Longest moderation reason, in characters.
const MAX_REASON: usize = 200;

impl From<ItemNotFound> for ApiError {
    fn from(e: ItemNotFound) -> Self {
        ApiError::not_found("item_not_found", e.to_string())
    }
}

/// Refuses a participant id the session does not know.
async fn known_participant(
    state: &AppState,
    session: &str,
    pid: &str,
) -> Result<Participant, ApiError> {
    let participants = state.sessions.participants(session).await?;
    let participant = participants
        .into_iter()
        .find(|p| p.id == pid)
        .ok_or_else(|| {
            ApiError::not_found(
                "participant_not_found",
                "no such participant in this session",
            )
        })?;
    Ok(participant)
}

/// `POST …/participants/{pid}/kick`: disconnects the participant now and revokes every token
/// naming them, and, for an invite, everyone who joined through it.
pub async fn kick(
    State(state): State<AppState>,
    Caller(moderator, ..): Caller<Moderators>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    if pid == moderator.participant {
        return Err(ApiError::bad_request("you cannot kick yourself"));
    }
    let own = state
        .sessions
        .participant(&id, &moderator.participant)
        .await?;
    if own.and_then(|p| p.invited_by).as_deref() == Some(pid.as_str()) {
        return Err(ApiError::bad_request(
            "you joined through this invite: kicking it would kick you too",
        ));
    }
    let mut participant =
        serde_json::to_value(known_participant(&state, &id, &pid).await?).unwrap_or_default();
    let (session, joined) = state.sessions.kick(&id, &pid).await?;
    let reason =
        (!joined.is_empty()).then(|| format!("with {} who joined through it", joined.len()));
    state
        .sessions
        .record_action(&moderator, &id, "kick", &pid, reason)
        .await;
    state.announce(&session, "kicked").await;
    participant["kicked"] = json!(true);
    Ok(Json(
        json!({ "participant": participant, "kicked_with": joined }),
    ))
}

/// `POST …/participants/{pid}/remove-contributions`: deletes everything the participant
/// wrote (text an unhide restored for them included), as one edit every client receives, and
/// their part of hidden texts.
pub async fn remove_contributions(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    known_participant(&state, &id, &pid).await?;
    let (room, doc) = board(&state, &session.id).await?;
    let clients = session.with_restored(clients_of(&state, &room, &pid).await?);
    let removed = match edit::remove_clients(&doc, &clients) {
        Some(update) => {
            append_edit(&state, &room, Some(&moderator.participant), update).await?;
            clients.len()
        }
        None => 0,
    };
    // What they wrote into hidden items goes too: it would come back on unhide.
    state
        .sessions
        .update(&id, |session| {
            for hidden in session.items.values_mut().filter_map(|m| m.hidden.as_mut()) {
                hidden.replace_runs(&clients, false, "");
            }
            Ok::<_, ApiError>(())
        })
        .await?;
    state
        .sessions
        .record_action(&moderator, &id, "remove-contributions", &pid, None)
        .await;
    drafts::discard(&state, &id, &pid).await?;
    copies::follow(&state, &id).await?;
    tracing::info!(session = %id, participant = %pid, clients = removed, "contributions removed");
    Ok(Json(json!({ "removed_clients": removed })))
}

/// The Yjs client ids a participant owns, from the whole log.
async fn clients_of(
    state: &AppState,
    room: &RoomId,
    participant: &str,
) -> Result<HashSet<ClientID>, ApiError> {
    let owners = client_owners(room, state.storage.as_ref(), Seq::MAX).await?;
    Ok(owners.clients_of(participant))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    /// Replace the text they wrote by a redaction marker too (not only their name).
    #[serde(default)]
    text: bool,
}

/// `POST …/participants/{pid}/erase`: a data-subject request. Removes the participant's
/// display name everywhere (their record, the board's items, every research output), with
/// `text` also the text they wrote (live board, hidden items, history, exports), and
/// revokes their tokens. What stays: their pseudonym and that they contributed (the event
/// skeleton), and the raw update log (see `server/README.md`, "Erasure").
pub async fn erase(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Path((id, pid)): Path<(String, String)>,
    Body(request): Body<EraseRequest>,
) -> Result<Json<Value>, ApiError> {
    if pid == moderator.participant {
        return Err(ApiError::bad_request("you cannot erase yourself"));
    }
    let mut participant = known_participant(&state, &id, &pid).await?;
    // Out first, so that nothing they write from now on escapes the erasure.
    let (revoked, ()) = state
        .sessions
        .update(&id, |session| {
            session.revoked.entry(pid.clone()).or_insert_with(now_ms);
            Ok::<_, ApiError>(())
        })
        .await?;
    state.announce(&revoked, "kicked").await;
    let (room, doc) = board(&state, &session.id).await?;
    let clients = session.with_restored(clients_of(&state, &room, &pid).await?);
    if let Some(update) = edit::erase(&doc, &pid, &clients, request.text) {
        append_edit(&state, &room, Some(&moderator.participant), update).await?;
    }
    participant.display_name.clear();
    state
        .sessions
        .replace_participant(&id, &participant)
        .await?;
    receipt::remove(state.storage.as_ref(), &id, &pid).await?;
    let erasure = Erasure {
        at: now_ms(),
        text: request.text,
        clients: clients.iter().map(|c| c.get()).collect(),
    };
    let (session, ()) = state
        .sessions
        .update(&id, |session| {
            session.erased.insert(pid.clone(), erasure.clone());
            if request.text {
                for (item, moderation) in session.items.iter_mut() {
                    let theirs = edit::author_of(&doc, item).as_deref() == Some(&pid);
                    if let Some(hidden) = moderation.hidden.as_mut() {
                        hidden.replace_runs(&clients, theirs, ERASED_TEXT);
                    }
                }
            }
            Ok::<_, ApiError>(())
        })
        .await?;
    let what = if request.text {
        "name and text"
    } else {
        "name"
    };
    state
        .sessions
        .record_action(&moderator, &id, "erase", &pid, Some(what.into()))
        .await;
    if request.text {
        drafts::discard(&state, &id, &pid).await?;
    }
    copies::follow(&state, &id).await?;
    state.announce(&session, "updated").await;
    tracing::info!(session = %id, participant = %pid, text = request.text, "participant erased");
    Ok(Json(
        json!({ "participant": participant, "erased": erasure }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HideRequest {
    reason: String,
}

/// `POST …/items/{item}/hide`: hides an item (reversibly) with a reason.
pub async fn hide(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Path((id, item)): Path<(String, String)>,
    Body(request): Body<HideRequest>,
) -> Result<Json<Value>, ApiError> {
    let reason = text_field(&request.reason, "reason", MAX_REASON)?;
    let hidden = hide_item(
        &state,
        &session,
        &item,
        &reason,
        &moderator.participant,
        false,
    )
    .await?;
    state
        .sessions
        .record_action(&moderator, &id, "hide", &item, Some(reason))
        .await;
    copies::follow(&state, &id).await?;
    Ok(Json(json!({ "item": hidden })))
}

/// Hides an item: its text, with who wrote each run, goes into the session record first (so
/// it is never lost), then the edit that removes it from the document goes into the log.
pub(super) async fn hide_item(
    state: &AppState,
    session: &Session,
    item: &str,
    reason: &str,
    by: &str,
    pending_review: bool,
) -> Result<Value, ApiError> {
    let (room, doc) = board(state, &session.id).await?;
    let at = now_ms();
    let mark = HiddenMark {
        reason,
        at,
        pending_review,
    };
    let mut runs = hidden::written_runs(&doc, item);
    let (update, removed) = edit::hide(&doc, item, &mark)?;
    if runs.iter().map(|r| r.text.as_str()).collect::<String>() != removed {
        // Not a Y.Text: one run, by nobody known.
        runs = vec![WrittenRun {
            text: removed,
            writer: None,
        }];
    }
    let (_, moderation) = state
        .sessions
        .update(&session.id, |session| {
            let entry = session.item(item);
            // Hidden again: keep what was hidden before, plus anything typed since.
            let mut all = entry.hidden.as_ref().map(Hidden::runs).unwrap_or_default();
            all.extend(runs.iter().cloned());
            let mut hidden = Hidden {
                reason: reason.to_owned(),
                by: by.to_owned(),
                at,
                pending_review,
                text: String::new(),
                writers: Vec::new(),
            };
            hidden.set_runs(all);
            entry.hidden = Some(hidden);
            Ok::<_, ApiError>(entry.clone())
        })
        .await?;
    append_edit(state, &room, Some(by), update).await?;
    Ok(serde_json::to_value(moderation).unwrap_or_default())
}

/// `POST …/items/{item}/unhide`: puts a hidden item's text back, each writer's runs under a
/// client id recorded as theirs; its reports count as reviewed.
pub async fn unhide(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Path((id, item)): Path<(String, String)>,
    _body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let moderation = unhide_item(&state, &session, &item, &moderator.participant).await?;
    state
        .sessions
        .record_action(&moderator, &id, "unhide", &item, None)
        .await;
    copies::follow(&state, &id).await?;
    Ok(Json(json!({ "item": moderation })))
}

/// Unhides an item: the session records which fresh client id restores whose text before the
/// edit that puts it back goes into the log.
pub(super) async fn unhide_item(
    state: &AppState,
    session: &Session,
    item: &str,
    by: &str,
) -> Result<ItemModeration, ApiError> {
    let Some(hidden) = session.items.get(item).and_then(|i| i.hidden.clone()) else {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "not_hidden",
            "this item is not hidden",
        ));
    };
    let (room, doc) = board(state, &session.id).await?;
    let unhidden = edit::unhide(&doc, item, &hidden.runs())?;
    // Whose text each restoring client id carries is known before the text is back.
    state
        .sessions
        .update(&session.id, |session| {
            session.record_restored(&unhidden.restored);
            Ok::<_, ApiError>(())
        })
        .await?;
    append_edit(state, &room, Some(by), unhidden.update).await?;
    let (_, moderation) = state
        .sessions
        .update(&session.id, |session| {
            let entry = session.item(item);
            entry.hidden = None;
            entry.reports.clear();
            Ok::<_, ApiError>(entry.clone())
        })
        .await?;
    Ok(moderation)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    reason: ReportReason,
}

/// `POST …/items/{item}/report`: a participant who may edit reports an item; enough reports
/// hide it until a moderator reviews it. Each person counts once: a participant who joined
/// through an invite counts as that invite.
pub async fn report(
    State(state): State<AppState>,
    Caller(reporter, session, ..): Caller<Editors>,
    Path((id, item)): Path<(String, String)>,
    Body(request): Body<ReportRequest>,
) -> Result<Json<Value>, ApiError> {
    if session.state == SessionState::Closed {
        return Err(ApiError::session_closed());
    }
    let (_, doc) = board(&state, &session.id).await?;
    if !edit::has_item(&doc, &item) {
        return Err(ItemNotFound(item).into());
    }
    let invite = (state
        .sessions
        .participant(&id, &reporter.participant)
        .await?)
        .and_then(|p| p.invited_by);
    let (session, (reports, hidden)) = state
        .sessions
        .update(&id, |session| {
            let entry = session.item(&item);
            let report = Report {
                by: reporter.participant.clone(),
                reason: request.reason,
                at: now_ms(),
                invite: invite.clone(),
            };
            entry.reports.retain(|r| r.reporter() != report.reporter());
            entry.reports.push(report);
            Ok::<_, ApiError>((entry.reports.len(), entry.hidden.is_some()))
        })
        .await?;
    let auto_hide = !hidden && reports >= state.auto_hide_reports;
    if auto_hide {
        hide_item(&state, &session, &item, "reported", "reports", true).await?;
        let system = Identity {
            session: id.clone(),
            participant: "reports".into(),
            role: Role::Moderator,
            name: format!("{reports} reports"),
        };
        state
            .sessions
            .record_action(&system, &id, "auto-hide", &item, Some("reported".into()))
            .await;
    }
    // Moderators' consoles list reports as they arrive (issue 28), not on their next refresh.
    state.announce(&session, "reported").await;
    Ok(Json(
        json!({ "item": { "reports": reports, "hidden": hidden || auto_hide } }),
    ))
}
