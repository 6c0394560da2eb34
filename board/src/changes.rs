//! What an update changed, in board terms (card added, text edited, moved, voted…), found by
//! applying it to a document and observing the document's events, as yjs clients observe them.
//! Only ids, kinds and sizes: the texts themselves are in the board states.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use yrs::types::ToJson;
use yrs::types::{Delta, EntryChange, Event, PathSegment};
use yrs::{DeepObservable, Doc, Map, Out, ReadTxn, Transact, TransactionMut};

use crate::read::any_to_json;
use crate::schema::{key, ITEMS, ROOTS};

/// One change to the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoardChange {
    /// `card`, `note`, `group`, `comment`, `connector` (items), `stage`, `lane`, `vote`,
    /// `emotion` or `meta`.
    pub entity: String,
    /// `added`, `deleted`, `moved`, `text-edited`, `renamed`, `hidden`, `unhidden`, `changed`
    /// or `set`.
    pub action: &'static str,
    /// The item, stage or lane id (for a vote: the item voted on; for meta: the field).
    pub target: String,
    /// For text edits `+inserted -deleted` (UTF-16 units); for emotions the value; for
    /// changes the fields.
    pub detail: String,
    /// The map key changed, for votes (`item|participant|n`) and emotion values
    /// (`stage|participant`): whose they are, for the zone rules (`crate::guard`).
    #[serde(skip)]
    pub key: String,
}

/// A document that reports what each applied update changed.
pub struct ObservedDoc {
    doc: Doc,
    changes: Arc<Mutex<Vec<BoardChange>>>,
    /// Item types by id: a deleted item's type can no longer be read from the document.
    item_types: Arc<Mutex<HashMap<String, String>>>,
}

impl ObservedDoc {
    /// Observes `doc` (typically rebuilt from a keyframe) from now on.
    pub fn new(doc: Doc) -> Self {
        let changes = Arc::new(Mutex::new(Vec::new()));
        let item_types = Arc::new(Mutex::new(known_item_types(&doc)));
        for root in ROOTS {
            let map = doc.get_or_insert_map(root);
            let (changes, item_types) = (changes.clone(), item_types.clone());
            map.observe_deep("history", move |txn, events| {
                let mut found = Vec::new();
                let mut types = item_types.lock().unwrap_or_else(PoisonError::into_inner);
                for event in events.iter() {
                    describe(root, txn, event, &mut types, &mut found);
                }
                changes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(found);
            });
        }
        ObservedDoc {
            doc,
            changes,
            item_types,
        }
    }

    /// The observed document, to apply the next update to (or read the board from).
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The changes observed since the last call.
    pub fn take(&self) -> Vec<BoardChange> {
        std::mem::take(&mut *self.changes.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The type of an item (`card`, `note`…), if the item was ever seen.
    pub fn item_type(&self, item: &str) -> Option<String> {
        let types = self
            .item_types
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        types.get(item).cloned()
    }
}

fn known_item_types(doc: &Doc) -> HashMap<String, String> {
    let items = doc.get_or_insert_map(ITEMS);
    let txn = doc.transact();
    items
        .iter(&txn)
        .filter_map(|(id, value)| Some((id.to_owned(), type_of(&txn, &value)?)))
        .collect()
}

/// The `type` field of an item map.
fn type_of<T: ReadTxn>(txn: &T, value: &Out) -> Option<String> {
    match value {
        Out::YMap(map) => match map.get(txn, key::TYPE)? {
            Out::Any(yrs::Any::String(kind)) => Some(kind.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn change(entity: &str, action: &'static str, target: &str, detail: String) -> BoardChange {
    BoardChange {
        entity: entity.to_owned(),
        action,
        target: target.to_owned(),
        detail,
        key: String::new(),
    }
}

/// Translates one event under root map `root` into board changes.
fn describe(
    root: &str,
    txn: &TransactionMut,
    event: &Event,
    types: &mut HashMap<String, String>,
    out: &mut Vec<BoardChange>,
) {
    let path: Vec<String> = event
        .path()
        .into_iter()
        .map(|segment| match segment {
            PathSegment::Key(key) => key.to_string(),
            PathSegment::Index(i) => i.to_string(),
        })
        .collect();
    match (root, event, path.as_slice()) {
        (ITEMS, Event::Map(e), []) => {
            for (id, entry) in e.keys(txn) {
                let kind = match entry {
                    EntryChange::Inserted(value) => {
                        let kind = type_of(txn, value).unwrap_or_else(|| "item".into());
                        types.insert(id.to_string(), kind.clone());
                        out.push(change(&kind, "added", id, String::new()));
                        continue;
                    }
                    EntryChange::Updated(_, value) => type_of(txn, value),
                    EntryChange::Removed(_) => None,
                };
                let kind = kind
                    .or_else(|| types.get(id.as_ref()).cloned())
                    .unwrap_or_else(|| "item".into());
                let action = match entry {
                    EntryChange::Removed(_) => "deleted",
                    _ => "changed",
                };
                out.push(change(&kind, action, id, String::new()));
            }
        }
        (ITEMS, Event::Map(e), [id]) => {
            let kind = types.get(id).cloned().unwrap_or_else(|| "item".into());
            let keys = e.keys(txn);
            let fields = |names: &[&str]| names.iter().any(|n| keys.contains_key(*n));
            if keys.contains_key(key::HIDDEN) {
                let action = match keys.get(key::HIDDEN) {
                    Some(EntryChange::Removed(_)) => "unhidden",
                    _ => "hidden",
                };
                out.push(change(&kind, action, id, String::new()));
            }
            if fields(&key::PLACEMENT) {
                let moved: Vec<&str> = key::PLACEMENT
                    .iter()
                    .copied()
                    .filter(|f| keys.contains_key(*f))
                    .collect();
                out.push(change(&kind, "moved", id, moved.join(" ")));
            }
            let other = field_list(keys, &[&key::PLACEMENT[..], &[key::HIDDEN]].concat());
            if !other.is_empty() {
                out.push(change(&kind, "changed", id, other));
            }
        }
        (ITEMS, Event::Text(e), [id, _]) => {
            let kind = types.get(id).cloned().unwrap_or_else(|| "item".into());
            let (mut inserted, mut deleted) = (0u32, 0u32);
            for delta in e.delta(txn) {
                match delta {
                    Delta::Inserted(Out::Any(yrs::Any::String(s)), _) => {
                        inserted += s.encode_utf16().count() as u32
                    }
                    Delta::Inserted(_, _) => inserted += 1,
                    Delta::Deleted(n) => deleted += n,
                    Delta::Retain(_, _) => {}
                }
            }
            out.push(change(
                &kind,
                "text-edited",
                id,
                format!("+{inserted} -{deleted}"),
            ));
        }
        ("stages" | "lanes", Event::Map(e), []) => {
            let entity = &root[..root.len() - 1];
            for (id, entry) in e.keys(txn) {
                let action = match entry {
                    EntryChange::Inserted(_) => "added",
                    EntryChange::Removed(_) => "deleted",
                    EntryChange::Updated(_, _) => "changed",
                };
                out.push(change(entity, action, id, String::new()));
            }
        }
        ("stages" | "lanes", Event::Map(e), [id]) => {
            let entity = &root[..root.len() - 1];
            let keys = e.keys(txn);
            let action = if keys.contains_key("title") {
                "renamed"
            } else if keys.contains_key("order") {
                "moved"
            } else {
                "changed"
            };
            out.push(change(entity, action, id, field_list(keys, &[])));
        }
        ("votes", Event::Map(e), []) => {
            for (key, entry) in e.keys(txn) {
                let item = key.split('|').next().unwrap_or_default();
                let action = match entry {
                    EntryChange::Removed(_) => "deleted",
                    _ => "added",
                };
                out.push(BoardChange {
                    key: key.to_string(),
                    ..change("vote", action, item, String::new())
                });
            }
        }
        ("emotions" | "emotion_votes", Event::Map(e), []) => {
            for (key, entry) in e.keys(txn) {
                // `emotion_votes` keys are `stage|participant`; the participant is the author.
                let stage = key.split('|').next().unwrap_or_default();
                let detail = match entry {
                    EntryChange::Inserted(value) | EntryChange::Updated(_, value) => {
                        any_to_json(&value.to_json(txn)).to_string()
                    }
                    EntryChange::Removed(_) => String::new(),
                };
                out.push(BoardChange {
                    key: key.to_string(),
                    ..change("emotion", "set", stage, detail)
                });
            }
        }
        ("meta", Event::Map(e), []) => {
            for key in e.keys(txn).keys() {
                out.push(change("meta", "changed", key, String::new()));
            }
        }
        // Deeper or unknown structures: reported as a change of what contains them.
        (_, _, [id, ..]) => out.push(change(root, "changed", id, String::new())),
        _ => {}
    }
}

/// The changed keys, sorted, without `exclude`, joined by spaces (`moved: lane stage`).
fn field_list(keys: &HashMap<Arc<str>, EntryChange>, exclude: &[&str]) -> String {
    let mut names: Vec<&str> = keys
        .keys()
        .map(|k| k.as_ref())
        .filter(|k| !exclude.contains(k))
        .collect();
    names.sort_unstable();
    names.join(" ")
}
