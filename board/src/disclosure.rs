//! What research outputs may show of a board: hidden items' texts never appear, erased
//! participants' names (and, if asked, texts) are redacted, participants who declined research
//! consent appear only in aggregate, and display names are left out unless the session keeps
//! them. Who falls under which rule is the session's decision (the server builds a
//! [`Disclosure`] from its records); this is what the rules mean for the board.

use std::collections::{HashMap, HashSet};

use yrs::ClientID;

/// Shown instead of the pseudonym of a participant who declined research consent.
pub const DECLINED: &str = "declined";
/// Replaces text an erased participant wrote, when the erasure covers their text.
pub const ERASED_TEXT: &str = "[erased]";
/// Replaces the text of an item a moderator hid, at every point of the history.
pub const HIDDEN_TEXT: &str = "[hidden]";

/// Whether a character overrides or isolates the direction of the text around it (U+202A–U+202E,
/// U+2066–U+2069): with one, a card reads reversed to everyone else ("Trojan Source"). The
/// marks U+200E/U+200F stay: right-to-left writing needs them, and they reorder nothing.
pub fn direction_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A participant's text as outputs show it: without direction overrides (see
/// [`direction_override`]). A Yjs update cannot be refused in part, so a card keeps them in its
/// document; every answer built from a board leaves them out.
pub fn neutral_text(text: &str) -> String {
    text.chars().filter(|c| !direction_override(*c)).collect()
}

/// What research outputs may show of a session.
#[derive(Clone, Debug, Default)]
pub struct Disclosure {
    /// Whether display names appear at all (`research.keep_names`).
    pub keep_names: bool,
    /// Participants who declined research consent.
    pub declined: HashSet<String>,
    /// Participants erased (their names never appear).
    pub erased: HashSet<String>,
    /// Client ids whose text is replaced by [`ERASED_TEXT`].
    pub redacted_clients: HashSet<ClientID>,
    /// Items hidden by a moderator now.
    pub hidden: HashSet<String>,
    /// Display names that may be shown, by participant.
    pub names: HashMap<String, String>,
}

impl Disclosure {
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

    /// Whether the participant was erased (nothing names them any more).
    pub fn is_erased(&self, participant: &str) -> bool {
        self.erased.contains(participant)
    }

    /// Whether outputs carry display names at all.
    pub fn keeps_names(&self) -> bool {
        self.keep_names
    }
}

#[cfg(test)]
mod tests {
    use yrs::{Doc, Map, MapPrelim, TextPrelim, Transact};

    use super::*;
    use crate::board_json;

    /// Issue 34: a card written with a right-to-left override reads as typed, not reversed, in
    /// every answer built from the board; marks that right-to-left writing needs stay.
    #[test]
    fn outputs_leave_direction_overrides_out() {
        let doc = Doc::new();
        let items = doc.get_or_insert_map("items");
        let mut txn = doc.transact_mut();
        let card = items.insert(&mut txn, "c", MapPrelim::default());
        card.insert(
            &mut txn,
            "text",
            TextPrelim::new("fine\u{202E}gnp.exe \u{2067}x\u{200F}"),
        );
        drop(txn);
        let board = board_json(&doc, &Disclosure::default());
        assert_eq!(board["items"]["c"]["text"], "finegnp.exe x\u{200F}");
        assert!(direction_override('\u{202E}') && !direction_override('\u{200F}'));
    }
}
