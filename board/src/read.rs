//! Reading a board: the document as JSON under the disclosure rules, and who wrote which run
//! of an item's text.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map as JsonMap, Value};
use yrs::types::text::YChange;
use yrs::types::ToJson;
use yrs::{Any, ClientID, Doc, GetString, Map, Out, ReadTxn, Snapshot, Text, TextRef, Transact};

use crate::disclosure::{neutral_text, Disclosure, ERASED_TEXT, HIDDEN_TEXT};
use crate::schema::{key, EMOTION_VOTES, ITEMS, ROOTS, VOTES};

/// The board document as JSON: its roots (`meta`, `stages`, `lanes`, `items`, `emotions`)
/// keyed by id as in the document, item texts as strings, `votes` as counts per item and
/// `emotion_votes` as `{average, count}` per stage (who voted what is not a board fact).
pub fn board_json(doc: &Doc, disclosure: &Disclosure) -> Value {
    // Stored updates came from the network: a yrs panic on one must not take the answer (or
    // `cocreate export`) down with it.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(doc, disclosure)))
        .unwrap_or_else(|_| {
            tracing::error!("yrs panicked rendering a board");
            json!({ "error": "this board could not be rendered" })
        })
}

fn render(doc: &Doc, disclosure: &Disclosure) -> Value {
    let roots: Vec<_> = ROOTS
        .iter()
        .map(|name| (*name, doc.get_or_insert_map(*name)))
        .collect();
    let mut txn = doc.transact_mut();
    let mut board = JsonMap::new();
    let mut text_refs = Vec::new();
    for (name, map) in &roots {
        match *name {
            ITEMS => {
                let mut items = JsonMap::new();
                for (id, value) in map.iter(&txn) {
                    let Out::YMap(item) = value else { continue };
                    let mut json = any_to_json(&item.to_json(&txn));
                    disclose_item(&mut json, disclosure);
                    match item.get(&txn, key::TEXT) {
                        Some(Out::YText(text)) => text_refs.push((id.to_owned(), text)),
                        // Not the schema's Y.Text: read as the web client reads it, as no text.
                        Some(_) => json[key::TEXT] = json!(""),
                        None => {}
                    }
                    if disclosure.hidden.contains(id) {
                        json[key::TEXT] = json!(HIDDEN_TEXT);
                    }
                    items.insert(id.to_owned(), json);
                }
                board.insert(ITEMS.into(), Value::Object(items));
            }
            // Keyed by participant: shown as the curve people saw, an average per stage.
            EMOTION_VOTES => {
                let mut stages: BTreeMap<String, (f64, u32)> = BTreeMap::new();
                for (key, value) in map.iter(&txn) {
                    let stage = key.split('|').next().unwrap_or_default().to_owned();
                    if let Some(n) = match value {
                        Out::Any(Any::Number(n)) => n.as_f64(),
                        _ => None,
                    } {
                        let entry = stages.entry(stage).or_default();
                        *entry = (entry.0 + n, entry.1 + 1);
                    }
                }
                let curve: JsonMap<String, Value> = stages
                    .into_iter()
                    .map(|(stage, (sum, n))| {
                        (stage, json!({ "average": sum / f64::from(n), "count": n }))
                    })
                    .collect();
                board.insert(EMOTION_VOTES.into(), Value::Object(curve));
            }
            VOTES => {
                let mut counts: JsonMap<String, Value> = JsonMap::new();
                for (key, _) in map.iter(&txn) {
                    let item = key.split('|').next().unwrap_or_default();
                    let count = counts.entry(item).or_insert(json!(0));
                    *count = json!(count.as_u64().unwrap_or(0) + 1);
                }
                board.insert(VOTES.into(), Value::Object(counts));
            }
            _ => {
                board.insert((*name).into(), any_to_json(&map.to_json(&txn)));
            }
        }
    }
    // Texts last: attributing text to its writers needs the transaction mutably.
    for (id, text) in text_refs {
        if disclosure.hidden.contains(&id) {
            continue;
        }
        let value = redacted_text(&mut txn, &text, &disclosure.redacted_clients);
        if let Some(item) = board[ITEMS].get_mut(&id) {
            item[key::TEXT] = json!(neutral_text(&value));
        }
    }
    Value::Object(board)
}

/// Authors as the disclosure allows.
fn disclose_item(item: &mut Value, disclosure: &Disclosure) {
    let Some(fields) = item.as_object_mut() else {
        return;
    };
    let author = fields
        .get(key::AUTHOR)
        .and_then(Value::as_str)
        .map(str::to_owned);
    fields.remove(key::AUTHOR_NAME);
    if let Some(author) = author {
        let name = disclosure.name(&author);
        if !name.is_empty() {
            fields.insert(key::AUTHOR_NAME.into(), json!(name));
        }
        fields.insert(key::AUTHOR.into(), json!(disclosure.pseudonym(&author)));
    }
}

/// A text with every run written by a redacted client replaced by [`ERASED_TEXT`].
fn redacted_text(
    txn: &mut yrs::TransactionMut,
    text: &TextRef,
    redacted: &HashSet<ClientID>,
) -> String {
    if redacted.is_empty() {
        return text.get_string(txn);
    }
    let mut out = String::new();
    let mut last_redacted = false;
    for (run, client) in text_runs(txn, text) {
        let redact = redacted.contains(&client);
        if !redact {
            out.push_str(&run);
        } else if !last_redacted {
            out.push_str(ERASED_TEXT);
        }
        last_redacted = redact;
    }
    out
}

/// A text's visible runs with the client id that wrote each (embeds count as one `\u{fffc}`
/// character, as in the document's length).
pub fn text_runs(txn: &mut yrs::TransactionMut, text: &TextRef) -> Vec<(String, ClientID)> {
    // Against an empty snapshot every visible run counts as added, with the id of its
    // first character, which carries its writer's client id.
    let now = txn.snapshot();
    let chunks = text.diff_range(txn, Some(&now), Some(&Snapshot::default()), |c: YChange| {
        c.id.client
    });
    chunks
        .into_iter()
        .filter_map(|chunk| {
            let run = match &chunk.insert {
                Out::Any(Any::String(s)) => s.to_string(),
                _ => "\u{fffc}".to_owned(),
            };
            Some((run, chunk.ychange?))
        })
        .collect()
}

/// yrs values as JSON (numbers stay numbers, binary becomes an array of bytes).
pub fn any_to_json(value: &Any) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
