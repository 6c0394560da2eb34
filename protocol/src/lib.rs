//! The y-websocket wire protocol as cocreate speaks it.
//!
//! Wire grammar (every WebSocket *binary* frame; text frames are not part of the protocol):
//!
//! ```text
//! frame      = message { message }                 ; one or more, back to back
//! message    = varUint(type) payload
//! type 0     sync:            varUint(sub) bytes   ; sub 0 step 1 (state vector),
//!                                                  ; 1 step 2 (update), 2 update
//! type 1     awareness:       bytes                ; an encoded awareness update
//! type 2     auth:            varUint(0) string    ; permission denied + reason
//!                             | varUint(1)         ; permission granted
//! type 3     query awareness: (empty)
//! type 100..=127  cocreate:   bytes                ; cocreate's own messages:
//!                                                  ; 100 saved, 101 session (see `cocreate`)
//! bytes      = varUint(length) length*OCTET
//! string     = bytes                               ; UTF-8
//! varUint    = lib0 variable-length unsigned integer (7 bits a byte, high bit = more)
//! ```
//!
//! Decoding a frame is all or nothing: a truncated, malformed or unknown message rejects the
//! whole frame, so a server never acts on half of what a client sent. The contents of sync
//! and awareness payloads are decoded by `yrs`; this crate only finds their boundaries and
//! classifies what is wrong, so that the server can answer with the right close code.

pub mod close;
pub mod cocreate;
mod frame;
mod update;

pub use frame::{decode_frame, DecodeError, COCREATE_TYPES};
pub use update::{decode_update, UpdateError};
pub use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
