//! The room bus: how presence (awareness) and session changes cross the nodes that serve one
//! room. Presence is ephemeral and renewed by every client every 15 s, so the bus is best
//! effort: a lost message heals at the next renewal. A session change only says "reread the
//! session": the record in storage is the truth, and every node rereads it on a room load.
//! Document updates never travel here; they go through the update log, which every node
//! follows.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;
use yrs::encoding::read::{self, Cursor, Read};
use yrs::encoding::write::Write;

use crate::room_id::RoomId;

/// Why the bus did not carry or deliver a message. Best effort either way: callers log it.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The bus's server could not be reached or refused the message.
    #[error("bus unavailable: {0}")]
    Unavailable(String),
    /// What arrived is not a message of ours (another deployment's, or garbage).
    #[error("unreadable bus message: {0}")]
    Unreadable(String),
}

/// What one node tells the others about a room: its members' presence, or a session change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusMessage {
    /// The node that published it; a node ignores its own messages.
    pub node: String,
    pub kind: BusMessageKind,
}

/// What a [`BusMessage`] says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusMessageKind {
    /// An encoded awareness update with the states of the publisher's own members.
    Changes(Bytes),
    /// A node that just loaded the room asks every other node for its members' states.
    Query,
    /// The session was changed (locked, a participant kicked…): the event name for clients;
    /// rooms reread the session from storage.
    Session(String),
}

/// What a subscription delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusEvent {
    /// The subscription is (again) active: messages published from now on arrive. A room then
    /// asks the other nodes for their presence, which it may have missed.
    Subscribed,
    Message(BusMessage),
}

/// A room's subscription; dropping it unsubscribes.
pub type BusSubscription = mpsc::Receiver<BusEvent>;

/// A room bus shared by the nodes of one deployment.
#[async_trait]
pub trait RoomBus: Send + Sync + 'static {
    /// Sends a message to every node subscribed to the room (this one included).
    async fn publish(&self, room: &RoomId, message: BusMessage) -> Result<(), BusError>;
    /// Starts receiving the room's messages. Implementations keep the subscription alive across
    /// disconnects and report each (re)subscription with [`BusEvent::Subscribed`].
    async fn subscribe(&self, room: &RoomId) -> Result<BusSubscription, BusError>;
}

/// The bus of a deployment with several nodes; none for a single node.
pub type SharedBus = Arc<dyn RoomBus>;

impl BusMessage {
    /// Wire form on the bus: `string(node) varUint(kind) [bytes(update)]`, lib0 encoding;
    /// kind 0 = changes, 1 = query, 2 = session (followed by `string(event)`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.write_string(&self.node);
        match &self.kind {
            BusMessageKind::Changes(update) => {
                out.write_var(0u8);
                out.write_buf(update);
            }
            BusMessageKind::Query => out.write_var(1u8),
            BusMessageKind::Session(event) => {
                out.write_var(2u8);
                out.write_string(event);
            }
        }
        out
    }

    /// Reads the wire form; another deployment's garbage on the channel is an error, not a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self, BusError> {
        let corrupt = |e: read::Error| BusError::Unreadable(e.to_string());
        let mut cursor = Cursor::new(bytes);
        let node = cursor.read_string().map_err(corrupt)?.to_owned();
        let kind = match cursor.read_var::<u8>().map_err(corrupt)? {
            0 => {
                BusMessageKind::Changes(Bytes::copy_from_slice(cursor.read_buf().map_err(corrupt)?))
            }
            1 => BusMessageKind::Query,
            2 => BusMessageKind::Session(cursor.read_string().map_err(corrupt)?.to_owned()),
            other => return Err(BusError::Unreadable(format!("message kind {other}"))),
        };
        Ok(BusMessage { node, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_messages_round_trip_and_garbage_is_an_error() {
        for kind in [
            BusMessageKind::Changes(Bytes::from_static(&[1, 2, 3])),
            BusMessageKind::Query,
            BusMessageKind::Session("locked".into()),
        ] {
            let message = BusMessage {
                node: "node-a".into(),
                kind,
            };
            assert_eq!(BusMessage::decode(&message.encode()).unwrap(), message);
        }
        assert!(BusMessage::decode(&[5, b'a']).is_err());
        assert!(BusMessage::decode(&[1, b'a', 9]).is_err());
    }
}
