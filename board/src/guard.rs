//! What a participant's update does, zone by zone: the facts a facilitation step's rules judge
//! (`server/src/session/rules.rs`). The room applies each update to a document it keeps ahead
//! of its log (the document as it will be once everything queued is applied), observes it as
//! history does ([`ObservedDoc`]) and describes each change by the zones it lies in and whose
//! it is. Deciding what is allowed is the server's; knowing where a card is, is the board's.

use std::collections::HashMap;

use yrs::{BranchID, ClientID, Doc, Map, MapRef, Out, ReadTxn, StateVector, Transact};

use cocreate_protocol::decode_update;

use crate::apply::{apply_bytes, apply_update, encode_state, ApplyError};
use crate::changes::{BoardChange, ObservedDoc};
use crate::schema::{key, ITEMS};
use crate::votes;
use crate::zones::{CANVAS, COMMENTS, CONNECTORS, LANE_PREFIX, STAGE_PREFIX, STRUCTURE};

/// What a change does to the thing it touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// A new item.
    Add,
    /// An item's text or fields (other than where it lies).
    Edit,
    /// Where an item lies (its stage, lane, position, group).
    Move,
    Delete,
    /// Hiding, unhiding or marking an item carried: the moderators' and the server's.
    Moderate,
    /// The stages, lanes or the board's meta.
    Structure,
    /// A dot-vote cast or taken back.
    Vote,
    /// An emotion value set.
    Emotion,
}

/// Whose the touched thing is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// An item: the client id it was created under (the room knows whose that is).
    Client(ClientID),
    /// A vote or emotion value: the participant its key names.
    Participant(String),
    /// The structure, a shared value, or an item whose creation is unknown.
    Nobody,
}

/// One change of an update, as the zone rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touch {
    pub act: Act,
    /// The zones the thing lies in after the change (for a deletion: before it).
    pub zones: Vec<String>,
    /// For a move: the zones it lay in before.
    pub from: Vec<String>,
    pub owner: Owner,
    /// The item, stage, lane or key: for the refusal's message and the log.
    pub target: String,
}

/// Why an update cannot be judged: it is refused whole.
#[derive(Debug, thiserror::Error)]
pub enum Unjudgeable {
    #[error("{0}")]
    Invalid(#[from] ApplyError),
    #[error("the update builds on changes the server does not have")]
    Missing,
}

/// Where an item lies and who created it, kept per item id: a deleted item can no longer be
/// read, and a moved one has to be judged where it was too.
#[derive(Clone, Debug)]
struct Place {
    zones: Vec<String>,
    creator: Option<ClientID>,
}

/// A board document that describes what each update applied to it touches.
pub struct Guard {
    observed: ObservedDoc,
    places: HashMap<String, Place>,
}

impl Guard {
    /// Guards `doc` (a copy of the room's document) from now on.
    pub fn new(doc: Doc) -> Self {
        let places = {
            let items = doc.get_or_insert_map(ITEMS);
            let txn = doc.transact();
            items
                .iter(&txn)
                .filter_map(|(id, value)| Some((id.to_owned(), place(&txn, &value)?)))
                .collect()
        };
        Guard {
            observed: ObservedDoc::new(doc),
            places,
        }
    }

    /// A guard over a copy of `doc`'s current state.
    pub fn copy_of(doc: &Doc) -> Result<Self, ApplyError> {
        let state = encode_state(doc, &StateVector::default()).map_err(|_| ApplyError::Panicked)?;
        let copy = Doc::new();
        apply_bytes(&copy, &state)?;
        Ok(Guard::new(copy))
    }

    pub fn doc(&self) -> &Doc {
        self.observed.doc()
    }

    /// Applies `update` and describes what it touched. After an `Err`, or touches the caller
    /// refuses, the document holds the update anyway: build the guard again.
    pub fn apply(&mut self, update: &[u8]) -> Result<Vec<Touch>, Unjudgeable> {
        let update = decode_update(update).map_err(ApplyError::from)?;
        // yrs integrates a block past a gap in its writer's clocks without a word: refuse it
        // here (an honest client never sends one; its predecessor was refused or never sent).
        let known = self.doc().transact().state_vector();
        if update
            .state_vector_lower()
            .iter()
            .any(|(client, clock)| *clock > known.get(client))
        {
            return Err(Unjudgeable::Missing);
        }
        let applied = apply_update(self.doc(), update);
        let changes = self.observed.take();
        applied?;
        {
            let txn = self.doc().transact();
            let store = txn.store();
            if store.pending_update().is_some() || store.pending_ds().is_some() {
                return Err(Unjudgeable::Missing);
            }
        }
        Ok(changes
            .into_iter()
            .flat_map(|change| self.touches(change))
            .collect())
    }

    /// Applies a record the room accepted without judging it (the server's own edits, other
    /// nodes' records), keeping the item places current.
    pub fn follow(&mut self, update: &[u8]) -> Result<(), Unjudgeable> {
        self.apply(update).map(drop)
    }

    /// The touches of one board change, updating the item places on the way.
    fn touches(&mut self, change: BoardChange) -> Vec<Touch> {
        let BoardChange {
            entity,
            action,
            target,
            detail,
            key,
        } = change;
        let touch = |act, zones, owner| Touch {
            act,
            zones,
            from: Vec::new(),
            owner,
            target: target.clone(),
        };
        match entity.as_str() {
            "stage" | "lane" | "meta" | "stages" | "lanes" => {
                vec![touch(Act::Structure, vec![STRUCTURE.into()], Owner::Nobody)]
            }
            "vote" | "votes" => vec![touch(
                Act::Vote,
                vec![crate::zones::VOTES.into()],
                participant_of_key(&key, votes::parts),
            )],
            "emotion" | "emotions" | "emotion_votes" => {
                let owner = participant_of_key(&key, |k| k.split_once('|'));
                vec![touch(
                    Act::Emotion,
                    vec![crate::zones::EMOTIONS.into()],
                    owner,
                )]
            }
            // A change deeper inside an item than its fields and text.
            ITEMS => vec![self.on_item(Act::Edit, &target)],
            _ => match action {
                "added" => {
                    self.reread(&target);
                    vec![self.on_item(Act::Add, &target)]
                }
                "deleted" => {
                    let touch = self.on_item(Act::Delete, &target);
                    self.places.remove(&target);
                    vec![touch]
                }
                // The item replaced whole by another under the same id.
                "changed" if detail.is_empty() => {
                    let deleted = self.on_item(Act::Delete, &target);
                    self.reread(&target);
                    vec![deleted, self.on_item(Act::Add, &target)]
                }
                "moved" => {
                    let from = self.on_item(Act::Move, &target).zones;
                    self.reread(&target);
                    vec![Touch {
                        from,
                        ..self.on_item(Act::Move, &target)
                    }]
                }
                "hidden" | "unhidden" => vec![self.on_item(Act::Moderate, &target)],
                "changed" if detail.split(' ').any(|field| field == key::ORIGIN) => {
                    vec![self.on_item(Act::Moderate, &target)]
                }
                _ => vec![self.on_item(Act::Edit, &target)],
            },
        }
    }

    /// A touch of item `id` where the places say it lies.
    fn on_item(&self, act: Act, id: &str) -> Touch {
        let place = self.places.get(id);
        Touch {
            act,
            zones: place.map(|p| p.zones.clone()).unwrap_or_default(),
            from: Vec::new(),
            owner: place
                .and_then(|p| p.creator)
                .map_or(Owner::Nobody, Owner::Client),
            target: id.to_owned(),
        }
    }

    /// Reads item `id`'s place from the document again.
    fn reread(&mut self, id: &str) {
        let doc = self.observed.doc();
        let items = doc.get_or_insert_map(ITEMS);
        let txn = doc.transact();
        match items.get(&txn, id).and_then(|value| place(&txn, &value)) {
            Some(found) => self.places.insert(id.to_owned(), found),
            None => self.places.remove(id),
        };
    }
}

/// The participant a vote or emotion key names; `Nobody` for a key that names none (a schema 1
/// shared emotion value).
fn participant_of_key<'k>(
    key: &'k str,
    parts: impl Fn(&'k str) -> Option<(&'k str, &'k str)>,
) -> Owner {
    parts(key).map_or(Owner::Nobody, |(_, participant)| {
        Owner::Participant(participant.to_owned())
    })
}

/// Where an item map lies: a card in its stage and lane, a note on the canvas, a comment among
/// the comments, an arrow among the connectors, a group (a canvas frame) in the structure.
fn place<T: ReadTxn>(txn: &T, value: &Out) -> Option<Place> {
    let Out::YMap(map) = value else {
        return None;
    };
    let text = |field: &str| match map.get(txn, field) {
        Some(Out::Any(yrs::Any::String(s))) if !s.is_empty() => Some(s.to_string()),
        _ => None,
    };
    let zones = match text(key::TYPE).as_deref() {
        Some("comment") => vec![COMMENTS.to_owned()],
        Some("connector") => vec![CONNECTORS.to_owned()],
        Some("group") => vec![STRUCTURE.to_owned()],
        Some("note") => vec![CANVAS.to_owned()],
        _ => [("stage", STAGE_PREFIX), ("lane", LANE_PREFIX)]
            .into_iter()
            .filter_map(|(field, prefix)| Some(format!("{prefix}{}", text(field)?)))
            .collect(),
    };
    Some(Place {
        zones,
        creator: creator(map),
    })
}

/// The client id an item's map was created under.
fn creator(map: &MapRef) -> Option<ClientID> {
    let branch: &yrs::branch::Branch = map.as_ref();
    match branch.id() {
        BranchID::Nested(id) => Some(id.client),
        BranchID::Root(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Template, LANES, STAGES, VOTES};
    use crate::seed::seed;
    use yrs::{MapPrelim, Options, Text, TextPrelim, TransactionMut, WriteTxn};

    /// A seeded journey map and a participant's copy of it, writing under client `client`.
    fn boards(client: u64) -> (Guard, Doc) {
        let server = Doc::new();
        apply_bytes(&server, &seed(Template::JourneyMap)).unwrap();
        let guard = Guard::copy_of(&server).unwrap();
        let participant = Doc::with_options(Options::with_client_id(ClientID::new(client)));
        let state = encode_state(guard.doc(), &StateVector::default()).unwrap();
        apply_bytes(&participant, &state).unwrap();
        (guard, participant)
    }

    /// What `edit` on the participant's copy touches on the guard.
    fn touches(
        guard: &mut Guard,
        participant: &Doc,
        edit: impl FnOnce(&mut TransactionMut),
    ) -> Result<Vec<Touch>, Unjudgeable> {
        let before = participant.transact().state_vector();
        edit(&mut participant.transact_mut());
        let update = participant.transact().encode_state_as_update_v1(&before);
        guard.apply(&update)
    }

    fn add_card(txn: &mut TransactionMut, id: &str, lane: &str) {
        let items = txn.get_or_insert_map(ITEMS);
        let card = items.insert(txn, id, MapPrelim::default());
        card.insert(txn, key::TYPE, "card");
        card.insert(txn, "stage", "stage-apply");
        card.insert(txn, "lane", lane);
        card.insert(txn, key::TEXT, TextPrelim::new("too many forms"));
    }

    fn card(txn: &mut TransactionMut, id: &str) -> MapRef {
        match txn.get_or_insert_map(ITEMS).get(txn, id) {
            Some(Out::YMap(map)) => map,
            other => panic!("no card {id}: {other:?}"),
        }
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn a_cards_life_is_told_by_zone_and_creator() {
        let (mut guard, citizen) = boards(7);
        let added = touches(&mut guard, &citizen, |txn| {
            add_card(txn, "c1", "lane-pain-points")
        })
        .unwrap();
        let zones = strings(&["stage:stage-apply", "lane:lane-pain-points"]);
        assert_eq!(added.len(), 1, "{added:?}");
        assert_eq!(
            (added[0].act, &added[0].zones, &added[0].owner),
            (Act::Add, &zones, &Owner::Client(ClientID::new(7)))
        );

        let typed = touches(&mut guard, &citizen, |txn| {
            let text = match card(txn, "c1").get(txn, key::TEXT) {
                Some(Out::YText(text)) => text,
                other => panic!("{other:?}"),
            };
            text.push(txn, "!");
        })
        .unwrap();
        assert_eq!(typed.iter().map(|t| t.act).collect::<Vec<_>>(), [Act::Edit]);
        assert_eq!(typed[0].zones, zones);

        let moved = touches(&mut guard, &citizen, |txn| {
            card(txn, "c1").insert(txn, "lane", "lane-opportunities");
        })
        .unwrap();
        assert_eq!(moved.len(), 1, "{moved:?}");
        assert_eq!(moved[0].act, Act::Move);
        assert_eq!(moved[0].from, zones);
        assert_eq!(
            moved[0].zones,
            strings(&["stage:stage-apply", "lane:lane-opportunities"])
        );

        let deleted = touches(&mut guard, &citizen, |txn| {
            txn.get_or_insert_map(ITEMS).remove(txn, "c1");
        })
        .unwrap();
        assert_eq!(
            (deleted[0].act, &deleted[0].owner),
            (Act::Delete, &Owner::Client(ClientID::new(7)))
        );
        assert_eq!(
            deleted[0].zones,
            strings(&["stage:stage-apply", "lane:lane-opportunities"])
        );
    }

    #[test]
    fn structure_votes_and_emotions_are_told_apart() {
        let (mut guard, citizen) = boards(8);
        let renamed = touches(&mut guard, &citizen, |txn| {
            let lanes = txn.get_or_insert_map(LANES);
            lanes.remove(txn, "lane-actions");
            txn.get_or_insert_map(STAGES)
                .insert(txn, "stage-new", MapPrelim::default());
        })
        .unwrap();
        assert!(
            renamed.len() >= 2
                && renamed
                    .iter()
                    .all(|t| t.act == Act::Structure && t.zones == [STRUCTURE]),
            "{renamed:?}"
        );

        let voted = touches(&mut guard, &citizen, |txn| {
            txn.get_or_insert_map(VOTES).insert(txn, "c9|p-ann|0", true);
            txn.get_or_insert_map("emotion_votes")
                .insert(txn, "stage-apply|p-bob", 2);
        })
        .unwrap();
        let mut owners: Vec<(Act, Owner)> = voted.into_iter().map(|t| (t.act, t.owner)).collect();
        owners.sort_by_key(|(act, _)| *act as u8);
        assert_eq!(
            owners,
            [
                (Act::Vote, Owner::Participant("p-ann".into())),
                (Act::Emotion, Owner::Participant("p-bob".into()))
            ]
        );
    }

    #[test]
    fn updates_that_cannot_be_judged_are_told() {
        // roots outside the board's schema are no zone's: nothing to judge
        let (mut guard, citizen) = boards(9);
        let elsewhere = touches(&mut guard, &citizen, |txn| {
            txn.get_or_insert_text("text")
                .push(txn, "a y-websocket demo");
        });
        assert!(matches!(elsewhere, Ok(touches) if touches.is_empty()));

        // an update past a gap: the first of two edits never reached the server
        let (mut guard, citizen) = boards(10);
        {
            let mut txn = citizen.transact_mut();
            txn.get_or_insert_map(ITEMS).insert(&mut txn, "x", "y");
        }
        let gap = touches(&mut guard, &citizen, |txn| {
            add_card(txn, "c2", "lane-actions")
        });
        assert!(matches!(gap, Err(Unjudgeable::Missing)), "{gap:?}");
    }
}
