//! Receipt endpoints, for whoever holds a receipt (no token: it outlives tokens): what the
//! participant contributed and what became of it, and their evaluation of the session. Each
//! request counts in its address's budget of reads without a token (`--public-reads-per-minute`):
//! receipts are 130 random bits, beyond guessing, so they no longer share the joins' budget.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::Requester;
use super::revalidate::revalidated_json;
use super::{public_read, public_url, room_of, Body};
use crate::error::ApiError;
use crate::history::{session_records, SessionRecords};
use crate::receipt::evaluation::{self, Answers};
use crate::receipt::{self, contributions, receipt_url, Receipt};
use crate::session::{language, Role};
use crate::state::AppState;

/// The receipt a link names, with its session's records; 404 when there is no such receipt,
/// or its participant was erased.
async fn open(state: &AppState, id: &str) -> Result<(Receipt, SessionRecords), ApiError> {
    let gone = || ApiError::not_found("receipt_not_found", "no such receipt");
    let receipt = receipt::find(state.storage.as_ref(), id)
        .await?
        .ok_or_else(gone)?;
    let records = session_records(&state.sessions, &receipt.session)
        .await?
        .ok_or_else(gone)?;
    if records.session.erased.contains_key(&receipt.participant) {
        return Err(gone());
    }
    Ok((receipt, records))
}

#[derive(Deserialize)]
pub struct ReceiptQuery {
    /// The language to show the receipt in (default: the participant's).
    lang: Option<String>,
}

/// Whether a receipt's holder may evaluate the session: a citizen who was in the room (their
/// board connected at least once). Observers, moderators and identities minted from a shared
/// invite that never joined the board would otherwise stuff the figures (issue 34).
fn took_part(records: &SessionRecords, participant: &str) -> Result<(), ApiError> {
    let citizen = records
        .participants
        .iter()
        .any(|p| p.id == participant && p.role == Role::Citizen);
    if !citizen {
        return Err(ApiError::forbidden(
            "the evaluation is for the citizens who took part",
        ));
    }
    if !records
        .attendance
        .iter()
        .any(|a| a.participant == participant)
    {
        return Err(ApiError::forbidden(
            "the evaluation is for those who were in the session: join its board first",
        ));
    }
    Ok(())
}

/// `GET /api/receipts/{receipt}?lang=`: the session, the participant's contributions with
/// each card's decision, and their own evaluation answers.
pub async fn show(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
    Query(query): Query<ReceiptQuery>,
) -> Result<Response, ApiError> {
    public_read(&state, &requester)?;
    let (receipt, records) = open(&state, &id).await?;
    let participant = records
        .participants
        .iter()
        .find(|p| p.id == receipt.participant);
    let language = match query.lang {
        Some(lang) => language(&lang)?,
        None => participant.map_or(records.session.language.clone(), |p| p.language.clone()),
    };
    let contributions = contributions::of_participant(
        state.storage.as_ref(),
        &state.sessions,
        &state.ledgers,
        &room_of(&receipt.session)?,
        state.keyframe_spacing,
        &records,
        &receipt.participant,
    )
    .await?;
    let answered = evaluation::of(state.storage.as_ref(), &receipt.session, &id).await?;
    let session = &records.session;
    let body = json!({
        "receipt": id,
        "receipt_url": receipt_url(&public_url(&state, &requester.headers), &id),
        "session": {
            "id": session.id,
            "title": session.title,
            "state": session.state,
            "language": session.language,
        },
        "role": participant.map(|p| p.role),
        "language": language,
        "contributions": contributions,
        "evaluation": answered,
    });
    // Personal: no shared cache keeps it; the holder's revalidates.
    Ok(revalidated_json(
        &requester.headers,
        "private, no-cache",
        &body,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    answers: Answers,
}

/// `POST /api/receipts/{receipt}/evaluation`: stores the participant's answers to the
/// questionnaire, replacing earlier ones; anonymous (see `receipt::evaluation`).
pub async fn evaluate(
    State(state): State<AppState>,
    requester: Requester,
    Path(id): Path<String>,
    Body(request): Body<EvaluationRequest>,
) -> Result<Json<Value>, ApiError> {
    public_read(&state, &requester)?;
    let answers = request.answers.checked().map_err(ApiError::bad_request)?;
    let (receipt, records) = open(&state, &id).await?;
    took_part(&records, &receipt.participant)?;
    let (evaluation, replaced) =
        evaluation::answer(state.storage.as_ref(), &receipt.session, &id, answers).await?;
    tracing::info!(session = %receipt.session, replaced, "evaluation answered");
    Ok(Json(
        json!({ "evaluation": evaluation, "replaced": replaced }),
    ))
}
