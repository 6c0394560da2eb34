//! Outcome tracking for officials and researchers: what became of the cards and notes people
//! added — how many got a decision, and how long they waited for the first one — by the role
//! of who added them. From the history's events (who added what, when; what was deleted) and
//! the session's decisions (`crate::outcome`). Cards deleted since do not count; hidden ones do.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::timeline::HistoryEvent;
use crate::format::{csv_line, rfc3339};
use crate::outcome::Decision;
use crate::session::Role;

/// The item kinds that are contributions a decision answers.
const DECIDABLE: [&str; 2] = ["card", "note"];

/// A card or note on the board, and who added it when.
struct Added {
    kind: String,
    /// Pseudonym (or `declined`), as every research output names people.
    participant: String,
    role: Role,
    at: u64,
}

/// Follows which decidable items are on the board, as events arrive in history order.
#[derive(Default)]
pub struct Tracker {
    items: HashMap<String, Added>,
}

impl Tracker {
    pub fn add(&mut self, event: &HistoryEvent) {
        if event.seq.is_none() || !DECIDABLE.contains(&event.entity.as_str()) {
            return;
        }
        match event.action.as_str() {
            "added" if !event.by_server => {
                let (Some(participant), Some(role)) = (&event.participant, event.role) else {
                    return;
                };
                if role.edits() {
                    let added = Added {
                        kind: event.entity.clone(),
                        participant: participant.clone(),
                        role,
                        at: event.at,
                    };
                    self.items.insert(event.target.clone(), added);
                }
            }
            // Whoever deleted it, a moderator's removal included.
            "deleted" => {
                self.items.remove(&event.target);
            }
            _ => {}
        }
    }

    /// The items with their decisions, oldest first, and the figures over them.
    pub fn finish(self, decisions: &HashMap<String, Decision>) -> Outcomes {
        let mut rows: Vec<Outcome> = self
            .items
            .into_iter()
            .map(|(item, added)| {
                let decision = decisions.get(&item);
                Outcome {
                    waited_ms: decision.map(|d| d.first_decided_at.saturating_sub(added.at)),
                    status: decision.map(|d| d.status.as_str()),
                    first_decided_at: decision.map(|d| d.first_decided_at),
                    item,
                    added,
                }
            })
            .collect();
        rows.sort_by(|a, b| (a.added.at, &a.item).cmp(&(b.added.at, &b.item)));
        let mut by_role: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
        for row in &rows {
            by_role
                .entry(row.added.role.as_str().to_owned())
                .or_default()
                .push(row);
        }
        let figures = OutcomeFigures {
            all: RoleFigures::of(rows.iter()),
            by_role: by_role
                .into_iter()
                .map(|(role, rows)| (role, RoleFigures::of(rows.into_iter())))
                .collect(),
        };
        Outcomes { rows, figures }
    }
}

/// One decidable item and what became of it.
pub struct Outcome {
    item: String,
    added: Added,
    status: Option<&'static str>,
    first_decided_at: Option<u64>,
    /// From its addition to its first decision.
    waited_ms: Option<u64>,
}

/// Every decidable item's outcome, and the figures over them.
pub struct Outcomes {
    pub rows: Vec<Outcome>,
    pub figures: OutcomeFigures,
}

/// Outcome figures (`GET /api/sessions/{id}/metrics`, `outcomes` in the export's README).
#[derive(Debug, PartialEq, Serialize)]
pub struct OutcomeFigures {
    #[serde(flatten)]
    pub all: RoleFigures,
    /// The same, per role of who added the items (`citizen`, `moderator`).
    pub by_role: BTreeMap<String, RoleFigures>,
}

/// Outcome figures over some items.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct RoleFigures {
    /// Cards and notes added (and still on the board).
    pub contributions: u64,
    /// How many of them have a decision.
    pub decided: u64,
    /// `decided` over `contributions`; `null` without contributions.
    pub decided_share: Option<f64>,
    /// Median time from an item's addition to its first decision, in seconds; `null` while
    /// none has one.
    pub median_seconds_to_first_decision: Option<f64>,
}

impl RoleFigures {
    fn of<'a>(rows: impl Iterator<Item = &'a Outcome>) -> Self {
        let mut contributions = 0;
        let mut waits: Vec<u64> = Vec::new();
        for row in rows {
            contributions += 1;
            waits.extend(row.waited_ms);
        }
        waits.sort_unstable();
        let median_ms = match waits.len() {
            0 => None,
            n if n % 2 == 1 => Some(waits[n / 2] as f64),
            n => Some((waits[n / 2 - 1] + waits[n / 2]) as f64 / 2.0),
        };
        RoleFigures {
            contributions,
            decided: waits.len() as u64,
            decided_share: (contributions > 0).then(|| waits.len() as f64 / contributions as f64),
            median_seconds_to_first_decision: median_ms.map(|ms| ms / 1000.0),
        }
    }
}

/// `outcomes.csv` of the export: one row per card or note on the final board.
pub fn outcomes_csv(outcomes: &Outcomes) -> String {
    let mut out = csv_line(&[
        "item",
        "kind",
        "participant",
        "role",
        "added_at",
        "status",
        "first_decided_at",
        "seconds_to_first_decision",
    ]);
    let time = |ms: Option<u64>| ms.map(rfc3339).unwrap_or_default();
    for row in &outcomes.rows {
        out.push_str(&csv_line(&[
            &row.item,
            &row.added.kind,
            &row.added.participant,
            row.added.role.as_str(),
            &rfc3339(row.added.at),
            row.status.unwrap_or_default(),
            &time(row.first_decided_at),
            &row.waited_ms
                .map(|ms| (ms / 1000).to_string())
                .unwrap_or_default(),
        ]));
    }
    out
}
