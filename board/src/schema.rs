//! The names the board document is made of, written once: its roots, item kinds and keys, the
//! stages and lanes each template starts with, and the schema version. The web client writes
//! the same (`web-client/src/board/model.ts`; documented in `web-client/README.md`); the golden
//! documents in `golden/` hold the two to it.

use serde::{Deserialize, Serialize};

/// The schema version written into `meta.schema`, by the server's seed as by the web client's.
/// 2: the emotion curve is everyone's own value per stage (`emotion_votes`), averaged.
pub const SCHEMA_VERSION: u32 = 2;

/// Root map: `schema` and `template`.
pub const META: &str = "meta";
/// Root map: stage id → `{kind, title, order}`.
pub const STAGES: &str = "stages";
/// Root map: lane id → `{kind, title, order}`.
pub const LANES: &str = "lanes";
/// Root map: item id → the item's map (`type`, `text`, `author`, …: see [`key`]).
pub const ITEMS: &str = "items";
/// Root map: one key `item|participant|n` per vote.
pub const VOTES: &str = "votes";
/// Root map: schema 1's shared emotion value per stage.
pub const EMOTIONS: &str = "emotions";
/// Root map: `stage|participant` → that participant's emotion value at the stage.
pub const EMOTION_VOTES: &str = "emotion_votes";

/// Every root of the board document, in the order outputs list them.
pub const ROOTS: [&str; 7] = [META, STAGES, LANES, ITEMS, VOTES, EMOTIONS, EMOTION_VOTES];

/// The kinds of item (an item's `type`).
pub const ITEM_TYPES: [&str; 5] = ["card", "note", "comment", "connector", "group"];

/// The keys of an item's map.
pub mod key {
    /// The item's kind, one of [`super::ITEM_TYPES`].
    pub const TYPE: &str = "type";
    /// A Y.Text: what the item says.
    pub const TEXT: &str = "text";
    /// The author's participant id (their pseudonym).
    pub const AUTHOR: &str = "author";
    /// The author's display name as written at the time (emptied when they are erased).
    pub const AUTHOR_NAME: &str = "author_name";
    /// Set by a moderator: `{reason, at, pending_review}`; absent when shown.
    pub const HIDDEN: &str = "hidden";
    /// Written by the server on a card carried from another session of the process:
    /// `{session, item, author}` (the source session and item, the original author's
    /// pseudonym); absent on cards written on this board.
    pub const ORIGIN: &str = "origin";
    /// The fields that place an item: a change to them is a move.
    pub const PLACEMENT: [&str; 9] = [
        "lane", "stage", "order", "x", "y", "w", "h", "parent", "group",
    ];
}

/// The board a session's document is seeded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    JourneyMap,
    ServiceBlueprint,
    Canvas,
}

impl Template {
    /// Every template, in the order the golden documents list them.
    pub const ALL: [Template; 3] = [
        Template::JourneyMap,
        Template::ServiceBlueprint,
        Template::Canvas,
    ];

    /// The name written in `meta.template` (and in the API).
    pub fn name(self) -> &'static str {
        match self {
            Template::JourneyMap => "journey-map",
            Template::ServiceBlueprint => "service-blueprint",
            Template::Canvas => "canvas",
        }
    }

    /// The stage kinds and lane kinds the template starts with, in order.
    pub fn axes(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Template::JourneyMap => (&STAGE_KINDS, &JOURNEY_LANES),
            Template::ServiceBlueprint => (&STAGE_KINDS, &BLUEPRINT_LANES),
            Template::Canvas => (&[], &[]),
        }
    }
}

/// Stages of a service journey, in order (journey maps and blueprints).
pub const STAGE_KINDS: [&str; 5] = ["aware", "apply", "wait", "receive", "follow-up"];

/// Journey map lanes, top to bottom.
pub const JOURNEY_LANES: [&str; 6] = [
    "actions",
    "touchpoints",
    "thoughts",
    "emotions",
    "pain-points",
    "opportunities",
];

/// Blueprint lanes, top to bottom; the lines of interaction, visibility and internal
/// interaction fall between them.
pub const BLUEPRINT_LANES: [&str; 5] = [
    "physical-evidence",
    "customer-actions",
    "frontstage",
    "backstage",
    "support",
];

/// The id of a seeded stage of `kind` (`stage-aware`).
pub fn stage_id(kind: &str) -> String {
    format!("stage-{kind}")
}

/// The id of a seeded lane of `kind` (`lane-actions`).
pub fn lane_id(kind: &str) -> String {
    format!("lane-{kind}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_are_their_serialized_form() {
        for template in Template::ALL {
            let json = serde_json::to_value(template).unwrap();
            assert_eq!(json.as_str(), Some(template.name()));
        }
    }
}
