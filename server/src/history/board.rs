//! The board as JSON for researchers, and the disclosure rules every research output follows:
//! hidden items' texts never appear, erased participants' names (and, if asked, texts) are
//! redacted, participants who declined research consent appear only in aggregate, and
//! display names are left out unless the session keeps them.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map as JsonMap, Value};
use yrs::types::text::YChange;
use yrs::types::ToJson;
use yrs::{Any, ClientID, Doc, GetString, Map, Out, ReadTxn, Snapshot, Text, TextRef, Transact};

use super::changes::ROOTS;
use crate::session::{Participant, Session};

/// Shown instead of the pseudonym of a participant who declined research consent.
pub const DECLINED: &str = "declined";
/// Replaces text an erased participant wrote, when the erasure covers their text.
pub const ERASED_TEXT: &str = "[erased]";
/// Replaces the text of an item a moderator hid, at every point of the history.
pub const HIDDEN_TEXT: &str = "[hidden]";

/// What research outputs may show of a session.
#[derive(Clone, Debug, Default)]
pub struct Disclosure {
    /// Whether display names appear at all (`research.keep_names`).
    keep_names: bool,
    /// Participants who declined research consent.
    declined: HashSet<String>,
    /// Participants erased (their names never appear).
    erased: HashSet<String>,
    /// Client ids whose text is replaced by [`ERASED_TEXT`].
    redacted_clients: HashSet<u64>,
    /// Items hidden by a moderator now.
    hidden: HashSet<String>,
    /// Display names that may be shown, by participant.
    names: HashMap<String, String>,
}

impl Disclosure {
    pub fn for_session(session: &Session, participants: &[Participant]) -> Self {
        let declined: HashSet<String> = participants
            .iter()
            .filter(|p| p.research_consent == Some(false))
            .map(|p| p.id.clone())
            .collect();
        let erased: HashSet<String> = session.erased.keys().cloned().collect();
        let names = participants
            .iter()
            .filter(|_| session.research.keep_names)
            .filter(|p| !declined.contains(&p.id) && !erased.contains(&p.id))
            .map(|p| (p.id.clone(), p.display_name.clone()))
            .collect();
        Disclosure {
            keep_names: session.research.keep_names,
            redacted_clients: session
                .erased
                .values()
                .filter(|e| e.text)
                .flat_map(|e| e.clients.iter().copied())
                .collect(),
            hidden: session
                .items
                .iter()
                .filter(|(_, m)| m.hidden.is_some())
                .map(|(id, _)| id.clone())
                .collect(),
            declined,
            erased,
            names,
        }
    }

    /// How a participant is named in outputs: their pseudonym, or [`DECLINED`].
    pub fn pseudonym(&self, participant: &str) -> String {
        if self.declined.contains(participant) {
            DECLINED.to_owned()
        } else {
            participant.to_owned()
        }
    }

    /// Whether a participant appears individually (not only in aggregate).
    pub fn individual(&self, participant: &str) -> bool {
        !self.declined.contains(participant)
    }

    /// The display name that may be shown for a participant (empty when none may).
    pub fn name(&self, participant: &str) -> String {
        self.names.get(participant).cloned().unwrap_or_default()
    }

    pub fn is_erased(&self, participant: &str) -> bool {
        self.erased.contains(participant)
    }

    /// Whether outputs carry display names at all.
    pub fn keeps_names(&self) -> bool {
        self.keep_names
    }
}

/// The board document as JSON: its roots (`meta`, `stages`, `lanes`, `items`, `emotions`)
/// keyed by id as in the document, item texts as strings, `votes` as counts per item and
/// `emotion_votes` as `{average, count}` per stage (who voted what is not a board fact).
pub fn board_json(doc: &Doc, disclosure: &Disclosure) -> Value {
    let roots: Vec<_> = ROOTS
        .iter()
        .map(|name| (*name, doc.get_or_insert_map(*name)))
        .collect();
    let mut txn = doc.transact_mut();
    let mut board = JsonMap::new();
    let mut text_refs = Vec::new();
    for (name, map) in &roots {
        match *name {
            "items" => {
                let mut items = JsonMap::new();
                for (id, value) in map.iter(&txn) {
                    let Out::YMap(item) = value else { continue };
                    if let Some(Out::YText(text)) = item.get(&txn, "text") {
                        text_refs.push((id.to_owned(), text));
                    }
                    let mut json = any_to_json(&item.to_json(&txn));
                    disclose_item(&mut json, disclosure);
                    items.insert(id.to_owned(), json);
                }
                board.insert("items".into(), Value::Object(items));
            }
            // Keyed by participant: shown as the curve people saw, an average per stage.
            "emotion_votes" => {
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
                board.insert("emotion_votes".into(), Value::Object(curve));
            }
            "votes" => {
                let mut counts: JsonMap<String, Value> = JsonMap::new();
                for (key, _) in map.iter(&txn) {
                    let item = key.split('|').next().unwrap_or_default();
                    let count = counts.entry(item).or_insert(json!(0));
                    *count = json!(count.as_u64().unwrap_or(0) + 1);
                }
                board.insert("votes".into(), Value::Object(counts));
            }
            _ => {
                board.insert((*name).into(), any_to_json(&map.to_json(&txn)));
            }
        }
    }
    // Texts last: attributing text to its writers needs the transaction mutably.
    for (id, text) in text_refs {
        let value = if disclosure.hidden.contains(&id) {
            HIDDEN_TEXT.to_owned()
        } else {
            redacted_text(&mut txn, &text, &disclosure.redacted_clients)
        };
        if let Some(item) = board["items"].get_mut(&id) {
            item["text"] = json!(value);
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
        .get("author")
        .and_then(Value::as_str)
        .map(str::to_owned);
    fields.remove("author_name");
    if let Some(author) = author {
        let name = disclosure.name(&author);
        if !name.is_empty() {
            fields.insert("author_name".into(), json!(name));
        }
        fields.insert("author".into(), json!(disclosure.pseudonym(&author)));
    }
}

/// A text with every run written by a redacted client replaced by [`ERASED_TEXT`].
fn redacted_text(txn: &mut yrs::TransactionMut, text: &TextRef, redacted: &HashSet<u64>) -> String {
    if redacted.is_empty() {
        return text.get_string(txn);
    }
    let mut out = String::new();
    let mut last_redacted = false;
    for (run, client) in text_runs(txn, text) {
        let redact = redacted.contains(&client.get());
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
