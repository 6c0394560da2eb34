//! The way into one connection's socket: a bounded queue of encoded frames, and a close
//! signal that carries the close code and reason.
//!
//! Rooms hold an `Outbox` per member and never wait on it: a member whose queue is full is
//! closed (it resyncs on reconnect) instead of stalling the room or silently missing updates.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use cocreate_protocol::close;

use crate::close_reason::ReasonCode;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Frames queued for one connection before it counts as too slow. At typical update sizes
/// (tens of bytes to a few KiB) this is a few seconds of a busy room.
pub const OUTBOX_CAPACITY: usize = 1024;

/// Why a connection is being closed: sent to the client in the close frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

/// Asks a connection to close. The first reason given wins; once the server is shutting down
/// the reason is always 1001 "server shutting down", so clients reconnect elsewhere.
#[derive(Clone, Debug)]
pub struct CloseSignal {
    shutdown: CancellationToken,
    token: CancellationToken,
    reason: Arc<OnceLock<CloseReason>>,
}

impl CloseSignal {
    /// A signal that also fires when `shutdown` is cancelled.
    pub fn new(shutdown: &CancellationToken) -> Self {
        CloseSignal {
            shutdown: shutdown.clone(),
            token: shutdown.child_token(),
            reason: Arc::default(),
        }
    }

    /// Closes the connection with `code` and `reason`, unless a reason was already given.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        if self.shutdown.is_cancelled() {
            return;
        }
        let _ = self.reason.set(CloseReason {
            code,
            reason: reason.into(),
        });
        self.token.cancel();
    }

    /// Resolves once the connection should close.
    pub async fn closed(&self) {
        self.token.cancelled().await
    }

    /// The code and reason to close with.
    pub fn reason(&self) -> CloseReason {
        let given = self.reason.get().filter(|_| !self.shutdown.is_cancelled());
        given.cloned().unwrap_or_else(|| CloseReason {
            code: close::GOING_AWAY,
            reason: "server shutting down".into(),
        })
    }
}

/// A room's handle on one member connection.
#[derive(Clone, Debug)]
pub struct Outbox {
    frames: mpsc::Sender<Bytes>,
    close: CloseSignal,
    /// Whether the client asked for cocreate's own messages (`?cocreate=1`).
    speaks_cocreate: bool,
}

impl Outbox {
    pub fn new(frames: mpsc::Sender<Bytes>, close: CloseSignal, speaks_cocreate: bool) -> Self {
        Outbox {
            frames,
            close,
            speaks_cocreate,
        }
    }

    /// Queues one of cocreate's own messages, if the client understands them.
    pub fn send_cocreate(&self, frame: Bytes) {
        if self.speaks_cocreate {
            self.send(frame);
        }
    }

    /// Queues a frame without waiting. A full queue closes the connection with 1013 so that
    /// the member reconnects and resyncs rather than carrying on with a gap.
    pub fn send(&self, frame: Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.frames.try_send(frame) {
            self.close.close(
                close::TRY_AGAIN_LATER,
                ReasonCode::TooSlow
                    .reason("too slow: outbound queue overflowed, reconnect to resync"),
            );
        }
    }

    /// Closes the connection with a code and reason.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        self.close.close(code, reason);
    }
}
