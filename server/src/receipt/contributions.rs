//! What a receipt lists: the cards, notes and comments a participant added and the cards they
//! voted for, as the session's history credits them (the log's authorship, never what an item
//! claims), with each card's current decision. Items deleted since are left out; hidden and
//! erased text reads as the research outputs show it. A card carried into another session of the
//! process is followed there, to the decision taken on it in that session. Nothing about other
//! people: no authors, no one else's votes.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::history::{HistoryEvent, Ledgers, SessionRecords};
use crate::outcome::{CarriedTo, Decision, DecisionStatus, CARRIED_TO, DECISIONS};
use crate::room_id::RoomId;
use crate::session::store::SessionStore;
use crate::storage::{Storage, StorageError};
use cocreate_board::board_json;

/// The item kinds a receipt lists as contributions of their own (connectors and groups are
/// structure, not something a person said).
const SAID: [&str; 3] = ["card", "note", "comment"];

/// One line of a receipt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contribution {
    /// The item: the card, note or comment they added, or the card they voted for.
    pub item: String,
    /// `card`, `note`, `comment` or `vote`.
    pub kind: String,
    /// The item's text now (a vote: the card's).
    pub text: String,
    /// A comment's card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// A vote: how many of their dots the card holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes: Option<u64>,
    /// A moderator hid the item (its text then reads `[hidden]`).
    pub hidden: bool,
    /// The decision on the card (a comment's: its card's), `null` while there is none.
    pub status: Option<DecisionStatus>,
    pub explanation: Option<String>,
    pub decided_at: Option<u64>,
    /// When they added it or first voted for it (ms since the epoch).
    pub at: u64,
    /// Where the card (a comment's: its card) went when it was carried into another session of
    /// the process, with the decision taken on it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried: Option<Onward>,
}

/// A carried card's copy in the session it was carried into, and the decision on it there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Onward {
    pub session: String,
    /// That session's title.
    pub title: String,
    /// The copy's id on that session's board.
    pub item: String,
    pub status: Option<DecisionStatus>,
    pub explanation: Option<String>,
    pub decided_at: Option<u64>,
}

/// Collects one participant's contributions from the history's events, in order.
struct Authored<'a> {
    participant: &'a str,
    /// Items they added, with their kind and when, in the order added.
    items: Vec<(String, String, u64)>,
    /// Their votes per item: how many now, and when the first was cast.
    votes: BTreeMap<String, (i64, u64)>,
}

impl Authored<'_> {
    fn add(&mut self, event: &HistoryEvent) {
        let theirs = event.participant_id.as_deref() == Some(self.participant);
        if !theirs || event.seq.is_none() || event.by_server {
            return;
        }
        match (event.entity.as_str(), event.action.as_str()) {
            ("vote", action) => {
                let entry = self
                    .votes
                    .entry(event.target.clone())
                    .or_insert((0, event.at));
                entry.0 += if action == "deleted" { -1 } else { 1 };
            }
            (kind, "added") if SAID.contains(&kind) => {
                self.items
                    .push((event.target.clone(), kind.to_owned(), event.at));
            }
            _ => {}
        }
    }

    /// The contributions still on `board` (the board as JSON), with `decisions`, oldest first.
    fn finish(self, board: &Value, decisions: &HashMap<String, Decision>) -> Vec<Contribution> {
        let items = &board["items"];
        let line = |item: &str, kind: &str, decided: &str, at: u64| {
            let fields = &items[item];
            let decision = decisions.get(decided);
            Contribution {
                item: item.to_owned(),
                kind: kind.to_owned(),
                text: fields["text"].as_str().unwrap_or_default().to_owned(),
                on: None,
                votes: None,
                hidden: fields.get("hidden").is_some_and(|h| !h.is_null()),
                status: decision.map(|d| d.status),
                explanation: decision.map(|d| d.explanation.clone()),
                decided_at: decision.map(|d| d.decided_at),
                at,
                carried: None,
            }
        };
        let on_board = |item: &str| items.get(item).is_some();
        let mut lines: Vec<Contribution> = Vec::new();
        for (item, kind, at) in &self.items {
            if !on_board(item) || lines.iter().any(|l| &l.item == item) {
                continue;
            }
            let parent = items[item.as_str()]["parent"]
                .as_str()
                .filter(|p| on_board(p) && kind == "comment");
            let mut contribution = line(item, kind, parent.unwrap_or(item), *at);
            contribution.on = parent.map(str::to_owned);
            lines.push(contribution);
        }
        for (item, (count, at)) in self.votes {
            if count > 0 && on_board(&item) {
                let mut contribution = line(&item, "vote", &item, at);
                contribution.votes = Some(count as u64);
                lines.push(contribution);
            }
        }
        lines.sort_by_key(|l| l.at);
        lines
    }
}

/// A participant's contributions to a session, from its ledger (what its history credits them
/// with), with the cards carried into other sessions followed there.
pub async fn of_participant(
    storage: &dyn Storage,
    sessions: &SessionStore,
    ledgers: &Ledgers,
    room: &RoomId,
    keyframe_spacing: u64,
    records: &SessionRecords,
    participant: &str,
) -> Result<Vec<Contribution>, StorageError> {
    let decisions = DECISIONS
        .all(storage, &records.session.id)
        .await?
        .into_iter()
        .collect();
    let mut lines = ledgers
        .read(storage, room, keyframe_spacing, |ledger| {
            let mut authored = Authored {
                participant,
                items: Vec::new(),
                votes: BTreeMap::new(),
            };
            ledger
                .events(records)
                .for_each(|event| authored.add(&event));
            let board = board_json(ledger.doc, &records.disclosure);
            authored.finish(&board, &decisions)
        })
        .await?;
    follow_carried(storage, sessions, &records.session.id, &mut lines).await?;
    Ok(lines)
}

/// Adds, to each line whose card was carried into another session, that copy and its decision.
async fn follow_carried(
    storage: &dyn Storage,
    sessions: &SessionStore,
    session: &str,
    lines: &mut [Contribution],
) -> Result<(), StorageError> {
    let carried: HashMap<String, CarriedTo> = CARRIED_TO
        .all(storage, session)
        .await?
        .into_iter()
        .collect();
    for line in lines {
        let card = line.on.as_deref().unwrap_or(&line.item);
        let Some(copy) = carried.get(card) else {
            continue;
        };
        let Some(target) = sessions.get(&copy.session).await? else {
            continue;
        };
        let decision = DECISIONS.get(storage, &copy.session, &copy.item).await?;
        line.carried = Some(Onward {
            session: target.id,
            title: target.title,
            item: copy.item.clone(),
            status: decision.as_ref().map(|d| d.status),
            explanation: decision.as_ref().map(|d| d.explanation.clone()),
            decided_at: decision.map(|d| d.decided_at),
        });
    }
    Ok(())
}
