//! The embedded store's update log: a redb table of (room, seq) -> encoded record, and how
//! records are appended to it and read from it. Shared by the store's reads and the group
//! commit's writes.

use bytes::Bytes;
use redb::{ReadableTable, TableDefinition};
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

use crate::storage::{LogRecord, NewRecord, Origin, Result, Seq, StorageError};

/// (room, seq) -> encoded record.
pub(super) const LOG: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("update_log");

/// Appends `records` to `room`'s log in an open write transaction; returns the last
/// sequence number.
pub(super) fn insert_records(
    log: &mut redb::Table<(&'static str, u64), &'static [u8]>,
    room: &str,
    records: &[NewRecord],
) -> Result<Seq> {
    let mut seq = last_seq(log, room)?;
    for record in records {
        seq += 1;
        log.insert((room, seq), encode_record(record).as_slice())?;
    }
    Ok(seq)
}

fn last_seq(
    log: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    room: &str,
) -> Result<Seq> {
    let last = log.range(super::positions(room))?.next_back();
    match last {
        Some(entry) => Ok(entry?.0.value().1),
        None => Ok(0),
    }
}

pub(super) fn read_range(
    log: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    room: &str,
    after: Seq,
    limit: usize,
) -> Result<Vec<LogRecord>> {
    let Some(first) = after.checked_add(1) else {
        return Ok(Vec::new());
    };
    let mut records = Vec::new();
    for entry in log.range((room, first)..=(room, u64::MAX))?.take(limit) {
        let (key, value) = entry?;
        records.push(decode_record(key.value().1, value.value())?);
    }
    Ok(records)
}

/// Record layout: varUint(at_ms) string(node) varUint(connection) varUint(has participant)
/// [string(participant)] bytes(update) — lib0 encoding, as everywhere else in cocreate.
fn encode_record(record: &NewRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.update.len() + 24);
    out.write_var(record.at_ms);
    out.write_string(&record.origin.node);
    out.write_var(record.origin.connection);
    match &record.origin.participant {
        Some(participant) => {
            out.write_var(1u8);
            out.write_string(participant);
        }
        None => out.write_var(0u8),
    }
    out.write_buf(&record.update);
    out
}

fn decode_record(seq: Seq, bytes: &[u8]) -> Result<LogRecord> {
    let corrupt =
        |e: yrs::encoding::read::Error| StorageError::Corrupt(format!("log record {seq}: {e}"));
    let mut cursor = Cursor::new(bytes);
    let at_ms = cursor.read_var().map_err(corrupt)?;
    let node = cursor.read_string().map_err(corrupt)?.to_owned();
    let connection = cursor.read_var().map_err(corrupt)?;
    let participant = match cursor.read_var::<u8>().map_err(corrupt)? {
        0 => None,
        _ => Some(cursor.read_string().map_err(corrupt)?.to_owned()),
    };
    let update = Bytes::copy_from_slice(cursor.read_buf().map_err(corrupt)?);
    Ok(LogRecord {
        seq,
        at_ms,
        origin: Origin {
            node,
            connection,
            participant,
        },
        update,
    })
}
