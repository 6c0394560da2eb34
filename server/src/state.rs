//! What the HTTP handlers share: [`AppState`], and the narrower parts of it that handlers
//! below the API take (a connection, readiness, the web client's files), so that those do
//! not depend on all of it.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bus::SharedBus;
use crate::health::Readiness;
use crate::limits::Guards;
use crate::metrics::SharedMetrics;
use crate::registry::Registry;
use crate::session::attendance::AttendanceBook;
use crate::session::deadlines::StepClock;
use crate::session::store::SessionStore;
use crate::session::token::TokenKey;
use crate::storage::SharedStorage;
use crate::web::WebDir;
use crate::ws::ConnectionContext;

/// What every request handler shares. Handlers below the API take a narrower part of it
/// (see the `FromRef` impls), so that they do not depend on all of it.
#[derive(Clone)]
pub struct AppState {
    /// The rooms loaded on this node: where connections join and session changes are told.
    pub(crate) registry: Arc<Registry>,
    /// Rooms' logs, checkpoints and sessions: read by the API and `/readyz`.
    pub(crate) storage: SharedStorage,
    /// Cancelled on shutdown: connections close with 1001 and `/readyz` turns 503.
    pub(crate) shutdown: CancellationToken,
    /// Connection tasks, awaited on shutdown.
    pub(crate) connections: TaskTracker,
    /// The next connection's id, unique on this node, for logs and the update log's origins.
    pub(crate) next_conn: Arc<AtomicU64>,
    /// `--max-message-bytes`: the largest WebSocket message or frame accepted.
    pub(crate) max_message_bytes: usize,
    /// Sessions as the API and connections read and change them.
    pub(crate) sessions: SessionStore,
    /// Where connections' attendance is journalled, as spans.
    pub(crate) attendance: AttendanceBook,
    /// Signs and verifies session tokens.
    pub(crate) tokens: TokenKey,
    /// `--token-ttl-hours`: how long the tokens the API issues stay valid.
    pub(crate) token_ttl: Duration,
    /// Authorises creating sessions (`--admin-key`, or the generated one).
    pub(crate) admin_key: Arc<str>,
    /// Whether rooms that are not sessions are served without a token (`--open-rooms`).
    pub(crate) open_rooms: bool,
    /// `--auto-hide-reports`: reports after which an item is hidden until reviewed.
    pub(crate) auto_hide_reports: usize,
    /// `--public-url`: the address invitation links use; else the request's own.
    pub(crate) public_url: Option<Arc<str>>,
    /// `--web-dir`: the built web client served at `/`.
    pub(crate) web_dir: Arc<std::path::Path>,
    /// Carries session changes to the other nodes; `None` on a single node.
    pub(crate) bus: Option<SharedBus>,
    /// This node's id, stamped on what it writes (attendance, audit entries).
    pub(crate) node: Arc<str>,
    /// Log records between the keyframes history seeks write (`--checkpoint-every-records`).
    pub(crate) keyframe_spacing: u64,
    /// Sessions' ledgers and boards as receipts and results last read them.
    pub(crate) ledgers: Arc<crate::history::Ledgers>,
    /// What `/metrics` reports; counted by connections, rooms and the API.
    pub(crate) metrics: SharedMetrics,
    /// Abuse limits: connections per address and room, join attempts, message rates, origins.
    pub(crate) guards: Arc<Guards>,
    /// `--max-request-bytes`: the largest HTTP API request body.
    pub(crate) max_request_bytes: usize,
    /// Ends timed agenda steps on time; armed by the steps started here.
    pub(crate) step_clock: StepClock,
    /// The sentence encoder for sensemaking (`--sense-model`); `None`: sensemaking is off.
    pub(crate) assist: Option<Arc<crate::assist::Assistant>>,
    /// The paper kit's font (`--kit-font`); `None`: the kit is off.
    pub(crate) kit_font: Option<Arc<crate::paper::Font>>,
}

impl FromRef<AppState> for ConnectionContext {
    fn from_ref(state: &AppState) -> Self {
        ConnectionContext {
            registry: state.registry.clone(),
            sessions: state.sessions.clone(),
            attendance: state.attendance.clone(),
            tokens: state.tokens.clone(),
            guards: state.guards.clone(),
            metrics: state.metrics.clone(),
            shutdown: state.shutdown.clone(),
            connections: state.connections.clone(),
            next_conn: state.next_conn.clone(),
            open_rooms: state.open_rooms,
            max_message_bytes: state.max_message_bytes,
        }
    }
}

impl FromRef<AppState> for Readiness {
    fn from_ref(state: &AppState) -> Self {
        Readiness {
            shutdown: state.shutdown.clone(),
            storage: state.storage.clone(),
            registry: state.registry.clone(),
        }
    }
}

impl FromRef<AppState> for WebDir {
    fn from_ref(state: &AppState) -> Self {
        WebDir(state.web_dir.clone())
    }
}
