//! Moderation of a session's board: who wrote with which Yjs client id (from the room's log),
//! and the board edits moderators make, which `cocreate-board` builds as Yjs updates (appended
//! to the room's log like any participant's update).

use std::collections::{HashMap, HashSet};

use cocreate_protocol::decode_update;
use yrs::ClientID;

pub use cocreate_board::edit::{
    author_of, erase, has_item, hide, remove_clients, unhide, HiddenMark, ItemNotFound,
};

use crate::storage::LogRecord;

/// Who wrote with which Yjs client id, from a room's log. A client id belongs to the
/// participant whose update first carried content of it: a later update that repeats others'
/// content (a client's sync step 2 after the server lost data) does not make it theirs.
#[derive(Default)]
pub struct ClientOwners(HashMap<ClientID, String>);

impl ClientOwners {
    /// Takes in the next records of the log, in order.
    pub fn add(&mut self, records: &[LogRecord]) {
        for record in records {
            let Some(author) = &record.origin.participant else {
                continue;
            };
            let Ok(update) = decode_update(&record.update) else {
                continue;
            };
            for (client, _) in update.state_vector().iter() {
                self.0.entry(*client).or_insert_with(|| author.clone());
            }
        }
    }

    /// The client ids a participant wrote with.
    pub fn clients_of(&self, participant: &str) -> HashSet<ClientID> {
        self.0
            .iter()
            .filter(|(_, owner)| *owner == participant)
            .map(|(client, _)| *client)
            .collect()
    }
}
