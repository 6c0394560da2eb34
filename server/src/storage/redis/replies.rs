//! Reading Redis's replies: strings, arrays (RESP2) and maps (RESP3), numbers stored as text,
//! and the log's stream entries. Anything that is not what cocreate wrote is `Corrupt`.

use bytes::Bytes;
use redis::Value;

use crate::storage::{Checkpoint, LogRecord, Origin, Result, Seq, StorageError};

/// A reply that is not what cocreate wrote.
pub(super) fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("redis {what}"))
}

/// The bytes of a string reply.
pub(super) fn bytes_of(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.as_bytes()),
        _ => None,
    }
}

/// The elements of an array reply, or the flattened pairs of a map reply (RESP3).
pub(super) fn items_of(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items),
        Value::Map(pairs) => Some(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        _ => None,
    }
}

/// A decimal number stored as text.
pub(super) fn number(bytes: &[u8], what: &str) -> Result<u64> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| {
            corrupt(format!(
                "{what} is not a number: {:?}",
                String::from_utf8_lossy(bytes)
            ))
        })
}

/// The `HMGET covers state` reply.
pub(super) fn parse_checkpoint(reply: Value) -> Result<Option<Checkpoint>> {
    let items = items_of(reply).ok_or_else(|| corrupt("checkpoint reply is not an array"))?;
    match &items[..] {
        [Value::Nil, Value::Nil] => Ok(None),
        [covers, state] => {
            let (Some(covers), Some(state)) = (bytes_of(covers), bytes_of(state)) else {
                return Err(corrupt("checkpoint lacks covers or state"));
            };
            Ok(Some(Checkpoint {
                covers: number(covers, "checkpoint covers")?,
                state: Bytes::copy_from_slice(state),
            }))
        }
        _ => Err(corrupt("checkpoint reply has the wrong length")),
    }
}

/// The `XREAD` reply: nil when nothing arrived, else the entries of our one stream.
pub(super) fn parse_read(reply: Value, log: &str, after: Seq) -> Result<Vec<LogRecord>> {
    if reply == Value::Nil {
        return Ok(Vec::new());
    }
    let mut items = items_of(reply).ok_or_else(|| corrupt("read reply is not an array"))?;
    // RESP2: [[key, entries]]; RESP3: {key: entries}, flattened to [key, entries].
    if let [Value::Array(_)] = &items[..] {
        items = items_of(items.remove(0)).unwrap_or_default();
    }
    match <[Value; 2]>::try_from(items) {
        Ok([key, entries]) if bytes_of(&key) == Some(log.as_bytes()) => {
            parse_entries(entries, after)
        }
        _ => Err(corrupt("read reply is not the one stream read")),
    }
}

/// An `XRANGE` reply, or the entries of one stream of an `XREAD` reply. Every sequence number
/// must be after `after` and increase: anything else means the ids are not ours.
pub(super) fn parse_entries(reply: Value, after: Seq) -> Result<Vec<LogRecord>> {
    let entries = items_of(reply).ok_or_else(|| corrupt("log reply is not an array"))?;
    let mut records = Vec::with_capacity(entries.len());
    let mut previous = after;
    for entry in entries {
        let record = parse_entry(entry)?;
        if record.seq <= previous {
            return Err(corrupt(format!(
                "log entry {} follows entry {previous}",
                record.seq
            )));
        }
        previous = record.seq;
        records.push(record);
    }
    Ok(records)
}

/// One stream entry: `[id, [field, value, ...]]`.
fn parse_entry(entry: Value) -> Result<LogRecord> {
    let items = items_of(entry).ok_or_else(|| corrupt("log entry is not an array"))?;
    let [id, fields] =
        <[Value; 2]>::try_from(items).map_err(|_| corrupt("log entry is not an id and fields"))?;
    let id = bytes_of(&id).ok_or_else(|| corrupt("log entry id is not a string"))?;
    let seq = parse_id(id)?;
    let fields = items_of(fields).ok_or_else(|| corrupt(format!("log entry {seq}: no fields")))?;
    if fields.len() % 2 != 0 {
        return Err(corrupt(format!("log entry {seq}: odd field list")));
    }
    let (mut update, mut at_ms, mut node, mut connection, mut participant) =
        (None, None, None, None, None);
    for pair in fields.chunks_exact(2) {
        let (Some(name), Some(value)) = (bytes_of(&pair[0]), bytes_of(&pair[1])) else {
            return Err(corrupt(format!("log entry {seq}: field is not a string")));
        };
        let text = || {
            String::from_utf8(value.to_vec())
                .map_err(|_| corrupt(format!("log entry {seq}: field is not UTF-8")))
        };
        match name {
            b"u" => update = Some(Bytes::copy_from_slice(value)),
            b"t" => at_ms = Some(number(value, "log entry time")?),
            b"n" => node = Some(text()?),
            b"c" => connection = Some(number(value, "log entry connection")?),
            b"p" => participant = Some(text()?),
            // Fields added by a later version are not ours to refuse.
            _ => {}
        }
    }
    let missing = |field: &str| corrupt(format!("log entry {seq}: no field {field}"));
    Ok(LogRecord {
        seq,
        at_ms: at_ms.ok_or_else(|| missing("t"))?,
        origin: Origin {
            node: node.ok_or_else(|| missing("n"))?,
            connection: connection.ok_or_else(|| missing("c"))?,
            participant,
        },
        update: update.ok_or_else(|| missing("u"))?,
    })
}

/// A stream id written by the append script: `<seq>-0`.
fn parse_id(id: &[u8]) -> Result<Seq> {
    match id.strip_suffix(b"-0") {
        Some(seq) => number(seq, "log entry id"),
        None => Err(corrupt(format!(
            "log entry id {:?} is not <seq>-0",
            String::from_utf8_lossy(id)
        ))),
    }
}
