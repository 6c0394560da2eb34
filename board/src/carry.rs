//! Carrying cards from one session's board into another's (sessions of one process): each
//! carried card is a new item of the target board with the source card's kind, placement and
//! text as read under the source's disclosure rules, its original author's pseudonym, and an
//! [`key::ORIGIN`] saying where it came from. Display names do not travel: people agreed to
//! be named in the session they joined, not in the next one. Each card is written under a
//! client id of its own, so that the target's history can later redact exactly that card's
//! text when its source is erased (the copy follows its source, see the server's
//! `api/copies.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use yrs::{Any, ClientID, Map, MapPrelim, MapRef, TextPrelim, Transact, TransactionMut};

use crate::edit::edit_doc;
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
    /// Who wrote it, as the source's research terms show them (a pseudonym, or `declined`).
    pub author: Option<&'a str>,
}

/// The carried cards as one update, and the client id each card was written under (in the
/// order of the cards).
pub struct CarryUpdate {
    pub update: Vec<u8>,
    pub clients: Vec<ClientID>,
}

/// An update adding the carried cards to a board. A card is a new key of the board's root
/// map, so it needs none of the board's state: each is written in a document of its own.
pub fn carry(cards: &[Carried]) -> CarryUpdate {
    let mut updates = Vec::with_capacity(cards.len());
    let mut clients = Vec::with_capacity(cards.len());
    for card in cards {
        let doc = edit_doc();
        clients.push(doc.client_id());
        let items = doc.get_or_insert_map(ITEMS);
        let mut txn = doc.transact_mut();
        let map = write_card(&items, &mut txn, card.id, card.source);
        let mut origin = HashMap::from([
            (
                "session".to_owned(),
                Any::String(Arc::from(card.from_session)),
            ),
            ("item".to_owned(), Any::String(Arc::from(card.from_item))),
        ]);
        if let Some(author) = card.author {
            map.insert(&mut txn, key::AUTHOR, author);
            origin.insert("author".to_owned(), Any::String(Arc::from(author)));
        }
        map.insert(&mut txn, key::ORIGIN, Any::from(origin));
        updates.push(txn.encode_update_v1());
    }
    let update =
        yrs::merge_updates_v1(&updates).expect("updates this function encoded decode again");
    CarryUpdate { update, clients }
}

/// Writes a new item `id` into a board's `items` map: `source`'s kind, placement, colour, time and
/// language (ids of other items and names stay behind) and its text. Returns the item's map
/// for the fields the caller adds.
pub(crate) fn write_card(
    items: &MapRef,
    txn: &mut TransactionMut,
    id: &str,
    source: &Value,
) -> MapRef {
    let map = items.insert(txn, id, MapPrelim::default());
    for field in TRAVELLING_FIELDS {
        if let Some(value) = source.get(field).and_then(plain) {
            map.insert(txn, field, value);
        }
    }
    let text = source[key::TEXT].as_str().unwrap_or_default();
    map.insert(txn, key::TEXT, TextPrelim::new(text));
    map
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
