//! The server's edits to a board: hiding and unhiding an item, removing a participant's
//! contributions, erasing them. Each is built on a copy of the board under a fresh client id and
//! returned as a Yjs update, which the server appends to the room's log like any participant's
//! update: it reaches every client and node, and stays in the history, in log order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use yrs::encoding::write::Write;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::{
    Any, ClientID, Doc, GetString, IdSet, Map, MapRef, OffsetKind, Options, Out, ReadTxn,
    StateVector, Text, TextRef, Transact, TransactionMut, Update, ID,
};

use crate::disclosure::ERASED_TEXT;
use crate::read::text_runs;
use crate::schema::{key, ITEMS};

/// A document for one server edit (a template's seed, a moderation action): a fresh 32-bit
/// client id, so that the edit never collides with a client's (some peers truncate wider
/// ones; never 0), and UTF-16 offsets as in yjs.
pub fn edit_doc() -> Doc {
    let mut bytes = [0; 4];
    // Only fails when the kernel has no random source at all: nothing sensible can go on.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    Doc::with_options(Options {
        client_id: ClientID::new(u64::from(u32::from_le_bytes(bytes).max(1))),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// The board item does not exist in the document.
#[derive(Debug, thiserror::Error)]
#[error("no item {0} on the board")]
pub struct ItemNotFound(pub String);

/// How a hidden item is marked in the document: what clients show instead of its text.
pub struct HiddenMark<'a> {
    /// Why, as the moderator (or the report count) said.
    pub reason: &'a str,
    /// When, in milliseconds since the Unix epoch.
    pub at: u64,
    /// Hidden by reports, until a moderator decides.
    pub pending_review: bool,
}

/// A copy of `doc` that edits under a client id of its own.
pub(crate) fn editable_copy(doc: &Doc) -> Doc {
    let copy = edit_doc();
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    if let Ok(update) = Update::decode_v1(&state) {
        // The room's own state: it applied once, it applies again.
        let _ = copy.transact_mut().apply_update(update);
    }
    copy
}

/// Runs `edit` on an item's map in a copy of `doc` and returns the transaction's update.
fn edit_item<T>(
    doc: &Doc,
    item: &str,
    edit: impl FnOnce(&mut TransactionMut, &MapRef) -> T,
) -> Result<(Vec<u8>, T), ItemNotFound> {
    let copy = editable_copy(doc);
    let items = copy.get_or_insert_map(ITEMS);
    let mut txn = copy.transact_mut();
    let Some(Out::YMap(map)) = items.get(&txn, item) else {
        return Err(ItemNotFound(item.to_owned()));
    };
    let outcome = edit(&mut txn, &map);
    Ok((txn.encode_update_v1(), outcome))
}

/// Whether the board has an item with this id.
pub fn has_item(doc: &Doc, item: &str) -> bool {
    let items = doc.get_or_insert_map(ITEMS);
    let txn = doc.transact();
    items.get(&txn, item).is_some()
}

/// Hides an item: empties its text and marks it hidden. Returns the update and the text
/// that was removed (kept, for moderators only, in the moderation store).
pub fn hide(doc: &Doc, item: &str, mark: &HiddenMark) -> Result<(Vec<u8>, String), ItemNotFound> {
    edit_item(doc, item, |txn, map| {
        let mut removed = String::new();
        if let Some(Out::YText(text)) = map.get(txn, key::TEXT) {
            removed = text.get_string(txn);
            let len = text.len(txn);
            text.remove_range(txn, 0, len);
        }
        let hidden: HashMap<String, Any> = HashMap::from([
            ("reason".to_owned(), Any::String(Arc::from(mark.reason))),
            ("at".to_owned(), Any::from(mark.at as f64)),
            ("pending_review".to_owned(), Any::Bool(mark.pending_review)),
        ]);
        map.insert(txn, key::HIDDEN, Any::from(hidden));
        removed
    })
}

/// Unhides an item: puts `text` back (before anything typed since) and removes the mark.
pub fn unhide(doc: &Doc, item: &str, text: &str) -> Result<Vec<u8>, ItemNotFound> {
    let (update, ()) = edit_item(doc, item, |txn, map| {
        if let Some(Out::YText(ytext)) = map.get(txn, key::TEXT) {
            ytext.insert(txn, 0, text);
        }
        map.remove(txn, key::HIDDEN);
    })?;
    Ok(update)
}

/// The participant an item names as its author.
pub fn author_of(doc: &Doc, item: &str) -> Option<String> {
    let items = doc.get_or_insert_map(ITEMS);
    let txn = doc.transact();
    let Some(Out::YMap(map)) = items.get(&txn, item) else {
        return None;
    };
    match map.get(&txn, key::AUTHOR)? {
        Out::Any(Any::String(author)) => Some(author.to_string()),
        _ => None,
    }
}

/// Erases a participant from the board: the display name on the items they authored and,
/// with `text`, every run of text written with their client ids, replaced by
/// [`ERASED_TEXT`]. `None` if there is nothing to change.
pub fn erase(
    doc: &Doc,
    participant: &str,
    clients: &HashSet<ClientID>,
    text: bool,
) -> Option<Vec<u8>> {
    let copy = editable_copy(doc);
    let items = copy.get_or_insert_map(ITEMS);
    let mut txn = copy.transact_mut();
    let maps: Vec<MapRef> = items
        .iter(&txn)
        .filter_map(|(_, value)| match value {
            Out::YMap(map) => Some(map),
            _ => None,
        })
        .collect();
    for map in maps {
        let authored = matches!(map.get(&txn, key::AUTHOR), Some(Out::Any(Any::String(a))) if &*a == participant);
        let named = matches!(map.get(&txn, key::AUTHOR_NAME), Some(Out::Any(Any::String(n))) if !n.is_empty());
        if authored && named {
            map.insert(&mut txn, key::AUTHOR_NAME, "");
        }
        if let (true, Some(Out::YText(ytext))) = (text, map.get(&txn, key::TEXT)) {
            redact_runs(&mut txn, &ytext, clients);
        }
    }
    let update = txn.encode_update_v1();
    drop(txn);
    let changed = Update::decode_v1(&update).is_ok_and(|u| !u.is_empty());
    changed.then_some(update)
}

/// Replaces every run of `text` written by `clients` with [`ERASED_TEXT`].
fn redact_runs(txn: &mut TransactionMut, text: &TextRef, clients: &HashSet<ClientID>) {
    // (start, length) in UTF-16 units, as the document counts; merged, then from the end.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut offset = 0u32;
    for (run, client) in text_runs(txn, text) {
        let len = run.encode_utf16().count() as u32;
        if clients.contains(&client) {
            match runs.last_mut() {
                Some((start, run)) if *start + *run == offset => *run += len,
                _ => runs.push((offset, len)),
            }
        }
        offset += len;
    }
    for (start, len) in runs.into_iter().rev() {
        text.remove_range(txn, start, len);
        text.insert(txn, start, ERASED_TEXT);
    }
}

/// An update that deletes everything `clients` ever wrote into `doc`: no new content, only a
/// delete set over each client's whole clock range. `None` if they wrote nothing.
pub fn remove_clients(doc: &Doc, clients: &HashSet<ClientID>) -> Option<Vec<u8>> {
    let state = doc.transact().state_vector();
    let mut deletions = IdSet::default();
    for client in clients {
        let clock = state.get(client);
        if clock > 0 {
            deletions.insert(ID::new(*client, 0), clock);
        }
    }
    if deletions.is_empty() {
        return None;
    }
    let mut encoder = EncoderV1::new();
    encoder.write_var(0u32); // no blocks
    deletions.encode(&mut encoder);
    Some(encoder.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::MapPrelim;
    use yrs::TextPrelim;

    fn apply(doc: &Doc, update: &[u8]) {
        doc.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    }

    fn board_with_card(client: ClientID, card: &str, text: &str) -> Doc {
        let doc = Doc::with_client_id(client.get());
        let items = doc.get_or_insert_map("items");
        let mut txn = doc.transact_mut();
        let map = items.insert(&mut txn, card, MapPrelim::default());
        map.insert(&mut txn, "text", TextPrelim::new(text));
        drop(txn);
        doc
    }

    fn card_text(doc: &Doc, card: &str) -> Option<String> {
        let items = doc.get_or_insert_map("items");
        let txn = doc.transact();
        match items.get(&txn, card)? {
            Out::YMap(map) => match map.get(&txn, "text")? {
                Out::YText(text) => Some(text.get_string(&txn)),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn hide_then_unhide_restores_the_text_and_hidden_text_is_gone_from_the_state() {
        let doc = board_with_card(ClientID::new(7), "c1", "call me on 0470 12 34 56");
        let mark = HiddenMark {
            reason: "personal data",
            at: 1,
            pending_review: false,
        };
        let (update, removed) = hide(&doc, "c1", &mark).unwrap();
        assert_eq!(removed, "call me on 0470 12 34 56");
        apply(&doc, &update);
        assert_eq!(card_text(&doc, "c1").as_deref(), Some(""));
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert!(!String::from_utf8_lossy(&state).contains("0470"));

        apply(&doc, &unhide(&doc, "c1", &removed).unwrap());
        assert_eq!(
            card_text(&doc, "c1").as_deref(),
            Some("call me on 0470 12 34 56")
        );
        assert!(hide(&doc, "nope", &mark).is_err());
    }

    #[test]
    fn removing_clients_deletes_exactly_their_content() {
        let doc = board_with_card(ClientID::new(1), "mine", "kept");
        let other = board_with_card(ClientID::new(2), "theirs", "removed");
        let theirs = other
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        apply(&doc, &theirs);
        let update = remove_clients(&doc, &HashSet::from([ClientID::new(2)])).unwrap();
        apply(&doc, &update);
        assert_eq!(card_text(&doc, "mine").as_deref(), Some("kept"));
        assert_eq!(card_text(&doc, "theirs"), None);
        assert!(remove_clients(&doc, &HashSet::from([ClientID::new(99)])).is_none());
    }
}
