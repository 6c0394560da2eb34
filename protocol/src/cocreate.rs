//! cocreate's own messages, in the reserved type range. Each is `varUint(type)` followed by a
//! byte array holding its payload, so clients that do not know a type can skip it.

use yrs::encoding::read::{self, Cursor, Read};
use yrs::encoding::write::Write;
use yrs::sync::Message;

/// Server → client: "this many of the updates you sent on this connection are durably
/// stored". Payload: `varUint(count)`. The count covers every sync step 2 and sync update
/// message the client sent since it connected, in order (updates that changed nothing count
/// as stored too). A client that counts what it sends shows "all changes saved" when the
/// counts match and warns when they fall behind.
pub const MSG_SAVED: u8 = 100;

/// Encodes a saved message.
pub fn saved(count: u64) -> Message {
    let mut payload = Vec::with_capacity(10);
    payload.write_var(count);
    Message::Custom(MSG_SAVED, payload)
}

/// Reads the count of a saved message's payload.
pub fn decode_saved(payload: &[u8]) -> Result<u64, read::Error> {
    Cursor::new(payload).read_var()
}

/// Server → client: the session this connection is in, and who the client is in it.
/// Payload: UTF-8 JSON `{"event", "session": {...}, "you": {...}}` (fields in
/// `protocol/README.md`). Sent when the client joins and whenever the session changes; each
/// message carries the whole state, so a client only ever shows the newest.
pub const MSG_SESSION: u8 = 101;

/// Encodes a session message from its JSON text.
pub fn session(json: &str) -> Message {
    Message::Custom(MSG_SESSION, json.as_bytes().to_vec())
}
