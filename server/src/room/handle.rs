//! The room's actor handle: the commands a room task serves and [`RoomHandle`], the only way
//! connections and the registry reach a room.

use std::sync::Arc;

use bytes::Bytes;
use cocreate_protocol::AwarenessUpdate;
use tokio::sync::{mpsc, oneshot};
use yrs::{StateVector, Update};

use super::registration::Registration;
use super::{run, RoomContext};
use crate::outbox::Outbox;
use crate::room_id::RoomId;
use crate::session::{Identity, Session};
use crate::storage::{LogRecord, StorageError};

/// Commands waiting for a room before senders feel backpressure.
const COMMAND_CAPACITY: usize = 1024;

/// What a member sends its room.
#[derive(Debug)]
pub enum Inbound {
    /// Sync step 1: the member's state vector; answered with step 2.
    SyncStep1(StateVector),
    /// An update, already decoded; whether it applies is known only once it is applied.
    /// `step2` marks a sync step 2, which often repeats what the room has (on reconnects).
    Update {
        update: Update,
        bytes: Bytes,
        step2: bool,
    },
    /// Presence of the member's clients.
    Awareness(AwarenessUpdate),
    /// A request for every current presence state.
    QueryAwareness,
}

/// Why a join failed for good (a dropped reply instead means "room closing, try again").
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("room could not be loaded: {0}")]
    Load(Arc<StorageError>),
}

pub(super) enum Command {
    Join {
        conn: u64,
        outbox: Outbox,
        /// Who the connection's token names; `None` in an open room.
        identity: Option<Identity>,
        reply: oneshot::Sender<Result<(), JoinError>>,
    },
    Leave {
        conn: u64,
    },
    Inbound {
        conn: u64,
        message: Inbound,
    },
    /// New log records, in order, from the follower.
    Logged(Vec<LogRecord>),
    /// The follower met a record it cannot read; it has stopped.
    LogUnreadable(String),
    /// The room's session changed (`event` names how, for clients); `reply` once every
    /// member's access follows the new state.
    Session {
        session: Arc<Session>,
        event: String,
        reply: Option<oneshot::Sender<()>>,
    },
}

/// A connection's way into a room task.
#[derive(Clone, Debug)]
pub struct RoomHandle {
    tx: mpsc::Sender<Command>,
}

/// What became of a join that did not fail.
#[derive(Debug, PartialEq, Eq)]
pub enum Joined {
    /// The connection is a member and its initial sync messages are queued.
    Member,
    /// The room was unloading: join again through the registry, which loads a fresh room.
    RoomUnloading,
}

/// The room task is gone; the caller should join again.
#[derive(Debug, thiserror::Error)]
#[error("room closed")]
pub struct RoomClosed;

impl RoomHandle {
    /// Joins the room.
    pub async fn join(
        &self,
        conn: u64,
        outbox: Outbox,
        identity: Option<Identity>,
    ) -> Result<Joined, JoinError> {
        let (reply, answer) = oneshot::channel();
        if self
            .tx
            .send(Command::Join {
                conn,
                outbox,
                identity,
                reply,
            })
            .await
            .is_err()
        {
            return Ok(Joined::RoomUnloading);
        }
        match answer.await {
            Ok(result) => result.map(|()| Joined::Member),
            Err(_) => Ok(Joined::RoomUnloading),
        }
    }

    /// Hands a member's message to the room, waiting if the room is busy.
    pub async fn send(&self, conn: u64, message: Inbound) -> Result<(), RoomClosed> {
        self.tx
            .send(Command::Inbound { conn, message })
            .await
            .map_err(|_| RoomClosed)
    }

    /// Tells the room its session changed; returns once its members' access follows it.
    pub async fn session_changed(&self, session: Arc<Session>, event: &str) {
        let (reply, done) = oneshot::channel();
        let command = Command::Session {
            session,
            event: event.to_owned(),
            reply: Some(reply),
        };
        if self.tx.send(command).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Leaves the room; sent once per joined connection when it ends (see `ws::Membership`).
    pub async fn leave(&self, conn: u64) {
        let _ = self.tx.send(Command::Leave { conn }).await;
    }
}

/// Starts a room task that loads the room from storage and then serves joins.
pub(crate) fn spawn(
    id: RoomId,
    context: RoomContext,
    registration: Registration,
) -> (RoomHandle, impl std::future::Future<Output = ()>) {
    let (tx, rx) = mpsc::channel(COMMAND_CAPACITY);
    (
        RoomHandle { tx: tx.clone() },
        run(id, context, registration, tx, rx),
    )
}
