//! Zones: the parts of a board a facilitation step's rules name (`"zones": {zone: {role:
//! access}}`), written once here so that the server, which checks the names, and the web
//! client, which shows the rules, mean the same parts.
//!
//! | zone | what it covers |
//! |---|---|
//! | `structure` | the stages and lanes (their titles, order, adding and removing them) and the canvas's groups (its frames) |
//! | `stage:<stage id>` | the cards in that stage (a column of a journey map or blueprint) |
//! | `lane:<lane id>` | the cards in that lane (a row) |
//! | `canvas` | the notes on a canvas board |
//! | `comments` | comments on any item |
//! | `connectors` | arrows between items |
//! | `votes` | dot-votes |
//! | `emotions` | the journey map's emotion curve (each participant's own value per stage) |

use std::collections::BTreeSet;

use yrs::{Doc, Map, ReadTxn, Transact};

use crate::schema::{Template, LANES, STAGES};

pub const STRUCTURE: &str = "structure";
pub const CANVAS: &str = "canvas";
pub const COMMENTS: &str = "comments";
pub const CONNECTORS: &str = "connectors";
pub const VOTES: &str = "votes";
pub const EMOTIONS: &str = "emotions";

/// Before a stage's id: `stage:stage-aware`.
pub const STAGE_PREFIX: &str = "stage:";
/// Before a lane's id: `lane:lane-pain-points`.
pub const LANE_PREFIX: &str = "lane:";

/// The zones every board of `template` has, whatever its stages and lanes.
pub fn fixed_zones(template: Template) -> Vec<&'static str> {
    let mut zones = vec![STRUCTURE, COMMENTS, CONNECTORS, VOTES];
    match template {
        Template::Canvas => zones.push(CANVAS),
        Template::JourneyMap => zones.push(EMOTIONS),
        Template::ServiceBlueprint => {}
    }
    zones
}

/// Every zone name a rule may use on `doc`, a board of `template`, as it is now: the fixed
/// zones and one per stage and per lane it holds.
pub fn zone_names(doc: &Doc, template: Template) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = fixed_zones(template)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let txn = doc.transact();
    for (root, prefix) in [(STAGES, STAGE_PREFIX), (LANES, LANE_PREFIX)] {
        if let Some(map) = txn.get_map(root) {
            names.extend(map.keys(&txn).map(|id| format!("{prefix}{id}")));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::seed;
    use yrs::updates::decoder::Decode;
    use yrs::Update;

    fn seeded(template: Template) -> Doc {
        let doc = Doc::new();
        let update = Update::decode_v1(&seed(template)).expect("a seed decodes");
        doc.transact_mut()
            .apply_update(update)
            .expect("a seed applies");
        doc
    }

    #[test]
    fn a_journey_map_has_a_zone_per_stage_and_lane_and_the_emotion_curve() {
        let names = zone_names(&seeded(Template::JourneyMap), Template::JourneyMap);
        for name in [
            "structure",
            "comments",
            "connectors",
            "votes",
            "emotions",
            "stage:stage-aware",
            "stage:stage-follow-up",
            "lane:lane-pain-points",
        ] {
            assert!(names.contains(name), "{name} missing from {names:?}");
        }
        assert_eq!(names.len(), 5 + 5 + 6, "{names:?}");
        assert!(!names.contains(CANVAS));
    }

    #[test]
    fn a_canvas_has_no_stages_or_lanes_but_its_notes() {
        let names = zone_names(&seeded(Template::Canvas), Template::Canvas);
        let expected: BTreeSet<String> = ["structure", "comments", "connectors", "votes", "canvas"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(names, expected);
    }
}
