//! Telling the rooms that a session changed: every endpoint that changes a session's state,
//! settings or participants (sessions and moderation alike) announces it the same way.

use std::sync::Arc;

use super::room_of;
use crate::bus::{BusMessage, BusMessageKind};
use crate::session::Session;
use crate::state::AppState;

impl AppState {
    /// Tells the session's room on this node (waiting until its members follow) and the
    /// other nodes (over the bus) that the session changed.
    pub(crate) async fn announce(&self, session: &Arc<Session>, event: &str) {
        let Ok(room) = room_of(&session.id) else {
            return;
        };
        self.registry
            .session_changed(&room, session.clone(), event)
            .await;
        if let Some(bus) = &self.bus {
            let message = BusMessage {
                node: self.node.to_string(),
                kind: BusMessageKind::Session(event.to_owned()),
            };
            if let Err(e) = bus.publish(&room, message).await {
                tracing::warn!(session = %session.id, error = %e, "session change not published to the other nodes");
            }
        }
    }
}
