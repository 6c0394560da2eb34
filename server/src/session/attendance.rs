//! Attendance: when each participant was connected, journalled for researchers as spans (a
//! `connected` entry, then a `disconnected` entry). A participant's connections to one node
//! make one span: a second tab adds nothing, and a reconnect within [`RECONNECT_GRACE`] of the
//! span's last disconnection continues it. Without this the journal grew by two entries with
//! every reconnect, without bound (a flaky phone, or a script reconnecting in a loop).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use super::store::SessionStore;
use super::{now_ms, Attendance, AttendanceEntry, Identity};

/// How long after a participant's last connection to a node closes a new one continues the
/// same span. y-websocket retries within 2.5 s (its longest backoff); a phone changing
/// networks takes a few seconds more.
pub const RECONNECT_GRACE: Duration = Duration::from_secs(10);

/// The spans open on this node, by session and participant.
#[derive(Clone)]
pub struct AttendanceBook(Arc<Book>);

struct Book {
    sessions: SessionStore,
    /// Stamped on the entries.
    node: Arc<str>,
    /// Cancelled on shutdown: spans in their grace end at once, so that none is left open.
    shutdown: CancellationToken,
    /// Where the graces run; awaited on shutdown like connections.
    graces: TaskTracker,
    spans: Mutex<HashMap<(String, String), Span>>,
}

/// One participant's span on this node.
#[derive(Default)]
struct Span {
    /// Connections open now.
    open: usize,
    /// While the last connection has closed and the grace runs: which closing it is. A
    /// reconnect clears it, so a grace that ends finds its closing gone and writes nothing.
    closing: Option<u64>,
    closings: u64,
}

impl AttendanceBook {
    pub fn new(
        sessions: SessionStore,
        node: Arc<str>,
        shutdown: CancellationToken,
        graces: TaskTracker,
    ) -> Self {
        AttendanceBook(Arc::new(Book {
            sessions,
            node,
            shutdown,
            graces,
            spans: Mutex::default(),
        }))
    }

    /// A connection of `identity` opened: journalled when it starts a span.
    pub async fn connected(&self, identity: &Identity, conn: u64) {
        let starts = {
            let mut spans = self.spans();
            let span = spans.entry(key(identity)).or_default();
            let starts = span.open == 0 && span.closing.is_none();
            span.open += 1;
            span.closing = None;
            starts
        };
        if starts {
            self.record(identity, conn, Attendance::Connected, now_ms())
                .await;
        }
    }

    /// A connection of `identity` closed: when it was the span's last, the span ends (and is
    /// journalled as ending now) unless a connection opens within [`RECONNECT_GRACE`].
    pub fn disconnected(&self, identity: &Identity, conn: u64) {
        let at = now_ms();
        let closing = {
            let mut spans = self.spans();
            let Some(span) = spans.get_mut(&key(identity)) else {
                return;
            };
            span.open = span.open.saturating_sub(1);
            if span.open > 0 {
                return;
            }
            span.closings += 1;
            span.closing = Some(span.closings);
            span.closings
        };
        let (book, identity) = (self.clone(), identity.clone());
        self.0.graces.spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(RECONNECT_GRACE) => {}
                _ = book.0.shutdown.cancelled() => {}
            }
            let ends = {
                let mut spans = book.spans();
                let key = key(&identity);
                let ends = spans.get(&key).is_some_and(|s| s.closing == Some(closing));
                if ends {
                    spans.remove(&key);
                }
                ends
            };
            if ends {
                book.record(&identity, conn, Attendance::Disconnected, at)
                    .await;
            }
        });
    }

    fn spans(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Span>> {
        self.0.spans.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Attendance is research data, not needed to serve: a failure is logged, not fatal.
    async fn record(&self, identity: &Identity, conn: u64, event: Attendance, at: u64) {
        let entry = AttendanceEntry {
            at,
            participant: identity.participant.clone(),
            event,
            connection: conn,
            node: self.0.node.to_string(),
        };
        if let Err(e) = self.0.sessions.attend(&identity.session, &entry).await {
            warn!(session = %identity.session, conn, error = %e, "attendance not recorded");
        }
    }
}

fn key(identity: &Identity) -> (String, String) {
    (identity.session.clone(), identity.participant.clone())
}
