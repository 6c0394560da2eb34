//! Who may change what on a session's board: cards belong to their authors, the structure to
//! the moderators, and the step under way opens or closes zones for citizens (issue 27, part
//! 3). The room judges every citizen's update with these rules before it reaches the log or
//! anyone else (`room/rules.rs`); the board crate says what an update touches
//! (`cocreate_board::guard`).
//!
//! | zone | with no rule for it |
//! |---|---|
//! | `structure` | `read`: the moderators' |
//! | card zones (`stage:…`, `lane:…`, `canvas`) | `edit`; but once the step under way names a card zone, the ones it does not name are `read` ("only the Pain points lane is open") |
//! | `comments`, `connectors`, `votes`, `emotions` | `edit` |
//!
//! A card lies in its stage and its lane: it is open when any of them is. `edit` lets a
//! citizen add, change, move and delete their own items (in a `cluster` step also move
//! anyone's cards); `add` lets them add items and change their own in place, but not move or
//! delete them; `read` nothing. In a secret vote under way, votes go into each one's draft
//! room until the reveal, not onto the board. Rules hold while their step is under way: once
//! it ends, the defaults hold again.

use cocreate_board::guard::{Act, Touch};
use cocreate_board::zones::{CANVAS, LANE_PREFIX, STAGE_PREFIX, STRUCTURE};

use super::agenda::{Agenda, Method, ZoneAccess};
use super::Role;

/// Why a change was refused: said to its writer (`edit-refused`) and logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The zone whose rule refused it.
    pub zone: String,
    pub reason: String,
}

/// Whether `zone` holds cards (a stage, a lane, the canvas).
fn is_card_zone(zone: &str) -> bool {
    zone == CANVAS || zone.starts_with(STAGE_PREFIX) || zone.starts_with(LANE_PREFIX)
}

/// What citizens may do in `zone` under `agenda` now.
pub fn citizen_access(agenda: &Agenda, zone: &str) -> ZoneAccess {
    let rules = agenda.running().map(|c| &c.step.zones);
    if let Some(access) = rules
        .and_then(|zones| zones.get(zone))
        .and_then(|roles| roles.get(&Role::Citizen))
    {
        return *access;
    }
    let names_card_zones = rules.is_some_and(|zones| zones.keys().any(|z| is_card_zone(z)));
    match zone {
        STRUCTURE => ZoneAccess::Read,
        _ if is_card_zone(zone) && names_card_zones => ZoneAccess::Read,
        _ => ZoneAccess::Edit,
    }
}

/// The widest access among the zones a thing lies in (a card is open when its stage or its
/// lane is), with the zone that gives it; `zones` empty: the card zones' default.
fn widest(agenda: &Agenda, zones: &[String]) -> (ZoneAccess, String) {
    let rank = |access: ZoneAccess| match access {
        ZoneAccess::Read => 0,
        ZoneAccess::Add => 1,
        ZoneAccess::Edit => 2,
    };
    zones
        .iter()
        .map(|zone| (citizen_access(agenda, zone), zone.clone()))
        .max_by_key(|(access, _)| rank(*access))
        .unwrap_or_else(|| (citizen_access(agenda, CANVAS), CANVAS.to_owned()))
}

/// Judges one change by participant `writer` with `role`. `owner` is the participant whose the
/// touched thing is (`None`: nobody's, e.g. the structure).
pub fn judge(
    agenda: &Agenda,
    role: Role,
    writer: &str,
    owner: Option<&str>,
    touch: &Touch,
) -> Result<(), Refusal> {
    if role == Role::Moderator {
        return Ok(());
    }
    let (access, zone) = widest(agenda, &touch.zones);
    let refuse = |zone: &str, reason: &str| {
        Err(Refusal {
            zone: zone.to_owned(),
            reason: reason.to_owned(),
        })
    };
    let own = owner == Some(writer);
    let clustering = agenda
        .running()
        .is_some_and(|c| c.step.method == Method::Cluster);
    let voting_apart = agenda
        .running()
        .is_some_and(|c| c.step.secret && !c.revealed);
    match touch.act {
        Act::Moderate => refuse(&zone, "only moderators hide, show or carry items"),
        Act::Structure if access == ZoneAccess::Edit => Ok(()),
        Act::Structure => refuse(STRUCTURE, "the stages and lanes are the facilitator's"),
        _ if access == ZoneAccess::Read => refuse(
            &zone,
            "the facilitator has not opened this part of the board",
        ),
        Act::Add => Ok(()),
        Act::Vote if voting_apart => refuse(
            &zone,
            "in a secret vote, votes are cast apart until the reveal",
        ),
        Act::Vote | Act::Emotion if owner.is_none_or(|o| o == writer) => Ok(()),
        Act::Vote | Act::Emotion => refuse(&zone, "only their own votes and values can be changed"),
        Act::Edit if own => Ok(()),
        Act::Move if access == ZoneAccess::Edit && (own || clustering) => {
            let (from, from_zone) = widest(agenda, &touch.from);
            match from {
                ZoneAccess::Edit => Ok(()),
                _ => refuse(&from_zone, "cards here can be added, not moved"),
            }
        }
        Act::Delete if own && access == ZoneAccess::Edit => Ok(()),
        Act::Move | Act::Delete if access == ZoneAccess::Add && own => {
            refuse(&zone, "cards here can be added, not moved or deleted")
        }
        _ => refuse(
            &zone,
            "a card belongs to its author: others comment and vote",
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use cocreate_board::guard::Owner;

    use super::*;
    use crate::session::agenda::Step;

    fn touch(act: Act, zones: &[&str]) -> Touch {
        Touch {
            act,
            zones: zones.iter().map(|z| (*z).to_owned()).collect(),
            from: Vec::new(),
            owner: Owner::Nobody,
            target: "c1".into(),
        }
    }

    /// An agenda whose step under way has `method` and gives citizens `rules`.
    fn running(method: Method, rules: &[(&str, ZoneAccess)]) -> Agenda {
        let zones = rules
            .iter()
            .map(|(zone, access)| {
                (
                    (*zone).to_owned(),
                    BTreeMap::from([(Role::Citizen, *access)]),
                )
            })
            .collect();
        let mut agenda = Agenda::default();
        agenda
            .set_steps(vec![Step {
                id: "s".into(),
                title: "Step".into(),
                method,
                minutes: None,
                private: false,
                anonymous: false,
                votes: None,
                secret: false,
                zones,
                on_end: Default::default(),
            }])
            .unwrap();
        agenda.start("s", 1).unwrap();
        agenda
    }

    const CARD: &[&str] = &["stage:stage-apply", "lane:lane-pain-points"];

    #[test]
    fn without_a_step_cards_are_their_authors_and_the_structure_the_moderators() {
        let agenda = Agenda::default();
        let judge =
            |act, zones, owner| judge(&agenda, Role::Citizen, "ann", owner, &touch(act, zones));
        assert!(judge(Act::Add, CARD, Some("ann")).is_ok());
        assert!(judge(Act::Edit, CARD, Some("ann")).is_ok());
        assert!(judge(Act::Delete, CARD, Some("ann")).is_ok());
        assert!(judge(Act::Edit, CARD, Some("bob")).is_err());
        assert!(judge(Act::Delete, CARD, Some("bob")).is_err());
        assert!(judge(Act::Move, CARD, Some("bob")).is_err());
        assert_eq!(
            judge(Act::Structure, &[STRUCTURE], None).unwrap_err().zone,
            STRUCTURE
        );
        assert!(judge(Act::Moderate, CARD, Some("ann")).is_err());
        assert!(judge(Act::Vote, &["votes"], Some("bob")).is_err());
        assert!(judge(Act::Vote, &["votes"], Some("ann")).is_ok());
        let moderator = judge_as(&agenda, Role::Moderator, Act::Structure, &[STRUCTURE]);
        assert!(moderator.is_ok());
    }

    fn judge_as(agenda: &Agenda, role: Role, act: Act, zones: &[&str]) -> Result<(), Refusal> {
        judge(agenda, role, "m", None, &touch(act, zones))
    }

    #[test]
    fn a_step_that_opens_one_lane_closes_the_others() {
        let agenda = running(
            Method::Brainwrite,
            &[("lane:lane-pain-points", ZoneAccess::Add)],
        );
        let judge = |act, zones: &[&str]| {
            judge(
                &agenda,
                Role::Citizen,
                "ann",
                Some("ann"),
                &touch(act, zones),
            )
        };
        assert!(judge(Act::Add, CARD).is_ok());
        assert!(
            judge(Act::Edit, CARD).is_ok(),
            "add lets authors type into their cards"
        );
        assert!(judge(Act::Delete, CARD).is_err(), "add is not delete");
        let closed = judge(Act::Add, &["stage:stage-apply", "lane:lane-actions"]).unwrap_err();
        assert_eq!(closed.zone, "lane:lane-actions");
        assert!(
            judge(Act::Add, &["comments"]).is_ok(),
            "other zones keep their default"
        );
    }

    #[test]
    fn moves_need_edit_where_the_card_was_and_room_where_it_goes() {
        let agenda = running(
            Method::Cluster,
            &[
                ("lane:lane-pain-points", ZoneAccess::Edit),
                ("lane:lane-actions", ZoneAccess::Add),
            ],
        );
        let mut moved = touch(Act::Move, &["stage:stage-apply", "lane:lane-pain-points"]);
        moved.from = vec!["stage:stage-apply".into(), "lane:lane-actions".into()];
        assert!(
            judge(&agenda, Role::Citizen, "ann", Some("ann"), &moved).is_err(),
            "out of an add-only lane"
        );
        std::mem::swap(&mut moved.zones, &mut moved.from);
        moved.zones = vec!["stage:stage-apply".into(), "lane:lane-pain-points".into()];
        moved.from = vec!["stage:stage-apply".into(), "lane:lane-pain-points".into()];
        assert!(
            judge(&agenda, Role::Citizen, "ann", Some("bob"), &moved).is_ok(),
            "a cluster step moves anyone's cards"
        );
        let agenda = running(
            Method::Discuss,
            &[("lane:lane-pain-points", ZoneAccess::Edit)],
        );
        assert!(
            judge(&agenda, Role::Citizen, "ann", Some("bob"), &moved).is_err(),
            "only in a cluster step"
        );
    }

    #[test]
    fn a_step_can_open_the_structure_and_close_the_votes() {
        let agenda = running(
            Method::Custom,
            &[("structure", ZoneAccess::Edit), ("votes", ZoneAccess::Read)],
        );
        assert!(judge_as(&agenda, Role::Citizen, Act::Structure, &[STRUCTURE]).is_ok());
        assert!(judge(
            &agenda,
            Role::Citizen,
            "ann",
            Some("ann"),
            &touch(Act::Vote, &["votes"])
        )
        .is_err());
        let mut ended = agenda.clone();
        ended.end(2).unwrap();
        assert!(
            judge_as(&ended, Role::Citizen, Act::Structure, &[STRUCTURE]).is_err(),
            "rules end with their step"
        );
    }
}
