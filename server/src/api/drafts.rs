//! Private drafts, the server's side (issue 27; `session/drafts.rs` says why each participant
//! writes into a room of their own): the moderator's live count of drafts per participant (not
//! their content), the reveal that puts every draft on the board at once in its author's name,
//! and a participant's drafts discarded when they are erased or their contributions removed.

use axum::extract::State;
use axum::Json;
use cocreate_board::drafts::{reveal as reveal_cards, Draft, DRAFT_KINDS};
use cocreate_board::edit::{self, remove_clients};
use cocreate_board::votes;
use cocreate_board::{board_json, Disclosure};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use yrs::{Doc, ReadTxn, Transact};

use super::caller::{Caller, Moderators};
use super::{append_edit, board};
use crate::error::ApiError;
use crate::room_id::RoomId;
use crate::session::agenda::Step;
use crate::session::drafts::drafts_room;
use crate::session::{now_ms, Participant, Session};
use crate::state::AppState;
use crate::storage::{NewRecord, Origin, REVEALED_DRAFTS};

/// `GET /api/sessions/{id}/agenda/drafts`: how many drafts each participant who writes has
/// waiting (`{"drafts": [{"participant", "name", "cards"}]}`), so that the facilitator knows
/// when to reveal. Never their text.
pub async fn counts(
    State(state): State<AppState>,
    Caller(_, session, ..): Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    let mut counts = Vec::new();
    for participant in writers(&state, &session).await? {
        let (_, doc) = drafts_of(&state, &session.id, &participant.id).await?;
        counts.push(json!({
            "participant": participant.id,
            "name": participant.display_name,
            "cards": draft_items(&doc).len(),
        }));
    }
    Ok(Json(json!({ "drafts": counts })))
}

/// Puts every participant's drafts (in a private step) and votes cast apart (in a secret
/// vote) on the board, as one append of one record per author (each
/// in that author's name, under a client id of its own), then empties their draft rooms.
/// Revealing again reveals only drafts written since: a draft's id on the board is derived from
/// the session, its author and its own id, opaque to readers. Returns how many were revealed.
pub(super) async fn reveal_drafts(
    state: &AppState,
    session: &Session,
    step: &Step,
) -> Result<usize, ApiError> {
    let (room, board_doc) = board(state, &session.id).await?;
    let at = now_ms();
    let mut records = Vec::new();
    let mut emptied = Vec::new();
    let mut revealed = 0;
    for participant in writers(state, session).await? {
        let (draft_room, doc) = drafts_of(state, &session.id, &participant.id).await?;
        let items = if step.private {
            draft_items(&doc)
        } else {
            Vec::new()
        };
        let votes = if step.secret {
            let limit = step.votes.unwrap_or(session.votes_per_participant);
            votes::admissible(&doc, &board_doc, &participant.id, limit)
        } else {
            Vec::new()
        };
        if items.is_empty() && votes.is_empty() {
            continue;
        }
        let ids: Vec<String> = items
            .iter()
            .map(|(id, _)| board_id(&session.id, &participant.id, id))
            .collect();
        let drafts: Vec<Draft> = items
            .iter()
            .zip(&ids)
            .filter(|(_, id)| !edit::has_item(&board_doc, id))
            .map(|((_, source), id)| Draft {
                id,
                source,
                order: order_of(id),
            })
            .collect();
        if !drafts.is_empty() || !votes.is_empty() {
            let name = Some(participant.display_name.as_str())
                .filter(|n| !step.anonymous && !n.is_empty());
            let (update, _) = reveal_cards(&drafts, &votes, &participant.id, name, at);
            records.push(NewRecord {
                at_ms: at,
                origin: Origin {
                    node: state.node.to_string(),
                    connection: REVEALED_DRAFTS,
                    participant: Some(participant.id.clone()),
                },
                update: update.into(),
            });
            revealed += drafts.len() + votes.len();
        }
        emptied.push((draft_room, doc));
    }
    if !records.is_empty() {
        state.storage.append(&room, records).await?;
    }
    for (draft_room, doc) in emptied {
        empty(state, &draft_room, &doc).await?;
    }
    tracing::info!(session = %session.id, revealed, "drafts revealed");
    Ok(revealed)
}

/// Discards a participant's drafts (erasure, removal of their contributions): what was never
/// revealed is gone from their draft room, as from every other place.
pub(super) async fn discard(
    state: &AppState,
    session: &str,
    participant: &str,
) -> Result<(), ApiError> {
    let (room, doc) = drafts_of(state, session, participant).await?;
    empty(state, &room, &doc).await
}

/// Deletes everything a draft room holds, as one server edit its owner's browser receives.
async fn empty(state: &AppState, room: &RoomId, doc: &Doc) -> Result<(), ApiError> {
    let clients = doc
        .transact()
        .state_vector()
        .iter()
        .map(|(client, _)| *client)
        .collect();
    if let Some(update) = remove_clients(doc, &clients) {
        append_edit(state, room, None, update).await?;
    }
    Ok(())
}

/// The participants whose drafts count: everyone who edits and is neither removed nor erased.
async fn writers(state: &AppState, session: &Session) -> Result<Vec<Participant>, ApiError> {
    Ok(state
        .sessions
        .participants(&session.id)
        .await?
        .into_iter()
        .filter(|p| p.role.edits() && !p.invite)
        .filter(|p| !session.is_revoked(&p.id) && !session.erased.contains_key(&p.id))
        .collect())
}

/// A participant's draft room and its document as stored now (a draft room loads as a session's
/// room does).
async fn drafts_of(
    state: &AppState,
    session: &str,
    participant: &str,
) -> Result<(RoomId, Doc), ApiError> {
    board(state, &drafts_room(session, participant)).await
}

/// The cards and notes of a draft document that hold text, by id, as `board_json` reads them.
fn draft_items(doc: &Doc) -> Vec<(String, Value)> {
    let board = board_json(doc, &Disclosure::default());
    let Some(items) = board["items"].as_object() else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|(_, item)| DRAFT_KINDS.contains(&item["type"].as_str().unwrap_or_default()))
        .filter(|(_, item)| !item["text"].as_str().unwrap_or_default().trim().is_empty())
        .map(|(id, item)| (id.clone(), item.clone()))
        .collect()
}

/// A revealed draft's id on the board: the same for the same draft (a second reveal skips it),
/// and saying nothing of its author.
fn board_id(session: &str, participant: &str, draft: &str) -> String {
    let digest = Sha256::digest(format!("draft\n{session}\n{participant}\n{draft}").as_bytes());
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("d{hex}")
}

/// A revealed card's place among its cell's cards: from its opaque id, so in no author's order.
fn order_of(id: &str) -> f64 {
    let hex = id.get(1..9).unwrap_or_default();
    f64::from(u32::from_str_radix(hex, 16).unwrap_or_default())
}
