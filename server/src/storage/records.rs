//! The part of the storage trait that keeps small keyed records besides sessions: decisions,
//! published results, processes, receipts, evaluations. One generic primitive instead of a
//! method per kind, so that a new kind of record needs no storage code: a record lives in a
//! `scope` (a session id, or a name outside any session such as `processes`), under a `kind`
//! (what it is, e.g. `decision`) and a `key` (which one, e.g. an item id).
//!
//! Writes replace the record (last writer wins) except [`RecordBackend::add_record`], which
//! stores only if the key is free, for records created once. Every operation touches one
//! scope, so on Redis it touches one key.

use async_trait::async_trait;
use bytes::Bytes;

use super::Result;

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
