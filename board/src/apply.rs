//! Applying updates that came from the network: decoded with the protocol's checks, and applied
//! so that a panic inside yrs cannot take its caller down.

use std::panic::AssertUnwindSafe;

use cocreate_protocol::decode_update;
use yrs::{Doc, Transact, Update};

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
