//! The part of the storage trait that keeps small keyed records besides sessions: decisions,
//! published results, processes, receipts, evaluations. One generic primitive instead of a
//! method per kind, so that a new kind of record needs no storage code: a record lives in a
//! `scope` (a session id, or a name outside any session such as `processes`), under a `kind`
//! (what it is, e.g. `decision`) and a `key` (which one, e.g. an item id).
//!
//! Writes replace the record (last writer wins) except [`RecordBackend::add_record`], which
//! stores only if the key is free, for records created once. Every operation touches one
//! scope, so on Redis it touches one key.

use std::marker::PhantomData;

use async_trait::async_trait;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Result, Storage, StorageError};

/// Keyed records, as every backend stores them.
#[async_trait]
pub trait RecordBackend: Send + Sync + 'static {
    /// Stores `record` under `key`, replacing what was there.
    async fn put_record(&self, scope: &str, kind: &str, key: &str, record: Bytes) -> Result<()>;
    /// Stores `record` unless there is one under `key`; says whether it stored it.
    async fn add_record(&self, scope: &str, kind: &str, key: &str, record: Bytes) -> Result<bool>;
    /// The record under `key`, if any.
    async fn record(&self, scope: &str, kind: &str, key: &str) -> Result<Option<Bytes>>;
    /// Every record of a kind in a scope with its key, ordered by key.
    async fn records(&self, scope: &str, kind: &str) -> Result<Vec<(String, Bytes)>>;
    /// Removes the record under `key`; says whether there was one.
    async fn delete_record(&self, scope: &str, kind: &str, key: &str) -> Result<bool>;
}

/// One kind of JSON record kept with the keyed records: callers name a kind once, as a
/// constant (`RecordKind::<Decision>::new("decision")`), and read and write its values
/// typed, never its bytes.
pub struct RecordKind<T> {
    name: &'static str,
    value: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> RecordKind<T> {
    pub const fn new(name: &'static str) -> Self {
        RecordKind {
            name,
            value: PhantomData,
        }
    }

    fn encode(value: &T) -> Bytes {
        // Our own plain structs: serialising them cannot fail.
        Bytes::from(serde_json::to_vec(value).expect("records serialize"))
    }

    fn decode(&self, bytes: &[u8]) -> Result<T> {
        serde_json::from_slice(bytes)
            .map_err(|e| StorageError::Corrupt(format!("{} record: {e}", self.name)))
    }

    /// Stores `value` under `key`, replacing what was there.
    pub async fn put(
        &self,
        storage: &dyn Storage,
        scope: &str,
        key: &str,
        value: &T,
    ) -> Result<()> {
        storage
            .put_record(scope, self.name, key, Self::encode(value))
            .await
    }

    /// Stores `value` unless there is a record under `key`; says whether it stored it.
    pub async fn add(
        &self,
        storage: &dyn Storage,
        scope: &str,
        key: &str,
        value: &T,
    ) -> Result<bool> {
        storage
            .add_record(scope, self.name, key, Self::encode(value))
            .await
    }

    /// The value under `key`, if any.
    pub async fn get(&self, storage: &dyn Storage, scope: &str, key: &str) -> Result<Option<T>> {
        match storage.record(scope, self.name, key).await? {
            Some(bytes) => Ok(Some(self.decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Every value of this kind in `scope` with its key, ordered by key.
    pub async fn all(&self, storage: &dyn Storage, scope: &str) -> Result<Vec<(String, T)>> {
        let records = storage.records(scope, self.name).await?;
        records
            .into_iter()
            .map(|(key, bytes)| Ok((key, self.decode(&bytes)?)))
            .collect()
    }

    /// Removes the value under `key`; says whether there was one.
    pub async fn delete(&self, storage: &dyn Storage, scope: &str, key: &str) -> Result<bool> {
        storage.delete_record(scope, self.name, key).await
    }
}
