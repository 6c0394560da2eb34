//! Carrying cards from one session's board into another's (sessions of one process): each
//! carried card is a new item of the target board with the source card's kind, placement and
//! text as read under the source's disclosure rules, its original author's pseudonym, and an
//! [`key::ORIGIN`] saying where it came from. Display names do not travel: people agreed to
//! be named in the session they joined, not in the next one.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use yrs::{Any, Map, MapPrelim, TextPrelim, Transact};

use crate::edit::editable_copy;
use crate::schema::{key, ITEMS};

/// The item kinds that can be carried: what participants write on their own (a comment
/// belongs to its card, connectors and groups to the board they arrange).
pub const CARRIED_KINDS: [&str; 2] = ["card", "note"];

/// The fields of a source item that travel as they are (placement, colour, time, language);
/// ids of other items (`group`, `parent`, `from`, `to`) and names do not.
const TRAVELLING_FIELDS: [&str; 11] = [
    "lane",
    "stage",
    "order",
    "x",
    "y",
    "w",
    "h",
    "color",
    "created_at",
    "language",
    "type",
];

/// One card to carry.
pub struct Carried<'a> {
    /// The id of the new item on the target board.
    pub id: &'a str,
    /// The source item as `board_json` reads it under the source session's disclosure rules
    /// (so hidden or erased text stays so).
    pub source: &'a Value,
    /// The source session's id.
    pub from_session: &'a str,
    /// The source item's id.
    pub from_item: &'a str,
}

/// An update adding the carried cards to `target`.
pub fn carry(target: &yrs::Doc, cards: &[Carried]) -> Vec<u8> {
    let copy = editable_copy(target);
    let items = copy.get_or_insert_map(ITEMS);
    let mut txn = copy.transact_mut();
    for card in cards {
        let map = items.insert(&mut txn, card.id, MapPrelim::default());
        for field in TRAVELLING_FIELDS {
            if let Some(value) = card.source.get(field).and_then(plain) {
                map.insert(&mut txn, field, value);
            }
        }
        let text = card.source[key::TEXT].as_str().unwrap_or_default();
        map.insert(&mut txn, key::TEXT, TextPrelim::new(text));
        let mut origin = HashMap::from([
            (
                "session".to_owned(),
                Any::String(Arc::from(card.from_session)),
            ),
            ("item".to_owned(), Any::String(Arc::from(card.from_item))),
        ]);
        if let Some(author) = card.source[key::AUTHOR].as_str() {
            map.insert(&mut txn, key::AUTHOR, author);
            origin.insert("author".to_owned(), Any::String(Arc::from(author)));
        }
        map.insert(&mut txn, key::ORIGIN, Any::from(origin));
    }
    txn.encode_update_v1()
}

/// A JSON scalar as a plain Yjs value (items' placement fields are strings, numbers, bools).
fn plain(value: &Value) -> Option<Any> {
    match value {
        Value::String(s) => Some(Any::String(Arc::from(s.as_str()))),
        Value::Number(n) => n.as_f64().map(Any::from),
        Value::Bool(b) => Some(Any::Bool(*b)),
        _ => None,
    }
}
