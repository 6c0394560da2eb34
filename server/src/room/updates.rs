//! A room's updates: members' updates queued for the log, senders told once theirs are saved,
//! and log records applied to the document and relayed to every member but their sender.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use cocreate_protocol::{close, cocreate, Message, SyncMessage};
use tracing::{error, warn};
use yrs::Update;

use cocreate_board::ApplyError;

use super::append::{self, AppendEvent, PendingUpdate};
use super::frames::encode;
use super::Room;
use crate::close_reason::ReasonCode;
use crate::limits::Limit;
use crate::session::now_ms;
use crate::storage::{LogRecord, Seq};

impl Room {
    /// Queues a member's update for the log, unless it is a sync step 2 that adds nothing.
    /// Live updates are not checked: they are new by nature, and the check costs a scan of
    /// the document's deletions after every change.
    pub(super) fn update(&mut self, conn: u64, update: &Update, bytes: Bytes, step2: bool) {
        let redundant = step2 && self.repeats_known_state(update);
        if !redundant && self.refuse_forged(conn, update) {
            return;
        }
        let Some(member) = self.members.get_mut(&conn) else {
            return;
        };
        member.received += 1;
        if redundant || !member.writable {
            // e.g. a reconnecting client's step 2: nothing to log or relay; or a read-only
            // member's update, which is never applied, relayed or stored
            if member.unsaved == 0 {
                member
                    .outbox
                    .send_cocreate(encode(&cocreate::saved(member.received)));
            }
            return;
        }
        let limit = self.context.max_document_bytes;
        if self.document_bytes + bytes.len() as u64 > limit {
            self.context.metrics.limited(Limit::DocumentSize);
            warn!(room = %self.id, conn, bytes = self.document_bytes, "update refused: document too large");
            member.outbox.close(
                close::MESSAGE_TOO_BIG,
                ReasonCode::BoardFull.reason(format_args!(
                    "the board is full: its document would exceed {limit} bytes"
                )),
            );
            return;
        }
        if self.refuse_by_rules(conn, update, &bytes) {
            return;
        }
        let Some(member) = self.members.get_mut(&conn) else {
            return;
        };
        let pending = PendingUpdate {
            conn,
            participant: member.identity.as_ref().map(|i| i.participant.clone()),
            ordinal: member.received,
            at_ms: now_ms(),
            bytes,
        };
        match self.log.push(pending, self.applied) {
            Ok(()) => {
                if let Some(member) = self.members.get_mut(&conn) {
                    member.unsaved += 1;
                }
            }
            Err(append::QueueFull) => {
                self.unqueue_ahead();
                let Some(member) = self.members.get_mut(&conn) else {
                    return;
                };
                warn!(room = %self.id, conn, pending = self.log.pending(), "update refused: too much waiting for storage");
                member.outbox.close(
                    close::TRY_AGAIN_LATER,
                    ReasonCode::StorageUnavailable.reason(
                        "storage unavailable: this change was not saved; reconnect later to resend it",
                    ),
                );
            }
        }
    }

    /// Whether an update carries no blocks and only deletions the document already has. Updates
    /// with blocks are always kept: telling a redundant block from one past a gap is yrs's job.
    fn repeats_known_state(&mut self, update: &Update) -> bool {
        if !update.state_vector_lower().is_empty() {
            return false;
        }
        let deletions = update.delete_set();
        if deletions.is_empty() {
            return true;
        }
        let known = self.frames.known_deletions(self.awareness.doc());
        deletions.diff(known).is_empty()
    }

    pub(super) fn append_event(&mut self, event: AppendEvent) {
        match event {
            AppendEvent::Stored { batch, last, floor } => self.stored(batch, last, floor),
            AppendEvent::Failed { error, pending } => {
                error!(room = %self.id, error = %error, pending, "update log append failed; retrying");
            }
            AppendEvent::RetryDue => self.log.start(self.applied),
        }
    }

    /// Tells each sender in a durable batch how many of its updates are now saved.
    fn stored(&mut self, batch: Vec<PendingUpdate>, last: Seq, floor: Seq) {
        // New records always come after everything the room had applied when it appended them.
        // If not, the log went backwards (Redis restarted without persistence, or failed over
        // to a stale replica): carrying on would hide these records behind `applied`. Start
        // over from the log; clients resend what it lacks in their sync step 2.
        if (last + 1)
            .checked_sub(batch.len() as u64)
            .is_none_or(|first| first <= floor)
        {
            error!(room = %self.id, last, floor, "update log went backwards; reloading the room");
            self.fail("internal error: the room is reloading, reconnect");
            return;
        }
        self.appended = self.appended.max(last);
        // Per connection: updates in this batch, and the ordinal of the last of them.
        let mut saved: HashMap<u64, (usize, u64)> = HashMap::new();
        for pending in batch {
            let entry = saved.entry(pending.conn).or_default();
            entry.0 += 1;
            entry.1 = entry.1.max(pending.ordinal);
        }
        for (conn, (count, last)) in saved {
            let Some(member) = self.members.get_mut(&conn) else {
                continue;
            };
            member.unsaved = member.unsaved.saturating_sub(count);
            // With nothing left unsaved, updates that needed no storing are saved too.
            let through = if member.unsaved == 0 {
                member.received
            } else {
                last
            };
            member
                .outbox
                .send_cocreate(encode(&cocreate::saved(through)));
        }
        self.log.start(self.applied);
    }

    /// Applies new log records in order and relays each to every member but its sender.
    pub(super) fn logged(&mut self, records: Vec<LogRecord>) {
        for record in records {
            if record.seq <= self.applied {
                continue; // already in the document (loaded, or read twice after a retry)
            }
            self.applied = record.seq;
            self.applied_at = Some(record.at_ms);
            self.document_bytes += record.update.len() as u64;
            self.bytes_since_checkpoint += record.update.len() as u64;
            let sender =
                (*record.origin.node == *self.context.node).then_some(record.origin.connection);
            if sender.is_some() {
                let accepted = Duration::from_millis(now_ms().saturating_sub(record.at_ms));
                self.context.metrics.fanout_latency.observe(accepted);
            }
            let applied = self.apply_record(&record, sender);
            self.follow_ahead(&record, matches!(applied, Some(Ok(()))));
            let Some(applied) = applied else {
                continue; // forged: skipped here as on every node
            };
            match applied {
                Ok(()) => {
                    let frame = encode(&Message::Sync(SyncMessage::Update(record.update.to_vec())));
                    for (conn, member) in &self.members {
                        if Some(*conn) != sender {
                            member.outbox.send(frame.clone());
                        }
                    }
                    self.limit_votes(&record);
                    self.vouch_authors(&record);
                }
                Err(ApplyError::Panicked) => {
                    error!(room = %self.id, seq = record.seq, "yrs panicked applying a log record; reloading the room");
                    self.fail("internal error: the room is reloading, reconnect");
                    return;
                }
                Err(e) => {
                    warn!(room = %self.id, seq = record.seq, node = %record.origin.node, conn = record.origin.connection, error = %e, "update refused");
                    if let Some(member) = sender.and_then(|conn| self.members.get(&conn)) {
                        member.outbox.close(
                            close::INVALID_PAYLOAD,
                            ReasonCode::InvalidUpdate.reason(format_args!("update refused: {e}")),
                        );
                    }
                }
            }
        }
        self.frames.clear();
        self.maybe_checkpoint();
    }

    /// Closes every member after a failure and leaves the registry, so that they (and anyone
    /// else) reconnect to a freshly loaded room.
    pub(super) fn fail(&mut self, reason: &str) {
        self.failed = true;
        self.registration.release();
        for member in self.members.values() {
            let reason = ReasonCode::RoomUnavailable.reason(reason);
            member.outbox.close(close::INTERNAL_ERROR, reason);
        }
    }
}
