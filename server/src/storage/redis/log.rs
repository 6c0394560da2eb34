//! A room's log, checkpoint and keyframes in Redis (the key layout is in the module above):
//! the [`Storage`] trait over its keys, its scripts and its replies.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use redis::Value;

use super::replies::{
    bytes_of, corrupt, items_of, number, parse_checkpoint, parse_entries, parse_read,
};
use super::RedisStorage;
use crate::room_id::RoomId;
use crate::storage::{
    Checkpoint, KeyframeAt, LogRecord, NewRecord, Result, Seq, Storage, StorageError, StoredRoom,
};

/// Records fetched per `XRANGE` while loading or reading a log: large enough that a long log
/// loads in few round trips, small enough that no single reply holds Redis (single-threaded)
/// or our memory for long.
const PAGE: usize = 10_000;

/// The keys of one room.
struct RoomKeys {
    log: String,
    seq: String,
    checkpoint: String,
    keyframes: String,
    keyframe_states: String,
}

impl RedisStorage {
    /// The keys of a room, in its hash tag.
    fn keys(&self, room: &RoomId) -> RoomKeys {
        let base = format!("{}:{{{}}}", self.inner.prefix, room.as_str());
        RoomKeys {
            log: format!("{base}:log"),
            seq: format!("{base}:seq"),
            checkpoint: format!("{base}:checkpoint"),
            keyframes: format!("{base}:keyframes"),
            keyframe_states: format!("{base}:keyframe-states"),
        }
    }

    /// Up to `limit` records after `after`, one page of `XRANGE` at a time.
    async fn read_range(&self, log: &str, after: Seq, limit: usize) -> Result<Vec<LogRecord>> {
        let mut conn = self.commands();
        let mut records = Vec::new();
        let mut next = after.checked_add(1);
        while let Some(first) = next {
            let count = PAGE.min(limit - records.len());
            if count == 0 {
                break;
            }
            let reply: Value = redis::cmd("XRANGE")
                .arg(log)
                .arg(format!("{first}-0"))
                .arg("+")
                .arg("COUNT")
                .arg(count)
                .query_async(&mut conn)
                .await?;
            let page = parse_entries(reply, after)?;
            if page.len() < count {
                records.extend(page);
                break;
            }
            next = page.last().and_then(|last| last.seq.checked_add(1));
            records.extend(page);
        }
        Ok(records)
    }
}

#[async_trait]
impl Storage for RedisStorage {
    async fn load(&self, room: &RoomId) -> Result<StoredRoom> {
        let keys = self.keys(room);
        // The checkpoint first: records appended meanwhile are read too, and a checkpoint saved
        // meanwhile only covers records that the log still holds.
        let reply: Value = redis::cmd("HMGET")
            .arg(&keys.checkpoint)
            .arg("covers")
            .arg("state")
            .query_async(&mut self.commands())
            .await?;
        let checkpoint = parse_checkpoint(reply)?;
        let after = checkpoint.as_ref().map_or(0, |c| c.covers);
        let records = self.read_range(&keys.log, after, usize::MAX).await?;
        Ok(StoredRoom {
            checkpoint,
            records,
        })
    }

    async fn append(&self, room: &RoomId, records: Vec<NewRecord>) -> Result<Seq> {
        let keys = self.keys(room);
        let mut invocation = self.inner.append.prepare_invoke();
        invocation.key(&keys.seq).key(&keys.log);
        for record in &records {
            let participant = record.origin.participant.as_deref();
            invocation
                .arg(&record.update[..])
                .arg(record.at_ms)
                .arg(&record.origin.node)
                .arg(record.origin.connection)
                .arg(if participant.is_some() { "1" } else { "0" })
                .arg(participant.unwrap_or_default());
        }
        let last: i64 = invocation.invoke_async(&mut self.commands()).await?;
        Seq::try_from(last)
            .map_err(|_| StorageError::Corrupt(format!("append returned sequence number {last}")))
    }

    async fn save_checkpoint(&self, room: &RoomId, checkpoint: Checkpoint) -> Result<()> {
        let keys = self.keys(room);
        let _stored: i64 = self
            .inner
            .save_checkpoint
            .key(&keys.checkpoint)
            .arg(checkpoint.covers)
            .arg(&checkpoint.state[..])
            .invoke_async(&mut self.commands())
            .await?;
        Ok(())
    }

    /// `XREAD BLOCK` on a connection of its own (see `followers`).
    async fn follow(
        &self,
        room: &RoomId,
        after: Seq,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<LogRecord>> {
        if limit == 0 || after == Seq::MAX {
            return Ok(Vec::new());
        }
        // `BLOCK 0` would wait forever.
        let block_ms = u64::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(u64::MAX);
        if block_ms == 0 {
            return self.read_log(room, after, limit).await;
        }
        let keys = self.keys(room);
        let mut read = redis::cmd("XREAD");
        read.arg("COUNT")
            .arg(PAGE.min(limit))
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(&keys.log)
            .arg(format!("{after}-0"));
        let reply = self.read_blocking(&read, wait).await?;
        parse_read(reply, &keys.log, after)
    }

    async fn read_log(&self, room: &RoomId, after: Seq, limit: usize) -> Result<Vec<LogRecord>> {
        self.read_range(&self.keys(room).log, after, limit).await
    }

    async fn save_keyframe(&self, room: &RoomId, at: KeyframeAt, state: Bytes) -> Result<()> {
        let keys = self.keys(room);
        let mut conn = self.commands();
        redis::cmd("HSET")
            .arg(&keys.keyframe_states)
            .arg(at.covers)
            .arg(&state[..])
            .query_async::<()>(&mut conn)
            .await?;
        redis::cmd("ZADD")
            .arg(&keys.keyframes)
            .arg(at.covers)
            .arg(format!("{}:{}", at.covers, at.at_ms))
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    async fn keyframes(&self, room: &RoomId) -> Result<Vec<KeyframeAt>> {
        let reply: Value = redis::cmd("ZRANGE")
            .arg(self.keys(room).keyframes)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.commands())
            .await?;
        let items = items_of(reply).ok_or_else(|| corrupt("keyframes reply is not an array"))?;
        let mut keyframes = items
            .iter()
            .map(|item| {
                let text = bytes_of(item).ok_or_else(|| corrupt("keyframe is not a string"))?;
                let split = text.iter().position(|b| *b == b':');
                let (covers, at_ms) = split
                    .map(|i| (&text[..i], &text[i + 1..]))
                    .ok_or_else(|| corrupt("keyframe lacks its time"))?;
                Ok(KeyframeAt {
                    covers: number(covers, "keyframe covers")?,
                    at_ms: number(at_ms, "keyframe time")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Scores are doubles: exact up to 2^53, but sort by the exact numbers all the same.
        keyframes.sort_by_key(|k| k.covers);
        keyframes.dedup_by_key(|k| k.covers);
        Ok(keyframes)
    }

    async fn keyframe_state(&self, room: &RoomId, covers: Seq) -> Result<Option<Bytes>> {
        let reply: Value = redis::cmd("HGET")
            .arg(self.keys(room).keyframe_states)
            .arg(covers)
            .query_async(&mut self.commands())
            .await?;
        match reply {
            Value::Nil => Ok(None),
            value => bytes_of(&value)
                .map(|state| Some(Bytes::copy_from_slice(state)))
                .ok_or_else(|| corrupt("keyframe state is not a string")),
        }
    }

    fn reconnects(&self) -> u64 {
        self.inner.reconnects.load(Ordering::Relaxed)
    }

    async fn check(&self) -> Result<()> {
        let _pong: Value = redis::cmd("PING").query_async(&mut self.commands()).await?;
        Ok(())
    }
}
