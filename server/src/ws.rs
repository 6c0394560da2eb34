//! One WebSocket connection: upgrade, join the room, a reader loop that decodes and checks
//! every frame, and a single writer task that owns the socket's sending half (pings included).
//! Whichever side ends first ends the other; the room is left in exactly one place.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};
use axum::extract::{ConnectInfo, Path, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use cocreate_protocol::{close, decode_frame, decode_update, Message, SyncMessage};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::close_reason::ReasonCode;
use crate::error::ApiError;
use crate::limits::{ConnectionPermit, Guards, Limit, MAX_THROTTLE};
use crate::metrics::{Rejection, SharedMetrics};
use crate::outbox::{CloseSignal, Outbox, OUTBOX_CAPACITY};
use crate::registry::Registry;
use crate::room::{live_refusal, Inbound, RoomHandle, REMOVED};
use crate::room_id::{InvalidRoomId, RoomId};
use crate::session::attendance::AttendanceBook;
use crate::session::drafts;
use crate::session::store::SessionStore;
use crate::session::token::TokenKey;
use crate::session::{now_ms, Identity};

/// Query parameter by which a client says it understands cocreate's own message types
/// (`?cocreate=1`); plain Yjs clients, which log an error for every unknown type, get none.
pub const COCREATE_PARAM: &str = "cocreate";

/// Query parameter carrying a session token on `/ws/{session}` (y-websocket's `params`).
pub const TOKEN_PARAM: &str = "token";

/// Bytes each connection reads at a time. tungstenite allocates this up front for every
/// connection (128 KiB by default: 190 MiB for 1,500 viewers who mostly listen); a larger
/// frame still arrives whole, the buffer grows for it. Most messages people send (a keystroke,
/// a cursor) are under 200 bytes: 2 KiB rather than 8 KiB took 9 MiB off 1,600 idle
/// connections (load-tests/README.md, "Memory").
const READ_BUFFER_BYTES: usize = 2 * 1024;

/// How often the server pings; the reference server uses the same period, which keeps
/// proxies from closing quiet connections.
pub const PING_EVERY: Duration = Duration::from_secs(30);

/// A connection that sends nothing (not even a pong) for this long is dead and dropped.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);

/// How long a send may take before the peer counts as gone; the writer never blocks forever
/// on a peer that stopped reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a closing connection waits for the client's close frame.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(2);

/// Longest close reason the WebSocket protocol allows (125 bytes minus the code).
const MAX_CLOSE_REASON: usize = 123;

/// Bytes of queued frames sent with one flush, at most (below tungstenite's 128 KiB write
/// buffer, so the batch goes out in one write).
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// What every connection of a node shares: the part of the server's state a connection uses.
#[derive(Clone)]
pub struct ConnectionContext {
    /// Where connections join rooms.
    pub(crate) registry: Arc<Registry>,
    /// Sessions a connection is admitted to.
    pub(crate) sessions: SessionStore,
    /// Where its attendance is recorded.
    pub(crate) attendance: AttendanceBook,
    /// Verifies the connection's token.
    pub(crate) tokens: TokenKey,
    /// Origin, connection-count and message-rate limits.
    pub(crate) guards: Arc<Guards>,
    /// Counts connections and why they were closed.
    pub(crate) metrics: SharedMetrics,
    /// Cancelled on shutdown: every connection closes with 1001.
    pub(crate) shutdown: CancellationToken,
    /// Connection tasks, awaited on shutdown.
    pub(crate) connections: TaskTracker,
    /// The next connection's id, unique on this node.
    pub(crate) next_conn: Arc<AtomicU64>,
    /// Whether rooms that are not sessions are served without a token (`--open-rooms`).
    pub(crate) open_rooms: bool,
    /// `--max-message-bytes`: the largest WebSocket message or frame accepted.
    pub(crate) max_message_bytes: usize,
}

/// `GET /ws/{room}`: checks the origin and the connection limits, then upgrades to a
/// WebSocket served by [`serve`].
pub async fn upgrade(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    Path(room): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    State(state): State<ConnectionContext>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            let message = format!("{rejection}: connect with a WebSocket client");
            return ApiError::new(rejection.status(), "websocket_required", message)
                .into_response();
        }
    };
    if !state.guards.origin_allowed(&headers) {
        state.metrics.rejected(Rejection::Policy);
        let message = "this page's origin may not connect (see --allowed-origins)";
        return ApiError::new(StatusCode::FORBIDDEN, "origin_not_allowed", message).into_response();
    }
    let ip = state.guards.client_ip(peer, &headers);
    let permit = match state.guards.connections.admit(ip, &room) {
        Ok(permit) => permit,
        Err(limit) => {
            state.metrics.limited(limit);
            // Debug-formatted: the name is not validated yet, and a line break in it would
            // forge a log line.
            warn!(%ip, room = ?room, limit = limit.label(), "connection refused: limit reached");
            return ApiError::limited(limit, "too many connections; try again later", None)
                .into_response();
        }
    };
    let conn = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let room = RoomId::parse(&room);
    let speaks_cocreate = params.get(COCREATE_PARAM).is_some_and(|v| v == "1");
    let token = params.get(TOKEN_PARAM).cloned();
    let connections = state.connections.clone();
    upgrade
        .max_message_size(state.max_message_bytes)
        .max_frame_size(state.max_message_bytes)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_failed_upgrade(move |e| warn!(conn, error = %e, "websocket upgrade failed"))
        .on_upgrade(move |socket| {
            let connection = Connection {
                room,
                conn,
                token,
                speaks_cocreate,
                permit,
            };
            connections.track_future(serve(socket, connection, state))
        })
}

/// What the upgrade request said about a connection.
pub struct Connection {
    pub room: Result<RoomId, InvalidRoomId>,
    pub conn: u64,
    /// The session token (`?token=`), if any.
    pub token: Option<String>,
    /// Whether the client asked for cocreate's own messages.
    pub speaks_cocreate: bool,
    /// Its place in the per-address and per-room connection counts, given back at the end.
    pub permit: ConnectionPermit,
}

/// Serves one upgraded connection to its end.
pub async fn serve(socket: WebSocket, connection: Connection, state: ConnectionContext) {
    let Connection {
        room,
        conn,
        token,
        speaks_cocreate,
        permit: _permit,
    } = connection;
    let (sink, mut stream) = socket.split();
    let close = CloseSignal::new(&state.shutdown);
    let (frames, queue) = mpsc::channel(OUTBOX_CAPACITY);
    let writer = tokio::spawn(write_loop(
        sink,
        queue,
        close.clone(),
        state.metrics.clone(),
    ));
    let _open = OpenConnection::count(&state.metrics);
    let outbox = Outbox::new(frames, close.clone(), speaks_cocreate);

    let admitted = match room {
        Err(e) => Err((
            close::POLICY_VIOLATION,
            ReasonCode::InvalidRoom.reason(format_args!("invalid room name: {e}")),
        )),
        Ok(room) => admit(&state, &room, token.as_deref())
            .await
            .map(|admitted| {
                let (identity, expires) = admitted.unzip();
                (room, identity, expires)
            }),
    };
    match admitted {
        Err((code, reason)) => {
            warn!(conn, code, reason = %reason, "connection refused");
            close.close(code, reason);
        }
        Ok((room, identity, expires)) => match state
            .registry
            .join(&room, conn, outbox, identity.clone())
            .await
        {
            Err(e) => {
                warn!(room = %room, conn, error = %e, "join failed");
                let reason =
                    ReasonCode::RoomUnavailable.reason(format_args!("room unavailable: {e}"));
                close.close(close::INTERNAL_ERROR, reason);
            }
            Ok(handle) => {
                let participant = identity.as_ref().map(|i| i.participant.as_str());
                let role = identity.as_ref().map(|i| i.role.as_str());
                info!(room = %room, conn, participant, role, "connected");
                if let Some(identity) = &identity {
                    state.attendance.connected(identity, conn).await;
                }
                let membership = Membership {
                    room: handle,
                    conn,
                    left: false,
                };
                let member = &membership.room;
                read_loop(&mut stream, member, &room, conn, expires, &close, &state).await;
                membership.leave().await;
                close.close(close::NORMAL, "");
                info!(room = %room, conn, reason = ?close.reason(), "disconnected");
                if let Some(identity) = &identity {
                    state.attendance.disconnected(identity, conn);
                }
            }
        },
    }
    let _ = writer.await;
    if let Some(rejection) = Rejection::of_close_code(close.reason().code) {
        state.metrics.rejected(rejection);
    }
    await_close_reply(&mut stream).await;
}

/// A connection in `cocreate_connections_open` until dropped, however its task ends.
struct OpenConnection(SharedMetrics);

impl OpenConnection {
    fn count(metrics: &SharedMetrics) -> Self {
        metrics.connections_total.fetch_add(1, Ordering::Relaxed);
        metrics.connections_open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(metrics.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// After our close frame, reads (and discards) until the client's close frame or the end of
/// the stream. Dropping a socket with unread input makes the kernel reset the connection, and
/// the client would then see 1006 instead of our close code and reason.
async fn await_close_reply(stream: &mut SplitStream<WebSocket>) {
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Decides whether a connection may enter a room, and as whom: a session's room needs a
/// valid, unrevoked token for that session (returned with its expiry); any other room needs
/// `--open-rooms`.
async fn admit(
    state: &ConnectionContext,
    room: &RoomId,
    token: Option<&str>,
) -> Result<Option<(Identity, u64)>, (u16, String)> {
    let drafts_owner = drafts::drafts_owner(room.as_str());
    let session_id = drafts_owner.map_or(room.as_str(), |(session, _)| session);
    let session = state.sessions.get(session_id).await.map_err(|e| {
        warn!(room = %room, error = %e, "session could not be read");
        (
            close::INTERNAL_ERROR,
            ReasonCode::StorageUnavailable.reason("storage unavailable, reconnect later"),
        )
    })?;
    let refuse = |code: ReasonCode, text: &str| Err((close::POLICY_VIOLATION, code.reason(text)));
    let Some(token) = token else {
        let missing = ReasonCode::MissingToken;
        return match session {
            Some(_) => refuse(
                missing,
                "missing token: this session's room needs ?token=<token>",
            ),
            None if state.open_rooms => Ok(None),
            None => refuse(missing, "missing token: join a session to get one"),
        };
    };
    let (identity, expires) = match state.tokens.verify_until(token, crate::session::now_secs()) {
        Ok(verified) => verified,
        Err(e) => return refuse((&e).into(), &e.to_string()),
    };
    let Some(session) = session else {
        return refuse(ReasonCode::SessionNotFound, "no such session");
    };
    if identity.session != session.id {
        return refuse(ReasonCode::WrongSession, "token is for another session");
    }
    if session.is_revoked(&identity.participant) {
        return refuse(ReasonCode::Revoked, REMOVED);
    }
    if drafts_owner.is_some_and(|(_, owner)| owner != identity.participant) {
        let text = "private drafts: only their writer opens them";
        return refuse(ReasonCode::DraftsPrivate, text);
    }
    if let Some(text) = live_refusal(&identity) {
        return refuse(ReasonCode::ReplayOnly, text);
    }
    Ok(Some((identity, expires)))
}

/// A connection's place in its room. Leaving happens here and only here: in order, before the
/// close frame goes out, or, if the connection task panicked, when it is dropped. A member
/// that never leaves keeps its room loaded and its presence on everyone's screen.
struct Membership {
    room: RoomHandle,
    conn: u64,
    left: bool,
}

impl Membership {
    async fn leave(mut self) {
        self.left = true;
        self.room.leave(self.conn).await;
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        if !self.left {
            let (room, conn) = (self.room.clone(), self.conn);
            tokio::spawn(async move { room.leave(conn).await });
        }
    }
}

/// Reads frames until the peer leaves, breaks the protocol, goes idle, or the connection is
/// closed from elsewhere (room, shutdown, writer failure).
async fn read_loop(
    stream: &mut SplitStream<WebSocket>,
    room: &RoomHandle,
    id: &RoomId,
    conn: u64,
    expires: Option<u64>,
    close: &CloseSignal,
    state: &ConnectionContext,
) {
    let max_message_bytes = state.max_message_bytes;
    let expiry = token_expiry(expires);
    tokio::pin!(expiry);
    let (mut messages, mut bytes) = state.guards.connection_buckets();
    // How long the connection has been slowed down without a break: a flood keeps it growing.
    let mut throttled_for = Duration::ZERO;
    loop {
        let next = tokio::select! {
            biased;
            _ = close.closed() => return,
            _ = &mut expiry => {
                info!(room = %id, conn, "closing connection: token expired");
                let reason = ReasonCode::TokenExpired.reason("token expired");
                close.close(close::POLICY_VIOLATION, reason);
                return;
            }
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => next,
        };
        let frame = match next {
            Err(_) => {
                debug!(room = %id, conn, "idle timeout");
                close.close(close::GOING_AWAY, "idle timeout");
                return;
            }
            Ok(None) | Ok(Some(Ok(WsMessage::Close(_)))) => return,
            Ok(Some(Err(e))) => {
                match e.into_inner().downcast::<tungstenite::Error>().map(|e| *e) {
                    Ok(tungstenite::Error::Capacity(_)) => {
                        let reason = ReasonCode::MessageTooBig.reason(format_args!(
                            "message larger than {max_message_bytes} bytes"
                        ));
                        reject(id, conn, close, close::MESSAGE_TOO_BIG, reason);
                    }
                    // The peer vanished (a phone lost its network): a disconnect, not bad input.
                    Ok(tungstenite::Error::Protocol(
                        tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                    )) => debug!(room = %id, conn, "connection reset without a close frame"),
                    Ok(tungstenite::Error::Protocol(e)) => {
                        reject(
                            id,
                            conn,
                            close,
                            close::PROTOCOL_ERROR,
                            ReasonCode::InvalidMessage
                                .reason(format_args!("websocket protocol error: {e}")),
                        );
                    }
                    other => debug!(room = %id, conn, error = ?other, "read failed"),
                }
                return;
            }
            Ok(Some(Ok(WsMessage::Binary(frame)))) => {
                let for_messages = messages.take(1.0);
                let for_bytes = bytes.take(frame.len() as f64);
                let (wait, limit) = if for_bytes > for_messages {
                    (for_bytes, Limit::ByteRate)
                } else {
                    (for_messages, Limit::MessageRate)
                };
                throttled_for = if wait.is_zero() {
                    Duration::ZERO
                } else {
                    throttled_for + wait
                };
                if !wait.is_zero()
                    && !throttle(id, conn, close, state, (wait, throttled_for), limit).await
                {
                    return;
                }
                frame
            }
            Ok(Some(Ok(WsMessage::Text(_)))) => {
                reject(
                    id,
                    conn,
                    close,
                    close::UNSUPPORTED_DATA,
                    ReasonCode::InvalidMessage
                        .reason("text frames are not supported: send binary y-websocket messages"),
                );
                return;
            }
            Ok(Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_)))) => continue,
        };
        let messages = match inbound_messages(&frame) {
            Ok(messages) => messages,
            Err((code, reason)) => {
                reject(id, conn, close, code, reason);
                return;
            }
        };
        if let Some(size) = oversized_presence(&messages, state.guards.max_awareness_bytes) {
            state.metrics.limited(Limit::AwarenessSize);
            let reason = ReasonCode::MessageTooBig.reason(format_args!(
                "presence state of {size} bytes is larger than {} (--max-awareness-bytes)",
                state.guards.max_awareness_bytes
            ));
            reject(id, conn, close, close::MESSAGE_TOO_BIG, reason);
            return;
        }
        for message in messages {
            if let Inbound::Update { bytes, .. } = &message {
                let metrics = &state.metrics;
                metrics.updates_received.fetch_add(1, Ordering::Relaxed);
                let size = bytes.len() as u64;
                metrics
                    .update_bytes_received
                    .fetch_add(size, Ordering::Relaxed);
            }
            if room.send(conn, message).await.is_err() {
                close.close(close::GOING_AWAY, "room closed, reconnect");
                return;
            }
        }
    }
}

/// Resolves when a connection's token expires (`expires`, seconds since the epoch); never
/// for a connection without a token (an open room). A token is checked once, on connecting:
/// without this, a connection would outlive it.
async fn token_expiry(expires: Option<u64>) {
    match expires {
        Some(at) => {
            let left = at.saturating_mul(1000).saturating_sub(now_ms());
            tokio::time::sleep(Duration::from_millis(left)).await
        }
        None => std::future::pending().await,
    }
}

/// Turns a frame into room messages, or the close code and reason that reject it. The whole
/// frame is checked before any of it reaches the room.
fn inbound_messages(frame: &[u8]) -> Result<Vec<Inbound>, (u16, String)> {
    let messages =
        decode_frame(frame).map_err(|e| (e.close_code(), ReasonCode::InvalidMessage.reason(e)))?;
    let mut inbound = Vec::with_capacity(messages.len());
    for message in messages {
        inbound.push(match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => Inbound::SyncStep1(sv),
            Message::Sync(SyncMessage::SyncStep2(bytes)) => inbound_update(bytes, true)?,
            Message::Sync(SyncMessage::Update(bytes)) => inbound_update(bytes, false)?,
            Message::Awareness(update) => Inbound::Awareness(update),
            Message::AwarenessQuery => Inbound::QueryAwareness,
            // Clients have nothing to say in auth messages; the server decides access.
            Message::Auth(_) => continue,
            Message::Custom(kind, _) => {
                return Err((
                    close::UNSUPPORTED_DATA,
                    ReasonCode::InvalidMessage.reason(format_args!(
                        "message type {kind} is not supported by this server"
                    )),
                ));
            }
        });
    }
    Ok(inbound)
}

/// The size of the largest presence state over `max` in these messages, if any.
fn oversized_presence(messages: &[Inbound], max: usize) -> Option<usize> {
    messages
        .iter()
        .filter_map(|message| match message {
            Inbound::Awareness(update) => update.clients.values().map(|e| e.json.len()).max(),
            _ => None,
        })
        .find(|size| *size > max)
}

/// Slows a connection that sends faster than its limits by not reading for `wait` (counted
/// under `limit`); one slowed down for more than [`MAX_THROTTLE`] without a break is flooding
/// and is closed with 1008. Says whether the connection goes on.
async fn throttle(
    id: &RoomId,
    conn: u64,
    close: &CloseSignal,
    state: &ConnectionContext,
    (wait, throttled_for): (Duration, Duration),
    limit: Limit,
) -> bool {
    state.metrics.limited(limit);
    if throttled_for > MAX_THROTTLE {
        let reason = ReasonCode::TooManyRequests.reason(format_args!(
            "sending too fast: more than {} messages or {} bytes per second",
            state.guards.messages_per_second, state.guards.bytes_per_second
        ));
        reject(id, conn, close, close::POLICY_VIOLATION, reason);
        return false;
    }
    tokio::select! {
        _ = close.closed() => false,
        _ = tokio::time::sleep(wait) => true,
    }
}

/// An update for the room, if it decodes.
fn inbound_update(bytes: Vec<u8>, step2: bool) -> Result<Inbound, (u16, String)> {
    let update =
        decode_update(&bytes).map_err(|e| (e.close_code(), ReasonCode::InvalidUpdate.reason(e)))?;
    Ok(Inbound::Update {
        update,
        bytes: Bytes::from(bytes),
        step2,
    })
}

fn reject(id: &RoomId, conn: u64, close: &CloseSignal, code: u16, reason: String) {
    warn!(room = %id, conn, code, reason = %reason, "closing connection: bad input");
    close.close(code, reason);
}

/// Owns the sending half: frames from the outbox, pings, and the close frame at the end.
async fn write_loop(
    mut sink: SplitSink<WebSocket, WsMessage>,
    mut queue: mpsc::Receiver<Bytes>,
    close: CloseSignal,
    metrics: SharedMetrics,
) {
    // The first ping one period from now. (`interval`'s immediate first tick is not immediate:
    // a timer due now fires at the driver's next millisecond, and held every new connection's
    // first frames for it.)
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        let message = tokio::select! {
            biased;
            _ = close.closed() => break,
            frame = queue.recv() => match frame {
                Some(frame) => outgoing(frame, &metrics),
                None => break,
            },
            _ = ping.tick() => WsMessage::Ping(Bytes::new()),
        };
        let sent = tokio::select! {
            biased;
            _ = close.closed() => break,
            sent = tokio::time::timeout(SEND_TIMEOUT, send_batch(&mut sink, message, &mut queue, &metrics)) => sent,
        };
        if !matches!(sent, Ok(Ok(()))) {
            close.close(close::GOING_AWAY, "send failed");
            return;
        }
    }
    let reason = close.reason();
    let frame = CloseFrame {
        code: reason.code,
        reason: Utf8Bytes::from(truncate(&reason.reason, MAX_CLOSE_REASON)),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(WsMessage::Close(Some(frame)))).await;
}

/// Sends `first` and the frames already queued behind it, up to [`MAX_BATCH_BYTES`], with one
/// flush: one write to the socket instead of one per frame. A viewer of a busy room has many
/// small frames waiting; at 200,000 deliveries a second the system calls were the server's
/// main cost.
async fn send_batch(
    sink: &mut SplitSink<WebSocket, WsMessage>,
    first: WsMessage,
    queue: &mut mpsc::Receiver<Bytes>,
    metrics: &SharedMetrics,
) -> Result<(), axum::Error> {
    let mut batched = 0;
    sink.feed(first).await?;
    while batched < MAX_BATCH_BYTES {
        let Ok(frame) = queue.try_recv() else {
            break;
        };
        batched += frame.len();
        sink.feed(outgoing(frame, metrics)).await?;
    }
    sink.flush().await
}

/// A queued frame as the message to send, counted in the metrics.
fn outgoing(frame: Bytes, metrics: &SharedMetrics) -> WsMessage {
    metrics.messages_sent.fetch_add(1, Ordering::Relaxed);
    metrics
        .bytes_sent
        .fetch_add(frame.len() as u64, Ordering::Relaxed);
    WsMessage::Binary(frame)
}

/// Cuts text to at most `max` bytes on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
