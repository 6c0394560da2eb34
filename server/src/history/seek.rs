//! Seeking through a room's history: the document as it was at a log position or an instant,
//! rebuilt from the nearest earlier keyframe and the records after it, so that any point of
//! a long session costs at most one keyframe gap of records. Seeks write the keyframes a log
//! lacks (sessions older than keyframes, a node that died before its checkpoint), so the
//! next seek is bounded too.

use std::str::FromStr;

use bytes::Bytes;
use yrs::{Doc, StateVector};

use crate::room::{apply_owned, ClientOwners};
use crate::room_id::RoomId;
use crate::storage::{KeyframeAt, LogRecord, Seq, Storage, StorageError};

/// Records read per storage call while replaying.
const PAGE: usize = 1000;

/// A point of a session's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// Just after the record with this sequence number (0: before the first).
    Seq(Seq),
    /// Just after the last record accepted at or before this time (ms since the epoch).
    Time(u64),
}

/// Milliseconds-since-the-epoch values start here (2001-09-09); smaller numbers are
/// sequence numbers.
const FIRST_MS_TIMESTAMP: u64 = 1_000_000_000_000;

impl FromStr for Position {
    type Err = String;

    /// `123` (a sequence number), `1763900000000` (ms since the epoch: 13 digits or more) or
    /// an RFC 3339 time (`2026-11-23T10:00:00Z`).
    fn from_str(value: &str) -> Result<Self, String> {
        if let Ok(number) = value.parse::<u64>() {
            return Ok(if number >= FIRST_MS_TIMESTAMP {
                Position::Time(number)
            } else {
                Position::Seq(number)
            });
        }
        let time = humantime::parse_rfc3339_weak(value).map_err(|_| {
            format!("{value:?} is neither a sequence number, milliseconds since the epoch nor an RFC 3339 time")
        })?;
        let ms = time
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| format!("{value:?} is before 1970"))?
            .as_millis();
        Ok(Position::Time(ms as u64))
    }
}

/// A document rebuilt at a position, and what it cost.
pub struct Seeked {
    pub doc: Doc,
    /// The last record merged (0: none).
    pub seq: Seq,
    /// Server time of that record.
    pub at_ms: Option<u64>,
    /// The keyframe the seek started from (0: the start of the log).
    pub keyframe: Seq,
    /// Log records read from storage: bounded by the keyframe spacing.
    pub records_read: usize,
    /// A record after the time sought was read: there is nothing more to apply (up to that
    /// time; a walk that goes on clears it).
    pub(crate) reached: bool,
    /// Who owns which client id, when the replay started at the beginning of the log: records
    /// are then checked for authorship as the room checked them, and forged ones skipped.
    /// From a keyframe, ownership before it is unknown and records apply as stored.
    owners: Option<ClientOwners>,
}

/// Replays a room's log from keyframes, saving a keyframe every `spacing` records where the
/// log has none.
pub struct Seeker<'a> {
    storage: &'a dyn Storage,
    room: &'a RoomId,
    spacing: u64,
    keyframes: Vec<KeyframeAt>,
}

impl<'a> Seeker<'a> {
    /// Reads the room's keyframe positions (no states).
    pub async fn new(
        storage: &'a dyn Storage,
        room: &'a RoomId,
        spacing: u64,
    ) -> Result<Seeker<'a>, StorageError> {
        let keyframes = storage.keyframes(room).await?;
        Ok(Seeker {
            storage,
            room,
            spacing: spacing.max(1),
            keyframes,
        })
    }

    /// The document at `position`.
    pub async fn state_at(&mut self, position: Position) -> Result<Seeked, StorageError> {
        let mut seeked = self.start_at(position).await?;
        loop {
            let records = self.next_records(&mut seeked, position).await?;
            if records.is_empty() {
                return Ok(seeked);
            }
            for record in &records {
                self.advance(&mut seeked, record).await;
            }
        }
    }

    /// The document at the keyframe nearest before `position`, nothing replayed yet.
    pub async fn start_at(&self, position: Position) -> Result<Seeked, StorageError> {
        let before = |k: &&KeyframeAt| match position {
            Position::Seq(seq) => k.covers <= seq,
            Position::Time(ms) => k.at_ms <= ms,
        };
        let doc = Doc::new();
        for keyframe in self.keyframes.iter().rev().filter(before) {
            let Some(state) = self
                .storage
                .keyframe_state(self.room, keyframe.covers)
                .await?
            else {
                continue;
            };
            if apply(&doc, &state) {
                return Ok(Seeked {
                    doc,
                    seq: keyframe.covers,
                    at_ms: Some(keyframe.at_ms),
                    keyframe: keyframe.covers,
                    records_read: 0,
                    reached: false,
                    owners: None,
                });
            }
            tracing::warn!(room = %self.room, covers = keyframe.covers, "skipping a keyframe that does not apply");
        }
        Ok(Seeked {
            doc: Doc::new(),
            seq: 0,
            at_ms: None,
            keyframe: 0,
            records_read: 0,
            reached: false,
            owners: Some(ClientOwners::default()),
        })
    }

    /// The next records after `seeked.seq` up to `until` (empty at the end), at most a page
    /// or a keyframe gap of them. Counted in `records_read`; not applied yet.
    pub async fn next_records(
        &self,
        seeked: &mut Seeked,
        until: Position,
    ) -> Result<Vec<LogRecord>, StorageError> {
        let limit = match until {
            _ if seeked.reached => return Ok(Vec::new()),
            Position::Seq(seq) if seq <= seeked.seq => return Ok(Vec::new()),
            Position::Seq(seq) => PAGE.min((seq - seeked.seq) as usize),
            // Up to the next keyframe, which is after the instant (or the seek would have
            // started there): records beyond it are not needed.
            Position::Time(_) => self
                .next_keyframe(seeked.seq)
                .map_or(PAGE, |next| PAGE.min((next - seeked.seq) as usize)),
        };
        let mut records = self.storage.read_log(self.room, seeked.seq, limit).await?;
        seeked.records_read += records.len();
        if let Position::Time(ms) = until {
            if let Some(past) = records.iter().position(|r| r.at_ms > ms) {
                records.truncate(past);
                seeked.reached = true;
            }
        }
        Ok(records)
    }

    /// Applies the next record, keyframing where the log has a gap.
    pub async fn advance(&mut self, seeked: &mut Seeked, record: &LogRecord) {
        match &mut seeked.owners {
            Some(owners) => apply_owned(self.room, &seeked.doc, owners, record),
            None => apply(&seeked.doc, &record.update),
        };
        seeked.seq = record.seq;
        seeked.at_ms = Some(record.at_ms);
        self.keyframe_if_due(seeked).await;
    }

    fn next_keyframe(&self, after: Seq) -> Option<Seq> {
        self.keyframes
            .iter()
            .map(|k| k.covers)
            .find(|covers| *covers > after)
    }

    /// Saves a keyframe at the seek's position if the log has none within `spacing` before.
    async fn keyframe_if_due(&mut self, seeked: &Seeked) {
        let previous = self
            .keyframes
            .iter()
            .rev()
            .map(|k| k.covers)
            .find(|covers| *covers <= seeked.seq)
            .unwrap_or(0);
        let next = self.next_keyframe(seeked.seq);
        let due = seeked.seq - previous >= self.spacing
            && next.is_none_or(|next| next - seeked.seq >= self.spacing);
        let Some(at_ms) = seeked.at_ms.filter(|_| due) else {
            return;
        };
        let at = KeyframeAt {
            covers: seeked.seq,
            at_ms,
        };
        let state = match cocreate_board::encode_state(&seeked.doc, &StateVector::default()) {
            Ok(state) => Bytes::from(state),
            Err(e) => {
                tracing::warn!(room = %self.room, covers = seeked.seq, error = %e, "keyframe not saved");
                return;
            }
        };
        match self.storage.save_keyframe(self.room, at, state).await {
            Ok(()) => {
                let index = self.keyframes.partition_point(|k| k.covers < at.covers);
                self.keyframes.insert(index, at);
            }
            Err(e) => {
                tracing::warn!(room = %self.room, covers = at.covers, error = %e, "keyframe not saved")
            }
        }
    }
}

/// Applies a stored update or state; a record that does not apply was refused live too.
fn apply(doc: &Doc, bytes: &[u8]) -> bool {
    cocreate_board::apply_bytes(doc, bytes).is_ok()
}
