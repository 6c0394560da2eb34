//! Themes a moderator accepted, written as groups (issue 29): one `group` item per theme,
//! titled with the theme's label and written by the moderator, and each member naming it in
//! its `group` field. Canvas notes also move inside their group's rectangle, placed as the web
//! client's `joinGroup` places them, so that the picture agrees with the membership; cards in
//! a journey map's or blueprint's cells keep their cell. The new groups stand in a column to
//! the right of everything on the canvas. One update for all of them: one server edit.

use std::sync::Arc;

use yrs::{Any, Map, MapPrelim, MapRef, Out, ReadTxn, TextPrelim, Transact};

use crate::carry::CARRIED_KINDS;
use crate::edit::editable_copy;
use crate::schema::{key, ITEMS};

/// A note's box as the web client draws it, with the gaps between notes (`joinGroup`).
const NOTE_STEP: (f64, f64) = (176.0, 136.0);
/// Room inside a group: its padding, and its title above the notes.
const PADDING: f64 = 16.0;
const TITLE_HEIGHT: f64 = 64.0;
/// Notes per row in a new group.
const NOTES_PER_ROW: usize = 4;
/// Space between new groups, and between them and what is already on the canvas.
const GAP: f64 = 80.0;

/// One group to make.
pub struct NewGroup<'a> {
    /// Its item id.
    pub id: &'a str,
    /// Its title (the theme's label).
    pub title: &'a str,
    /// The items it gathers; those no longer on the board, or not cards or notes, are left out.
    pub members: &'a [String],
}

/// Who makes the groups, and when.
pub struct GroupAuthor<'a> {
    /// The moderator's participant id (the groups' `author`).
    pub participant: &'a str,
    /// The language the groups' titles are in.
    pub language: &'a str,
    /// ms since the epoch (the groups' `created_at`).
    pub at: u64,
}

/// A number field of an item's map.
fn number<T: ReadTxn>(txn: &T, map: &MapRef, field: &str) -> Option<f64> {
    match map.get(txn, field) {
        Some(Out::Any(Any::Number(n))) => n.as_f64(),
        _ => None,
    }
}

/// An update adding `groups` to `target` and their members to them.
pub fn group(target: &yrs::Doc, author: &GroupAuthor, groups: &[NewGroup]) -> Vec<u8> {
    let copy = editable_copy(target);
    let items = copy.get_or_insert_map(ITEMS);
    let mut txn = copy.transact_mut();
    let right_edge = items
        .iter(&txn)
        .filter_map(|(_, item)| match item {
            Out::YMap(map) => {
                Some(number(&txn, &map, "x")? + number(&txn, &map, "w").unwrap_or(0.0))
            }
            _ => None,
        })
        .fold(0f64, f64::max);
    let (x, mut y) = (right_edge + GAP, GAP);
    for new in groups {
        let members: Vec<(MapRef, bool)> = new
            .members
            .iter()
            .filter_map(|id| match items.get(&txn, id) {
                Some(Out::YMap(map)) => {
                    let kind = map.get(&txn, key::TYPE).map(|t| t.to_string(&txn));
                    let kind = kind.filter(|k| CARRIED_KINDS.contains(&k.as_str()))?;
                    Some((map, kind == "note"))
                }
                _ => None,
            })
            .collect();
        let notes = members.iter().filter(|(_, note)| *note).count();
        let per_row = notes.clamp(1, NOTES_PER_ROW);
        let rows = notes.div_ceil(NOTES_PER_ROW).max(1);
        let (w, h) = (
            PADDING + per_row as f64 * NOTE_STEP.0,
            TITLE_HEIGHT + rows as f64 * NOTE_STEP.1 + PADDING,
        );
        let group = items.insert(&mut txn, new.id, MapPrelim::default());
        group.insert(&mut txn, key::TYPE, "group");
        group.insert(&mut txn, key::TEXT, TextPrelim::new(new.title));
        group.insert(&mut txn, key::AUTHOR, author.participant);
        group.insert(&mut txn, "created_at", author.at as f64);
        group.insert(&mut txn, "language", author.language);
        for (field, value) in [("x", x), ("y", y), ("w", w), ("h", h)] {
            group.insert(&mut txn, field, value);
        }
        let mut placed = 0;
        for (member, note) in members {
            member.insert(&mut txn, "group", Any::String(Arc::from(new.id)));
            if note {
                let (column, row) = (placed % per_row, placed / per_row);
                member.insert(&mut txn, "x", x + PADDING + column as f64 * NOTE_STEP.0);
                member.insert(&mut txn, "y", y + TITLE_HEIGHT + row as f64 * NOTE_STEP.1);
                placed += 1;
            }
        }
        y += h + GAP;
    }
    txn.encode_update_v1()
}

#[cfg(test)]
mod tests {
    use yrs::{Doc, Map, MapPrelim, TextPrelim, Transact};

    use super::*;
    use crate::{apply_bytes, board_json, Disclosure};

    /// A board with a canvas note at x 100 (160 wide), a card in a cell and a comment.
    fn board() -> Doc {
        let doc = Doc::new();
        let items = doc.get_or_insert_map(ITEMS);
        let mut txn = doc.transact_mut();
        for (id, kind) in [
            ("note-1", "note"),
            ("card-1", "card"),
            ("comment-1", "comment"),
        ] {
            let item = items.insert(&mut txn, id, MapPrelim::default());
            item.insert(&mut txn, key::TYPE, kind);
            item.insert(&mut txn, key::TEXT, TextPrelim::new(id));
        }
        let Some(Out::YMap(note)) = items.get(&txn, "note-1") else {
            unreachable!("inserted above")
        };
        for (field, value) in [("x", 100.0), ("y", 40.0), ("w", 160.0), ("h", 120.0)] {
            note.insert(&mut txn, field, value);
        }
        let Some(Out::YMap(card)) = items.get(&txn, "card-1") else {
            unreachable!("inserted above")
        };
        card.insert(&mut txn, "stage", "stage-wait");
        drop(txn);
        doc
    }

    #[test]
    fn themes_become_groups_that_gather_their_cards_and_notes() {
        let doc = board();
        let members = ["note-1", "card-1", "comment-1", "gone"].map(String::from);
        let author = GroupAuthor {
            participant: "p_moderator",
            language: "nl",
            at: 1_700_000_000_000,
        };
        let groups = [
            NewGroup {
                id: "group_run_0",
                title: "wachttijd, loket",
                members: &members,
            },
            NewGroup {
                id: "group_run_1",
                title: "empty",
                members: &[],
            },
        ];
        apply_bytes(&doc, &group(&doc, &author, &groups)).unwrap();
        let board = board_json(&doc, &Disclosure::default());
        let items = &board["items"];
        let first = &items["group_run_0"];
        assert_eq!(
            (&first["type"], &first["text"], &first["author"]),
            (
                &"group".into(),
                &"wachttijd, loket".into(),
                &"p_moderator".into()
            ),
            "{first}"
        );
        // Right of everything on the canvas (the note ends at 260).
        assert_eq!(first["x"], 260.0 + GAP);
        // The note moves inside, below the title; the card keeps its cell.
        let note = &items["note-1"];
        assert_eq!(note["group"], "group_run_0");
        assert_eq!(note["x"], 260.0 + GAP + PADDING);
        assert_eq!(note["y"], GAP + TITLE_HEIGHT);
        let card = &items["card-1"];
        assert_eq!(
            (&card["group"], &card["stage"]),
            (&"group_run_0".into(), &"stage-wait".into())
        );
        assert!(card.get("x").is_none(), "{card}");
        // Only cards and notes join; the next group stands below the first.
        assert!(items["comment-1"].get("group").is_none());
        assert!(items.get("gone").is_none());
        let second = &items["group_run_1"];
        let below = first["y"].as_f64().unwrap() + first["h"].as_f64().unwrap() + GAP;
        assert_eq!(second["y"], below);
    }
}
