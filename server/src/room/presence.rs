//! Presence (awareness) of a room: who owns which awareness client, the changes gathered for
//! the next merged broadcast, and the states other nodes relay over the room bus.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;
use yrs::sync::awareness;
use yrs::sync::{Awareness, AwarenessUpdate};
use yrs::ClientID;

/// How long presence changes gather before they go out as one merged message. Cursor
/// traffic grows with viewers × movers; merging per tick keeps it to one frame per member.
pub const AWARENESS_TICK: Duration = Duration::from_millis(50);

/// A state relayed from another node that is not renewed for this long is dropped, as Yjs
/// clients drop one after 30 s: it belonged to a node that died with its connections.
pub const REMOTE_STATE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most awareness clients one connection may set states for over its life. A browser tab
/// owns one awareness client; a few more allow for tabs sharing a connection. More is one
/// connection pushing states on behalf of many, each relayed to every member (an observer
/// pushed 200 states, 1.6 MB, in one message).
pub const MAX_AWARENESS_CLIENTS: usize = 8;

/// Who set which awareness client's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// A connection of this node; its states are removed for everyone when it leaves.
    Local(u64),
    /// A connection of another node, relayed over the room bus.
    Remote,
}

/// The changes of one tick.
pub struct Changes {
    /// Everything that changed, for this node's members.
    pub all: AwarenessUpdate,
    /// What this node's own members changed, for the other nodes; `None` if nothing.
    pub local: Option<AwarenessUpdate>,
}

/// The room's bookkeeping around yrs's `Awareness`.
#[derive(Default)]
pub struct Presence {
    /// The owner of each known client. A Yjs client that reconnects keeps its client id, so
    /// only the newest connection owns it.
    owners: HashMap<ClientID, Owner>,
    /// Clients changed since the last broadcast, those changed by local members, and when the
    /// next broadcast is due.
    changed: HashSet<ClientID>,
    changed_locally: HashSet<ClientID>,
    due: Option<Instant>,
    /// The clients each local connection has set a state for, over its life. Only states yrs
    /// accepts count: a Yjs client echoes every state it receives (stale by then), and sends
    /// removals (`null`) for peers it timed out.
    claims: HashMap<u64, HashSet<ClientID>>,
}

impl Presence {
    /// Applies a local member's awareness update.
    pub fn apply_local(
        &mut self,
        awareness: &mut Awareness,
        conn: u64,
        update: AwarenessUpdate,
    ) -> Result<(), awareness::Error> {
        self.apply(awareness, Owner::Local(conn), update)
    }

    /// How many clients `conn` would have set a state for if `update` were applied, when
    /// that is more than [`MAX_AWARENESS_CLIENTS`]: the update is then refused whole.
    pub fn overclaimed(
        &self,
        awareness: &Awareness,
        conn: u64,
        update: &AwarenessUpdate,
    ) -> Option<usize> {
        let claimed = self.claims.get(&conn);
        let new = update
            .clients
            .iter()
            .filter(|(client, entry)| {
                // yrs's rule: a state is taken when it is newer than the one known.
                &*entry.json != "null"
                    && awareness
                        .meta(**client)
                        .is_none_or(|(clock, _)| clock < entry.clock)
                    && !claimed.is_some_and(|claimed| claimed.contains(*client))
            })
            .count();
        let count = claimed.map_or(0, HashSet::len) + new;
        (count > MAX_AWARENESS_CLIENTS).then_some(count)
    }

    /// Applies an update relayed from another node.
    pub fn apply_remote(
        &mut self,
        awareness: &mut Awareness,
        update: AwarenessUpdate,
    ) -> Result<(), awareness::Error> {
        self.apply(awareness, Owner::Remote, update)
    }

    fn apply(
        &mut self,
        awareness: &mut Awareness,
        owner: Owner,
        update: AwarenessUpdate,
    ) -> Result<(), awareness::Error> {
        let Some(summary) = awareness.apply_update_summary(update)? else {
            return Ok(());
        };
        // Only entries yrs accepted change hands; stale ones are ignored, as yrs ignored them.
        for &client in summary.added.iter().chain(&summary.updated) {
            self.owners.insert(client, owner);
            if let Owner::Local(conn) = owner {
                self.claims.entry(conn).or_default().insert(client);
            }
        }
        for client in &summary.removed {
            self.owners.remove(client);
        }
        let changed = summary.all_changes();
        if matches!(owner, Owner::Local(_)) {
            self.changed_locally.extend(changed.iter().copied());
        }
        self.mark(changed);
        Ok(())
    }

    /// The local connection that owns a client's state, if one does.
    pub fn local_owner(&self, client: ClientID) -> Option<u64> {
        match self.owners.get(&client) {
            Some(Owner::Local(conn)) => Some(*conn),
            _ => None,
        }
    }

    /// Removes the states a local connection owns, for everyone.
    pub fn remove_connection(&mut self, awareness: &mut Awareness, conn: u64) {
        self.claims.remove(&conn);
        let owned = self.owned_by(|owner| owner == Owner::Local(conn));
        for client in &owned {
            self.owners.remove(client);
            awareness.remove_state(*client);
        }
        self.changed_locally.extend(owned.iter().copied());
        self.mark(owned);
    }

    /// Drops relayed states that were not renewed in time.
    pub fn expire_remote(&mut self, awareness: &mut Awareness) {
        let now = awareness_now();
        let timeout = REMOTE_STATE_TIMEOUT.as_millis() as u64;
        let expired: Vec<ClientID> = self
            .owned_by(|owner| owner == Owner::Remote)
            .into_iter()
            .filter(|client| {
                awareness
                    .meta(*client)
                    .is_some_and(|(_, updated)| now.saturating_sub(updated) > timeout)
            })
            .collect();
        for client in &expired {
            self.owners.remove(client);
            awareness.remove_state(*client);
        }
        self.mark(expired);
    }

    /// The states of this node's own members, for a node that asked.
    pub fn local_states(&self, awareness: &Awareness) -> Result<AwarenessUpdate, awareness::Error> {
        awareness.update_with_clients(self.owned_by(|owner| matches!(owner, Owner::Local(_))))
    }

    /// When the next broadcast is due, if anything changed.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The merged changes since the last broadcast.
    pub fn take_changes(&mut self, awareness: &Awareness) -> Result<Changes, awareness::Error> {
        self.due = None;
        let all = awareness.update_with_clients(std::mem::take(&mut self.changed))?;
        let local = std::mem::take(&mut self.changed_locally);
        let local = if local.is_empty() {
            None
        } else {
            Some(awareness.update_with_clients(local)?)
        };
        Ok(Changes { all, local })
    }

    fn owned_by(&self, wanted: impl Fn(Owner) -> bool) -> Vec<ClientID> {
        self.owners
            .iter()
            .filter(|(_, owner)| wanted(**owner))
            .map(|(client, _)| *client)
            .collect()
    }

    fn mark(&mut self, clients: impl IntoIterator<Item = ClientID>) {
        self.changed.extend(clients);
        if !self.changed.is_empty() && self.due.is_none() {
            self.due = Some(Instant::now() + AWARENESS_TICK);
        }
    }
}

/// The clock yrs's `Awareness` stamps states with: milliseconds since the Unix epoch.
fn awareness_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
