//! The embedded store's appends, committed together: one writer thread takes every append
//! waiting and commits them in one redb transaction, so one fsync carries the updates of
//! every room that wrote meanwhile. redb runs one write transaction at a time; with a
//! transaction per append, 200 busy rooms queued behind each other's fsyncs (about 0.6 s at
//! p99 in the `workshops` load scenario).

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use redb::Database;
use tokio::sync::oneshot;

use super::log::{insert_records, LOG};
use crate::storage::{NewRecord, Result, Seq, StorageError};

/// Appends one commit carries at most: bounds the transaction (and the wait of the first).
const MAX_GROUP: usize = 512;

/// One room's records waiting to be committed.
struct Append {
    room: String,
    records: Vec<NewRecord>,
    done: oneshot::Sender<Result<Seq>>,
}

/// The writer thread and its queue. Dropping it lets the thread finish what is queued and
/// waits for it, so the database is closed when the store is.
pub(super) struct GroupCommit {
    queue: Option<mpsc::Sender<Append>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    pub(super) fn start(db: Arc<Database>) -> std::io::Result<Self> {
        let (queue, waiting) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("embedded-commit".into())
            .spawn(move || write(&db, &waiting))?;
        Ok(GroupCommit {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Whether the writer thread is still there to commit (it is gone only if it panicked):
    /// readiness reports a store that can no longer write.
    pub(super) fn is_running(&self) -> bool {
        self.thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished())
    }

    /// Appends `records` to `room`'s log in the next commit; returns the last sequence number.
    pub(super) async fn append(&self, room: String, records: Vec<NewRecord>) -> Result<Seq> {
        let (done, committed) = oneshot::channel();
        let queue = self.queue.as_ref().expect("open until dropped");
        queue
            .send(Append {
                room,
                records,
                done,
            })
            .map_err(|_| writer_gone())?;
        committed.await.map_err(|_| writer_gone())?
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.queue.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread can only be gone if it panicked.
fn writer_gone() -> StorageError {
    StorageError::WriterStopped
}

/// Commits whatever is waiting, in groups, until the store is dropped.
fn write(db: &Database, waiting: &mpsc::Receiver<Append>) {
    while let Ok(first) = waiting.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match waiting.try_recv() {
                Ok(append) => group.push(append),
                Err(_) => break,
            }
        }
        match commit(db, &group) {
            Ok(lasts) => {
                for (append, last) in group.into_iter().zip(lasts) {
                    let _ = append.done.send(Ok(last));
                }
            }
            // Each on its own, so that one failing append cannot fail the others, and each
            // caller gets its own error.
            Err(_) => {
                for append in group {
                    let result = commit(db, std::slice::from_ref(&append)).map(|l| l[0]);
                    let _ = append.done.send(result);
                }
            }
        }
    }
}

/// One transaction for the group; the last sequence number of each append, in order.
fn commit(db: &Database, group: &[Append]) -> Result<Vec<Seq>> {
    let txn = db.begin_write()?;
    let lasts = {
        let mut log = txn.open_table(LOG)?;
        group
            .iter()
            .map(|append| insert_records(&mut log, &append.room, &append.records))
            .collect::<Result<Vec<_>, _>>()?
    };
    txn.commit()?;
    Ok(lasts)
}
