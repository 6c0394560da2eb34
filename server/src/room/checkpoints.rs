//! Checkpoints: a room encodes its whole document now and then so that a load replays only
//! the log after it; each checkpoint is also a keyframe of the room's history.

use bytes::Bytes;
use cocreate_board::encode_state;
use tracing::{debug, info, warn};
use yrs::StateVector;

use super::authorship::{NEWEST, SAVED_OWNERS};
use super::Room;
use crate::storage::{Checkpoint, KeyframeAt};

/// When a room writes a checkpoint: after this many log records or bytes since the last one,
/// whichever comes first. A checkpoint bounds what a load replays; writing one costs encoding
/// the whole document.
#[derive(Clone, Copy, Debug)]
pub struct CheckpointPolicy {
    pub every_records: u64,
    pub every_bytes: u64,
}

impl Room {
    /// Writes a checkpoint in the background once enough has been logged since the last one.
    pub(super) fn maybe_checkpoint(&mut self) {
        let since = self.applied - self.checkpointed;
        let policy = self.context.checkpoints;
        let due =
            since >= policy.every_records || self.bytes_since_checkpoint >= policy.every_bytes;
        if !due
            || self
                .checkpoint_in_flight
                .as_ref()
                .is_some_and(|task| !task.is_finished())
        {
            return;
        }
        if let Some(save) = self.checkpoint() {
            self.checkpoint_in_flight = Some(tokio::spawn(save));
        }
    }

    /// Encodes a checkpoint of the current document and returns the work that stores it, as
    /// the room's newest checkpoint and as a keyframe of its history. `None` when the document
    /// no longer encodes: the room then reloads instead.
    fn checkpoint(&mut self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let state = match encode_state(self.awareness.doc(), &StateVector::default()) {
            Ok(state) => Bytes::from(state),
            Err(e) => {
                self.unencodable(e);
                return None;
            }
        };
        self.document_bytes = state.len() as u64;
        let checkpoint = Checkpoint {
            covers: self.applied,
            state,
        };
        self.checkpointed = self.applied;
        self.bytes_since_checkpoint = 0;
        let keyframe = self.applied_at.map(|at_ms| KeyframeAt {
            covers: self.applied,
            at_ms,
        });
        // A session room's load rebuilds who owns which client id: from here on, not from the
        // log's beginning.
        let owners = self
            .session
            .is_some()
            .then(|| self.owners.saved(self.applied));
        let (storage, id) = (self.context.storage.clone(), self.id.clone());
        Some(async move {
            let covers = checkpoint.covers;
            let state = checkpoint.state.clone();
            match storage.save_checkpoint(&id, checkpoint).await {
                Ok(()) => debug!(room = %id, covers, "checkpoint saved"),
                // The log still holds everything; loading just replays more of it.
                Err(e) => warn!(room = %id, covers, error = %e, "checkpoint failed"),
            }
            if let Some(owners) = owners {
                if let Err(e) = SAVED_OWNERS
                    .put(storage.as_ref(), id.as_str(), NEWEST, &owners)
                    .await
                {
                    // Loads read more of the log for ownership until the next checkpoint.
                    warn!(room = %id, covers, error = %e, "client ids not saved");
                }
            }
            if let Some(keyframe) = keyframe {
                if let Err(e) = storage.save_keyframe(&id, keyframe, state).await {
                    // History seeks start from an earlier keyframe (and write this one).
                    warn!(room = %id, covers, error = %e, "keyframe failed");
                }
            }
        })
    }

    /// Stores a final checkpoint so that the next load is fast, then lets the room go.
    pub(super) async fn unload(mut self) {
        if let Some(task) = self.checkpoint_in_flight.take() {
            let _ = task.await;
        }
        if self.applied > self.checkpointed && !self.failed {
            if let Some(save) = self.checkpoint() {
                save.await;
            }
        }
        info!(room = %self.id, seq = self.applied, "room unloaded");
    }
}
