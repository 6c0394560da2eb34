//! The embedded default backend: a redb file in `--data-dir`, so cocreate runs with no server
//! to install. Every commit is fsynced; rooms group their updates, and the writer thread
//! (`group_commit`) groups the rooms', so that one commit carries many of them. The update
//! log's table is in `log`, sessions' tables in `sessions`.

mod group_commit;
mod log;
mod records;
mod sessions;

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use tokio::sync::watch;
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

use self::group_commit::GroupCommit;
use self::log::{read_range, LOG};
use super::{
    Checkpoint, KeyframeAt, LogRecord, NewRecord, Result, Seq, Storage, StorageError, StoredRoom,
};
use crate::room_id::RoomId;

/// Default for `--embedded-cache-mib`: room for the hot rooms of a busy node; redb's own
/// default (1 GiB) would look like a leak to anyone watching a small server's memory.
pub const DEFAULT_EMBEDDED_CACHE_MIB: u64 = 64;

/// File name of the database inside `--data-dir`.
pub const DATABASE_FILE: &str = "cocreate.redb";

/// room -> encoded checkpoint.
const CHECKPOINTS: TableDefinition<&str, &[u8]> = TableDefinition::new("checkpoints");
/// (room, covers) -> at_ms: where the keyframes are, read without their states.
const KEYFRAMES: TableDefinition<(&str, u64), u64> = TableDefinition::new("keyframes");
/// (room, covers) -> state.
const KEYFRAME_STATES: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("keyframe_states");

/// Lets `?` turn every redb error type into a `StorageError`.
macro_rules! storage_error_from {
    ($($error:ty),*) => {$(
        impl From<$error> for StorageError {
            fn from(e: $error) -> Self {
                StorageError::Embedded(e.into())
            }
        }
    )*};
}
storage_error_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    std::io::Error
);

/// The embedded store. Cheap to clone; redb serialises writers itself.
#[derive(Clone)]
pub struct EmbeddedStorage {
    db: Arc<Database>,
    /// The last sequence number appended, per room being followed; a follower waits for its
    /// room's to change. Per room: with one counter for all, every append anywhere woke every
    /// room's follower for an empty read (200 rooms × their appends a second).
    appends: Arc<Mutex<HashMap<String, watch::Sender<Seq>>>>,
    /// Commits appends, many rooms' at once.
    writer: Arc<GroupCommit>,
}

impl EmbeddedStorage {
    /// Opens (or creates) the store in `data_dir`, creating the directory if needed, with
    /// the default cache.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with_cache(data_dir, DEFAULT_EMBEDDED_CACHE_MIB * 1024 * 1024)
    }

    /// Opens (or creates) the store, caching at most `cache_bytes` of its file in memory.
    pub fn open_with_cache(data_dir: &Path, cache_bytes: u64) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let db = Database::builder()
            .set_cache_size(usize::try_from(cache_bytes).unwrap_or(usize::MAX))
            .create(data_dir.join(DATABASE_FILE))?;
        let txn = db.begin_write()?;
        txn.open_table(LOG)?;
        txn.open_table(CHECKPOINTS)?;
        txn.open_table(KEYFRAMES)?;
        txn.open_table(KEYFRAME_STATES)?;
        sessions::create_tables(&txn)?;
        records::create_tables(&txn)?;
        txn.commit()?;
        let db = Arc::new(db);
        Ok(EmbeddedStorage {
            writer: Arc::new(GroupCommit::start(db.clone())?),
            db,
            appends: Arc::default(),
        })
    }

    /// Runs `work` in a read transaction, off the async runtime (redb blocks).
    async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db.begin_read()?)).await?
    }

    /// Runs `work` in a write transaction, off the async runtime, and commits what it wrote
    /// if it succeeds; a failure writes nothing.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write()?;
            let done = work(&txn)?;
            txn.commit()?;
            Ok(done)
        })
        .await?
    }

    /// Wakes `room`'s followers, if it has any.
    fn appended(&self, room: &str, last: Seq) {
        if let Some(sender) = lock(&self.appends).get(room) {
            sender.send_replace(last);
        }
    }

    /// Subscribes to `room`'s appends until the subscription is dropped.
    fn on_append(&self, room: &str) -> Subscription<'_> {
        let receiver = lock(&self.appends)
            .entry(room.to_owned())
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe();
        Subscription {
            storage: self,
            room: room.to_owned(),
            receiver,
        }
    }
}

/// A follower's wait for its room's appends. The room is forgotten when its last follower's
/// subscription ends, so rooms that unloaded leave nothing behind.
struct Subscription<'a> {
    storage: &'a EmbeddedStorage,
    room: String,
    receiver: watch::Receiver<Seq>,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        let mut appends = lock(&self.storage.appends);
        // This subscription's receiver is still alive here: it is the last if it is the only.
        if appends
            .get(&self.room)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            appends.remove(&self.room);
        }
    }
}

/// Every key of a (name, position) table under `name`, for reading a room's or a session's
/// entries in order.
fn positions(name: &str) -> RangeInclusive<(&str, u64)> {
    (name, 0)..=(name, u64::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Held only to look up or insert a sender: nothing can be left half-done.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl Storage for EmbeddedStorage {
    async fn load(&self, room: &RoomId) -> Result<StoredRoom> {
        let room = room.to_string();
        self.read(move |txn| {
            let checkpoint = match txn.open_table(CHECKPOINTS)?.get(room.as_str())? {
                Some(bytes) => Some(decode_checkpoint(bytes.value())?),
                None => None,
            };
            let after = checkpoint.as_ref().map_or(0, |c| c.covers);
            let log = txn.open_table(LOG)?;
            let records = read_range(&log, &room, after, usize::MAX)?;
            Ok(StoredRoom {
                checkpoint,
                records,
            })
        })
        .await
    }

    async fn append(&self, room: &RoomId, records: Vec<NewRecord>) -> Result<Seq> {
        let room = room.to_string();
        let last = self.writer.append(room.clone(), records).await?;
        self.appended(&room, last);
        Ok(last)
    }

    async fn save_checkpoint(&self, room: &RoomId, checkpoint: Checkpoint) -> Result<()> {
        let room = room.to_string();
        self.write(move |txn| {
            let mut table = txn.open_table(CHECKPOINTS)?;
            let stored = match table.get(room.as_str())? {
                Some(bytes) => Some(decode_checkpoint(bytes.value())?.covers),
                None => None,
            };
            if stored.is_none_or(|covers| covers < checkpoint.covers) {
                table.insert(room.as_str(), encode_checkpoint(&checkpoint).as_slice())?;
            }
            Ok(())
        })
        .await
    }

    async fn follow(
        &self,
        room: &RoomId,
        after: Seq,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<LogRecord>> {
        // Subscribe before reading, so that an append between the read and the wait is seen.
        let mut appended = self.on_append(&room.to_string());
        let records = self.read_log(room, after, limit).await?;
        if !records.is_empty() {
            return Ok(records);
        }
        match tokio::time::timeout(wait, appended.receiver.changed()).await {
            Ok(_) => self.read_log(room, after, limit).await,
            Err(_) => Ok(Vec::new()),
        }
    }

    async fn read_log(&self, room: &RoomId, after: Seq, limit: usize) -> Result<Vec<LogRecord>> {
        let room = room.to_string();
        self.read(move |txn| read_range(&txn.open_table(LOG)?, &room, after, limit))
            .await
    }

    async fn save_keyframe(&self, room: &RoomId, at: KeyframeAt, state: Bytes) -> Result<()> {
        let room = room.to_string();
        self.write(move |txn| {
            txn.open_table(KEYFRAME_STATES)?
                .insert((room.as_str(), at.covers), state.as_ref())?;
            txn.open_table(KEYFRAMES)?
                .insert((room.as_str(), at.covers), at.at_ms)?;
            Ok(())
        })
        .await
    }

    async fn keyframes(&self, room: &RoomId) -> Result<Vec<KeyframeAt>> {
        let room = room.to_string();
        self.read(move |txn| {
            let table = txn.open_table(KEYFRAMES)?;
            table
                .range(positions(&room))?
                .map(|entry| {
                    let (key, at_ms) = entry?;
                    Ok(KeyframeAt {
                        covers: key.value().1,
                        at_ms: at_ms.value(),
                    })
                })
                .collect()
        })
        .await
    }

    async fn keyframe_state(&self, room: &RoomId, covers: Seq) -> Result<Option<Bytes>> {
        let room = room.to_string();
        self.read(move |txn| {
            let state = txn
                .open_table(KEYFRAME_STATES)?
                .get((room.as_str(), covers))?;
            Ok(state.map(|state| Bytes::copy_from_slice(state.value())))
        })
        .await
    }

    async fn check(&self) -> Result<()> {
        if !self.writer.is_running() {
            return Err(StorageError::WriterStopped);
        }
        self.read(|txn| {
            txn.open_table(CHECKPOINTS)?;
            Ok(())
        })
        .await
    }
}

/// Checkpoint layout: varUint(covers) bytes(state).
fn encode_checkpoint(checkpoint: &Checkpoint) -> Vec<u8> {
    let mut out = Vec::with_capacity(checkpoint.state.len() + 12);
    out.write_var(checkpoint.covers);
    out.write_buf(&checkpoint.state);
    out
}

fn decode_checkpoint(bytes: &[u8]) -> Result<Checkpoint> {
    let corrupt = |e: yrs::encoding::read::Error| StorageError::Corrupt(format!("checkpoint: {e}"));
    let mut cursor = Cursor::new(bytes);
    let covers = cursor.read_var().map_err(corrupt)?;
    let state = Bytes::copy_from_slice(cursor.read_buf().map_err(corrupt)?);
    Ok(Checkpoint { covers, state })
}
