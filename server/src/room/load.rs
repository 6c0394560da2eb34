//! Loading a room: its session and its document, rebuilt from the newest checkpoint and the
//! log after it. The document half is pure storage reading, so tools that need a room's state
//! without serving it (history, the API) load the same way.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;

use cocreate_board::{apply_bytes, apply_update, encode_loadable};
use cocreate_protocol::decode_update;
use tracing::{error, warn};
use yrs::Doc;

use super::authorship::{ClientOwners, NEWEST, SAVED_OWNERS};
use crate::room_id::RoomId;
use crate::session::drafts;
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
    /// Stored records the load skipped: refused as the room refused them live (undecodable,
    /// forged), or, found on load, leaving the document unable to be encoded (issue 33).
    pub skipped: usize,
    /// The document's whole state as `encode_loadable` checked it: a room's first sync answer
    /// to a member with nothing, without encoding the document again.
    pub state: Vec<u8>,
}

/// Everything a room task needs from storage before it serves: its session (`None` for an
/// open room) and its document.
pub(super) async fn load_room(
    id: &RoomId,
    storage: &SharedStorage,
) -> Result<(Option<Arc<Session>>, LoadedDocument), StorageError> {
    let session = SessionStore::new(storage.clone())
        .get(drafts::session_of(id.as_str()))
        .await?;
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
    let stored = storage.load(id).await?;
    let (mut base, mut records) = (stored.checkpoint, stored.records);
    let mut doc = Doc::new();
    if let Some(stored_checkpoint) = &base {
        if !apply_stored(id, &doc, &stored_checkpoint.state, "checkpoint") {
            // The log holds everything the checkpoint did: rebuild from it instead.
            warn!(room = %id, covers = stored_checkpoint.covers, "replaying the whole log instead of the checkpoint");
            doc = Doc::new();
            base = None;
            records = storage.read_log(id, 0, usize::MAX).await?;
        }
    }
    let checkpoint = base.as_ref().map_or(0, |c| c.covers);
    let owners = match session {
        true => client_owners(id, storage, checkpoint).await?,
        false => ClientOwners::default(),
    };
    let mut replay = Replay {
        id,
        base: base.map(|c| c.state),
        owners,
        records,
        session,
    };
    let mut skip = HashSet::new();
    let mut start = Some(doc);
    let (doc, owners, mut skipped, state) = loop {
        let doc = start.take().unwrap_or_else(|| replay.base_doc());
        let (owners, skipped) = replay.onto(&doc, &skip, replay.records.len());
        let e = match encode_loadable(&doc) {
            Ok(state) => break (doc, owners, skipped, state),
            Err(e) => e,
        };
        let Some(culprit) = replay.first_unusable(&skip) else {
            // The checkpoint alone does not encode (written before this check existed):
            // every record since the log began is a suspect.
            warn!(room = %id, error = %e, "the checkpoint's document does not encode; replaying the whole log");
            replay.records = storage.read_log(id, 0, usize::MAX).await?;
            replay.base = None;
            replay.owners = ClientOwners::default();
            continue;
        };
        error!(room = %id, seq = culprit, error = %e, "skipped stored update after which the document could not be encoded");
        skip.insert(culprit);
    };
    skipped += skip.len();
    let checkpoint = if replay.base.is_some() { checkpoint } else { 0 };
    let records = &replay.records;
    Ok(LoadedDocument {
        applied: records.last().map_or(checkpoint, |r| r.seq),
        applied_at: records.last().map(|r| r.at_ms),
        replayed: records.len(),
        stored_bytes: replay.base.as_ref().map_or(0, |b| b.len() as u64)
            + records.iter().map(|r| r.update.len() as u64).sum::<u64>(),
        doc,
        checkpoint,
        owners,
        skipped,
        state,
    })
}

/// Replaying a room's stored document: a checkpoint's state, then log records in order.
struct Replay<'a> {
    id: &'a RoomId,
    /// The checkpoint's state (`None`: the log from its beginning).
    base: Option<Bytes>,
    /// Who owned which client id as of the checkpoint.
    owners: ClientOwners,
    records: Vec<LogRecord>,
    session: bool,
}

impl Replay<'_> {
    /// A document holding the base alone.
    fn base_doc(&self) -> Doc {
        let doc = Doc::new();
        if let Some(base) = &self.base {
            apply_stored(self.id, &doc, base, "checkpoint");
        }
        doc
    }

    /// Applies the first `count` records but those in `skip` to `doc`, which holds the base;
    /// returns who owns which client id then, and how many records did not apply (refused or
    /// forged).
    fn onto(&self, doc: &Doc, skip: &HashSet<Seq>, count: usize) -> (ClientOwners, usize) {
        let mut owners = self.owners.clone();
        let mut refused = 0;
        for record in self.records[..count]
            .iter()
            .filter(|r| !skip.contains(&r.seq))
        {
            let applied = match self.session {
                true => apply_owned(self.id, doc, &mut owners, record),
                false => apply_stored(self.id, doc, &record.update, "log record"),
            };
            refused += usize::from(!applied);
        }
        (owners, refused)
    }

    /// The first record after which the document no longer encodes (or loads back), found by
    /// bisection over replays (a few whole replays): this runs only when a loaded room's
    /// document does not encode, which the checks on receipt are there to prevent (issue 33).
    /// `None` when the base alone does not.
    fn first_unusable(&self, skip: &HashSet<Seq>) -> Option<Seq> {
        let usable = |count| {
            let doc = self.base_doc();
            self.onto(&doc, skip, count);
            encode_loadable(&doc).is_ok()
        };
        if !usable(0) {
            return None;
        }
        // Invariant: `good` records keep the document usable, `bad` do not.
        let (mut good, mut bad) = (0, self.records.len());
        while bad - good > 1 {
            let mid = good + (bad - good) / 2;
            match usable(mid) {
                true => good = mid,
                false => bad = mid,
            }
        }
        Some(self.records[bad - 1].seq)
    }
}

/// Who owns which client id after the log's records up to `through` (`Seq::MAX`: the whole
/// log). Ownership is decided by the log alone: this starts from the table saved with the
/// newest checkpoint when it covers no more than `through`, and reads the log after it.
pub async fn client_owners(
    id: &RoomId,
    storage: &dyn Storage,
    through: Seq,
) -> Result<ClientOwners, StorageError> {
    let saved = match SAVED_OWNERS.get(storage, id.as_str(), NEWEST).await {
        Ok(saved) => saved.filter(|saved| saved.covers <= through),
        Err(StorageError::Corrupt(e)) => {
            warn!(room = %id, error = %e, "saved client ids unreadable: reading the whole log");
            None
        }
        Err(e) => return Err(e),
    };
    let (mut after, mut owners) = saved.map(ClientOwners::from_saved).unwrap_or_default();
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
/// Says whether it applied.
pub(crate) fn apply_owned(
    id: &RoomId,
    doc: &Doc,
    owners: &mut ClientOwners,
    record: &LogRecord,
) -> bool {
    let applied = decode_update(&record.update)
        .map_err(|e| e.to_string())
        .and_then(|update| {
            owners
                .accept(&record.origin, &update)
                .map_err(|e| e.to_string())?;
            apply_update(doc, update).map_err(|e| e.to_string())
        });
    if let Err(error) = &applied {
        warn!(room = %id, seq = record.seq, error, "skipped stored update that does not apply");
    }
    applied.is_ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{EmbeddedStorage, NewRecord, Origin, RecordBackend};
    use yrs::{ClientID, Text, Transact};

    /// A record of `participant` typing with client id 7.
    fn typed(participant: &str, text: &str) -> NewRecord {
        let doc = Doc::with_client_id(7);
        let field = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        field.insert(&mut txn, 0, text);
        NewRecord {
            at_ms: 1,
            origin: Origin {
                node: "n".into(),
                connection: 1,
                participant: Some(participant.into()),
            },
            update: txn.encode_update_v1().into(),
        }
    }

    #[tokio::test]
    async fn ownership_starts_from_the_saved_table_that_covers_no_more_than_asked() {
        let dir = tempfile::tempdir().unwrap();
        let storage = EmbeddedStorage::open(dir.path()).unwrap();
        let room = RoomId::parse("owners").unwrap();
        storage
            .append(&room, vec![typed("ann", "a")])
            .await
            .unwrap();
        storage
            .append(&room, vec![typed("ann", "ab")])
            .await
            .unwrap();
        let from_log = client_owners(&room, &storage, Seq::MAX).await.unwrap();
        assert_eq!(from_log.clients_of("ann"), [ClientID::new(7)].into());
        // A table saved at record 2 that says otherwise (a test's lie) is what loads start
        // from: the records it covers are not read again.
        let mut lie = ClientOwners::default();
        let origin = &typed("bob", "a").origin;
        let update = decode_update(&typed("bob", "a").update).unwrap();
        lie.accept(origin, &update).unwrap();
        let saved = lie.saved(2);
        SAVED_OWNERS
            .put(&storage, room.as_str(), NEWEST, &saved)
            .await
            .unwrap();
        let owners = client_owners(&room, &storage, Seq::MAX).await.unwrap();
        assert_eq!(owners.clients_of("bob"), [ClientID::new(7)].into());
        assert!(owners.clients_of("ann").is_empty());
        // Before the table's position, only the log counts.
        let before = client_owners(&room, &storage, 1).await.unwrap();
        assert!(before.clients_of("bob").is_empty());
        assert_eq!(before.clients_of("ann"), [ClientID::new(7)].into());
        // An unreadable table is read past.
        storage
            .put_record(room.as_str(), "client-owners", NEWEST, "{".into())
            .await
            .unwrap();
        let owners = client_owners(&room, &storage, Seq::MAX).await.unwrap();
        assert_eq!(owners.clients_of("ann"), [ClientID::new(7)].into());
    }
}
