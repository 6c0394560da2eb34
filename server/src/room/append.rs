//! The room's way into the update log: updates queue while one append is in flight (group
//! commit), a failed append is retried with backoff, and the queue is bounded so that an
//! outage never turns into unbounded memory or a silent loss.

use bytes::Bytes;
use std::sync::atomic::Ordering;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::RoomContext;
use crate::metrics::SharedMetrics;
use crate::retry::Backoff;
use crate::room_id::RoomId;
use crate::storage::{NewRecord, Origin, Seq, SharedStorage, StorageError};

/// Bytes of updates a room holds for the log (queued and in flight) before it refuses more.
/// Generous for an outage of a minute in a busy workshop, small enough for many rooms a node.
pub const PENDING_LIMIT_BYTES: usize = 32 * 1024 * 1024;

/// An update waiting for the log.
pub struct PendingUpdate {
    pub conn: u64,
    /// The sender's participant id, for the log (`None` in open rooms).
    pub participant: Option<String>,
    /// Position of this update among the update messages its connection sent (1 = first).
    pub ordinal: u64,
    pub at_ms: u64,
    pub bytes: Bytes,
}

/// What became of an append.
pub enum AppendEvent {
    /// The batch is durably in the log; `last` is the sequence number of its last record, and
    /// `floor` the log position the room had applied when the append started: every new
    /// record must come after it.
    Stored {
        batch: Vec<PendingUpdate>,
        last: Seq,
        floor: Seq,
    },
    /// The append failed; the batch is queued again and will be retried.
    Failed { error: StorageError, pending: usize },
    /// A retry is due: call [`AppendQueue::start`].
    RetryDue,
}

/// The queue would grow past [`PENDING_LIMIT_BYTES`].
#[derive(Debug)]
pub struct QueueFull;

/// The append under way: its updates, the room's applied position when it started, and the
/// task doing it.
type InFlight = (
    Vec<PendingUpdate>,
    Seq,
    JoinHandle<Result<Seq, StorageError>>,
);

/// Updates on their way into a room's log.
pub struct AppendQueue {
    room: RoomId,
    node: String,
    storage: SharedStorage,
    metrics: SharedMetrics,
    queued: Vec<PendingUpdate>,
    in_flight: Option<InFlight>,
    /// Bytes queued plus in flight.
    pending_bytes: usize,
    retry_at: Option<Instant>,
    backoff: Backoff,
}

impl Drop for AppendQueue {
    /// A room that goes away with updates still pending (it failed) takes them off the gauge.
    fn drop(&mut self) {
        self.metrics
            .pending_bytes
            .fetch_sub(self.pending_bytes as i64, Ordering::Relaxed);
    }
}

impl AppendQueue {
    pub fn new(room: RoomId, context: &RoomContext) -> Self {
        AppendQueue {
            room,
            node: context.node.to_string(),
            storage: context.storage.clone(),
            metrics: context.metrics.clone(),
            queued: Vec::new(),
            in_flight: None,
            pending_bytes: 0,
            retry_at: None,
            backoff: Backoff::default(),
        }
    }

    /// Queues an update and starts an append unless one is in flight or a retry is pending.
    /// `applied` is the room's log position now.
    pub fn push(&mut self, update: PendingUpdate, applied: Seq) -> Result<(), QueueFull> {
        if self.pending_bytes + update.bytes.len() > PENDING_LIMIT_BYTES {
            return Err(QueueFull);
        }
        self.pending_bytes += update.bytes.len();
        self.metrics
            .pending_bytes
            .fetch_add(update.bytes.len() as i64, Ordering::Relaxed);
        self.queued.push(update);
        self.start(applied);
        Ok(())
    }

    /// Whether nothing is waiting for the log.
    pub fn is_idle(&self) -> bool {
        self.queued.is_empty() && self.in_flight.is_none()
    }

    /// Updates not yet durable.
    pub fn pending(&self) -> usize {
        self.queued.len()
            + self
                .in_flight
                .as_ref()
                .map_or(0, |(batch, _, _)| batch.len())
    }

    /// Sends everything queued to the log in one append, if the log is free. `applied` is the
    /// room's log position now.
    pub fn start(&mut self, applied: Seq) {
        if self.in_flight.is_some() || self.retry_at.is_some() || self.queued.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.queued);
        let records = batch
            .iter()
            .map(|p| NewRecord {
                at_ms: p.at_ms,
                origin: Origin {
                    node: self.node.clone(),
                    connection: p.conn,
                    participant: p.participant.clone(),
                },
                update: p.bytes.clone(),
            })
            .collect();
        let (storage, room) = (self.storage.clone(), self.room.clone());
        let metrics = self.metrics.clone();
        let append = tokio::spawn(async move {
            let started = Instant::now();
            let appended = storage.append(&room, records).await;
            metrics.append_latency.observe(started.elapsed());
            if appended.is_err() {
                metrics.append_errors.fetch_add(1, Ordering::Relaxed);
            }
            appended
        });
        self.in_flight = Some((batch, applied, append));
    }

    /// Resolves when the in-flight append finishes or a retry is due; never while idle.
    pub async fn next_event(&mut self) -> AppendEvent {
        if let Some((_, _, append)) = &mut self.in_flight {
            let result = append.await.map_err(StorageError::from).and_then(|r| r);
            let Some((batch, floor, _)) = self.in_flight.take() else {
                unreachable!("checked above")
            };
            return match result {
                Ok(last) => {
                    self.backoff.reset();
                    let stored = batch.iter().map(|p| p.bytes.len()).sum::<usize>();
                    self.pending_bytes -= stored;
                    self.metrics
                        .pending_bytes
                        .fetch_sub(stored as i64, Ordering::Relaxed);
                    AppendEvent::Stored { batch, last, floor }
                }
                Err(error) => {
                    // Retried first, in order, ahead of what arrived meanwhile. Should the
                    // failed append have reached the log after all, the retry stores those
                    // updates twice; applying a Yjs update twice changes nothing.
                    let mut retry = batch;
                    retry.append(&mut self.queued);
                    self.queued = retry;
                    self.retry_at = Some(Instant::now() + self.backoff.next_wait());
                    AppendEvent::Failed {
                        error,
                        pending: self.queued.len(),
                    }
                }
            };
        }
        match self.retry_at {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                self.retry_at = None;
                AppendEvent::RetryDue
            }
            None => std::future::pending().await,
        }
    }
}
