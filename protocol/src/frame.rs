//! Splitting a binary frame into messages and classifying what is wrong with a bad one.

use std::ops::{Range, RangeInclusive};

use yrs::encoding::read::{self, Cursor, Read};
use yrs::sync::protocol::{
    MSG_AUTH, MSG_AWARENESS, MSG_QUERY_AWARENESS, MSG_SYNC, MSG_SYNC_STEP_1, PERMISSION_DENIED,
};
use yrs::sync::Message;
use yrs::updates::decoder::Decode;

use crate::close;

/// Message types reserved for cocreate's own messages (session events, moderation, ...).
/// Chosen below 128 so that the type is one byte on the wire, and far above the types other
/// y-websocket servers use (Hocuspocus uses up to 8), so the ranges never meet.
pub const COCREATE_TYPES: RangeInclusive<u64> = 100..=127;

/// Why a frame was rejected.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// A binary frame with no bytes at all.
    #[error("empty frame")]
    Empty,
    /// The frame ends in the middle of a message.
    #[error("truncated message at byte {offset}")]
    Truncated { offset: usize },
    /// The bytes do not follow the wire grammar.
    #[error("malformed message at byte {offset}: {detail}")]
    Malformed { offset: usize, detail: String },
    /// A message type that is neither y-websocket's nor in cocreate's reserved range.
    #[error("unknown message type {0}")]
    UnknownType(u64),
    /// A state vector or awareness update that declares more entries than its bytes could
    /// hold: yrs would reserve memory for all of them before noticing.
    #[error("message at byte {offset} declares {declared} entries in {available} bytes")]
    Inflated {
        offset: usize,
        declared: u64,
        available: usize,
    },
    /// An awareness entry whose state is not JSON: relaying it would break other clients,
    /// which `JSON.parse` every state they receive.
    #[error("awareness state of client {client} is not valid JSON")]
    InvalidAwarenessState { client: u64 },
    /// An awareness entry no JavaScript client could have sent: a client id past 2^53 (not a
    /// safe integer) or a clock at its maximum (removing the state would overflow it).
    #[error("awareness entry of client {client} is out of range")]
    AwarenessOutOfRange { client: u64 },
}

impl DecodeError {
    /// The WebSocket close code a server answers this error with.
    pub fn close_code(&self) -> u16 {
        match self {
            DecodeError::UnknownType(_) => close::UNSUPPORTED_DATA,
            DecodeError::InvalidAwarenessState { .. }
            | DecodeError::AwarenessOutOfRange { .. }
            | DecodeError::Inflated { .. } => close::INVALID_PAYLOAD,
            DecodeError::Empty | DecodeError::Truncated { .. } | DecodeError::Malformed { .. } => {
                close::PROTOCOL_ERROR
            }
        }
    }
}

/// Decodes every message in one binary frame, or rejects the whole frame.
///
/// `yrs`'s own `MessageReader` treats a message cut short at the end of a frame as the end of
/// the frame and silently drops it; here it is an error, because a client that sent it
/// believes it was delivered.
pub fn decode_frame(frame: &[u8]) -> Result<Vec<Message>, DecodeError> {
    if frame.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut cursor = Cursor::new(frame);
    let mut messages = Vec::new();
    while cursor.has_content() {
        let start = cursor.next;
        let payload = skip_message(&mut cursor).map_err(|e| classify(e, start))?;
        check_declared_count(&frame[payload], start)?;
        let bytes = &frame[start..cursor.next];
        let message = std::panic::catch_unwind(|| Message::decode_v1(bytes))
            .map_err(|_| DecodeError::Malformed {
                offset: start,
                detail: "decoder panicked".into(),
            })?
            .map_err(|e| classify(e.into(), start))?;
        if let Message::Awareness(update) = &message {
            check_awareness_states(update)?;
        }
        messages.push(message);
    }
    Ok(messages)
}

/// Largest integer JavaScript represents exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Fewest bytes one entry of a state vector (client, clock) or of an awareness update
/// (client, clock, state) can take.
const MIN_COUNTED_ENTRY: usize = 2;

/// Advances the cursor past one message, checking only its framing. Returns the payload of a
/// state vector or awareness message (empty for others), whose entry count is then checked.
fn skip_message(cursor: &mut Cursor) -> Result<Range<usize>, FramingError> {
    let kind: u64 = cursor.read_var()?;
    match kind {
        k if k == u64::from(MSG_SYNC) => {
            let sub: u64 = cursor.read_var()?;
            let len = cursor.read_buf()?.len();
            if sub == u64::from(MSG_SYNC_STEP_1) {
                return Ok(cursor.next - len..cursor.next);
            }
        }
        k if k == u64::from(MSG_AWARENESS) => {
            let len = cursor.read_buf()?.len();
            return Ok(cursor.next - len..cursor.next);
        }
        k if k == u64::from(MSG_AUTH) => {
            let permission: u64 = cursor.read_var()?;
            if permission == u64::from(PERMISSION_DENIED) {
                cursor.read_string()?;
            }
        }
        k if k == u64::from(MSG_QUERY_AWARENESS) => {}
        k if COCREATE_TYPES.contains(&k) => {
            cursor.read_buf()?;
        }
        other => return Err(FramingError::UnknownType(other)),
    }
    Ok(0..0)
}

/// Rejects a counted payload whose declared entry count exceeds what its bytes could hold.
fn check_declared_count(payload: &[u8], offset: usize) -> Result<(), DecodeError> {
    let mut cursor = Cursor::new(payload);
    let Ok(declared) = cursor.read_var::<u64>() else {
        return Ok(());
    }; // yrs reports it
    let available = payload.len() - cursor.next;
    if declared > (available / MIN_COUNTED_ENTRY) as u64 {
        return Err(DecodeError::Inflated {
            offset,
            declared,
            available,
        });
    }
    Ok(())
}

fn check_awareness_states(update: &yrs::sync::AwarenessUpdate) -> Result<(), DecodeError> {
    for (client, entry) in &update.clients {
        if client.get() > MAX_SAFE_INTEGER || entry.clock == u32::MAX {
            return Err(DecodeError::AwarenessOutOfRange {
                client: client.get(),
            });
        }
        if serde_json::from_str::<serde_json::value::Value>(&entry.json).is_err() {
            return Err(DecodeError::InvalidAwarenessState {
                client: client.get(),
            });
        }
    }
    Ok(())
}

/// A framing failure before it is placed at an offset.
enum FramingError {
    Read(read::Error),
    UnknownType(u64),
}

impl From<read::Error> for FramingError {
    fn from(e: read::Error) -> Self {
        FramingError::Read(e)
    }
}

fn classify(error: FramingError, offset: usize) -> DecodeError {
    match error {
        FramingError::UnknownType(kind) => DecodeError::UnknownType(kind),
        FramingError::Read(read::Error::EndOfBuffer(_)) => DecodeError::Truncated { offset },
        FramingError::Read(other) => DecodeError::Malformed {
            offset,
            detail: other.to_string(),
        },
    }
}
