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
    StateVector, Text, TextPrelim, TextRef, Transact, TransactionMut, Update, ID,
};

use crate::apply::encode_state;
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

/// A copy of `doc` that edits under a client id of its own. A document that no longer encodes
/// (see [`encode_state`]) gives an empty copy: the edit then finds nothing to change, and the
/// room holding such a document reloads without the record that broke it.
pub(crate) fn editable_copy(doc: &Doc) -> Doc {
    let copy = edit_doc();
    match encode_state(doc, &StateVector::default()) {
        // The room's own state: it applied once, it applies again.
        Ok(state) => apply_own(&copy, &state),
        Err(e) => {
            tracing::error!(error = %e, "a server edit found a document that does not encode")
        }
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
/// that was removed (kept, for moderators only, in the moderation store). A `text` of another
/// shape than the schema's Y.Text (a plain string a hand-built client wrote) is removed just
/// the same and replaced by an empty Y.Text, so that its content leaves the document too.
pub fn hide(doc: &Doc, item: &str, mark: &HiddenMark) -> Result<(Vec<u8>, String), ItemNotFound> {
    edit_item(doc, item, |txn, map| {
        let removed = match map.get(txn, key::TEXT) {
            Some(Out::YText(text)) => {
                let removed = text.get_string(txn);
                let len = text.len(txn);
                text.remove_range(txn, 0, len);
                removed
            }
            Some(other) => {
                map.insert(txn, key::TEXT, TextPrelim::new(""));
                match other {
                    Out::Any(Any::String(s)) => s.to_string(),
                    other => other.to_string(txn),
                }
            }
            None => String::new(),
        };
        let hidden: HashMap<String, Any> = HashMap::from([
            ("reason".to_owned(), Any::String(Arc::from(mark.reason))),
            ("at".to_owned(), Any::from(mark.at as f64)),
            ("pending_review".to_owned(), Any::Bool(mark.pending_review)),
        ]);
        map.insert(txn, key::HIDDEN, Any::from(hidden));
        removed
    })
}

/// A stretch of an item's text and the Yjs client id that wrote it (`None`: not known, as for
/// a `text` that was not a Y.Text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenRun {
    pub text: String,
    pub writer: Option<ClientID>,
}

/// Who wrote an item's text, run by run, in order (empty when its `text` is not a Y.Text).
/// Read before [`hide`], so that the hidden text keeps its writers.
pub fn written_runs(doc: &Doc, item: &str) -> Vec<WrittenRun> {
    let items = doc.get_or_insert_map(ITEMS);
    let mut txn = doc.transact_mut();
    let Some(Out::YMap(map)) = items.get(&txn, item) else {
        return Vec::new();
    };
    let Some(Out::YText(text)) = map.get(&txn, key::TEXT) else {
        return Vec::new();
    };
    text_runs(&mut txn, &text)
        .into_iter()
        .map(|(text, client)| WrittenRun {
            text,
            writer: Some(client),
        })
        .collect()
}

/// What [`unhide`] built: the update, and which fresh client id restored whose text.
pub struct Unhidden {
    pub update: Vec<u8>,
    /// (fresh client id, the writer whose runs it restored): the text stays theirs for
    /// erasure and remove-contributions, which find text by client id.
    pub restored: Vec<(ClientID, ClientID)>,
}

/// Unhides an item: puts its runs back (before anything typed since) and removes the mark.
/// Each writer's runs go back under a fresh client id of their own, never mixed with another
/// writer's, so that whose text it is survives the hide.
pub fn unhide(doc: &Doc, item: &str, runs: &[WrittenRun]) -> Result<Unhidden, ItemNotFound> {
    let work = editable_copy(doc);
    let before = work.transact().state_vector();
    let items = work.get_or_insert_map(ITEMS);
    let Some(Out::YMap(map)) = items.get(&work.transact(), item) else {
        return Err(ItemNotFound(item.to_owned()));
    };
    {
        let mut txn = work.transact_mut();
        if !matches!(map.get(&txn, key::TEXT), Some(Out::YText(_))) {
            map.insert(&mut txn, key::TEXT, TextPrelim::new(""));
        }
        map.remove(&mut txn, key::HIDDEN);
    }
    let mut writers: HashMap<Option<ClientID>, Doc> = HashMap::new();
    let mut offset = 0;
    for run in runs {
        let writer = writers.entry(run.writer).or_insert_with(edit_doc);
        catch_up(writer, &work);
        let items = writer.get_or_insert_map(ITEMS);
        let mut txn = writer.transact_mut();
        if let Some(Out::YMap(map)) = items.get(&txn, item) {
            if let Some(Out::YText(text)) = map.get(&txn, key::TEXT) {
                text.insert(&mut txn, offset, &run.text);
            }
        }
        let update = txn.encode_update_v1();
        drop(txn);
        apply_own(&work, &update);
        offset += run.text.encode_utf16().count() as u32;
    }
    // `work` was built from an encoding, so it encodes; an empty update if it ever did not.
    let update = encode_state(&work, &before).unwrap_or_else(|_| Update::EMPTY_V1.to_vec());
    let restored = writers
        .into_iter()
        .filter_map(|(writer, doc)| Some((doc.client_id(), writer?)))
        .collect();
    Ok(Unhidden { update, restored })
}

/// Brings `doc` up to `source`'s state.
fn catch_up(doc: &Doc, source: &Doc) {
    let known = doc.transact().state_vector();
    if let Ok(missing) = encode_state(source, &known) {
        apply_own(doc, &missing);
    }
}

/// Applies an update this module built from the room's own state (it decodes and applies).
fn apply_own(doc: &Doc, update: &[u8]) {
    if let Ok(update) = Update::decode_v1(update) {
        let _ = doc.transact_mut().apply_update(update);
    }
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

/// A correction of one authorship field of an item (`author` or `author_name`): the value the
/// server vouches for, or `None` to remove a field a client added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorField {
    pub item: String,
    pub field: &'static str,
    pub value: Option<String>,
}

/// Sets items' authorship fields as `fields` say (the server's correction of what a client
/// wrote). Items gone since are skipped; `None` if nothing changes.
pub fn set_author_fields(doc: &Doc, fields: &[AuthorField]) -> Option<Vec<u8>> {
    let copy = editable_copy(doc);
    let items = copy.get_or_insert_map(ITEMS);
    let mut txn = copy.transact_mut();
    let mut changed = false;
    for fix in fields {
        let Some(Out::YMap(map)) = items.get(&txn, &fix.item) else {
            continue;
        };
        let now = match map.get(&txn, fix.field) {
            Some(Out::Any(Any::String(v))) => Some(v.to_string()),
            Some(_) => Some(String::new()),
            None => None,
        };
        if now == fix.value {
            continue;
        }
        match &fix.value {
            Some(value) => {
                map.insert(&mut txn, fix.field, value.as_str());
            }
            None => {
                map.remove(&mut txn, fix.field);
            }
        }
        changed = true;
    }
    changed.then(|| txn.encode_update_v1())
}

/// Erases a participant from the board: the display name on the items they authored and,
/// with `text`, every run of text written with their client ids (in any item, whoever its
/// author), replaced by [`ERASED_TEXT`], as is a `text` of another shape than a Y.Text in the
/// items they authored. `None` if there is nothing to change.
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
        match map.get(&txn, key::TEXT) {
            Some(Out::YText(ytext)) if text => redact_runs(&mut txn, &ytext, clients),
            // Who wrote a `text` of another shape is not known: the item's author is taken.
            Some(Out::YText(_)) | None => {}
            Some(_) if text && authored => {
                map.insert(&mut txn, key::TEXT, TextPrelim::new(ERASED_TEXT));
            }
            Some(_) => {}
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

/// Replaces what `clients` wrote in an item's text by `text`, put where the first of their
/// runs was (the whole text when `clients` is empty: who wrote it is not known), leaving what
/// others wrote. A carried copy follows its source this way, keeping what the target's own
/// participants typed into it. Returns the update and the client id it writes under; `None`
/// if the item has no text or nothing would change.
pub fn replace_runs(
    doc: &Doc,
    item: &str,
    clients: &HashSet<ClientID>,
    text: &str,
) -> Option<(Vec<u8>, ClientID)> {
    let copy = editable_copy(doc);
    let client = copy.client_id();
    let items = copy.get_or_insert_map(ITEMS);
    let mut txn = copy.transact_mut();
    let Some(Out::YMap(map)) = items.get(&txn, item) else {
        return None;
    };
    let Some(Out::YText(ytext)) = map.get(&txn, key::TEXT) else {
        return None;
    };
    let mut runs: Vec<(u32, u32)> = Vec::new();
    let mut offset = 0u32;
    for (run, writer) in text_runs(&mut txn, &ytext) {
        let len = run.encode_utf16().count() as u32;
        if clients.is_empty() || clients.contains(&writer) {
            runs.push((offset, len));
        }
        offset += len;
    }
    let at = runs.first().map_or(offset, |(start, _)| *start);
    for (start, len) in runs.into_iter().rev() {
        ytext.remove_range(&mut txn, start, len);
    }
    if !text.is_empty() {
        ytext.insert(&mut txn, at, text);
    }
    let before = doc_text(doc, item);
    let after = ytext.get_string(&txn);
    let update = txn.encode_update_v1();
    (before.as_deref() != Some(after.as_str())).then_some((update, client))
}

/// An item's text as a string (`None` without an item or a Y.Text).
fn doc_text(doc: &Doc, item: &str) -> Option<String> {
    let items = doc.get_or_insert_map(ITEMS);
    let txn = doc.transact();
    match items.get(&txn, item) {
        Some(Out::YMap(map)) => match map.get(&txn, key::TEXT) {
            Some(Out::YText(text)) => Some(text.get_string(&txn)),
            _ => None,
        },
        _ => None,
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

    const MARK: HiddenMark<'static> = HiddenMark {
        reason: "personal data",
        at: 1,
        pending_review: false,
    };

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

    #[test]
    fn hide_then_unhide_restores_the_text_and_hidden_text_is_gone_from_the_state() {
        let doc = board_with_card(ClientID::new(7), "c1", "call me on 0470 12 34 56");
        let (update, removed) = hide(&doc, "c1", &MARK).unwrap();
        assert_eq!(removed, "call me on 0470 12 34 56");
        apply(&doc, &update);
        assert_eq!(doc_text(&doc, "c1").as_deref(), Some(""));
        assert!(!state_text(&doc).contains("0470"));

        let runs = [WrittenRun {
            text: removed,
            writer: Some(ClientID::new(7)),
        }];
        apply(&doc, &unhide(&doc, "c1", &runs).unwrap().update);
        assert_eq!(
            doc_text(&doc, "c1").as_deref(),
            Some("call me on 0470 12 34 56")
        );
        assert!(hide(&doc, "nope", &MARK).is_err());
    }

    fn state_text(doc: &Doc) -> String {
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        String::from_utf8_lossy(&state).into_owned()
    }

    #[test]
    fn unhide_restores_each_writers_runs_under_a_client_id_of_their_own() {
        let doc = board_with_card(ClientID::new(1), "c1", "ann ");
        let bob = Doc::with_client_id(2);
        apply(
            &bob,
            &doc.transact()
                .encode_state_as_update_v1(&StateVector::default()),
        );
        let items = bob.get_or_insert_map("items");
        {
            let mut txn = bob.transact_mut();
            let Some(Out::YMap(card)) = items.get(&txn, "c1") else {
                panic!("no card")
            };
            let Some(Out::YText(text)) = card.get(&txn, "text") else {
                panic!("no text")
            };
            text.insert(&mut txn, 4, "bob");
        }
        apply(
            &doc,
            &bob.transact()
                .encode_state_as_update_v1(&StateVector::default()),
        );
        let runs = written_runs(&doc, "c1");
        let writers: Vec<_> = runs.iter().map(|r| (r.text.as_str(), r.writer)).collect();
        assert_eq!(
            writers,
            [
                ("ann ", Some(ClientID::new(1))),
                ("bob", Some(ClientID::new(2)))
            ]
        );
        apply(&doc, &hide(&doc, "c1", &MARK).unwrap().0);

        let unhidden = unhide(&doc, "c1", &runs).unwrap();
        apply(&doc, &unhidden.update);
        assert_eq!(doc_text(&doc, "c1").as_deref(), Some("ann bob"));
        let restored: HashMap<ClientID, ClientID> = unhidden.restored.into_iter().collect();
        assert_eq!(restored.len(), 2);
        // Each fresh id wrote exactly its writer's runs: erasing Bob's finds only "bob".
        let bobs: HashSet<ClientID> = restored
            .iter()
            .filter(|(_, writer)| **writer == ClientID::new(2))
            .map(|(fresh, _)| *fresh)
            .collect();
        apply(&doc, &erase(&doc, "bob", &bobs, true).unwrap());
        assert_eq!(doc_text(&doc, "c1").as_deref(), Some("ann [erased]"));
    }

    #[test]
    fn hiding_a_plain_string_text_removes_it_from_the_state() {
        let doc = Doc::with_client_id(3);
        let items = doc.get_or_insert_map("items");
        {
            let mut txn = doc.transact_mut();
            let card = items.insert(&mut txn, "c1", MapPrelim::default());
            card.insert(&mut txn, "text", "call me on 0470 12 34 56");
        }
        let (update, removed) = hide(&doc, "c1", &MARK).unwrap();
        assert_eq!(removed, "call me on 0470 12 34 56");
        apply(&doc, &update);
        assert!(!state_text(&doc).contains("0470"));
        assert_eq!(doc_text(&doc, "c1").as_deref(), Some(""));

        let runs = [WrittenRun {
            text: removed,
            writer: None,
        }];
        apply(&doc, &unhide(&doc, "c1", &runs).unwrap().update);
        assert_eq!(
            doc_text(&doc, "c1").as_deref(),
            Some("call me on 0470 12 34 56")
        );
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
        assert_eq!(doc_text(&doc, "mine").as_deref(), Some("kept"));
        assert_eq!(doc_text(&doc, "theirs"), None);
        assert!(remove_clients(&doc, &HashSet::from([ClientID::new(99)])).is_none());
    }

    #[test]
    fn replacing_runs_keeps_what_others_wrote() {
        let doc = board_with_card(ClientID::new(1), "copy", "buses too rare");
        let other = Doc::with_client_id(2);
        apply(
            &other,
            &doc.transact()
                .encode_state_as_update_v1(&StateVector::default()),
        );
        {
            let items = other.get_or_insert_map("items");
            let mut txn = other.transact_mut();
            let Some(Out::YMap(map)) = items.get(&txn, "copy") else {
                panic!()
            };
            let Some(Out::YText(text)) = map.get(&txn, "text") else {
                panic!()
            };
            text.insert(&mut txn, 14, " (agreed)");
        }
        let since = doc.transact().state_vector();
        let typed = other.transact().encode_state_as_update_v1(&since);
        apply(&doc, &typed);
        let ones = HashSet::from([ClientID::new(1)]);
        let (update, client) = replace_runs(&doc, "copy", &ones, "[erased]").unwrap();
        assert!(client != ClientID::new(1) && client != ClientID::new(2));
        apply(&doc, &update);
        assert_eq!(doc_text(&doc, "copy").as_deref(), Some("[erased] (agreed)"));
        // The same text again changes nothing; without known writers the whole text goes.
        let now = HashSet::from([client]);
        assert!(replace_runs(&doc, "copy", &now, "[erased]").is_none());
        let (update, _) = replace_runs(&doc, "copy", &HashSet::new(), "gone").unwrap();
        apply(&doc, &update);
        assert_eq!(doc_text(&doc, "copy").as_deref(), Some("gone"));
        assert!(replace_runs(&doc, "missing", &ones, "x").is_none());
    }
}
