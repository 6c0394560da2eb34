//! Keyed records in Redis: a hash per scope and kind, `…:{<scope>}:records:<kind>`, from key
//! to record. The scope is the hash tag, so a session's records share its slot.

use async_trait::async_trait;
use bytes::Bytes;
use redis::Value;

use super::replies::{bytes_of, corrupt, items_of};
use super::RedisStorage;
use crate::storage::{RecordBackend, Result};

impl RedisStorage {
    /// The hash of one kind of record in a scope.
    fn records_key(&self, scope: &str, kind: &str) -> String {
        self.session_key(scope, &format!("records:{kind}"))
    }
}

#[async_trait]
impl RecordBackend for RedisStorage {
    async fn put_record(&self, scope: &str, kind: &str, key: &str, record: Bytes) -> Result<()> {
        redis::cmd("HSET")
            .arg(self.records_key(scope, kind))
            .arg(key)
            .arg(record.as_ref())
            .query_async::<()>(&mut self.commands())
            .await?;
        Ok(())
    }

    async fn add_record(&self, scope: &str, kind: &str, key: &str, record: Bytes) -> Result<bool> {
        let added: i64 = redis::cmd("HSETNX")
            .arg(self.records_key(scope, kind))
            .arg(key)
            .arg(record.as_ref())
            .query_async(&mut self.commands())
            .await?;
        Ok(added == 1)
    }

    async fn record(&self, scope: &str, kind: &str, key: &str) -> Result<Option<Bytes>> {
        let stored: Value = redis::cmd("HGET")
            .arg(self.records_key(scope, kind))
            .arg(key)
            .query_async(&mut self.commands())
            .await?;
        Ok(bytes_of(&stored).map(Bytes::copy_from_slice))
    }

    async fn records(&self, scope: &str, kind: &str) -> Result<Vec<(String, Bytes)>> {
        let reply: Value = redis::cmd("HGETALL")
            .arg(self.records_key(scope, kind))
            .query_async(&mut self.commands())
            .await?;
        let items = items_of(reply).ok_or_else(|| corrupt(format!("records {kind}: no map")))?;
        let mut records = items
            .chunks(2)
            .map(|pair| match pair {
                [key, record] => match (bytes_of(key), bytes_of(record)) {
                    (Some(key), Some(record)) => Ok((
                        String::from_utf8_lossy(key).into_owned(),
                        Bytes::copy_from_slice(record),
                    )),
                    _ => Err(corrupt(format!("records {kind}: not a string"))),
                },
                _ => Err(corrupt(format!("records {kind}: odd reply"))),
            })
            .collect::<Result<Vec<_>>>()?;
        records.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(records)
    }

    async fn delete_record(&self, scope: &str, kind: &str, key: &str) -> Result<bool> {
        let removed: i64 = redis::cmd("HDEL")
            .arg(self.records_key(scope, kind))
            .arg(key)
            .query_async(&mut self.commands())
            .await?;
        Ok(removed == 1)
    }
}
