//! A session's ledger: who added or deleted which card, note or comment and who voted for
//! which item, when (the history events receipts and outcomes need; no text). Replaying a
//! session's whole log for every receipt made its cost grow with the history (issue 32); the
//! ledger instead is kept as a record in the session's scope, with who owns which client id at
//! the position it covers, and brought up to date from the log's tail when it is read. Each
//! node also keeps, for the sessions read lately, the ledger with the board it was read with,
//! so that the next read costs the records since and the board's size, not the history.
//!
//! The ledger is derived from the log alone, like every history output: lost or unreadable, it
//! is rebuilt from the log's beginning (once), and nodes that race to save it save the same
//! thing for the same position.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::{debug, warn};
use yrs::Doc;

use cocreate_board::{BoardChange, ObservedDoc};

use super::seek::{Position, Seeker};
use super::timeline::{HistoryEvent, SessionRecords};
use crate::room::{apply_owned, ClientOwners, SavedOwners};
use crate::room_id::RoomId;
use crate::storage::{RecordKind, Seq, Storage, StorageError, SERVER_EDIT};

/// The ledger of a session, in its scope, under [`NEWEST`].
const LEDGERS: RecordKind<Stored> = RecordKind::new("ledger");
const NEWEST: &str = "newest";

/// Records read per storage call while catching up.
const PAGE: usize = 1000;
/// Records caught up with before the ledger is saved again: a shorter tail is cheaper to
/// replay on the next node or after a restart than the ledger is to write.
const SAVE_AFTER: u64 = 200;
/// Sessions whose ledger and board a node keeps in memory (the least recently read go first).
const KEPT: usize = 16;

/// The item kinds whose additions and deletions the ledger keeps.
const KEPT_ITEMS: [&str; 3] = ["card", "note", "comment"];

/// One event of the ledger: a history event's attribution and what it did, without detail.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    seq: Seq,
    at: u64,
    /// The participant whose record it was (`None`: the server's own).
    by: Option<String>,
    /// A server edit in the participant's name (a moderation action's).
    by_server: bool,
    entity: String,
    action: String,
    target: String,
}

impl Entry {
    /// What the ledger keeps of a record's change, if anything.
    fn of(
        seq: Seq,
        at: u64,
        by: Option<&str>,
        by_server: bool,
        change: BoardChange,
    ) -> Option<Self> {
        let kept = match change.entity.as_str() {
            "vote" => true,
            item => KEPT_ITEMS.contains(&item) && matches!(change.action, "added" | "deleted"),
        };
        kept.then(|| Entry {
            seq,
            at,
            by: by.map(str::to_owned),
            by_server,
            entity: change.entity,
            action: change.action.to_owned(),
            target: change.target,
        })
    }
}

/// The ledger as storage keeps it.
#[derive(Serialize, Deserialize)]
struct Stored {
    /// The last log record it took in.
    covers: Seq,
    entries: Vec<Entry>,
    /// Who owned which client id at `covers`: records after it are checked as the room
    /// checked them.
    owners: SavedOwners,
}

/// A ledger caught up to a position, with the board there.
struct Followed {
    observed: ObservedDoc,
    owners: ClientOwners,
    entries: Vec<Entry>,
    seq: Seq,
    /// The position of the ledger storage holds.
    saved: Seq,
}

impl Followed {
    /// The stored ledger (or an empty one) with the board at its position.
    async fn open(
        storage: &dyn Storage,
        room: &RoomId,
        spacing: u64,
    ) -> Result<Self, StorageError> {
        let stored = match LEDGERS.get(storage, room.as_str(), NEWEST).await {
            Ok(stored) => stored,
            Err(StorageError::Corrupt(e)) => {
                warn!(room = %room, error = %e, "ledger unreadable: rebuilding it from the log");
                None
            }
            Err(e) => return Err(e),
        };
        let Some(stored) = stored else {
            return Ok(Followed {
                observed: ObservedDoc::new(Doc::new()),
                owners: ClientOwners::default(),
                entries: Vec::new(),
                seq: 0,
                saved: 0,
            });
        };
        let (covers, owners) = ClientOwners::from_saved(stored.owners);
        let mut seeker = Seeker::new(storage, room, spacing).await?;
        let seeked = seeker.state_at(Position::Seq(covers)).await?;
        Ok(Followed {
            observed: ObservedDoc::new(seeked.doc),
            owners,
            entries: stored.entries,
            seq: covers,
            saved: covers,
        })
    }

    /// Takes in the log records after its position.
    async fn catch_up(&mut self, storage: &dyn Storage, room: &RoomId) -> Result<(), StorageError> {
        loop {
            let records = storage.read_log(room, self.seq, PAGE).await?;
            let Some(last) = records.last() else {
                return Ok(());
            };
            self.seq = last.seq;
            for record in &records {
                if !apply_owned(room, self.observed.doc(), &mut self.owners, record) {
                    continue;
                }
                let by = record.origin.participant.as_deref();
                let by_server = record.origin.connection == SERVER_EDIT;
                let (seq, at) = (record.seq, record.at_ms);
                self.entries.extend(
                    self.observed
                        .take()
                        .into_iter()
                        .filter_map(|change| Entry::of(seq, at, by, by_server, change)),
                );
            }
        }
    }

    /// Saves the ledger once enough was caught up with since storage's copy.
    async fn save_if_due(&mut self, storage: &dyn Storage, room: &RoomId) {
        if self.seq < self.saved + SAVE_AFTER {
            return;
        }
        let stored = Stored {
            covers: self.seq,
            entries: self.entries.clone(),
            owners: self.owners.saved(self.seq),
        };
        match LEDGERS.put(storage, room.as_str(), NEWEST, &stored).await {
            Ok(()) => {
                debug!(room = %room, covers = self.seq, entries = self.entries.len(), "ledger saved");
                self.saved = self.seq;
            }
            // The next read catches up from the older copy.
            Err(e) => warn!(room = %room, covers = self.seq, error = %e, "ledger not saved"),
        }
    }
}

/// One session's slot: its followed ledger while a node keeps it.
type Slot = Arc<tokio::sync::Mutex<Option<Followed>>>;

/// The ledgers this node keeps in memory, by session: one read at a time per session (a
/// rush of receipts catches up once), any number of sessions at once.
#[derive(Default)]
pub struct Ledgers {
    slots: Mutex<HashMap<String, (Slot, Instant)>>,
}

/// The ledger as of the log's newest record, with the board there.
pub struct Ledger<'a> {
    entries: &'a [Entry],
    pub doc: &'a Doc,
    /// The last log record taken in.
    pub seq: Seq,
}

impl Ledger<'_> {
    /// The ledger's entries as history events, attributed as `records`' session's history
    /// attributes them now (pseudonyms, roles).
    pub fn events<'b>(
        &'b self,
        records: &'b SessionRecords,
    ) -> impl Iterator<Item = HistoryEvent> + 'b {
        let mut who = HashMap::new();
        self.entries.iter().map(move |entry| {
            let (participant, role) = who
                .entry(entry.by.clone())
                .or_insert_with(|| records.attribution(entry.by.as_deref()))
                .clone();
            HistoryEvent {
                seq: Some(entry.seq),
                at: entry.at,
                participant,
                role,
                entity: entry.entity.clone(),
                action: entry.action.clone(),
                target: entry.target.clone(),
                detail: String::new(),
                participant_id: entry.by.clone(),
                by_server: entry.by_server,
                // The ledger serves receipts and outcomes, which do not ask.
                revealed_draft: false,
            }
        })
    }
}

impl Ledgers {
    /// Brings a session's ledger up to the log's newest record and hands it to `read`.
    pub async fn read<R>(
        &self,
        storage: &dyn Storage,
        room: &RoomId,
        spacing: u64,
        read: impl FnOnce(Ledger<'_>) -> R,
    ) -> Result<R, StorageError> {
        let slot = self.slot(room.as_str());
        let mut kept = slot.lock().await;
        let mut followed = match kept.take() {
            Some(followed) => followed,
            None => Followed::open(storage, room, spacing).await?,
        };
        // On an error the slot stays empty: the next read starts again from storage.
        followed.catch_up(storage, room).await?;
        followed.save_if_due(storage, room).await;
        let answer = read(Ledger {
            entries: &followed.entries,
            doc: followed.observed.doc(),
            seq: followed.seq,
        });
        *kept = Some(followed);
        Ok(answer)
    }

    /// A session's slot, made (and the least recently read one let go) if there is none.
    fn slot(&self, session: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some((slot, used)) = slots.get_mut(session) {
            *used = now;
            return slot.clone();
        }
        if slots.len() >= KEPT {
            let oldest = slots
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(session, _)| session.clone());
            slots.remove(&oldest.unwrap_or_default());
        }
        let slot = Slot::default();
        slots.insert(session.to_owned(), (slot.clone(), now));
        slot
    }
}
