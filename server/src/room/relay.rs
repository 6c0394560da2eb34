//! What a room exchanges with the same room on other nodes over the bus: its members'
//! presence, and word that the session changed.

use std::sync::Arc;

use bytes::Bytes;
use cocreate_protocol::{AwarenessUpdate, Message};
use tracing::{debug, error, warn};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

use super::frames::encode;
use super::handle::Command;
use super::{Room, RoomContext};
use crate::bus::{BusEvent, BusMessage, BusMessageKind, BusSubscription};
use crate::room_id::RoomId;
use crate::session::drafts;
use crate::session::store::SessionStore;

/// Subscribes to the room on the bus, if there is one. Without a bus, or if it
/// refuses, the room still works: presence then stays on this node. A draft room follows its
/// session's channel, for the session's changes only: its owner's presence stays on the node.
pub(super) async fn subscribe_bus(id: &RoomId, context: &RoomContext) -> Option<BusSubscription> {
    let channel = match drafts::drafts_owner(id.as_str()) {
        Some((session, _)) => RoomId::parse(session).ok()?,
        None => id.clone(),
    };
    match context.bus.as_ref()?.subscribe(&channel).await {
        Ok(subscription) => Some(subscription),
        Err(e) => {
            warn!(room = %id, error = %e, "room bus unavailable; presence stays on this node");
            None
        }
    }
}

/// The next event from the room bus; never, without a subscription.
pub(super) async fn next_bus_event(subscription: &mut Option<BusSubscription>) -> Option<BusEvent> {
    match subscription {
        Some(subscription) => subscription.recv().await,
        None => std::future::pending().await,
    }
}

impl Room {
    /// Sends the presence changes of the last tick to every member as one message, and those
    /// of this node's members to the other nodes.
    pub(super) fn broadcast_presence(&mut self) {
        match self.presence.take_changes(&self.awareness) {
            Ok(changes) => {
                let frame = encode(&Message::Awareness(changes.all));
                for member in self.members.values() {
                    member.outbox.send(frame.clone());
                }
                if let Some(local) = changes.local {
                    self.publish_presence(BusMessageKind::Changes(Bytes::from(local.encode_v1())));
                }
            }
            Err(e) => error!(room = %self.id, error = %e, "could not encode awareness"),
        }
    }

    /// Handles what another node published.
    pub(super) fn bus_message(&mut self, message: BusMessage) {
        if *message.node == *self.context.node {
            return;
        }
        match message.kind {
            BusMessageKind::Session(event) => self.reread_session(event),
            _ if self.is_drafts() => {}
            kind => self.remote_presence(kind, &message.node),
        }
    }

    /// Rereads the session from storage in the background, after another node changed it.
    fn reread_session(&self, event: String) {
        let commands = self.commands.clone();
        let (store, id) = (
            SessionStore::new(self.context.storage.clone()),
            self.id.clone(),
        );
        tokio::spawn(async move {
            match store.get(drafts::session_of(id.as_str())).await {
                Ok(Some(session)) => {
                    if let Some(commands) = commands.upgrade() {
                        let session = Arc::new(session);
                        let command = Command::Session {
                            session,
                            event,
                            reply: None,
                        };
                        let _ = commands.send(command).await;
                    }
                }
                Ok(None) => {}
                Err(e) => warn!(room = %id, error = %e, "could not reread the changed session"),
            }
        });
    }

    /// Whether this is a participant's draft room (`session/drafts.rs`).
    fn is_drafts(&self) -> bool {
        drafts::drafts_owner(self.id.as_str()).is_some()
    }

    /// Handles presence another node published.
    fn remote_presence(&mut self, kind: BusMessageKind, node: &str) {
        match kind {
            BusMessageKind::Changes(bytes) => {
                let applied = AwarenessUpdate::decode_v1(&bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|update| {
                        self.presence
                            .apply_remote(&mut self.awareness, update)
                            .map_err(|e| e.to_string())
                    });
                if let Err(e) = applied {
                    warn!(room = %self.id, node, error = %e, "presence from another node refused");
                }
            }
            BusMessageKind::Query => match self.presence.local_states(&self.awareness) {
                Ok(states) if !states.clients.is_empty() => {
                    self.publish_presence(BusMessageKind::Changes(Bytes::from(states.encode_v1())));
                }
                Ok(_) => {}
                Err(e) => error!(room = %self.id, error = %e, "could not encode awareness"),
            },
            BusMessageKind::Session(_) => {}
        }
    }

    /// Publishes on the bus in the background; presence is best effort.
    pub(super) fn publish_presence(&self, kind: BusMessageKind) {
        let Some(bus) = self.context.bus.clone().filter(|_| !self.is_drafts()) else {
            return;
        };
        let message = BusMessage {
            node: self.context.node.to_string(),
            kind,
        };
        let id = self.id.clone();
        tokio::spawn(async move {
            if let Err(e) = bus.publish(&id, message).await {
                debug!(room = %id, error = %e, "presence not published");
            }
        });
    }
}
