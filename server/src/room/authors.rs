//! Authorship fields the server vouches for (issue 34): an item's `author`, where a client
//! wrote one, is the participant who owns the client id that created the item (the log's
//! authorship, `authorship.rs`) and its `author_name` their display name, whatever the client
//! wrote, and nobody changes either afterwards. A Yjs update cannot be partly refused, so, as with
//! vote limits (`votes.rs`), the room takes the record as it is and right after applying it the
//! node that accepted it appends a server edit that puts the fields right. Both records reach
//! every client and node in log order: what the board says a person wrote, they wrote.

use std::sync::{Arc, Mutex, PoisonError};

use cocreate_board::edit::{set_author_fields, AuthorField};
use cocreate_board::schema::{key, ITEMS};
use tracing::{info, warn};
use yrs::branch::BranchID;
use yrs::types::{EntryChange, Event, PathSegment};
use yrs::{Any, ClientID, DeepObservable, Doc, Map, Out, Transact};

use super::append::PendingUpdate;
use super::Room;
use crate::session::now_ms;
use crate::storage::{LogRecord, SERVER_EDIT};

/// The fields of an item that say who wrote it.
const FIELDS: [&str; 2] = [key::AUTHOR, key::AUTHOR_NAME];

/// What a transaction did to authorship: items it created, and authorship fields it changed on
/// items that existed (with the value before).
#[derive(Debug)]
enum Written {
    Created(String),
    Changed {
        item: String,
        field: &'static str,
        before: Option<String>,
    },
}

/// The authorship writes of the transactions on a room's document since they were last taken.
#[derive(Clone, Default)]
pub(super) struct AuthorWrites(Arc<Mutex<Vec<Written>>>);

impl AuthorWrites {
    /// Starts noting the items each transaction on `doc` creates and the authorship fields it
    /// changes.
    pub(super) fn watch(doc: &Doc) -> Self {
        let writes = AuthorWrites::default();
        let sink = writes.clone();
        doc.get_or_insert_map(ITEMS)
            .observe_deep("author-fields", move |txn, events| {
                let mut found = sink.0.lock().unwrap_or_else(PoisonError::into_inner);
                for event in events.iter() {
                    let Event::Map(event) = event else { continue };
                    let path = event.path();
                    match path.front() {
                        None => {
                            for (id, change) in event.keys(txn) {
                                // A new item, or a new map put under an existing item's id.
                                if let EntryChange::Inserted(Out::YMap(_))
                                | EntryChange::Updated(_, Out::YMap(_)) = change
                                {
                                    found.push(Written::Created(id.to_string()));
                                }
                            }
                        }
                        Some(PathSegment::Key(item)) if path.len() == 1 => {
                            let keys = event.keys(txn);
                            for field in FIELDS {
                                let before = match keys.get(field) {
                                    None | Some(EntryChange::Inserted(_)) => None,
                                    Some(
                                        EntryChange::Updated(old, _) | EntryChange::Removed(old),
                                    ) => Some(text_of(old)),
                                };
                                if keys.contains_key(field) {
                                    found.push(Written::Changed {
                                        item: item.to_string(),
                                        field,
                                        before,
                                    });
                                }
                            }
                        }
                        _ => {}
                    }
                }
            });
        writes
    }

    fn take(&self) -> Vec<Written> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn text_of(value: &Out) -> String {
    match value {
        Out::Any(Any::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

impl Room {
    /// Once `record` is applied: if it came from one of this node's connections and wrote an
    /// authorship field other than the server vouches for, appends the correction. An item's
    /// author is the owner of the client id that created it (the log's authorship); its name
    /// is the sender's when they created it, else what the field held before (the creator's
    /// name is not known here when they are away).
    pub(super) fn vouch_authors(&mut self, record: &LogRecord) {
        let writes = self.author_writes.take();
        let origin = &record.origin;
        let ours = *origin.node == *self.context.node && origin.connection != SERVER_EDIT;
        let (Some(_), Some(sender), true) = (&self.session, &origin.participant, ours) else {
            return;
        };
        if writes.is_empty() {
            return;
        }
        let name_of = |participant: &str| {
            self.members
                .values()
                .filter_map(|m| m.identity.as_ref())
                .find(|identity| identity.participant == participant)
                .map(|identity| identity.name.clone())
        };
        let doc = self.awareness.doc();
        let mut fixes = Vec::new();
        for write in writes {
            let (item, written, before) = match write {
                Written::Created(item) => (item, FIELDS.to_vec(), None),
                Written::Changed {
                    item,
                    field,
                    before,
                } => (item, vec![field], before),
            };
            let Some(creator) = creator_of(doc, &item).and_then(|c| self.owners.participant_of(c))
            else {
                continue; // the server's item (a template's), or gone
            };
            for field in written {
                let Some(now) = field_of(doc, &item, field) else {
                    continue; // a field left out claims nothing
                };
                let vouched = match field {
                    key::AUTHOR => Some(creator.to_owned()),
                    _ => name_of(creator).or_else(|| before.clone()),
                };
                if vouched.is_some() && vouched.as_ref() != Some(&now) {
                    fixes.push(AuthorField {
                        item: item.clone(),
                        field,
                        value: vouched,
                    });
                }
            }
        }
        let Some(update) = set_author_fields(doc, &fixes) else {
            return;
        };
        info!(room = %self.id, conn = origin.connection, participant = %sender, fields = fixes.len(), "authorship corrected");
        let correction = PendingUpdate {
            conn: SERVER_EDIT,
            participant: None,
            ordinal: 0,
            at_ms: now_ms(),
            bytes: update.into(),
        };
        if self.log.push(correction, self.applied).is_err() {
            warn!(room = %self.id, participant = %sender, "authorship not corrected: too much waiting for storage");
        }
    }
}

/// The client id that created an item's map: whose the item is.
fn creator_of(doc: &Doc, item: &str) -> Option<ClientID> {
    let items = doc.get_or_insert_map(ITEMS);
    let txn = doc.transact();
    match items.get(&txn, item)? {
        Out::YMap(map) => match map.as_ref().id() {
            BranchID::Nested(id) => Some(id.client),
            BranchID::Root(_) => None,
        },
        _ => None,
    }
}

/// An item's authorship field as the document holds it.
fn field_of(doc: &Doc, item: &str, field: &str) -> Option<String> {
    let items = doc.get_or_insert_map(ITEMS);
    let txn = doc.transact();
    match items.get(&txn, item)? {
        Out::YMap(map) => map.get(&txn, field).map(|v| text_of(&v)),
        _ => None,
    }
}
