//! A session's published results: the cards people wrote with the decisions on them, grouped
//! by status, and the counts that say how much of what was said was acted on. Public (no
//! token), so they show no names nor pseudonyms at all, leave hidden items out, and show
//! erased text as erased.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use yrs::Doc;

use super::{Decision, DecisionStatus};
use crate::session::disclosure::SessionDisclosure;
use crate::session::Session;
use crate::storage::RecordKind;
use cocreate_board::edit::author_of;
use cocreate_board::{board_json, Disclosure};

/// Whether a session's results are published: one record per session under [`PUBLISHED`]'s
/// key, removed when unpublished.
pub const PUBLICATIONS: RecordKind<Publication> = RecordKind::new("publication");
/// The key of the publication record in a session's scope.
pub const PUBLISHED: &str = "results";

/// The group of the cards without a decision, which results list after every status's.
pub const UNDECIDED: &str = "undecided";

/// The item kinds results list: what participants write (connectors and groups only arrange).
const CONTRIBUTION_KINDS: [&str; 3] = ["card", "note", "comment"];

/// A session's results were published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// ms since the epoch.
    pub published_at: u64,
    /// The moderator's participant id (never shown publicly).
    pub by: String,
}

/// The results of one session: the session, its counts and its cards by status. Items by the
/// session's `moderators` (an example card, a prompt) are listed, marked `by_moderator`, and
/// counted in none of the figures (contributions, decided, accepted): those say what people
/// said and what became of it.
pub fn session_results(
    session: &Session,
    doc: &Doc,
    decisions: &[Decision],
    publication: &Publication,
    moderators: &HashSet<String>,
) -> Value {
    // No participants: the disclosure names nobody; it hides hidden items and redacts erased
    // text.
    let disclosure = Disclosure::for_session(session, &[]);
    let board = board_json(doc, &disclosure);
    let decisions: HashMap<&str, &Decision> =
        decisions.iter().map(|d| (d.item.as_str(), d)).collect();
    let mut cards: Vec<(Option<DecisionStatus>, Value)> = Vec::new();
    if let Some(items) = board["items"].as_object() {
        for (id, item) in items {
            let kind = item["type"].as_str().unwrap_or_default();
            // A comment on a hidden card is hidden with it.
            let parent = item["parent"].as_str().filter(|_| kind == "comment");
            let under_hidden = parent.is_some_and(|p| disclosure.hidden.contains(p));
            if !CONTRIBUTION_KINDS.contains(&kind) || disclosure.hidden.contains(id) || under_hidden
            {
                continue;
            }
            let decision = decisions.get(id.as_str());
            let mut card = json!({
                "item": id,
                "kind": kind,
                "text": item["text"],
                "status": decision.map(|d| d.status),
                "explanation": decision.map(|d| &d.explanation),
                "decided_at": decision.map(|d| d.decided_at),
            });
            if let Some(origin) = item.get("origin").and_then(public_origin) {
                card["origin"] = origin;
            }
            if let Some(parent) = parent {
                card["on"] = json!(parent);
            }
            if author_of(doc, id).is_some_and(|author| moderators.contains(&author)) {
                card["by_moderator"] = json!(true);
            }
            cards.push((decision.map(|d| d.status), card));
        }
    }
    // What people said: a moderator's example card counts in none of the figures.
    let people = |status: &Option<DecisionStatus>, card: &Value, taken_up: bool| {
        card.get("by_moderator").is_none() && status.is_some_and(|s| !taken_up || s.taken_up())
    };
    let contributions = cards
        .iter()
        .filter(|(_, c)| c.get("by_moderator").is_none())
        .count();
    let decided = cards.iter().filter(|(s, c)| people(s, c, false)).count();
    let accepted = cards.iter().filter(|(s, c)| people(s, c, true)).count();
    let groups: Vec<Value> = DecisionStatus::ALL
        .iter()
        .map(|status| (Some(*status), status.as_str()))
        .chain([(None, UNDECIDED)])
        .filter_map(|(status, name)| {
            let in_group: Vec<&Value> = cards
                .iter()
                .filter(|(s, _)| *s == status)
                .map(|(_, card)| card)
                .collect();
            (!in_group.is_empty()).then(|| json!({ "status": name, "cards": in_group }))
        })
        .collect();
    json!({
        "session": {
            "id": session.id,
            "title": session.title,
            "language": session.language,
            "state": session.state,
        },
        "published_at": publication.published_at,
        "counts": {
            "contributions": contributions,
            "decided": decided,
            "accepted": accepted,
        },
        "groups": groups,
    })
}

/// A carried card's origin without its authors: results name nobody.
fn public_origin(origin: &Value) -> Option<Value> {
    Some(json!({ "session": origin.get("session")?, "item": origin.get("item")? }))
}
