//! A room task's entry in the registry, seen from the room: the room only needs to make
//! itself unfindable, so it holds a [`Registrar`] rather than the registry that starts it.

use std::sync::Arc;

use crate::room_id::RoomId;

/// Where rooms are found by id (the registry). A trait so that room/ does not import the
/// registry, which imports room/ to start rooms.
pub(crate) trait Registrar: Send + Sync {
    /// Forgets room `id` of `generation`, unless a newer room already took its place.
    fn unregister(&self, id: &RoomId, generation: u64);
}

/// A room task's entry in the registry. Released when the room stops taking joins (unloading
/// or failed) and, at the latest, when the task ends, even by a panic: a dead room must never
/// stay findable, or every later join would knock on it.
pub(crate) struct Registration {
    registrar: Arc<dyn Registrar>,
    id: RoomId,
    generation: u64,
}

impl Registration {
    pub(crate) fn new(registrar: Arc<dyn Registrar>, id: RoomId, generation: u64) -> Self {
        Registration {
            registrar,
            id,
            generation,
        }
    }

    /// Makes the room unfindable; the next join starts a fresh room. Idempotent.
    pub(crate) fn release(&self) {
        self.registrar.unregister(&self.id, self.generation);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.release();
    }
}
