//! What goes on the wire for each kind of server: plain y-websocket (cocreate, the reference
//! Node server, y-sweet, the bare relay) or Hocuspocus, which prefixes every message with its
//! document name and authenticates before syncing.
//!
//! Messages are built with `cocreate-protocol`'s (yrs's) encoders. Incoming frames are only
//! split into their messages here: the generator must not spend its CPU validating every
//! awareness state it receives (hundreds of thousands a second in the presence scenarios), so
//! payloads are decoded only where they are used (updates are decoded by the participant).

use cocreate_protocol::{cocreate, Message, SyncMessage, COCREATE_TYPES};
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;
use yrs::updates::encoder::Encode;
use yrs::StateVector;

/// y-websocket's message types, which Hocuspocus shares.
const MSG_SYNC: u64 = 0;
const MSG_AWARENESS: u64 = 1;
const MSG_AUTH: u64 = 2;
const MSG_QUERY_AWARENESS: u64 = 3;
/// Hocuspocus only: a sync message that answers one (handled like `MSG_SYNC`).
const MSG_HOCUSPOCUS_SYNC_REPLY: u64 = 4;
const SYNC_STEP_1: u64 = 0;
const SYNC_STEP_2: u64 = 1;
const SYNC_UPDATE: u64 = 2;
/// Hocuspocus's auth sub-message a client opens with (`AuthMessageType.Token`).
const HOCUSPOCUS_AUTH_TOKEN: u64 = 0;

/// Which framing a server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// One or more y-websocket messages per binary frame, the room in the URL.
    YWebsocket,
    /// One message per frame, each prefixed with `varString(document name)`.
    Hocuspocus,
}

/// A message received from the server, borrowed from its frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// The server's state vector: answer with what it lacks.
    SyncStep1(&'a [u8]),
    /// The answer to our state vector: we are synced once it is applied.
    SyncStep2(&'a [u8]),
    /// A live update from another participant.
    Update(&'a [u8]),
    /// An awareness update (not decoded: only counted).
    Awareness,
    /// cocreate: this many of the updates sent on this connection are durably stored.
    Saved(u64),
    /// Anything the generator has no use for (auth results, cocreate's own messages, ...).
    Other,
}

/// A frame that does not follow the grammar the server claims to speak.
#[derive(Debug, thiserror::Error)]
#[error("malformed frame from server: {0}")]
pub struct WireError(String);

impl From<yrs::encoding::read::Error> for WireError {
    fn from(e: yrs::encoding::read::Error) -> Self {
        WireError(e.to_string())
    }
}

/// The framing for one connection to one room.
#[derive(Clone, Debug)]
pub struct Wire {
    protocol: Protocol,
    room: String,
}

impl Wire {
    pub fn new(protocol: Protocol, room: &str) -> Self {
        Wire {
            protocol,
            room: room.to_owned(),
        }
    }

    /// The frames a client sends as soon as the socket is open: its state vector, preceded by
    /// an (empty) token for Hocuspocus, which queues everything until a connection is authenticated.
    pub fn opening(&self, state: &StateVector) -> Vec<Vec<u8>> {
        let step1 = self.frame(&Message::Sync(SyncMessage::SyncStep1(state.clone())));
        match self.protocol {
            Protocol::YWebsocket => vec![step1],
            Protocol::Hocuspocus => {
                let mut auth = self.prefix();
                auth.write_var(MSG_AUTH);
                auth.write_var(HOCUSPOCUS_AUTH_TOKEN);
                auth.write_string("");
                vec![auth, step1]
            }
        }
    }

    /// Encodes one message as one binary frame.
    pub fn frame(&self, message: &Message) -> Vec<u8> {
        let mut out = self.prefix();
        out.extend_from_slice(&message.encode_v1());
        out
    }

    /// Splits a received frame into its messages.
    pub fn messages<'a>(&self, frame: &'a [u8]) -> Result<Vec<Incoming<'a>>, WireError> {
        let mut cursor = Cursor::new(frame);
        let mut out = Vec::with_capacity(1);
        if self.protocol == Protocol::Hocuspocus {
            let room = cursor.read_string()?;
            if room != self.room {
                return Err(WireError(format!("message for document {room:?}")));
            }
            // One message per frame; Hocuspocus-only types carry payloads of their own shapes.
            out.push(next_message(&mut cursor, frame, self.protocol)?);
            return Ok(out);
        }
        while cursor.has_content() {
            out.push(next_message(&mut cursor, frame, self.protocol)?);
        }
        Ok(out)
    }

    fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.protocol == Protocol::Hocuspocus {
            out.write_string(&self.room);
        }
        out
    }
}

fn next_message<'a>(
    cursor: &mut Cursor<'a>,
    frame: &'a [u8],
    protocol: Protocol,
) -> Result<Incoming<'a>, WireError> {
    let kind: u64 = cursor.read_var()?;
    let hocuspocus = protocol == Protocol::Hocuspocus;
    Ok(match kind {
        MSG_SYNC => sync_message(cursor, frame)?,
        MSG_HOCUSPOCUS_SYNC_REPLY if hocuspocus => sync_message(cursor, frame)?,
        MSG_AWARENESS => {
            cursor.read_buf()?;
            Incoming::Awareness
        }
        MSG_AUTH if !hocuspocus => {
            if cursor.read_var::<u64>()? == 0 {
                cursor.read_string()?; // permission denied: the reason
            }
            Incoming::Other
        }
        MSG_QUERY_AWARENESS => Incoming::Other,
        k if !hocuspocus && k == u64::from(cocreate::MSG_SAVED) => {
            Incoming::Saved(cocreate::decode_saved(cursor.read_buf()?)?)
        }
        k if !hocuspocus && COCREATE_TYPES.contains(&k) => {
            cursor.read_buf()?;
            Incoming::Other
        }
        // Hocuspocus: auth results, stateless, close and sync status messages; one per frame.
        _ if hocuspocus => Incoming::Other,
        other => return Err(WireError(format!("unknown message type {other}"))),
    })
}

fn sync_message<'a>(cursor: &mut Cursor<'a>, frame: &'a [u8]) -> Result<Incoming<'a>, WireError> {
    let sub: u64 = cursor.read_var()?;
    // `Cursor::read_buf` borrows the cursor: slice the frame itself instead.
    let len = cursor.read_buf()?.len();
    let payload = &frame[cursor.next - len..cursor.next];
    match sub {
        SYNC_STEP_1 => Ok(Incoming::SyncStep1(payload)),
        SYNC_STEP_2 => Ok(Incoming::SyncStep2(payload)),
        SYNC_UPDATE => Ok(Incoming::Update(payload)),
        other => Err(WireError(format!("unknown sync message {other}"))),
    }
}

/// The state vector inside a sync step 1 payload.
pub fn state_vector(payload: &[u8]) -> Result<StateVector, WireError> {
    use yrs::updates::decoder::Decode;
    StateVector::decode_v1(payload).map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_several_y_websocket_messages() {
        let wire = Wire::new(Protocol::YWebsocket, "r");
        let mut frame = Message::Sync(SyncMessage::Update(vec![0, 0])).encode_v1();
        frame.extend(Message::Sync(SyncMessage::SyncStep2(vec![0, 0])).encode_v1());
        frame.extend(cocreate_protocol::cocreate::saved(3).encode_v1());
        let got = wire.messages(&frame).unwrap();
        assert_eq!(
            got,
            vec![
                Incoming::Update(&[0, 0]),
                Incoming::SyncStep2(&[0, 0]),
                Incoming::Saved(3)
            ]
        );
    }

    #[test]
    fn hocuspocus_frames_carry_the_document_name() {
        let wire = Wire::new(Protocol::Hocuspocus, "room-1");
        let sv = StateVector::default();
        let opening = wire.opening(&sv);
        assert_eq!(opening.len(), 2);
        let got = wire.messages(&opening[1]).unwrap();
        assert_eq!(got, vec![Incoming::SyncStep1(&sv.encode_v1())]);
        let other = Wire::new(Protocol::Hocuspocus, "room-2");
        assert!(other.messages(&opening[1]).is_err());
    }
}
