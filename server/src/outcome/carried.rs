//! Where a session's cards went when a moderator carried them into another session of the
//! process: so that a receipt follows a card to the decision taken on it there, months later.

use serde::{Deserialize, Serialize};

use crate::storage::RecordKind;

/// A card's copy in another session, keyed by the card's id in the session it was carried from.
pub const CARRIED_TO: RecordKind<CarriedTo> = RecordKind::new("carried");

/// The copy of a carried card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedTo {
    /// The session it was carried into.
    pub session: String,
    /// Its id on that session's board.
    pub item: String,
    /// When it was carried (ms since the epoch).
    pub at: u64,
    /// The client ids that wrote the copy's text (the carry's, then each time it followed its
    /// source): what the target's history redacts when the source is erased. Empty for cards
    /// carried before copies followed their source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<u64>,
    /// The sha256 of the source text the copy was last written from (as the source's research
    /// terms show it), to tell whether the source changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_sha256: Option<String>,
}
