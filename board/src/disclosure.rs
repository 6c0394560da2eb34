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
