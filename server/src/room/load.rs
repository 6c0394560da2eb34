//! Loading a room: its session and its document, rebuilt from the newest checkpoint and the
//! log after it. The document half is pure storage reading, so tools that need a room's state
//! without serving it (history, the API) load the same way.

use std::sync::Arc;

use cocreate_board::{apply_bytes, apply_update};
use cocreate_protocol::decode_update;
use tracing::warn;
use yrs::Doc;

use super::authorship::ClientOwners;
use crate::room_id::RoomId;
use crate::session::store::SessionStore;
use crate::session::Session;
use crate::storage::{LogRecord, Seq, SharedStorage, Storage, StorageError};

/// Log records read per storage call when rebuilding who owns which client id.
const OWNERS_PAGE: usize = 1000;

/// A room's document as storage holds it.
pub struct LoadedDocument {
    pub doc: Doc,
    /// The last log position merged into `doc`.
    pub applied: Seq,
    /// Server time of record `applied`, when it was read (not when only a checkpoint was).
    pub applied_at: Option<u64>,
    /// Log records replayed on top of the checkpoint: what the checkpoint saved loading.
    pub replayed: usize,
    /// Bytes of the checkpoint's state and of the records replayed: the document's size as
    /// `--max-document-bytes` measures it, without encoding the document again.
    pub stored_bytes: u64,
    /// The log position the checkpoint used covered (0 without one).
    pub checkpoint: Seq,
    /// Who owns which client id as of `applied` (empty for an open room).
    pub owners: ClientOwners,
}

/// Everything a room task needs from storage before it serves: its session (`None` for an
/// open room) and its document.
pub(super) async fn load_room(
    id: &RoomId,
    storage: &SharedStorage,
) -> Result<(Option<Arc<Session>>, LoadedDocument), StorageError> {
    let session = SessionStore::new(storage.clone()).get(id.as_str()).await?;
    let document = load(id, storage.as_ref(), session.is_some()).await?;
    Ok((session.map(Arc::new), document))
}

/// Rebuilds an open room's document from its newest checkpoint and the log after it. Rooms
/// load this way; so can tools that need a room's state without serving it.
pub async fn load_document(
    id: &RoomId,
    storage: &dyn Storage,
) -> Result<LoadedDocument, StorageError> {
    load(id, storage, false).await
}

/// [`load_document`] for a session's room: records are checked for authorship as the room
/// checked them when it applied them, so forged ones are skipped again.
pub async fn load_session_document(
    id: &RoomId,
    storage: &dyn Storage,
) -> Result<LoadedDocument, StorageError> {
    load(id, storage, true).await
}

async fn load(
    id: &RoomId,
    storage: &dyn Storage,
    session: bool,
) -> Result<LoadedDocument, StorageError> {
    let mut stored = storage.load(id).await?;
    let mut doc = Doc::new();
    let mut checkpoint = 0;
    let mut stored_bytes = 0;
    if let Some(stored_checkpoint) = stored.checkpoint {
        checkpoint = stored_checkpoint.covers;
        stored_bytes = stored_checkpoint.state.len() as u64;
        if !apply_stored(id, &doc, &stored_checkpoint.state, "checkpoint") {
            // The log holds everything the checkpoint did: rebuild from it instead.
            warn!(room = %id, covers = checkpoint, "replaying the whole log instead of the checkpoint");
            doc = Doc::new();
            checkpoint = 0;
            stored_bytes = 0;
            stored.records = storage.read_log(id, 0, usize::MAX).await?;
        }
    }
    let mut owners = match session {
        true => client_owners(id, storage, checkpoint).await?,
        false => ClientOwners::default(),
    };
    let mut applied = checkpoint;
    let mut applied_at = None;
    let replayed = stored.records.len();
    for record in stored.records {
        applied = record.seq;
        applied_at = Some(record.at_ms);
        stored_bytes += record.update.len() as u64;
        if session {
            apply_owned(id, &doc, &mut owners, &record);
        } else {
            apply_stored(id, &doc, &record.update, "log record");
        }
    }
    Ok(LoadedDocument {
        doc,
        applied,
        applied_at,
        replayed,
        stored_bytes,
        checkpoint,
        owners,
    })
}

/// Who owns which client id after the log's records up to `through` (`Seq::MAX`: the whole
/// log). Reads those records: ownership is decided by the log alone.
pub async fn client_owners(
    id: &RoomId,
    storage: &dyn Storage,
    through: Seq,
) -> Result<ClientOwners, StorageError> {
    let mut owners = ClientOwners::default();
    let mut after = 0;
    while after < through {
        let limit = OWNERS_PAGE.min((through - after).try_into().unwrap_or(usize::MAX));
        let records = storage.read_log(id, after, limit).await?;
        let Some(last) = records.last() else { break };
        after = last.seq;
        owners.add(&records);
    }
    Ok(owners)
}

/// Applies a session room's stored record unless it is forged (the room skipped it live too).
/// History replays apply records this way too.
pub(crate) fn apply_owned(id: &RoomId, doc: &Doc, owners: &mut ClientOwners, record: &LogRecord) {
    let applied = decode_update(&record.update)
        .map_err(|e| e.to_string())
        .and_then(|update| {
            owners
                .accept(&record.origin, &update)
                .map_err(|e| e.to_string())?;
            apply_update(doc, update).map_err(|e| e.to_string())
        });
    if let Err(error) = applied {
        warn!(room = %id, seq = record.seq, error, "skipped stored update that does not apply");
    }
}

/// Applies a stored update; says whether it applied. A log record that fails was refused live
/// in the same way and never fanned out, so skipping it reproduces what clients saw.
fn apply_stored(id: &RoomId, doc: &Doc, bytes: &[u8], what: &str) -> bool {
    let outcome = apply_bytes(doc, bytes);
    if let Err(e) = &outcome {
        warn!(room = %id, what, error = %e, "skipped stored update that does not apply");
    }
    outcome.is_ok()
}
