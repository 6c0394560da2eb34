//! Session endpoints: create (admin), join (by code or invite), read, change settings, lock,
//! unlock, close, and the audit log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Json;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::caller::{
    check_member, require_admin_key, Caller, Everyone, Moderators, Requester, Researchers,
};
use super::{append_as, attempt, public_url, room_of, text_field, Body, Query};
use crate::error::ApiError;
use crate::limits::Limit;
use crate::receipt::{self, receipt_url};
use crate::session::disclosure::SessionDisclosure;
use crate::session::process::{enrol, Cycle, CyclePhase};
use crate::session::store::SessionStore;
use crate::session::token::TokenKey;
use crate::session::{
    ids, language, now_ms, now_secs, Identity, Participant, Research, Role, Session, SessionState,
    Template,
};
use crate::state::AppState;
use crate::storage::SharedStorage;
use cocreate_board::Disclosure;

/// Longest session title and display name, in characters.
const MAX_TITLE: usize = 200;
const MAX_NAME: usize = 60;
const MAX_PHASE: usize = 40;
/// Most dot-votes a moderator can hand each participant.
pub(super) const MAX_VOTES: u32 = 100;

/// What `POST /api/sessions` (and `cocreate session create`) is asked to create.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    pub title: String,
    pub template: Template,
    pub language: String,
    #[serde(default)]
    pub research: Research,
    /// The process the session belongs to (its id) and the cycle phase it serves.
    #[serde(default)]
    pub process: Option<String>,
    #[serde(default)]
    pub cycle_phase: Option<CyclePhase>,
}

/// What creating a session touches. The HTTP handler takes it from [`AppState`];
/// `cocreate session create` makes it from the store, so that both create sessions alike.
pub struct SessionMaker {
    pub storage: SharedStorage,
    pub sessions: SessionStore,
    pub tokens: TokenKey,
    pub token_ttl: Duration,
    /// Named as the writer of the seeded board: the node, or the command line.
    pub node: Arc<str>,
}

/// `POST /api/sessions`: creates a session with its seeded board and one invite per role.
pub async fn create(
    State(state): State<AppState>,
    requester: Requester,
    Body(new): Body<NewSession>,
) -> Result<Response, ApiError> {
    require_admin_key(&state, &requester)?;
    let maker = SessionMaker {
        storage: state.storage.clone(),
        sessions: state.sessions.clone(),
        tokens: state.tokens.clone(),
        token_ttl: state.token_ttl,
        node: state.node.clone(),
    };
    let body = maker
        .create(new, &public_url(&state, &requester.headers))
        .await?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

impl SessionMaker {
    /// Creates a session with its seeded board and one invite per role, with links on `base`
    /// (the web client's address); returns what `POST /api/sessions` answers.
    pub async fn create(&self, new: NewSession, base: &str) -> Result<Value, ApiError> {
        let title = text_field(&new.title, "title", MAX_TITLE)?;
        let language = language(&new.language)?;
        let id = ids::session_id();
        let cycle = Cycle {
            process: new.process,
            cycle_phase: new.cycle_phase,
        };
        if !enrol(self.storage.as_ref(), &cycle, &id, now_ms()).await? {
            return Err(ApiError::process_not_found());
        }
        // The board first: a session is never visible without its seeded document.
        let seed = cocreate_board::seed(new.template);
        append_as(&self.storage, &self.node, &room_of(&id)?, None, seed).await?;
        let session = self
            .sessions
            .create(&id, title, new.template, language, new.research, cycle)
            .await?;
        let mut invites = serde_json::Map::new();
        for role in Role::ALL {
            let participant = Participant {
                id: ids::participant_id(),
                display_name: invite_name(role).to_owned(),
                role,
                language: session.language.clone(),
                joined_at: now_ms(),
                research_consent: None,
                invite: true,
                invited_by: None,
            };
            self.sessions.add_participant(&id, &participant).await?;
            let (token, _) = issue(&self.tokens, self.token_ttl, &session, &participant);
            let url = link(base, &format!("invite={token}"), &session);
            invites.insert(role.as_str().into(), json!({ "token": token, "url": url }));
        }
        tracing::info!(session = %id, template = ?new.template, "session created");
        Ok(json!({
            "id": id,
            "join_code": session.join_code,
            "join_url": join_url(base, &session),
            "invites": invites,
            "session": session.view_for(Role::Moderator),
        }))
    }
}

/// The web client's page for `fragment` (`code=…`, `invite=…`) in `session`'s language
/// (`&lang=nl`), so that its first screen, the join page, opens in the session's language.
fn link(base: &str, fragment: &str, session: &Session) -> String {
    format!("{base}/#{fragment}&lang={}", session.language)
}

/// The link that joins `session` with its join code, in its language.
pub(super) fn join_url(base: &str, session: &Session) -> String {
    link(base, &format!("code={}", session.join_code), session)
}

/// The display name of an invite's shared participant.
fn invite_name(role: Role) -> &'static str {
    match role {
        Role::Moderator => "Moderator",
        Role::Citizen => "Citizen",
        Role::Observer => "Observer",
        Role::Researcher => "Researcher",
    }
}

/// A token for a participant; returns it with its expiry (seconds since the epoch).
fn issue(
    tokens: &TokenKey,
    ttl: Duration,
    session: &Session,
    participant: &Participant,
) -> (String, u64) {
    let identity = Identity {
        session: session.id.clone(),
        participant: participant.id.clone(),
        role: participant.role,
        name: participant.display_name.clone(),
    };
    let now = now_secs();
    let expires = now + ttl.as_secs();
    (tokens.issue(&identity, now, expires), expires)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    code: Option<String>,
    invite: Option<String>,
    display_name: String,
    language: Option<String>,
    /// The answer to the session's research consent question, when it asks one.
    research_consent: Option<bool>,
}

/// How a join page names the session it joins, before anyone has a token: a typed join code or
/// an invite link's token (`GET /api/join/preview?code=…` or `?invite=…`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    code: Option<String>,
    invite: Option<String>,
}

/// `GET /api/join/{code}`: [`preview`] for a join code in the path (what the web client's join
/// page asked before invites could be previewed too).
pub async fn preview_code(
    state: State<AppState>,
    requester: Requester,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let query = PreviewQuery {
        code: Some(code),
        invite: None,
    };
    preview(state, requester, Query(query)).await
}

/// `GET /api/join/preview`: what a join page shows before anyone joins: which session the code or
/// invite opens, in which language (the page's default), whether it is closed and whether
/// joining asks for research consent; nothing about anyone in it. Counted like a join (a join
/// code and an invite are secrets).
pub async fn preview(
    State(state): State<AppState>,
    requester: Requester,
    Query(query): Query<PreviewQuery>,
) -> Result<Json<Value>, ApiError> {
    attempt(&state, &requester)?;
    let (session, ..) = entered(&state, query.code.as_deref(), query.invite.as_deref()).await?;
    Ok(Json(json!({
        "title": session.title,
        "template": session.template,
        "language": session.language,
        "state": session.state,
        "research": session.research,
    })))
}

/// The session a join by join `code` or by `invite` enters, the role it gives and the invite's
/// participant (who invited). 404 for an unknown code or a session gone, 403 `not_an_invite` for
/// a personal token, 400 unless exactly one of the two is given.
async fn entered(
    state: &AppState,
    code: Option<&str>,
    invite: Option<&str>,
) -> Result<(Session, Role, Option<String>), ApiError> {
    match (code, invite) {
        (Some(code), None) => Ok((by_code(state, code).await?, Role::Citizen, None)),
        (None, Some(invite)) => {
            let inviter = state.tokens.verify(invite, now_secs())?;
            let session = state.sessions.get(&inviter.session).await?.ok_or_else(|| {
                ApiError::not_found("session_not_found", "the invited session no longer exists")
            })?;
            check_member(&inviter, &session)?;
            let invite = state
                .sessions
                .participant(&session.id, &inviter.participant);
            if !invite.await?.is_some_and(|p| p.invite) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "not_an_invite",
                    "this is a personal token, not an invite: join with the join code or an invite link",
                ));
            }
            Ok((session, inviter.role, Some(inviter.participant)))
        }
        _ => Err(ApiError::bad_request(
            "send either a join code (\"code\") or an invite token (\"invite\")",
        )),
    }
}

/// The session a typed join code opens; 404 `join_code_not_found` for none.
async fn by_code(state: &AppState, code: &str) -> Result<Session, ApiError> {
    state
        .sessions
        .by_code(code)
        .await?
        .ok_or_else(|| ApiError::not_found("join_code_not_found", "no session has this join code"))
}

/// `POST /api/join`: a personal token, as a citizen (join code) or with an invite's role.
pub async fn join(
    State(state): State<AppState>,
    requester: Requester,
    Body(request): Body<JoinRequest>,
) -> Result<Json<Value>, ApiError> {
    attempt(&state, &requester)?;
    let display_name = text_field(&request.display_name, "display_name", MAX_NAME)?;
    let (session, role, invited_by) =
        entered(&state, request.code.as_deref(), request.invite.as_deref()).await?;
    // Researchers replay a session after it ends (never in the live room): their invite still
    // admits them once it is closed. Nobody else joins a closed session.
    if session.state == SessionState::Closed && role != Role::Researcher {
        return Err(ApiError::session_closed());
    }
    let language = match &request.language {
        Some(value) => language(value)?,
        None => session.language.clone(),
    };
    let asks_consent = session.research.recorded && session.research.consent_required;
    if asks_consent && request.research_consent.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "consent_required",
            "this session is recorded for research: answer research_consent (true or false)",
        ));
    }
    let joined = state.sessions.participants(&session.id).await?.len();
    if joined >= state.guards.max_participants {
        state.metrics.limited(Limit::Participants);
        let message = format!("this session is full ({joined} participants)");
        return Err(ApiError::limited(Limit::Participants, message, None));
    }
    let participant = Participant {
        id: ids::participant_id(),
        display_name,
        role,
        language,
        joined_at: now_ms(),
        research_consent: request.research_consent,
        invite: false,
        invited_by,
    };
    state
        .sessions
        .add_participant(&session.id, &participant)
        .await?;
    if !state.sessions.admits(&session.id, &participant).await? {
        return Err(ApiError::revoked());
    }
    let (token, expires) = issue(&state.tokens, state.token_ttl, &session, &participant);
    let receipt = receipt::issue(state.storage.as_ref(), &session.id, &participant.id).await?;
    tracing::info!(session = %session.id, participant = %participant.id, role = role.as_str(), "participant joined");
    Ok(Json(json!({
        "token": token,
        "expires_at": expires,
        "participant_id": participant.id,
        "display_name": participant.display_name,
        "role": role,
        "session": session.view_for(role),
        "receipt_url": receipt_url(&public_url(&state, &requester.headers), &receipt),
        "receipt": receipt,
    })))
}

/// `GET /api/me`: the token's session and who the token names, with their receipt (a shared
/// invite's participant has none).
pub async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(identity, session, ..): Caller<Everyone>,
) -> Result<Json<Value>, ApiError> {
    let mut body = json!({
        "session": session.view_for(identity.role),
        "you": identity.you(&session),
    });
    let receipt = receipt::of(state.storage.as_ref(), &session.id, &identity.participant).await?;
    if let Some(receipt) = receipt {
        body["receipt_url"] = json!(receipt_url(&public_url(&state, &headers), &receipt));
        body["receipt"] = json!(receipt);
    }
    Ok(Json(body))
}

/// `GET /api/sessions/{id}`: everything a moderator sees, hidden texts included.
pub async fn details(
    State(state): State<AppState>,
    Caller(_, session, ..): Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(moderator_view(&state.sessions, &session).await?))
}

/// A session as its moderators see it: its settings, its participants (who was kicked) and
/// its items' moderation, hidden texts included. Also what `cocreate session show` prints.
pub async fn moderator_view(sessions: &SessionStore, session: &Session) -> Result<Value, ApiError> {
    let participants: Vec<Value> = sessions
        .participants(&session.id)
        .await?
        .into_iter()
        .map(|p| {
            let kicked = session.removes(&p);
            let mut value = serde_json::to_value(&p).unwrap_or_default();
            value["kicked"] = json!(kicked);
            value
        })
        .collect();
    let mut body = session.view_for(Role::Moderator);
    body["participants"] = json!(participants);
    body["moderation"] = json!({ "items": session.items });
    Ok(body)
}

/// Reads a field that may be given as `null`: absent stays `None`, `null` is `Some(None)`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionChange {
    title: Option<String>,
    phase: Option<String>,
    #[serde(default, deserialize_with = "present")]
    timer_ends_at: Option<Option<u64>>,
    votes_per_participant: Option<u32>,
    research: Option<Research>,
}

/// `PATCH /api/sessions/{id}`: title, phase, timer, dot-votes and research settings.
pub async fn change(
    State(state): State<AppState>,
    Caller(moderator, current, ..): Caller<Moderators>,
    Path(id): Path<String>,
    Body(change): Body<SessionChange>,
) -> Result<Json<Value>, ApiError> {
    let title = change
        .title
        .as_deref()
        .map(|t| text_field(t, "title", MAX_TITLE))
        .transpose()?;
    let phase = match change.phase.as_deref().map(str::trim) {
        Some(phase) if phase.chars().count() > MAX_PHASE || phase.chars().any(char::is_control) => {
            return Err(ApiError::bad_request(format!(
                "phase must be at most {MAX_PHASE} characters"
            )))
        }
        phase => phase.map(str::to_owned),
    };
    if let Some(research) = &change.research {
        let joined = state.sessions.participants(&id).await?.len() > Role::ALL.len();
        if joined && loosens(&current.research, research) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "research_terms_fixed",
                "people joined under the current research terms: they can be made stricter, \
                 not looser (record, keep names, or stop asking for consent)",
            ));
        }
    }
    if change.votes_per_participant.is_some_and(|v| v > MAX_VOTES) {
        return Err(ApiError::bad_request(format!(
            "votes_per_participant must be 0 to {MAX_VOTES}"
        )));
    }
    let (session, ()) = state
        .sessions
        .update(&id, |session| {
            if session.state == SessionState::Closed {
                return Err(ApiError::session_closed());
            }
            let sets_timing = phase.is_some() || change.timer_ends_at.is_some();
            if sets_timing && session.agenda.current.is_some() {
                return Err(ApiError::step_current());
            }
            if let Some(title) = &title {
                session.title = title.clone();
            }
            if let Some(phase) = &phase {
                session.phase = phase.clone();
            }
            if let Some(timer) = change.timer_ends_at {
                session.timer_ends_at = timer;
            }
            if let Some(votes) = change.votes_per_participant {
                session.votes_per_participant = votes;
            }
            if let Some(research) = &change.research {
                session.research = research.clone();
            }
            Ok(())
        })
        .await?;
    let summary = json!({
        "title": change.title, "phase": change.phase,
        "timer_ends_at": change.timer_ends_at, "votes_per_participant": change.votes_per_participant,
        "research": change.research,
    });
    state
        .sessions
        .record_action(&moderator, &id, "update", &id, Some(summary.to_string()))
        .await;
    state.announce(&session, "updated").await;
    Ok(Json(
        json!({ "session": session.view_for(Role::Moderator) }),
    ))
}

/// Whether new research terms disclose more than the old ones: people joined under the old.
fn loosens(old: &Research, new: &Research) -> bool {
    (new.recorded && !old.recorded)
        || (new.keep_names && !old.keep_names)
        || (old.consent_required && !new.consent_required)
}

/// `POST /api/sessions/{id}/lock`, `…/unlock`, `…/close`: the handler that moves a session to
/// `to` and announces `event`. Locked: only moderators edit until unlocked; closed: nobody
/// edits any more, and a closed session stays closed.
pub fn transition(to: SessionState, event: &'static str) -> MethodRouter<AppState> {
    post(move |State(state): State<AppState>, caller| move_to(state, caller, to, event))
}

async fn move_to(
    state: AppState,
    Caller(moderator, session, ..): Caller<Moderators>,
    to: SessionState,
    event: &str,
) -> Result<Json<Value>, ApiError> {
    let id = session.id;
    let (session, moved) = move_session(&state.sessions, &id, to).await?;
    if moved.changed {
        state
            .sessions
            .record_action(&moderator, &id, event, &id, None)
            .await;
        if let Some(step) = &moved.ended_step {
            let reason = Some("closed".to_owned());
            state
                .sessions
                .record_action(&moderator, &id, "step-ended", step, reason)
                .await;
        }
        state.announce(&session, event).await;
    }
    Ok(Json(
        json!({ "session": session.view_for(Role::Moderator) }),
    ))
}

/// What moving a session did.
pub struct Moved {
    /// Its state changed.
    pub changed: bool,
    /// The agenda step that was under way, which closing ended (in the same change).
    pub ended_step: Option<String>,
}

/// Moves a session to `to` (a closed one stays closed). Closing ends the agenda's step under
/// way: nothing is under way in a session that is over.
pub async fn move_session(
    sessions: &SessionStore,
    id: &str,
    to: SessionState,
) -> Result<(Arc<Session>, Moved), ApiError> {
    let now = now_ms();
    sessions
        .update(id, |session| {
            if session.state == SessionState::Closed && to != SessionState::Closed {
                return Err(ApiError::session_closed());
            }
            let changed = session.state != to;
            session.state = to;
            let ended_step = match to {
                SessionState::Closed => session.agenda.end(now).ok().flatten(),
                _ => None,
            };
            Ok(Moved {
                changed,
                ended_step,
            })
        })
        .await
}

/// `GET /api/sessions/{id}/audit`: moderation actions, oldest first. Moderators see names;
/// researchers see what the session's disclosure rules allow (and only while it is recorded).
pub async fn audit_log(
    State(state): State<AppState>,
    Caller(identity, session, ..): Caller<Researchers>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let participants = state.sessions.participants(&id).await?;
    let moderator = identity.role == Role::Moderator;
    if !moderator && !session.research.recorded {
        return Err(ApiError::not_recorded());
    }
    let disclosure = Disclosure::for_session(&session, &participants);
    let names: HashMap<String, String> = participants
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect();
    let entries: Vec<Value> = state
        .sessions
        .audit_log(&id)
        .await?
        .into_iter()
        .map(|mut entry| {
            let name = if moderator {
                names.get(&entry.by).cloned().unwrap_or_default()
            } else {
                entry.by = disclosure.pseudonym(&entry.by);
                if names.contains_key(&entry.target) {
                    entry.target = disclosure.pseudonym(&entry.target);
                }
                disclosure.name(&entry.by)
            };
            let mut value = serde_json::to_value(entry).unwrap_or_default();
            value["by_name"] = json!(name);
            value
        })
        .collect();
    Ok(Json(json!({ "entries": entries })))
}
