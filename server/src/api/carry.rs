//! `POST /api/sessions/{id}/carry` (a moderator of the source session): chosen cards of a
//! closed session are written into another, open session of the same process by the server,
//! as one edit appended to the target room's log (so live clients see them at once and its
//! history keeps it). Each keeps a link to its origin and its author as the source's research
//! terms show them (a pseudonym; `declined` for who declined research or when the source was
//! not recorded), written under a client id of its own (the board crate's `carry`) so that
//! the copy can follow its source's erasure (`copies.rs`); both sessions' audit logs record it.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::{Caller, Moderators};
use super::copies::text_sha256;
use super::{append_edit, board, Body};
use crate::error::ApiError;
use crate::outcome::{CarriedTo, CARRIED_TO};
use crate::session::disclosure::SessionDisclosure;
use crate::session::{now_ms, SessionState};
use crate::state::AppState;
use cocreate_board::edit::ItemNotFound;
use cocreate_board::schema::key;
use cocreate_board::{board_json, Disclosure, DECLINED};
use cocreate_board::{carry as carry_cards, Carried, CARRIED_KINDS};

/// Most cards carried in one request.
const MAX_CARRIED: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarryRequest {
    /// The target session's id.
    to: String,
    /// The source items to carry.
    items: Vec<String>,
}

fn conflict(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

/// The id a carried card gets on the target board: derived from its origin, so that carrying
/// it twice is refused rather than duplicated.
fn carried_id(session: &str, item: &str) -> String {
    format!("carried_{session}_{item}")
}

/// `POST …/carry` `{"to", "items"}` → `{"carried": [{"from", "item"}]}`.
pub async fn carry(
    State(state): State<AppState>,
    Caller(moderator, source, ..): Caller<Moderators>,
    Body(request): Body<CarryRequest>,
) -> Result<Json<Value>, ApiError> {
    let unique: HashSet<&String> = request.items.iter().collect();
    if request.items.is_empty()
        || request.items.len() > MAX_CARRIED
        || unique.len() != request.items.len()
    {
        return Err(ApiError::bad_request(format!(
            "items: 1 to {MAX_CARRIED} different item ids"
        )));
    }
    if source.state != SessionState::Closed {
        return Err(conflict(
            "source_not_closed",
            "cards are carried from a closed session",
        ));
    }
    let target = state
        .sessions
        .get(&request.to)
        .await?
        .ok_or_else(|| ApiError::not_found("session_not_found", "no such target session"))?;
    if source.cycle.process.is_none()
        || target.cycle.process != source.cycle.process
        || target.id == source.id
    {
        return Err(conflict(
            "not_same_process",
            "cards are carried into another session of the same process",
        ));
    }
    if target.state == SessionState::Closed {
        return Err(ApiError::session_closed());
    }
    let (_, source_doc) = board(&state, &source.id).await?;
    let participants = state.sessions.participants(&source.id).await?;
    let disclosure = Disclosure::for_session(&source, &participants);
    let source_board = board_json(&source_doc, &disclosure);
    let (target_room, target_doc) = board(&state, &target.id).await?;
    let ids: Vec<String> = request
        .items
        .iter()
        .map(|item| carried_id(&source.id, item))
        .collect();
    let mut cards = Vec::new();
    for (item, id) in request.items.iter().zip(&ids) {
        let found = &source_board["items"][item.as_str()];
        if found.is_null() {
            return Err(ItemNotFound(item.clone()).into());
        }
        if disclosure.hidden.contains(item) {
            return Err(conflict("item_hidden", "a hidden item cannot be carried"));
        }
        if !CARRIED_KINDS.contains(&found["type"].as_str().unwrap_or_default()) {
            return Err(ApiError::bad_request(format!(
                "only {} items can be carried",
                CARRIED_KINDS.join(" and ")
            )));
        }
        if cocreate_board::edit::has_item(&target_doc, id) {
            return Err(conflict(
                "already_carried",
                "this card was carried there before",
            ));
        }
        // An unrecorded session's people agreed to no research: their copies say so.
        let author = match found[key::AUTHOR].as_str() {
            Some(_) if !source.research.recorded => Some(DECLINED),
            author => author,
        };
        cards.push(Carried {
            id,
            source: found,
            from_session: &source.id,
            from_item: item,
            author,
        });
    }
    let written = carry_cards(&cards);
    append_edit(&state, &target_room, None, written.update).await?;
    let at = now_ms();
    for ((from, item), client) in request.items.iter().zip(&ids).zip(&written.clients) {
        let text = source_board["items"][from.as_str()][key::TEXT].as_str();
        let copy = CarriedTo {
            session: target.id.clone(),
            item: item.clone(),
            at,
            clients: vec![client.get()],
            text_sha256: Some(text_sha256(text.unwrap_or_default())),
        };
        CARRIED_TO
            .put(state.storage.as_ref(), &source.id, from, &copy)
            .await?;
    }
    let carried: Vec<Value> = request
        .items
        .iter()
        .zip(&ids)
        .map(|(from, item)| json!({ "from": from, "item": item }))
        .collect();
    for (from, item) in request.items.iter().zip(&ids) {
        let into = format!("into {} as {item}", target.id);
        state
            .sessions
            .record_action(&moderator, &source.id, "carry-out", from, Some(into))
            .await;
        let from_where = format!("from {} item {from}", source.id);
        state
            .sessions
            .record_action(&moderator, &target.id, "carry-in", item, Some(from_where))
            .await;
    }
    tracing::info!(from = %source.id, to = %target.id, cards = carried.len(), "cards carried");
    Ok(Json(json!({ "to": target.id, "carried": carried })))
}
