//! Decisions on cards: `PUT …/items/{item}/decision` (moderators, also after the session
//! closed: the board is read-only then, its decisions are not) and `GET …/decisions`
//! (moderators, and researchers while the session is recorded, who see the deciding
//! moderator under the session's disclosure rules).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::{Caller, Moderators, Researchers};
use super::{board, plain_text, Body};
use crate::error::ApiError;
use crate::outcome::{Decision, DecisionStatus, DECISIONS};
use crate::session::disclosure::SessionDisclosure;
use crate::session::{now_ms, Role};
use crate::state::AppState;
use cocreate_board::edit::{self, ItemNotFound};
use cocreate_board::Disclosure;

/// Longest explanation, in characters: a few paragraphs in plain words.
pub const MAX_EXPLANATION: usize = 2000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    status: DecisionStatus,
    #[serde(default)]
    explanation: String,
}

/// `PUT …/items/{item}/decision`: sets (or changes) the decision on an item of the board.
pub async fn decide(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    Path((id, item)): Path<(String, String)>,
    Body(request): Body<DecisionRequest>,
) -> Result<Json<Value>, ApiError> {
    let explanation = plain_text(&request.explanation, "explanation", MAX_EXPLANATION)?;
    let (_, doc) = board(&state, &session.id).await?;
    if !edit::has_item(&doc, &item) {
        return Err(ItemNotFound(item).into());
    }
    let storage = state.storage.as_ref();
    let earlier = DECISIONS.get(storage, &id, &item).await?;
    let decided_at = now_ms();
    let decision = Decision {
        item: item.clone(),
        status: request.status,
        explanation,
        decided_at,
        by: moderator.participant.clone(),
        first_decided_at: earlier.map_or(decided_at, |d| d.first_decided_at),
    };
    DECISIONS.put(storage, &id, &item, &decision).await?;
    let detail = match decision.explanation.as_str() {
        "" => decision.status.as_str().to_owned(),
        text => format!("{}: {text}", decision.status.as_str()),
    };
    state
        .sessions
        .record_action(&moderator, &id, "decision", &item, Some(detail))
        .await;
    Ok(Json(json!({ "decision": decision })))
}

/// `GET …/decisions`: every decision of the session, by item id.
pub async fn decisions(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Researchers>,
) -> Result<Json<Value>, ApiError> {
    if caller.role == Role::Researcher && !session.research.recorded {
        return Err(ApiError::not_recorded());
    }
    let mut decisions: Vec<Decision> = DECISIONS
        .all(state.storage.as_ref(), &session.id)
        .await?
        .into_iter()
        .map(|(_, decision)| decision)
        .collect();
    if caller.role == Role::Researcher {
        let participants = state.sessions.participants(&session.id).await?;
        let disclosure = Disclosure::for_session(&session, &participants);
        for decision in &mut decisions {
            decision.by = disclosure.pseudonym(&decision.by);
        }
    }
    Ok(Json(json!({ "decisions": decisions })))
}
