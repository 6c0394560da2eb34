//! The part of the storage trait that keeps sessions: small JSON records that the session
//! layer (`crate::session::store`) reads and writes. A session record changes by
//! compare-and-set on its version, so that two moderators (or two nodes) acting at once never
//! overwrite each other. Participants are written once (and rewritten only to erase a name);
//! the journals (audit log, attendance) are append-only.

use async_trait::async_trait;
use bytes::Bytes;

use super::Result;

/// A stored session record with the version a replacement must name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    pub version: u64,
    pub record: Bytes,
}

/// The append-only lists a session keeps besides its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Journal {
    /// Moderation actions, shown to moderators and researchers.
    Audit,
    /// Connections opened and closed by participants: who was there when, for researchers.
    Attendance,
}

impl Journal {
    /// The journal's name in storage keys and table names.
    pub fn name(self) -> &'static str {
        match self {
            Journal::Audit => "audit",
            Journal::Attendance => "attendance",
        }
    }
}

/// Session records, as every backend stores them.
#[async_trait]
pub trait SessionBackend: Send + Sync + 'static {
    /// Stores a new session record (version 1) and reserves its join code; `false`, with
    /// nothing stored, if the code (or the id) is already taken.
    async fn create_session(&self, id: &str, code: &str, record: Bytes) -> Result<bool>;
    async fn session(&self, id: &str) -> Result<Option<Versioned>>;
    /// Every session's id, in no particular order: what the admin CLI lists.
    async fn session_ids(&self) -> Result<Vec<String>>;
    /// The session a join code belongs to.
    async fn session_by_code(&self, code: &str) -> Result<Option<String>>;
    /// Reserves a new join code for session `id` (rotation); `false`, with nothing stored, if
    /// the code is taken.
    async fn reserve_join_code(&self, code: &str, id: &str) -> Result<bool>;
    /// Frees a join code if it still belongs to session `id` (the code a rotation replaced).
    async fn release_join_code(&self, code: &str, id: &str) -> Result<()>;
    /// Replaces a session record if it is still at `version`; `false` if it changed since.
    async fn replace_session(&self, id: &str, version: u64, record: Bytes) -> Result<bool>;
    /// Stores a participant unless the session has one with that `id`; says whether it stored it.
    async fn add_participant(&self, session: &str, id: &str, record: Bytes) -> Result<bool>;
    /// Overwrites the record of participant `id`: erasure removes their name.
    async fn replace_participant(&self, session: &str, id: &str, record: Bytes) -> Result<()>;
    /// Every participant record of a session, in no particular order.
    async fn participants(&self, session: &str) -> Result<Vec<Bytes>>;
    /// Appends an entry to one of a session's journals.
    async fn append_entry(&self, session: &str, journal: Journal, entry: Bytes) -> Result<()>;
    /// A session journal, oldest first.
    async fn entries(&self, session: &str, journal: Journal) -> Result<Vec<Bytes>>;
    /// The secret stored under `name`, storing `candidate` first if there is none, so that
    /// every node of a shared store ends up with the same one.
    async fn secret(&self, name: &str, candidate: Bytes) -> Result<Bytes>;
}
