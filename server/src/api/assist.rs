//! Sensemaking on a session's board (issue 29): `POST …/assist/themes`, `POST …/assist/similar`,
//! `GET …/assist/coverage` and `POST …/assist/runs/{run}/accept`. Suggestions only: nothing
//! changes on the board until a moderator accepts themes, which become groups in one server
//! edit in their name. Without the model every endpoint answers 503 `assist_unavailable`;
//! each is limited per participant (`--assist-requests-per-minute`); every run is recorded
//! (`assist::runs`), and themes, coverage and acceptances are events of the session's history.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::{Caller, Editors, Moderators, Researchers};
use super::memos::check_recorded;
use super::{append_edit, board, limit_attempts, plain_text, Body};
use crate::assist::cards::{self, Card, Reading};
use crate::assist::coverage::{axes, coverage as board_coverage};
use crate::assist::runs::{
    self, Acceptance, ModelId, Run, RunKind, ASSIST_ACCEPTANCES, ASSIST_RUNS,
};
use crate::assist::similar::{similar as rank_similar, MAX_SIMILAR_TEXT};
use crate::assist::themes::{themes as find_themes, Themes, MAX_THEMES};
use crate::assist::{text_sha256, Assistant};
use crate::error::ApiError;
use crate::limits::Limit;
use crate::session::{ids, now_ms, Identity, Role, Session, SessionState};
use crate::state::AppState;
use cocreate_board::{group, GroupAuthor, NewGroup};

/// Most cards one run reads: the clustering's distance matrix grows with their square (16 MB
/// here); a larger board is asked about a stage or a lane at a time.
pub const MAX_RUN_CARDS: usize = 2000;

/// `POST …/assist/themes`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemesRequest {
    /// How many themes; none: as many as the cards make.
    #[serde(default)]
    themes: Option<usize>,
    /// Only the cards of this stage.
    #[serde(default)]
    stage: Option<String>,
    /// Only the cards of this lane.
    #[serde(default)]
    lane: Option<String>,
}

/// `POST …/assist/similar`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarRequest {
    /// What the caller is typing.
    text: String,
}

/// `POST …/assist/runs/{run}/accept`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// Indices into the run's themes.
    themes: Vec<usize>,
}

fn unavailable(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "assist_unavailable",
        message,
    )
}

/// The model, or 503 `assist_unavailable`; then one of the caller's requests to `endpoint`,
/// or 429 `too_many_requests`.
fn assistant(
    state: &AppState,
    endpoint: &str,
    caller: &Identity,
) -> Result<Arc<Assistant>, ApiError> {
    let assistant = state.assist.clone().ok_or_else(|| {
        unavailable("sensemaking is off on this server: it was started without --sense-model")
    })?;
    let key = format!("{endpoint} {}", caller.participant);
    let message = "too many sensemaking requests; wait a moment and try again";
    limit_attempts(state, &state.guards.assist, Limit::Assist, key, message)?;
    Ok(assistant)
}

/// The board as `caller` may read it for a run.
async fn reading(
    state: &AppState,
    session: &Session,
    caller: &Identity,
) -> Result<Reading, ApiError> {
    let (_, doc) = board(state, &session.id).await?;
    let participants = match caller.role {
        Role::Researcher => state.sessions.participants(&session.id).await?,
        _ => Vec::new(),
    };
    Ok(cards::read(&doc, session, &participants, caller))
}

/// The cards of `reading` in `stage` and `lane` (each when given, and then on the board), at
/// most [`MAX_RUN_CARDS`].
fn in_scope(
    reading: Reading,
    stage: Option<&str>,
    lane: Option<&str>,
) -> Result<Vec<Card>, ApiError> {
    for (root, id) in [("stages", stage), ("lanes", lane)] {
        if let Some(id) = id {
            if !axes(&reading.board, root).iter().any(|axis| axis.id == id) {
                return Err(ApiError::bad_request(format!(
                    "no {id} among the board's {root}"
                )));
            }
        }
    }
    let cards: Vec<Card> = reading
        .cards
        .into_iter()
        .filter(|card| stage.is_none_or(|s| card.stage.as_deref() == Some(s)))
        .filter(|card| lane.is_none_or(|l| card.lane.as_deref() == Some(l)))
        .collect();
    if cards.len() > MAX_RUN_CARDS {
        return Err(ApiError::bad_request(format!(
            "the board holds {} cards; a run reads at most {MAX_RUN_CARDS}: ask about a stage or a lane",
            cards.len()
        )));
    }
    Ok(cards)
}

/// Themes of `cards`, computed off the async runtime.
async fn compute_themes(
    assistant: &Assistant,
    cards: Vec<Card>,
    count: Option<usize>,
) -> Result<(Vec<Card>, Themes), ApiError> {
    let done = assistant
        .run(move |embedder| {
            let texts: Vec<&str> = cards.iter().map(|c| c.text.as_str()).collect();
            let vectors = embedder.embed(&texts);
            let described: Vec<(&str, Option<&str>)> = cards
                .iter()
                .map(|c| (c.text.as_str(), c.language.as_deref()))
                .collect();
            let found = find_themes(&described, &vectors, count);
            (cards, found)
        })
        .await;
    done.map_err(|e| {
        tracing::error!(error = %e, "a sensemaking run failed");
        unavailable("the run did not finish; try again")
    })
}

/// Themes as answered (with the central card quoted) or as recorded (ids only).
fn themes_json(found: &Themes, cards: &[Card], quoted: bool) -> Value {
    let themes: Vec<Value> = found
        .themes
        .iter()
        .map(|theme| {
            let mut value = json!({
                "label": theme.label,
                "terms": theme.terms,
                "central": cards[theme.central].item,
                "items": theme.items.iter().map(|&i| &cards[i].item).collect::<Vec<_>>(),
            });
            if quoted {
                value["quote"] = json!(cards[theme.central].text);
            }
            value
        })
        .collect();
    Value::Array(themes)
}

/// The items of cards that joined no theme.
fn unthemed(found: &Themes, cards: &[Card]) -> Vec<String> {
    found
        .unthemed
        .iter()
        .map(|&i| cards[i].item.clone())
        .collect()
}

/// What a run is about, before its output.
struct Asked<'a> {
    kind: RunKind,
    caller: &'a Identity,
    session: &'a Session,
    parameters: Value,
    cards: &'a [Card],
}

/// Records a run and returns it.
async fn record(
    state: &AppState,
    assistant: &Assistant,
    asked: Asked<'_>,
    output: Value,
) -> Result<Run, ApiError> {
    let (input, input_sha256) = runs::input(asked.cards);
    let run = Run {
        id: ids::assist_run_id(),
        kind: asked.kind,
        at: now_ms(),
        by: asked.caller.participant.clone(),
        role: asked.caller.role,
        model: ModelId {
            name: assistant.model_name().to_owned(),
            sha256: assistant.model_sha256().to_owned(),
        },
        parameters: asked.parameters,
        inputs: input.len(),
        input_sha256,
        input: if asked.kind == RunKind::Similar {
            Vec::new()
        } else {
            input
        },
        output,
    };
    ASSIST_RUNS
        .put(state.storage.as_ref(), &asked.session.id, &run.id, &run)
        .await?;
    Ok(run)
}

/// `POST …/assist/themes` `{"themes"?, "stage"?, "lane"?}` → `{"run", "model", "themes",
/// "unthemed"}`: moderators, and researchers on a recorded session.
pub async fn themes(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Researchers>,
    Body(request): Body<ThemesRequest>,
) -> Result<Json<Value>, ApiError> {
    check_recorded(caller.role, &session)?;
    let assistant = assistant(&state, "themes", &caller)?;
    if request.themes.is_some_and(|n| n == 0 || n > MAX_THEMES) {
        return Err(ApiError::bad_request(format!(
            "themes must be 1 to {MAX_THEMES}"
        )));
    }
    let started = Instant::now();
    let reading = reading(&state, &session, &caller).await?;
    let cards = in_scope(reading, request.stage.as_deref(), request.lane.as_deref())?;
    let (cards, found) = compute_themes(&assistant, cards, request.themes).await?;
    let parameters = json!({
        "themes": request.themes,
        "stage": request.stage,
        "lane": request.lane,
    });
    let output = json!({
        "themes": themes_json(&found, &cards, false),
        "unthemed": unthemed(&found, &cards),
    });
    let asked = Asked {
        kind: RunKind::Themes,
        caller: &caller,
        session: &session,
        parameters,
        cards: &cards,
    };
    let run = record(&state, &assistant, asked, output).await?;
    let detail = format!("{} themes of {} cards", found.themes.len(), cards.len());
    state
        .sessions
        .record_action(&caller, &session.id, "assist-themes", &run.id, Some(detail))
        .await;
    tracing::info!(session = %session.id, run = %run.id, cards = cards.len(),
        themes = found.themes.len(), ms = started.elapsed().as_millis() as u64, "themes proposed");
    Ok(Json(json!({
        "run": run.id,
        "model": run.model,
        "themes": themes_json(&found, &cards, true),
        "unthemed": unthemed(&found, &cards),
    })))
}

/// `POST …/assist/similar` `{"text"}` → `{"run", "model", "similar": [{"item", "score",
/// "text"}]}`: moderators and citizens, while they type a card.
pub async fn similar(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Editors>,
    Body(request): Body<SimilarRequest>,
) -> Result<Json<Value>, ApiError> {
    let assistant = assistant(&state, "similar", &caller)?;
    if request.text.trim().chars().count() > MAX_SIMILAR_TEXT {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "text_too_long",
            format!("text must be at most {MAX_SIMILAR_TEXT} characters"),
        ));
    }
    let text = plain_text(&request.text, "text", MAX_SIMILAR_TEXT)?;
    if text.is_empty() {
        return Err(ApiError::bad_request("text must not be empty"));
    }
    let reading = reading(&state, &session, &caller).await?;
    let cards = in_scope(reading, None, None)?;
    let query = text.clone();
    let done = assistant
        .run(move |embedder| {
            let texts: Vec<&str> = cards.iter().map(|c| c.text.as_str()).collect();
            let vectors = embedder.embed(&texts);
            let asked = embedder.embed(&[query.as_str()]);
            let found = asked
                .first()
                .map(|q| rank_similar(q, &vectors))
                .unwrap_or_default();
            (cards, found)
        })
        .await;
    let (cards, found) = done.map_err(|e| {
        tracing::error!(session = %session.id, error = %e, "a sensemaking run failed");
        unavailable("the run did not finish; try again")
    })?;
    let scored = |quoted: bool| -> Vec<Value> {
        found
            .iter()
            .map(|&(i, score)| {
                let mut value = json!({ "item": cards[i].item, "score": score });
                if quoted {
                    value["text"] = json!(cards[i].text);
                }
                value
            })
            .collect()
    };
    let asked = Asked {
        kind: RunKind::Similar,
        caller: &caller,
        session: &session,
        parameters: json!({ "text_sha256": text_sha256(&text) }),
        cards: &cards,
    };
    let run = record(
        &state,
        &assistant,
        asked,
        json!({ "similar": scored(false) }),
    )
    .await?;
    tracing::debug!(session = %session.id, run = %run.id, found = found.len(), "similar cards");
    Ok(Json(json!({
        "run": run.id,
        "model": run.model,
        "similar": scored(true),
    })))
}

/// `GET …/assist/coverage` → `{"run", "model", "themes", "stages", "lanes", "cells",
/// "unplaced"}`: moderators.
pub async fn coverage(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Moderators>,
) -> Result<Json<Value>, ApiError> {
    let assistant = assistant(&state, "coverage", &caller)?;
    let reading = reading(&state, &session, &caller).await?;
    let board_json = reading.board.clone();
    let cards = in_scope(reading, None, None)?;
    let (cards, found) = compute_themes(&assistant, cards, None).await?;
    let covered = board_coverage(&board_json, &cards, &found);
    let output = json!({
        "themes": themes_json(&found, &cards, false),
        "cells": covered.cells,
        "unplaced": covered.unplaced,
    });
    let asked = Asked {
        kind: RunKind::Coverage,
        caller: &caller,
        session: &session,
        parameters: json!({}),
        cards: &cards,
    };
    let run = record(&state, &assistant, asked, output).await?;
    let empty = covered.cells.iter().filter(|c| c.cards == 0).count();
    let detail = format!("{} cards, {empty} empty cells", cards.len());
    tracing::info!(session = %session.id, run = %run.id, cards = cards.len(), empty, "coverage mapped");
    state
        .sessions
        .record_action(
            &caller,
            &session.id,
            "assist-coverage",
            &run.id,
            Some(detail),
        )
        .await;
    Ok(Json(json!({
        "run": run.id,
        "model": run.model,
        "themes": themes_json(&found, &cards, true),
        "stages": covered.stages,
        "lanes": covered.lanes,
        "cells": covered.cells,
        "unplaced": covered.unplaced,
    })))
}

/// A theme of a recorded run, as accepting reads it.
#[derive(Deserialize)]
struct RecordedTheme {
    label: String,
    items: Vec<String>,
}

fn run_not_found() -> ApiError {
    ApiError::not_found("run_not_found", "no such themes run in this session")
}

/// `POST …/assist/runs/{run}/accept` `{"themes": [indices]}` → `{"run", "groups": [{"theme",
/// "group", "label", "items"}]}`: moderators. The accepted themes become groups on the board,
/// one server edit in the moderator's name; a run is accepted once (409 `already_accepted`).
pub async fn accept(
    State(state): State<AppState>,
    Caller(caller, session, ..): Caller<Moderators>,
    Path((_, run_id)): Path<(String, String)>,
    Body(request): Body<AcceptRequest>,
) -> Result<Json<Value>, ApiError> {
    assistant(&state, "accept", &caller)?;
    if session.state == SessionState::Closed {
        return Err(ApiError::session_closed());
    }
    let storage = state.storage.as_ref();
    let run = ASSIST_RUNS
        .get(storage, &session.id, &run_id)
        .await?
        .filter(|run| run.kind != RunKind::Similar)
        .ok_or_else(run_not_found)?;
    let recorded: Vec<RecordedTheme> =
        serde_json::from_value(run.output["themes"].clone()).map_err(|_| run_not_found())?;
    let mut chosen = request.themes.clone();
    chosen.sort_unstable();
    chosen.dedup();
    if chosen.is_empty()
        || chosen.len() != request.themes.len()
        || chosen.iter().any(|&i| i >= recorded.len())
    {
        return Err(ApiError::bad_request(format!(
            "themes: 1 to {} different indices of the run's themes",
            recorded.len()
        )));
    }
    let groups: Vec<String> = request
        .themes
        .iter()
        .map(|i| format!("group_{}_{i}", run.id))
        .collect();
    let acceptance = Acceptance {
        at: now_ms(),
        by: caller.participant.clone(),
        themes: request.themes.clone(),
        groups: groups.clone(),
    };
    if !ASSIST_ACCEPTANCES
        .add(storage, &session.id, &run.id, &acceptance)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_accepted",
            "themes of this run were accepted already",
        ));
    }
    let new_groups: Vec<NewGroup> = request
        .themes
        .iter()
        .zip(&groups)
        .map(|(&i, id)| NewGroup {
            id,
            title: &recorded[i].label,
            members: &recorded[i].items,
        })
        .collect();
    let author = GroupAuthor {
        participant: &caller.participant,
        language: &session.language,
        at: acceptance.at,
    };
    let written = async {
        let (room, doc) = board(&state, &session.id).await?;
        let update = group(&doc, &author, &new_groups);
        append_edit(&state, &room, Some(&caller.participant), update).await
    };
    if let Err(e) = written.await {
        // Not accepted after all: it may be tried again.
        ASSIST_ACCEPTANCES
            .delete(storage, &session.id, &run.id)
            .await?;
        return Err(e);
    }
    let detail = format!("themes {:?} as {}", request.themes, groups.join(", "));
    state
        .sessions
        .record_action(&caller, &session.id, "assist-accept", &run.id, Some(detail))
        .await;
    tracing::info!(session = %session.id, run = %run.id, groups = groups.len(), "themes accepted as groups");
    let answer: Vec<Value> = new_groups
        .iter()
        .zip(&request.themes)
        .map(|(g, &theme)| {
            json!({ "theme": theme, "group": g.id, "label": g.title, "items": g.members })
        })
        .collect();
    Ok(Json(json!({ "run": run.id, "groups": answer })))
}
