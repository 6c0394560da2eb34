//! Dot-vote limits (`votes_per_participant`) in a session's room. A Yjs update cannot be partly
//! refused, and refusing it whole (closing the connection) would make the client send it again
//! on every reconnect. So the room takes the update into the log as it is, and right after
//! applying it the node that accepted it appends a server edit that removes the votes it added
//! beyond the sender's limit or in another participant's name, and tells the sender (session
//! message, event `vote-refused`). Both records reach every client and node in log order: no
//! loop, no divergence.

use std::sync::{Arc, Mutex, PoisonError};

use cocreate_board::schema::VOTES;
use cocreate_board::votes;
use cocreate_protocol::cocreate;
use serde_json::json;
use tracing::{info, warn};
use yrs::types::EntryChange;
use yrs::{Doc, Observable};

use super::access::session_message;
use super::append::PendingUpdate;
use super::frames::encode;
use super::Room;
use crate::session::now_ms;
use crate::storage::{LogRecord, SERVER_EDIT};

/// The session message event that tells a sender its votes were removed.
const VOTE_REFUSED: &str = "vote-refused";

/// The vote keys added to a room's document since they were last taken: only updates that vote
/// are checked, so other updates cost nothing here.
#[derive(Clone, Default)]
pub(super) struct AddedVotes(Arc<Mutex<Vec<String>>>);

impl AddedVotes {
    /// Starts noting the vote keys each transaction on `doc` adds.
    pub(super) fn watch(doc: &Doc) -> Self {
        let added = AddedVotes::default();
        let sink = added.clone();
        doc.get_or_insert_map(VOTES)
            .observe("vote-limits", move |txn, event| {
                let mut keys = sink.0.lock().unwrap_or_else(PoisonError::into_inner);
                for (key, change) in event.keys(txn) {
                    if let EntryChange::Inserted(_) = change {
                        keys.push(key.to_string());
                    }
                }
            });
        added
    }

    /// The keys added since the last call, sorted (so that which are "newest" is decided alike
    /// every time).
    fn take(&self) -> Vec<String> {
        let mut keys = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        keys.sort();
        keys
    }
}

impl Room {
    /// Once `record` is applied: if it came from one of this node's connections and added votes
    /// that are refused, appends their removal and tells the sender.
    pub(super) fn limit_votes(&mut self, record: &LogRecord) {
        let added = self.added_votes.take();
        let origin = &record.origin;
        let ours = *origin.node == *self.context.node && origin.connection != SERVER_EDIT;
        let (Some(session), Some(participant)) = (&self.session, &origin.participant) else {
            return;
        };
        if added.is_empty() || !ours {
            return;
        }
        let doc = self.awareness.doc();
        let refused = votes::refused(doc, &added, participant, session.votes_limit());
        let Some(update) = votes::remove(doc, &refused) else {
            return;
        };
        info!(room = %self.id, conn = origin.connection, participant, votes = refused.len(), "votes refused");
        let removal = PendingUpdate {
            conn: SERVER_EDIT,
            participant: None,
            ordinal: 0,
            at_ms: now_ms(),
            bytes: update.into(),
        };
        if self.log.push(removal, self.applied).is_err() {
            warn!(room = %self.id, participant, "refused votes not removed: too much waiting for storage");
            return;
        }
        let member = self.members.get(&origin.connection);
        if let Some((member, identity)) = member.and_then(|m| Some((m, m.identity.as_ref()?))) {
            let mut message = session_message(session, identity, VOTE_REFUSED);
            message["refused_votes"] = json!(refused);
            let frame = encode(&cocreate::session(&message.to_string()));
            member.outbox.send_cocreate(frame);
        }
    }
}
