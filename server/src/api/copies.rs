//! Carried copies follow their source (issue 34): a card carried into another session stays its
//! source's. After an erasure, a removal of contributions, a hide or an unhide in a session,
//! each of its carried copies is brought in line with the source as the source's research terms
//! show it now: a source card that is gone takes its copy with it, a hidden one hides its copy
//! (and unhiding brings it back), and text that was erased is erased in the copy too — on the
//! live board, in hidden text kept for moderators, and, through the client ids that wrote the
//! copy (`Session::carried_redacted`), at every point of the target's history and in its
//! research outputs and results.

use std::collections::HashSet;

use cocreate_board::edit;
use cocreate_board::{board_json, Disclosure, ERASED_TEXT};
use serde_json::Value;
use sha2::{Digest, Sha256};
use yrs::ClientID;

use super::moderation::{hide_item, unhide_item};
use super::{append_edit, board};
use crate::error::ApiError;
use crate::outcome::{CarriedTo, CARRIED_TO};
use crate::session::disclosure::SessionDisclosure;
use crate::session::{Identity, Role, Session};
use crate::state::AppState;

/// Who hid a copy because its source was hidden (in `Hidden::by`, as `reports` is for reports).
pub const SOURCE: &str = "source";

/// What a source card is now, as its session's research terms show it.
enum Source<'a> {
    Gone,
    Hidden,
    Text(&'a str),
}

/// The sha256 of a source text as a copy was written from it (hex).
pub fn text_sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// Brings every copy carried out of `source` in line with it (see the module's doc).
pub async fn follow(state: &AppState, source: &str) -> Result<(), ApiError> {
    let storage = state.storage.as_ref();
    let copies = CARRIED_TO.all(storage, source).await?;
    if copies.is_empty() {
        return Ok(());
    }
    let Some(session) = state.sessions.get(source).await? else {
        return Ok(());
    };
    let participants = state.sessions.participants(source).await?;
    let disclosure = Disclosure::for_session(&session, &participants);
    let (_, doc) = board(state, source).await?;
    let items = board_json(&doc, &disclosure)["items"].take();
    for (from, mut copy) in copies {
        let now = match &items[from.as_str()] {
            Value::Null => Source::Gone,
            _ if disclosure.hidden.contains(&from) => Source::Hidden,
            found => Source::Text(found["text"].as_str().unwrap_or_default()),
        };
        if follow_copy(state, source, &mut copy, now).await? {
            CARRIED_TO.put(storage, source, &from, &copy).await?;
        }
    }
    Ok(())
}

/// Brings one copy in line with its source; whether the copy's record changed.
async fn follow_copy(
    state: &AppState,
    source: &str,
    copy: &mut CarriedTo,
    now: Source<'_>,
) -> Result<bool, ApiError> {
    let Some(target) = state.sessions.get(&copy.session).await? else {
        return Ok(false);
    };
    let (room, doc) = board(state, &target.id).await?;
    if !edit::has_item(&doc, &copy.item) {
        return Ok(false);
    }
    let writers: HashSet<ClientID> = copy.clients.iter().map(|c| ClientID::new(*c)).collect();
    let hidden_by = target
        .items
        .get(&copy.item)
        .and_then(|m| m.hidden.as_ref())
        .map(|h| h.by.clone());
    let system = Identity {
        session: target.id.clone(),
        participant: SOURCE.into(),
        role: Role::Moderator,
        name: format!("session {source}"),
    };
    let why = Some(format!("in session {source}, where it came from"));
    match now {
        Source::Gone => {
            let removal = if writers.is_empty() {
                edit::replace_runs(&doc, &copy.item, &writers, "").map(|(update, _)| update)
            } else {
                edit::remove_clients(&doc, &writers)
            };
            if let Some(update) = removal {
                append_edit(state, &room, None, update).await?;
            }
            redact(state, &target, &writers).await?;
            state
                .sessions
                .record_action(&system, &target.id, "carried-removed", &copy.item, why)
                .await;
            copy.text_sha256 = Some(text_sha256(""));
            return Ok(true);
        }
        Source::Hidden if hidden_by.is_none() => {
            let reason = format!("hidden in session {source}, where it came from");
            hide_item(state, &target, &copy.item, &reason, SOURCE, false).await?;
            state
                .sessions
                .record_action(&system, &target.id, "hide", &copy.item, Some(reason))
                .await;
        }
        Source::Text(_) if hidden_by.as_deref() == Some(SOURCE) => {
            unhide_item(state, &target, &copy.item, SOURCE).await?;
            state
                .sessions
                .record_action(&system, &target.id, "unhide", &copy.item, why)
                .await;
        }
        _ => {}
    }
    let Source::Text(text) = now else {
        return Ok(false);
    };
    let sha = text_sha256(text);
    if copy.text_sha256.as_deref() == Some(sha.as_str()) {
        return Ok(false);
    }
    // The source's text changed after it was carried: only erasure and removal change a closed
    // session's text, so what the copy held goes from its history too.
    let target = state.sessions.get(&target.id).await?.unwrap_or(target);
    let hidden_here = target
        .items
        .get(&copy.item)
        .is_some_and(|m| m.hidden.is_some());
    if hidden_here {
        erase_hidden(state, &target.id, &copy.item, &writers).await?;
    } else if let Some((update, client)) = edit::replace_runs(&doc, &copy.item, &writers, text) {
        append_edit(state, &room, None, update).await?;
        copy.clients.push(client.get());
    }
    redact(state, &target, &writers).await?;
    copy.text_sha256 = Some(sha);
    Ok(true)
}

/// The copy's text kept for moderators while it is hidden: what its writers wrote is erased.
async fn erase_hidden(
    state: &AppState,
    target: &str,
    item: &str,
    writers: &HashSet<ClientID>,
) -> Result<(), ApiError> {
    state
        .sessions
        .update(target, |session| {
            if let Some(hidden) = session.item(item).hidden.as_mut() {
                hidden.replace_runs(writers, writers.is_empty(), ERASED_TEXT);
            }
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(())
}

/// Records that `writers`' text reads as erased at every point of `target`'s history.
async fn redact(
    state: &AppState,
    target: &Session,
    writers: &HashSet<ClientID>,
) -> Result<(), ApiError> {
    if writers.is_empty() {
        return Ok(());
    }
    state
        .sessions
        .update(&target.id, |session| {
            session
                .carried_redacted
                .extend(writers.iter().map(|c| c.get()));
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(())
}
