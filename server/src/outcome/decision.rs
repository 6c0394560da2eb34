//! A moderator's decision on a card: its status in the organisation's follow-up and a public
//! explanation in plain words. One record per item, replaced at every change; every change is
//! also an audit entry (and so a history event), which keeps the earlier ones.

use serde::{Deserialize, Serialize};

use crate::storage::RecordKind;

/// Decisions, per session, keyed by item id.
pub const DECISIONS: RecordKind<Decision> = RecordKind::new("decision");

/// Where a card stands in the follow-up, in the order work progresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionStatus {
    UnderConsideration,
    Accepted,
    Planned,
    InProgress,
    Done,
    NotTakenUp,
}

impl DecisionStatus {
    /// Every status, in the order results list them.
    pub const ALL: [DecisionStatus; 6] = [
        DecisionStatus::UnderConsideration,
        DecisionStatus::Accepted,
        DecisionStatus::Planned,
        DecisionStatus::InProgress,
        DecisionStatus::Done,
        DecisionStatus::NotTakenUp,
    ];

    /// The status as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionStatus::UnderConsideration => "under-consideration",
            DecisionStatus::Accepted => "accepted",
            DecisionStatus::Planned => "planned",
            DecisionStatus::InProgress => "in-progress",
            DecisionStatus::Done => "done",
            DecisionStatus::NotTakenUp => "not-taken-up",
        }
    }

    /// Whether the organisation took the card up (accepted, or further along): what results
    /// count as "accepted".
    pub fn taken_up(self) -> bool {
        !matches!(
            self,
            DecisionStatus::UnderConsideration | DecisionStatus::NotTakenUp
        )
    }
}

/// The current decision on one item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub item: String,
    pub status: DecisionStatus,
    /// Public, plain text; may be empty.
    pub explanation: String,
    /// When this status was set, ms since the epoch.
    pub decided_at: u64,
    /// The moderator's participant id (a pseudonym, never a name).
    pub by: String,
    /// When the item got its first decision (ms since the epoch): how long people waited.
    pub first_decided_at: u64,
}
