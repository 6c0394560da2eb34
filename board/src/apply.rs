//! Applying updates that came from the network, and encoding the documents they went into, so
//! that a panic inside yrs costs the update that caused it, never the task that applies or
//! encodes it (issue 33: an update yrs applied without error left a document whose every
//! encoding panicked).

use std::panic::AssertUnwindSafe;

use cocreate_protocol::decode_update;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

/// Why an update could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The bytes are not an update the protocol accepts.
    #[error("{0}")]
    Undecodable(#[from] cocreate_protocol::UpdateError),
    /// yrs refused to integrate it.
    #[error("{0}")]
    Refused(#[from] yrs::error::UpdateError),
    /// yrs panicked mid-transaction: the document can no longer be trusted.
    #[error("yrs panicked while applying the update")]
    Panicked,
}

/// Why a document's state could not be encoded or read back: what is in it can no longer be
/// sent to a client or stored as a checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("yrs panicked while encoding the document")]
    Panicked,
    #[error("the document's state does not load back: {0}")]
    NotLoadable(String),
}

/// Decodes and applies an encoded update, as a room applies every log record. Public so that
/// history and the fuzz target for update application (`fuzz/`) go through this very path.
pub fn apply_bytes(doc: &Doc, bytes: &[u8]) -> Result<(), ApplyError> {
    apply_update(doc, decode_update(bytes)?)
}

/// Applies an update, catching a panic inside yrs so that it cannot take the room task down.
/// Public for callers that decoded the update already to look at it first (authorship).
pub fn apply_update(doc: &Doc, update: Update) -> Result<(), ApplyError> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| doc.transact_mut().apply_update(update))) {
        Ok(result) => Ok(result?),
        Err(_) => Err(ApplyError::Panicked),
    }
}

/// What `doc` holds beyond `since` (`StateVector::default()`: all of it), as a v1 update. Every
/// encoding of a document that updates from the network went into goes through here: a sync
/// answer, a checkpoint, a keyframe, a server edit.
pub fn encode_state(doc: &Doc, since: &StateVector) -> Result<Vec<u8>, EncodeError> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        doc.transact().encode_state_as_update_v1(since)
    }))
    .map_err(|_| EncodeError::Panicked)
}

/// The whole state of `doc`, checked to read back as an update (what a checkpoint must do to be
/// loaded, and a new client to sync). A room checks this once it is loaded, to find a stored
/// record that left its document unusable.
pub fn encode_loadable(doc: &Doc) -> Result<Vec<u8>, EncodeError> {
    let state = encode_state(doc, &StateVector::default())?;
    match std::panic::catch_unwind(|| Update::decode_v1(&state).map(drop)) {
        Ok(Ok(())) => Ok(state),
        Ok(Err(e)) => Err(EncodeError::NotLoadable(e.to_string())),
        Err(_) => Err(EncodeError::NotLoadable("yrs panicked decoding it".into())),
    }
}
