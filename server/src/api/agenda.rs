//! Agenda endpoints: every participant reads the session's agenda; moderators replace its
//! steps, start a step (ending the one under way), reveal the current step and end it. Each
//! change is audited (history shows it) and announced to the room. Timed steps also end on
//! their own: see `step_clock.rs`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::{Caller, Everyone, Moderators};
use super::sessions::MAX_VOTES;
use super::{board, drafts, text_field, Body};
use crate::error::ApiError;
use crate::session::agenda::{AgendaError, Method, OnEnd, Started, Step, ZoneAccess};
use crate::session::{ids, now_ms, Focus, Role, Session, SessionState};
use crate::state::AppState;

/// Most steps an agenda holds: a long day's workshop has about a dozen.
const MAX_STEPS: usize = 50;
/// Longest step title, in characters (it is shown as the session's phase).
const MAX_STEP_TITLE: usize = 120;
/// Longest step a duration may ask for: a day.
const MAX_MINUTES: f64 = 24.0 * 60.0;
/// Longest step id a moderator may give, in characters.
const MAX_STEP_ID: usize = 40;

/// `PUT /api/sessions/{id}/agenda`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaRequest {
    steps: Vec<StepRequest>,
}

/// One step as a moderator sends it. Names are read as text and checked here, so that each
/// mistake is answered with its own code.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRequest {
    id: Option<String>,
    title: String,
    method: String,
    #[serde(default)]
    minutes: Option<f64>,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    anonymous: bool,
    #[serde(default)]
    votes: Option<i64>,
    #[serde(default)]
    secret: bool,
    #[serde(default)]
    zones: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    on_end: Option<String>,
}

/// `POST /api/sessions/{id}/agenda/extend`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    minutes: f64,
}

/// `POST /api/sessions/{id}/focus`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusRequest {
    zone: Option<String>,
}

/// Most minutes one extension adds.
const MAX_EXTENSION: f64 = 120.0;

/// `GET /api/sessions/{id}/agenda`: the steps and the current one, for every participant.
pub async fn agenda(Caller(_, session, ..): Caller<Everyone>) -> Json<Value> {
    Json(json!({ "agenda": session.agenda.view() }))
}

/// `PUT /api/sessions/{id}/agenda`: replaces the steps. The step under way keeps the settings
/// it started with and must stay on the agenda.
pub async fn replace(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Body(request): Body<AgendaRequest>,
) -> Result<Json<Value>, ApiError> {
    if session.state == SessionState::Closed {
        return Err(ApiError::session_closed());
    }
    let zones = match request.steps.iter().any(|s| !s.zones.is_empty()) {
        true => zone_names(&state, &session).await?,
        false => BTreeSet::new(),
    };
    let steps = checked_steps(request, &zones)?;
    let (session, changed) = state
        .sessions
        .update(&session.id, |s| {
            if s.state == SessionState::Closed {
                return Err(ApiError::session_closed());
            }
            let changed = s.agenda.steps != steps;
            s.agenda.set_steps(steps.clone())?;
            Ok(changed)
        })
        .await?;
    if changed {
        let detail = serde_json::to_string(&session.agenda.steps).unwrap_or_default();
        state
            .sessions
            .record_action(&moderator, &session.id, "agenda", &session.id, Some(detail))
            .await;
        tracing::info!(session = %session.id, steps = session.agenda.steps.len(), "agenda changed");
        state.announce(&session, "agenda").await;
    }
    Ok(Json(json!({ "agenda": session.agenda.view() })))
}

/// `POST /api/sessions/{id}/agenda/steps/{step}/start`: starts a step, ending the one under
/// way; starting the step under way changes nothing.
pub async fn start(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Path((_, step)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id = session.id;
    let now = now_ms();
    let (session, started) = state
        .sessions
        .update(&id, |s| {
            if s.state == SessionState::Closed {
                return Err(ApiError::session_closed());
            }
            Ok::<_, ApiError>(s.agenda.start(&step, now)?)
        })
        .await?;
    if let Started::Started { ended } = started {
        if let Some(ended) = ended {
            let reason = Some("next step".to_owned());
            state
                .sessions
                .record_action(&moderator, &id, "step-ended", &ended, reason)
                .await;
        }
        let current = session.agenda.current.as_ref();
        let title = current.map(|c| c.step.title.clone());
        let ends_at = current.and_then(|c| c.ends_at);
        state
            .sessions
            .record_action(&moderator, &id, "step-started", &step, title)
            .await;
        tracing::info!(session = %id, step = %step, ends_at, "step started");
        state.step_clock.watch(&session);
        state.announce(&session, "step-started").await;
    }
    Ok(answer(&session))
}

/// `POST /api/sessions/{id}/agenda/reveal`: reveals the current step (private or secret),
/// under way or ended; revealing it again changes nothing.
pub async fn reveal(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    let id = session.id;
    let (session, revealed) = state
        .sessions
        .update(&id, |s| {
            if s.state == SessionState::Closed {
                return Err(ApiError::session_closed());
            }
            Ok::<_, ApiError>(s.agenda.reveal()?)
        })
        .await?;
    // Drafts and secret votes cast since an earlier reveal of the step go on the board too.
    let current = session.agenda.current.as_ref();
    if let Some(step) = current.map(|c| &c.step).filter(|s| s.private || s.secret) {
        drafts::reveal_drafts(&state, &session, step).await?;
    }
    if revealed {
        let step = current_id(&session);
        state
            .sessions
            .record_action(&moderator, &id, "step-revealed", &step, None)
            .await;
        tracing::info!(session = %id, step = %step, "step revealed");
        state.announce(&session, "step-revealed").await;
    }
    Ok(answer(&session))
}

/// `POST /api/sessions/{id}/agenda/end`: ends the step under way; ending an ended step
/// changes nothing (closing a session ended its step already).
pub async fn end(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    let id = session.id;
    let now = now_ms();
    let (session, ended) = state
        .sessions
        .update(&id, |s| Ok::<_, ApiError>(s.agenda.end(now)?))
        .await?;
    if let Some(step) = ended {
        let reason = Some("moderator".to_owned());
        state
            .sessions
            .record_action(&moderator, &id, "step-ended", &step, reason)
            .await;
        tracing::info!(session = %id, step = %step, "step ended by a moderator");
        state.announce(&session, "step-ended").await;
    }
    Ok(answer(&session))
}

/// A change to the countdown of the step under way.
enum Countdown {
    Extend(u64),
    Pause,
    Resume,
}

impl Countdown {
    /// The audit action and the event rooms are told.
    fn event(&self) -> &'static str {
        match self {
            Countdown::Extend(_) => "step-extended",
            Countdown::Pause => "step-paused",
            Countdown::Resume => "step-resumed",
        }
    }
}

/// `POST /api/sessions/{id}/agenda/extend` (`{"minutes"}`): more time for the step under way.
pub async fn extend(
    State(state): State<AppState>,
    caller: Caller<Moderators>,
    Body(request): Body<ExtendRequest>,
) -> Result<Json<Value>, ApiError> {
    if !(request.minutes.is_finite() && request.minutes > 0.0 && request.minutes <= MAX_EXTENSION) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_minutes",
            format!("minutes must be more than 0 and at most {MAX_EXTENSION}"),
        ));
    }
    let ms = (request.minutes * 60_000.0).round() as u64;
    change_countdown(state, caller, Countdown::Extend(ms)).await
}

/// `POST /api/sessions/{id}/agenda/pause`: stops the countdown of the step under way.
pub async fn pause(
    State(state): State<AppState>,
    caller: Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    change_countdown(state, caller, Countdown::Pause).await
}

/// `POST /api/sessions/{id}/agenda/resume`: runs a paused countdown again.
pub async fn resume(
    State(state): State<AppState>,
    caller: Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    change_countdown(state, caller, Countdown::Resume).await
}

/// Extends, pauses or resumes the step under way; audited, announced, and the step clock
/// re-armed (a deadline that no longer applies ends nothing when it fires).
async fn change_countdown(
    state: AppState,
    Caller(moderator, session, ..): Caller<Moderators>,
    change: Countdown,
) -> Result<Json<Value>, ApiError> {
    let id = session.id;
    let now = now_ms();
    let (session, ()) = state
        .sessions
        .update(&id, |s| {
            if s.state == SessionState::Closed {
                return Err(ApiError::session_closed());
            }
            match change {
                Countdown::Extend(ms) => s.agenda.extend(ms, now).map(drop)?,
                Countdown::Pause => s.agenda.pause(now)?,
                Countdown::Resume => s.agenda.resume(now).map(drop)?,
            }
            Ok(())
        })
        .await?;
    let step = current_id(&session);
    let detail = match change {
        Countdown::Extend(ms) => Some(format!("+{} s", ms / 1000)),
        _ => None,
    };
    let event = change.event();
    state
        .sessions
        .record_action(&moderator, &id, event, &step, detail)
        .await;
    let ends_at = session.agenda.current.as_ref().and_then(|c| c.ends_at);
    tracing::info!(session = %id, step = %step, event, ends_at, "step countdown changed");
    state.step_clock.watch(&session);
    state.announce(&session, event).await;
    Ok(answer(&session))
}

/// `POST /api/sessions/{id}/focus` (`{"zone": zone or null}`): "bring everyone here": every
/// participant's board goes to the zone (each may leave it); `null` lets everyone go.
pub async fn focus(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Body(request): Body<FocusRequest>,
) -> Result<Json<Value>, ApiError> {
    if session.state == SessionState::Closed {
        return Err(ApiError::session_closed());
    }
    if let Some(zone) = &request.zone {
        if !zone_names(&state, &session).await?.contains(zone) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unknown_zone",
                format!("no zone {zone:?} on this board"),
            ));
        }
    }
    let id = session.id;
    let focus = request.zone.map(|zone| Focus { zone, at: now_ms() });
    let (session, changed) = state
        .sessions
        .update(&id, |s| {
            let changed = s.focus.as_ref().map(|f| &f.zone) != focus.as_ref().map(|f| &f.zone);
            s.focus = focus.clone();
            Ok::<_, ApiError>(changed)
        })
        .await?;
    if changed {
        let zone = session.focus.as_ref().map(|f| f.zone.clone());
        state
            .sessions
            .record_action(&moderator, &id, "focus", &id, zone.clone())
            .await;
        tracing::info!(session = %id, zone = zone.as_deref().unwrap_or("none"), "focus");
        state.announce(&session, "focus").await;
    }
    Ok(Json(
        json!({ "session": session.view_for(Role::Moderator) }),
    ))
}

/// The zones `session`'s board has now: what zone rules and "bring everyone here" may name.
async fn zone_names(state: &AppState, session: &Session) -> Result<BTreeSet<String>, ApiError> {
    let (_, doc) = board(state, &session.id).await?;
    Ok(cocreate_board::zones::zone_names(&doc, session.template))
}

/// What the step endpoints answer: the agenda and the session as its moderators see it.
fn answer(session: &Session) -> Json<Value> {
    Json(json!({
        "agenda": session.agenda.view(),
        "session": session.view_for(Role::Moderator),
    }))
}

fn current_id(session: &Session) -> String {
    let current = session.agenda.current.as_ref();
    current.map(|c| c.step.id.clone()).unwrap_or_default()
}

/// The steps of a request, checked: ids (made where missing) unique, titles, methods,
/// durations, votes, and zone rules naming `zones` (the board's zone names), citizens and
/// known access.
fn checked_steps(request: AgendaRequest, zones: &BTreeSet<String>) -> Result<Vec<Step>, ApiError> {
    if request.steps.len() > MAX_STEPS {
        return Err(ApiError::bad_request(format!(
            "an agenda holds at most {MAX_STEPS} steps"
        )));
    }
    let mut seen = HashSet::new();
    let mut steps = Vec::with_capacity(request.steps.len());
    for (n, step) in request.steps.into_iter().enumerate() {
        let at = |message: String| format!("step {}: {message}", n + 1);
        let invalid =
            |code, message: String| ApiError::new(StatusCode::BAD_REQUEST, code, at(message));
        let id = match step.id {
            Some(id) if valid_step_id(&id) => id,
            Some(_) => {
                return Err(ApiError::bad_request(at(format!(
                    "id must be 1 to {MAX_STEP_ID} letters, digits, '-' or '_'"
                ))))
            }
            None => ids::step_id(),
        };
        if !seen.insert(id.clone()) {
            return Err(invalid("duplicate_step", format!("id {id} is used twice")));
        }
        let title = text_field(&step.title, "title", MAX_STEP_TITLE)
            .map_err(|e| ApiError::bad_request(at(e.message)))?;
        let method = Method::parse(&step.method).ok_or_else(|| {
            let known: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
            invalid(
                "unknown_method",
                format!("method must be one of {}", known.join(", ")),
            )
        })?;
        if step
            .minutes
            .is_some_and(|m| !(m.is_finite() && m > 0.0 && m <= MAX_MINUTES))
        {
            return Err(invalid(
                "invalid_minutes",
                format!("minutes must be more than 0 and at most {MAX_MINUTES}"),
            ));
        }
        let votes = match step.votes {
            Some(v) if !(0..=i64::from(MAX_VOTES)).contains(&v) => {
                return Err(invalid(
                    "invalid_votes",
                    format!("votes must be 0 to {MAX_VOTES}"),
                ))
            }
            // In range: 0 to MAX_VOTES fits a u32.
            v => v.map(|v| v as u32),
        };
        let mut rules = BTreeMap::new();
        for (zone, by_role) in step.zones {
            if !zones.contains(&zone) {
                let message =
                    format!("no zone {zone:?} on this board (see zones in the API documentation)");
                return Err(invalid("unknown_zone", message));
            }
            let mut zone_rules = BTreeMap::new();
            for (role, access) in by_role {
                let role = Role::ALL
                    .into_iter()
                    .find(|r| r.as_str() == role)
                    .ok_or_else(|| invalid("unknown_role", format!("no role {role:?}")))?;
                let access = ZoneAccess::parse(&access).ok_or_else(|| {
                    invalid(
                        "unknown_access",
                        format!("{access:?}: access is edit, add or read"),
                    )
                })?;
                if role != Role::Citizen {
                    let message = "zone rules are for citizens: moderators always edit every \
                                   zone, observers and researchers never edit";
                    return Err(invalid("invalid_zone_rule", message.to_owned()));
                }
                zone_rules.insert(role, access);
            }
            rules.insert(zone, zone_rules);
        }
        let on_end = match step.on_end.as_deref() {
            None => OnEnd::End,
            Some(name) => OnEnd::parse(name).ok_or_else(|| {
                invalid(
                    "invalid_on_end",
                    format!("{name:?}: on_end is end, lock or continue"),
                )
            })?,
        };
        steps.push(Step {
            id,
            title,
            method,
            minutes: step.minutes,
            private: step.private,
            anonymous: step.anonymous,
            votes,
            secret: step.secret,
            zones: rules,
            on_end,
        });
    }
    Ok(steps)
}

/// Whether a moderator's step id may be used in paths: 1 to [`MAX_STEP_ID`] ASCII letters,
/// digits, `-` or `_`.
fn valid_step_id(id: &str) -> bool {
    (1..=MAX_STEP_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl From<AgendaError> for ApiError {
    fn from(e: AgendaError) -> Self {
        let (status, code) = match e {
            AgendaError::StepNotFound(_) => (StatusCode::NOT_FOUND, "step_not_found"),
            AgendaError::StepRunning(_) => (StatusCode::CONFLICT, "step_running"),
            AgendaError::NoCurrentStep => (StatusCode::CONFLICT, "no_current_step"),
            AgendaError::NothingToReveal => (StatusCode::CONFLICT, "nothing_to_reveal"),
            AgendaError::NoRunningStep => (StatusCode::CONFLICT, "no_running_step"),
            AgendaError::NoTimer => (StatusCode::CONFLICT, "no_timer"),
            AgendaError::AlreadyPaused => (StatusCode::CONFLICT, "already_paused"),
            AgendaError::NotPaused => (StatusCode::CONFLICT, "not_paused"),
        };
        ApiError::new(status, code, e.to_string())
    }
}
