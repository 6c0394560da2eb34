//! cocreate's server: y-websocket rooms with durable storage, health endpoints and graceful
//! shutdown. `main.rs` only parses configuration and calls [`serve`].

mod api;
pub mod assist;
mod bus;
pub mod cli;
mod close_reason;
pub mod config;
mod dataset;
mod error;
pub mod format;
mod health;
pub mod history;
pub mod limits;
mod linger;
pub mod metrics;
mod outbox;
pub mod outcome;
pub mod paper;
mod receipt;
mod registry;
mod retry;
mod room;
pub mod room_id;
pub mod session;
mod state;
mod step_clock;
pub mod storage;
mod web;
mod ws;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::bus::SharedBus;
use crate::config::{InviteArgs, ServeConfig, StoreArgs};
use crate::limits::Guards;
use crate::metrics::SharedMetrics;
use crate::registry::Registry;
use crate::room::RoomContext;
use crate::session::attendance::AttendanceBook;
use crate::session::deadlines::StepClock;
use crate::session::store::SessionStore;
use crate::session::token::TokenKey;
use crate::storage::{EmbeddedStorage, RedisStorage, SharedStorage, StorageError};

pub use crate::room::{
    load_document, CheckpointPolicy, LoadedDocument, AWARENESS_TICK, PENDING_LIMIT_BYTES,
};
pub use crate::state::AppState;
pub use crate::ws::{COCREATE_PARAM, IDLE_TIMEOUT, PING_EVERY, TOKEN_PARAM};

/// File in the data directory holding the generated admin key, when none is configured.
pub const ADMIN_KEY_FILE: &str = "admin-key";

/// How long shutdown waits for connections to close and rooms to store their state.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not open storage: {0}")]
    Storage(#[from] StorageError),
    /// Not `Storage`: says which setting to look at, without repeating the URL (it may hold a
    /// password).
    #[error("could not connect to Redis (--redis-url): {0}")]
    Redis(#[source] StorageError),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("could not read or create the admin key file {path}: {error}")]
    AdminKey {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

/// The HTTP routes: `/ws/{room}`, `/api/…`, `/healthz`, `/readyz`, and the web client.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/ws/{room}", get(ws::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics))
        .merge(api::routes(state.max_request_bytes))
        .fallback(web::serve)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// `GET /metrics`: the node's metrics in Prometheus' text format.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state
        .metrics
        .render(state.registry.loaded(), state.storage.reconnects());
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

/// Headers on every answer: no content sniffing, no referrer leaking session ids, no framing.
async fn security_headers(mut response: Response) -> Response {
    use axum::http::header::{REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// The configured admin key, or the one kept in the data directory (generated on first start).
fn admin_key(config: &ServeConfig) -> Result<String, StartError> {
    if let Some(key) = config.configured_admin_key() {
        return Ok(key.to_owned());
    }
    let path = config.store.data_dir.join(ADMIN_KEY_FILE);
    let failed = |error| StartError::AdminKey {
        path: path.clone(),
        error,
    };
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    std::fs::create_dir_all(&config.store.data_dir).map_err(failed)?;
    let key = session::ids::admin_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(failed)?;
    std::io::Write::write_all(&mut file, format!("{key}\n").as_bytes()).map_err(failed)?;
    info!(path = %path.display(), "generated an admin key for creating sessions");
    Ok(key)
}

/// The configured token secret, or the store's own (generated on first use).
pub(crate) async fn token_secret(
    invites: &InviteArgs,
    sessions: &SessionStore,
) -> Result<Vec<u8>, StorageError> {
    match invites.configured_secret() {
        Some(secret) => Ok(secret.as_bytes().to_vec()),
        None => Ok(sessions.token_secret().await?.to_vec()),
    }
}

/// Opens the configured store, and with Redis the bus that carries session changes and
/// presence between nodes.
pub(crate) async fn open_store(
    store: &StoreArgs,
) -> Result<(SharedStorage, Option<SharedBus>), StartError> {
    match &store.redis_url {
        Some(url) => {
            let redis =
                RedisStorage::connect_with(url, &store.redis_prefix, &store.redis_options())
                    .await
                    .map_err(StartError::Redis)?;
            info!(prefix = %store.redis_prefix, "storing rooms in redis");
            Ok((Arc::new(redis.clone()), Some(Arc::new(redis))))
        }
        None => Ok((
            Arc::new(EmbeddedStorage::open_with_cache(
                &store.data_dir,
                store.embedded_cache_mib * 1024 * 1024,
            )?),
            None,
        )),
    }
}

/// Serves on `listener` until `shutdown` is cancelled, then closes every connection with
/// 1001, lets every room store its state, and returns.
pub async fn serve(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: CancellationToken,
) -> Result<(), StartError> {
    let node = config.node_id();
    serve_as(listener, config, shutdown, node).await
}

/// [`serve`] as node `node` (from [`ServeConfig::node_id`]), for a caller that also puts the
/// node id on every log line.
pub async fn serve_as(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: CancellationToken,
    node: String,
) -> Result<(), StartError> {
    let (storage, bus) = open_store(&config.store).await?;
    let node: Arc<str> = node.into();
    let sessions = SessionStore::new(storage.clone());
    let token_secret = token_secret(&config.invites, &sessions).await?;
    let admin_key = admin_key(&config)?;
    let metrics = SharedMetrics::default();
    let guards = Arc::new(Guards::new(&config.limit_settings()).map_err(StartError::Config)?);
    if config.clock_offset_hours != 0 {
        crate::session::clock::set_offset_hours(config.clock_offset_hours);
        warn!(
            hours = config.clock_offset_hours,
            "--clock-offset-hours: the server's clock is moved; for tests only"
        );
    }
    if config.open_rooms {
        warn!("--open-rooms: rooms that are not sessions are open to anyone, without a token; never use this in production");
    }
    let rooms = TaskTracker::new();
    let (step_clock, deadlines) = StepClock::new();
    let connections = TaskTracker::new();
    let attendance = AttendanceBook::new(
        sessions.clone(),
        node.clone(),
        shutdown.clone(),
        connections.clone(),
    );
    let state = AppState {
        registry: Registry::new(
            RoomContext {
                storage: storage.clone(),
                bus: bus.clone(),
                checkpoints: CheckpointPolicy {
                    every_records: config.checkpoint_every_records,
                    every_bytes: config.checkpoint_every_bytes,
                },
                node: node.clone(),
                metrics: metrics.clone(),
                max_document_bytes: config.max_document_bytes,
                steps: step_clock.clone(),
            },
            rooms.clone(),
        ),
        storage,
        shutdown: shutdown.clone(),
        connections: connections.clone(),
        attendance,
        next_conn: Arc::new(AtomicU64::new(1)),
        max_message_bytes: config.max_message_bytes,
        sessions,
        tokens: TokenKey::new(&token_secret),
        token_ttl: config.invites.token_ttl(),
        admin_key: admin_key.into(),
        open_rooms: config.open_rooms,
        auto_hide_reports: config.auto_hide_reports as usize,
        public_url: config.invites.public_url.as_deref().map(Arc::from),
        web_dir: Arc::from(config.web_dir.as_path()),
        bus,
        node: node.clone(),
        keyframe_spacing: config.checkpoint_every_records,
        ledgers: Default::default(),
        metrics,
        guards,
        max_request_bytes: config.max_request_bytes as usize,
        step_clock,
        assist: assist::Assistant::start(config.sense_model.as_deref()).await,
        kit_font: paper::load_font(&config.kit_font),
    };
    tokio::spawn(step_clock::run(state.clone(), deadlines));
    let connections = state.connections.clone();
    let store = match config.store.redis_url {
        Some(_) => format!("redis, prefix {}", config.store.redis_prefix),
        None => format!("embedded, {}", config.store.data_dir.display()),
    };
    info!(addr = %listener.local_addr()?, node = %node, store = %store, "listening");
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Small frames (an update, a cursor) must leave at once: with Nagle's algorithm a frame
    // written while an earlier one awaits its (delayed) ACK waits up to 40 ms.
    let listener = linger::LingeringListener(listener).tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await?;

    info!("shutting down: closing connections and storing rooms");
    connections.close();
    rooms.close();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        connections.wait().await;
        rooms.wait().await;
    })
    .await;
    match drained {
        Ok(()) => info!("shutdown complete"),
        Err(_) => {
            warn!(grace = ?SHUTDOWN_GRACE, "shutdown grace elapsed before every room was stored")
        }
    }
    Ok(())
}
