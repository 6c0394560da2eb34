//! The follower: a task per room that reads the room's log as it grows and hands every new
//! record to the room. Every update reaches the document this way, whichever node accepted it,
//! so all nodes apply the same log in the same order.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::handle::Command;
use crate::retry::Backoff;
use crate::room_id::RoomId;
use crate::storage::{Seq, SharedStorage, StorageError};

/// Records handed to the room at once: bounds the room's work per step.
const FOLLOW_BATCH: usize = 1000;
/// How long one follow call waits for new records before asking again.
const FOLLOW_WAIT: Duration = Duration::from_secs(5);

/// Follows `room`'s log from `after` until `stop` is cancelled or the room is gone.
pub fn spawn(
    storage: SharedStorage,
    room: RoomId,
    mut after: Seq,
    tx: mpsc::Sender<Command>,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        let mut backoff = Backoff::default();
        loop {
            let read = tokio::select! {
                _ = stop.cancelled() => return,
                read = storage.follow(&room, after, FOLLOW_BATCH, FOLLOW_WAIT) => read,
            };
            match read {
                Ok(records) => {
                    backoff.reset();
                    let Some(last) = records.last().map(|r| r.seq) else {
                        continue;
                    };
                    after = last;
                    if tx.send(Command::Logged(records)).await.is_err() {
                        return;
                    }
                }
                Err(StorageError::Corrupt(detail)) => {
                    // Retrying cannot help, and skipping would silently drop an update.
                    let _ = tx.send(Command::LogUnreadable(detail)).await;
                    return;
                }
                Err(e) => {
                    let wait = backoff.next_wait();
                    warn!(room = %room, after, error = %e, retry_in = ?wait, "reading the update log failed");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    });
}
