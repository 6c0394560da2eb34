//! Presence (awareness) of a room's members: who owns which awareness client, and the changes
//! gathered for the next merged broadcast.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;
use yrs::sync::awareness;
use yrs::sync::{Awareness, AwarenessUpdate};
use yrs::ClientID;

/// How long presence changes gather before they go out as one merged message. Cursor
/// traffic grows with viewers × movers; merging per tick keeps it to one frame per member.
pub const AWARENESS_TICK: Duration = Duration::from_millis(50);

/// The room's bookkeeping around yrs's `Awareness`.
#[derive(Default)]
pub struct Presence {
    /// Which connection last set each awareness client's state; its states are removed for
    /// everyone when it leaves. A Yjs client that reconnects keeps its client id, so only the
    /// newest connection owns it.
    owners: HashMap<ClientID, u64>,
    /// Clients changed since the last broadcast, and when the next one is due.
    changed: HashSet<ClientID>,
    due: Option<Instant>,
}

impl Presence {
    /// Applies a member's awareness update.
    pub fn apply(
        &mut self,
        awareness: &mut Awareness,
        conn: u64,
        update: AwarenessUpdate,
    ) -> Result<(), awareness::Error> {
        let Some(summary) = awareness.apply_update_summary(update)? else {
            return Ok(());
        };
        // Only entries yrs accepted change hands; stale ones are ignored, as yrs ignored them.
        for &client in summary.added.iter().chain(&summary.updated) {
            self.owners.insert(client, conn);
        }
        for client in &summary.removed {
            self.owners.remove(client);
        }
        self.mark(summary.all_changes());
        Ok(())
    }

    /// Removes the states a connection owns, for everyone.
    pub fn remove_connection(&mut self, awareness: &mut Awareness, conn: u64) {
        let owned: Vec<ClientID> = self
            .owners
            .iter()
            .filter(|(_, owner)| **owner == conn)
            .map(|(client, _)| *client)
            .collect();
        for client in &owned {
            self.owners.remove(client);
            awareness.remove_state(*client);
        }
        self.mark(owned);
    }

    /// When the next broadcast is due, if anything changed.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The merged update of everything changed since the last broadcast.
    pub fn take_changes(
        &mut self,
        awareness: &Awareness,
    ) -> Result<AwarenessUpdate, awareness::Error> {
        self.due = None;
        awareness.update_with_clients(std::mem::take(&mut self.changed))
    }

    fn mark(&mut self, clients: impl IntoIterator<Item = ClientID>) {
        self.changed.extend(clients);
        if !self.changed.is_empty() && self.due.is_none() {
            self.due = Some(Instant::now() + AWARENESS_TICK);
        }
    }
}
