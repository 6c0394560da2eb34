//! Room id -> running room. A room starts (and loads from storage) on its first join and
//! removes itself once its last member has left and everything is stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::task::TaskTracker;
use tracing::warn;

use crate::outbox::Outbox;
use crate::room::{self, JoinError, Joined, Registrar, Registration, RoomContext, RoomHandle};
use crate::room_id::RoomId;
use crate::session::{drafts, Identity, Session};

/// Joins retried against rooms that were unloading at that moment before giving up. Each
/// retry finds the old room gone, so more than a couple means something is wrong.
const JOIN_ATTEMPTS: usize = 8;

/// The rooms loaded on this node.
pub struct Registry {
    /// Running rooms by id, with the generation that tells a room apart from its successor.
    rooms: Mutex<HashMap<RoomId, (u64, RoomHandle)>>,
    next_generation: AtomicU64,
    context: RoomContext,
    /// Room tasks, awaited on shutdown so that every room stores its final checkpoint.
    tasks: TaskTracker,
}

/// A join that did not reach a room.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Join(#[from] JoinError),
    #[error("room kept closing while joining")]
    Busy,
}

impl Registry {
    pub fn new(context: RoomContext, tasks: TaskTracker) -> Arc<Self> {
        Arc::new(Registry {
            rooms: Mutex::default(),
            next_generation: AtomicU64::new(1),
            context,
            tasks,
        })
    }

    /// Joins a room, starting it if it is not loaded. Returns once the room is loaded and has
    /// queued its sync step 1 (and presence) into `outbox`.
    pub async fn join(
        self: &Arc<Self>,
        id: &RoomId,
        conn: u64,
        outbox: Outbox,
        identity: Option<Identity>,
    ) -> Result<RoomHandle, RegistryError> {
        for _ in 0..JOIN_ATTEMPTS {
            let handle = self.room(id);
            if handle.join(conn, outbox.clone(), identity.clone()).await? == Joined::Member {
                return Ok(handle);
            }
        }
        warn!(room = %id, conn, "room kept closing while joining");
        Err(RegistryError::Busy)
    }

    /// Tells the room of a session and its participants' draft rooms, those loaded on this
    /// node, that the session changed; returns once their members follow the new state.
    pub async fn session_changed(&self, id: &RoomId, session: Arc<Session>, event: &str) {
        let handles: Vec<RoomHandle> = self
            .lock()
            .iter()
            .filter(|(room, _)| drafts::session_of(room.as_str()) == id.as_str())
            .map(|(_, (_, handle))| handle.clone())
            .collect();
        for handle in handles {
            handle.session_changed(session.clone(), event).await;
        }
    }

    /// Rooms currently loaded.
    pub fn loaded(&self) -> usize {
        self.lock().len()
    }

    fn room(self: &Arc<Self>, id: &RoomId) -> RoomHandle {
        let mut rooms = self.lock();
        if let Some((_, handle)) = rooms.get(id) {
            return handle.clone();
        }
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let registration = Registration::new(self.clone(), id.clone(), generation);
        let (handle, task) = room::spawn(id.clone(), self.context.clone(), registration);
        self.tasks.spawn(task);
        rooms.insert(id.clone(), (generation, handle.clone()));
        handle
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RoomId, (u64, RoomHandle)>> {
        // The map is only ever left consistent (single inserts/removes), so a poisoned lock
        // is still safe to use.
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Registrar for Registry {
    /// Removes a room that is unloading, unless a newer room already took its place.
    fn unregister(&self, id: &RoomId, generation: u64) {
        let mut rooms = self.lock();
        if rooms.get(id).is_some_and(|(g, _)| *g == generation) {
            rooms.remove(id);
        }
    }
}
