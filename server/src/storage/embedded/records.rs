//! Keyed records in the embedded store: one redb table keyed by (scope, kind, key).

use async_trait::async_trait;
use bytes::Bytes;
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::EmbeddedStorage;
use crate::storage::{RecordBackend, Result};

/// (scope, kind, key) -> record.
const RECORDS: TableDefinition<(&str, &str, &str), &[u8]> = TableDefinition::new("records");

/// Creates the table, so that readers never meet a missing one.
pub(super) fn create_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(RECORDS)?;
    Ok(())
}

#[async_trait]
impl RecordBackend for EmbeddedStorage {
    async fn put_record(&self, scope: &str, kind: &str, key: &str, record: Bytes) -> Result<()> {
        let (scope, kind, key) = (scope.to_owned(), kind.to_owned(), key.to_owned());
        self.write(move |txn| {
            txn.open_table(RECORDS)?.insert(
                (scope.as_str(), kind.as_str(), key.as_str()),
                record.as_ref(),
            )?;
            Ok(())
        })
        .await
    }

    async fn add_record(&self, scope: &str, kind: &str, key: &str, record: Bytes) -> Result<bool> {
        let (scope, kind, key) = (scope.to_owned(), kind.to_owned(), key.to_owned());
        self.write(move |txn| {
            let mut table = txn.open_table(RECORDS)?;
            let id = (scope.as_str(), kind.as_str(), key.as_str());
            if table.get(id)?.is_some() {
                return Ok(false);
            }
            table.insert(id, record.as_ref())?;
            Ok(true)
        })
        .await
    }

    async fn record(&self, scope: &str, kind: &str, key: &str) -> Result<Option<Bytes>> {
        let (scope, kind, key) = (scope.to_owned(), kind.to_owned(), key.to_owned());
        self.read(move |txn| {
            let table = txn.open_table(RECORDS)?;
            let stored = table.get((scope.as_str(), kind.as_str(), key.as_str()))?;
            Ok(stored.map(|value| Bytes::copy_from_slice(value.value())))
        })
        .await
    }

    async fn records(&self, scope: &str, kind: &str) -> Result<Vec<(String, Bytes)>> {
        let (scope, kind) = (scope.to_owned(), kind.to_owned());
        self.read(move |txn| {
            let table = txn.open_table(RECORDS)?;
            let mut records = Vec::new();
            for entry in table.range((scope.as_str(), kind.as_str(), "")..)? {
                let (id, value) = entry?;
                let (in_scope, of_kind, key) = id.value();
                if in_scope != scope || of_kind != kind {
                    break;
                }
                records.push((key.to_owned(), Bytes::copy_from_slice(value.value())));
            }
            Ok(records)
        })
        .await
    }

    async fn delete_record(&self, scope: &str, kind: &str, key: &str) -> Result<bool> {
        let (scope, kind, key) = (scope.to_owned(), kind.to_owned(), key.to_owned());
        self.write(move |txn| {
            let mut table = txn.open_table(RECORDS)?;
            let removed = table.remove((scope.as_str(), kind.as_str(), key.as_str()))?;
            Ok(removed.is_some())
        })
        .await
    }
}
