//! WebSocket close codes cocreate uses, and what each means to a client.
//!
//! These are part of the public contract: clients decide from them whether to reconnect,
//! and operators grep for them. The reason string that accompanies each close says more.

/// The connection finished normally.
pub const NORMAL: u16 = 1000;
/// The server is shutting down (or dropping an idle connection); reconnecting is right.
pub const GOING_AWAY: u16 = 1001;
/// The frame broke the wire grammar: truncated, malformed varints, a bad sync sub-type.
pub const PROTOCOL_ERROR: u16 = 1002;
/// The frame type or message type is not spoken here (a text frame, an unknown message type).
pub const UNSUPPORTED_DATA: u16 = 1003;
/// The frame was well formed but its content is invalid: an update or awareness state that
/// cannot be decoded or applied.
pub const INVALID_PAYLOAD: u16 = 1007;
/// The request breaks a server policy (for example an invalid room name).
pub const POLICY_VIOLATION: u16 = 1008;
/// The message is larger than the server accepts (`--max-message-bytes`). Resending the same
/// message will fail the same way.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The server failed (the room is reloading). The client keeps its unsaved edits and resends
/// them when it reconnects.
pub const INTERNAL_ERROR: u16 = 1011;
/// The client could not keep up with the room (its outbound queue overflowed), or storage has
/// been unavailable for too long to accept its update; it should reconnect later and resync.
pub const TRY_AGAIN_LATER: u16 = 1013;
