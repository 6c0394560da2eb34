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
}
