//! Sessions in the embedded store: one redb table per kind of record. redb write
//! transactions are serialised, so compare-and-set is a read and a write in one transaction.

use async_trait::async_trait;
use bytes::Bytes;
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::{positions, EmbeddedStorage};
use crate::storage::{Journal, Result, SessionBackend, Versioned};

/// session id -> (version, JSON record).
const SESSIONS: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("sessions");
/// join code -> session id.
const JOIN_CODES: TableDefinition<&str, &str> = TableDefinition::new("join_codes");
/// (session id, participant id) -> JSON record.
const PARTICIPANTS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("participants");
/// (session id, position) -> JSON entry, one table per journal.
const AUDIT: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("audit");
const ATTENDANCE: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("attendance");
/// name -> secret.
const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");

/// Creates the tables, so that readers never meet a missing one.
pub(super) fn create_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(SESSIONS)?;
    txn.open_table(JOIN_CODES)?;
    txn.open_table(PARTICIPANTS)?;
    txn.open_table(AUDIT)?;
    txn.open_table(ATTENDANCE)?;
    txn.open_table(SECRETS)?;
    Ok(())
}

/// The table of a journal.
fn journal_table(journal: Journal) -> TableDefinition<'static, (&'static str, u64), &'static [u8]> {
    match journal {
        Journal::Audit => AUDIT,
        Journal::Attendance => ATTENDANCE,
    }
}

#[async_trait]
impl SessionBackend for EmbeddedStorage {
    async fn create_session(&self, id: &str, code: &str, record: Bytes) -> Result<bool> {
        let (id, code) = (id.to_owned(), code.to_owned());
        self.write(move |txn| {
            let mut codes = txn.open_table(JOIN_CODES)?;
            let mut sessions = txn.open_table(SESSIONS)?;
            if codes.get(code.as_str())?.is_some() || sessions.get(id.as_str())?.is_some() {
                return Ok(false);
            }
            codes.insert(code.as_str(), id.as_str())?;
            sessions.insert(id.as_str(), (1, record.as_ref()))?;
            Ok(true)
        })
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<Versioned>> {
        let id = id.to_owned();
        self.read(move |txn| {
            let stored = txn.open_table(SESSIONS)?.get(id.as_str())?;
            Ok(stored.map(|value| {
                let (version, record) = value.value();
                Versioned {
                    version,
                    record: Bytes::copy_from_slice(record),
                }
            }))
        })
        .await
    }

    async fn session_ids(&self) -> Result<Vec<String>> {
        self.read(|txn| {
            let mut ids = Vec::new();
            for entry in txn.open_table(SESSIONS)?.iter()? {
                ids.push(entry?.0.value().to_owned());
            }
            Ok(ids)
        })
        .await
    }

    async fn session_by_code(&self, code: &str) -> Result<Option<String>> {
        let code = code.to_owned();
        self.read(move |txn| {
            let id = txn.open_table(JOIN_CODES)?.get(code.as_str())?;
            Ok(id.map(|id| id.value().to_owned()))
        })
        .await
    }

    async fn reserve_join_code(&self, code: &str, id: &str) -> Result<bool> {
        let (code, id) = (code.to_owned(), id.to_owned());
        self.write(move |txn| {
            let mut codes = txn.open_table(JOIN_CODES)?;
            if codes.get(code.as_str())?.is_some() {
                return Ok(false);
            }
            codes.insert(code.as_str(), id.as_str())?;
            Ok(true)
        })
        .await
    }

    async fn release_join_code(&self, code: &str, id: &str) -> Result<()> {
        let (code, id) = (code.to_owned(), id.to_owned());
        self.write(move |txn| {
            let mut codes = txn.open_table(JOIN_CODES)?;
            let owner = codes.get(code.as_str())?.map(|owner| owner.value() == id);
            if owner == Some(true) {
                codes.remove(code.as_str())?;
            }
            Ok(())
        })
        .await
    }

    async fn replace_session(&self, id: &str, version: u64, record: Bytes) -> Result<bool> {
        let id = id.to_owned();
        self.write(move |txn| {
            let mut table = txn.open_table(SESSIONS)?;
            let current = table.get(id.as_str())?.map(|value| value.value().0);
            if current != Some(version) {
                return Ok(false);
            }
            table.insert(id.as_str(), (version + 1, record.as_ref()))?;
            Ok(true)
        })
        .await
    }

    async fn add_participant(&self, session: &str, id: &str, record: Bytes) -> Result<bool> {
        let (session, id) = (session.to_owned(), id.to_owned());
        self.write(move |txn| {
            let mut table = txn.open_table(PARTICIPANTS)?;
            let key = (session.as_str(), id.as_str());
            if table.get(key)?.is_some() {
                return Ok(false);
            }
            table.insert(key, record.as_ref())?;
            Ok(true)
        })
        .await
    }

    async fn participants(&self, session: &str) -> Result<Vec<Bytes>> {
        let session = session.to_owned();
        self.read(move |txn| {
            let table = txn.open_table(PARTICIPANTS)?;
            let mut records = Vec::new();
            for entry in table.range((session.as_str(), "")..)? {
                let (key, value) = entry?;
                if key.value().0 != session {
                    break;
                }
                records.push(Bytes::copy_from_slice(value.value()));
            }
            Ok(records)
        })
        .await
    }

    async fn replace_participant(&self, session: &str, id: &str, record: Bytes) -> Result<()> {
        let (session, id) = (session.to_owned(), id.to_owned());
        self.write(move |txn| {
            txn.open_table(PARTICIPANTS)?
                .insert((session.as_str(), id.as_str()), record.as_ref())?;
            Ok(())
        })
        .await
    }

    async fn append_entry(&self, session: &str, journal: Journal, entry: Bytes) -> Result<()> {
        let session = session.to_owned();
        self.write(move |txn| {
            let mut table = txn.open_table(journal_table(journal))?;
            let last = table
                .range(positions(&session))?
                .next_back()
                .transpose()?
                .map_or(0, |(key, _)| key.value().1);
            table.insert((session.as_str(), last + 1), entry.as_ref())?;
            Ok(())
        })
        .await
    }

    async fn entries(&self, session: &str, journal: Journal) -> Result<Vec<Bytes>> {
        let session = session.to_owned();
        self.read(move |txn| {
            let table = txn.open_table(journal_table(journal))?;
            let entries = table.range(positions(&session))?;
            entries
                .map(|entry| Ok(Bytes::copy_from_slice(entry?.1.value())))
                .collect()
        })
        .await
    }

    async fn secret(&self, name: &str, candidate: Bytes) -> Result<Bytes> {
        let name = name.to_owned();
        self.write(move |txn| {
            let mut table = txn.open_table(SECRETS)?;
            let stored = table
                .get(name.as_str())?
                .map(|s| Bytes::copy_from_slice(s.value()));
            match stored {
                Some(secret) => Ok(secret),
                None => {
                    table.insert(name.as_str(), candidate.as_ref())?;
                    Ok(candidate)
                }
            }
        })
        .await
    }
}
