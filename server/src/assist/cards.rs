//! Which cards a run reads: the board's cards and canvas notes as research outputs read them
//! (`board_json` under the session's `Disclosure`), less what the caller may not see. Hidden
//! items, text an erasure redacted and other people's drafts of a private step not yet
//! revealed are never input; a researcher's run also leaves out the cards of participants who
//! did not consent to research.

use serde_json::Value;
use yrs::Doc;

use crate::session::disclosure::SessionDisclosure;
use crate::session::{Identity, Participant, Role, Session};
use cocreate_board::{board_json, Disclosure, CARRIED_KINDS, DECLINED, ERASED_TEXT};

/// One card a run reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub item: String,
    /// As written, quoted word for word.
    pub text: String,
    /// The language it was written in, as the writer's client said.
    pub language: Option<String>,
    pub stage: Option<String>,
    pub lane: Option<String>,
}

/// A board as a run reads it: the whole board (its stages and lanes) and the cards it may use,
/// in item id order.
pub struct Reading {
    pub board: Value,
    pub cards: Vec<Card>,
}

/// Reads `doc`, the board of `session`, for `viewer`; `participants` are needed for a
/// researcher (whose consent rules apply), and may be empty otherwise.
pub fn read(
    doc: &Doc,
    session: &Session,
    participants: &[Participant],
    viewer: &Identity,
) -> Reading {
    let research = viewer.role == Role::Researcher;
    let disclosure = Disclosure::for_session(session, if research { participants } else { &[] });
    let board = board_json(doc, &disclosure);
    // Drafts: what others wrote since a private step started, until it is revealed.
    let drafts_since = session
        .agenda
        .current
        .as_ref()
        .filter(|current| current.step.private && !current.revealed)
        .map(|current| current.started_at);
    let text = |item: &Value, key: &str| item[key].as_str().map(str::to_owned);
    let mut cards = Vec::new();
    for (id, item) in board["items"].as_object().into_iter().flatten() {
        let kind = item["type"].as_str().unwrap_or_default();
        let written = item["text"].as_str().unwrap_or_default();
        let author = item["author"].as_str().unwrap_or_default();
        let draft = drafts_since.is_some_and(|since| {
            item["created_at"].as_f64().unwrap_or(0.0) >= since as f64
                && author != viewer.participant
        });
        if !CARRIED_KINDS.contains(&kind)
            || disclosure.hidden.contains(id)
            || written.trim().is_empty()
            || written.contains(ERASED_TEXT)
            || (research && author == DECLINED)
            || draft
        {
            continue;
        }
        cards.push(Card {
            item: id.clone(),
            text: written.to_owned(),
            language: text(item, "language"),
            stage: text(item, "stage"),
            lane: text(item, "lane"),
        });
    }
    Reading { board, cards }
}
