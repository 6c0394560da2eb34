//! `GET /api/sessions/{id}/kit.pdf?size=A4|A3`: the printable paper kit of a session's board (moderators), a
//! PDF for a paper workshop on the same board (`paper/kit.rs` says what is on it).

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cocreate_board::{board_json, Disclosure};
use serde::Deserialize;

use super::caller::{Caller, Moderators};
use super::{board, public_url, Query};
use crate::error::ApiError;
use crate::paper::kit::{self, Paper};
use crate::state::AppState;

/// `?size=A4|A3` (default A4; either case).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KitQuery {
    size: Option<String>,
}

pub async fn kit(
    State(state): State<AppState>,
    Caller(moderator, session, ..): Caller<Moderators>,
    headers: HeaderMap,
    Query(query): Query<KitQuery>,
) -> Result<Response, ApiError> {
    let Some(font) = state.kit_font.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "kit_unavailable",
            "the paper kit is off on this server: its font is missing (see --kit-font)",
        ));
    };
    let paper = match query.size.as_deref() {
        None => Paper::A4,
        Some(name) => Paper::parse(name)
            .ok_or_else(|| ApiError::bad_request(format!("{name:?}: size is A4 or A3")))?,
    };
    let (_, doc) = board(&state, &session.id).await?;
    let read = kit::Board::read(&board_json(&doc, &Disclosure::default()), &session.language);
    let base = public_url(&state, &headers);
    let join_url = format!(
        "{base}/#code={}&lang={}",
        session.join_code, session.language
    );
    let pdf =
        tokio::task::spawn_blocking(move || kit::kit(&session, &read, paper, &join_url, &font))
            .await
            .map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("the kit could not be drawn: {e}"),
                )
            })?;
    tracing::info!(session = %moderator.session, paper = paper.name(), bytes = pdf.len(), "paper kit");
    let disposition = format!(
        "attachment; filename=\"cocreate-kit-{}-{}.pdf\"",
        moderator.session,
        paper.name()
    );
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}
