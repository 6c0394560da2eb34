//! Typed access to the session records in storage: JSON (de)serialisation, the
//! compare-and-set loop that applies a change to the newest version, participants and the
//! audit log.

use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::process::Cycle;
use super::DEFAULT_VOTES_PER_PARTICIPANT;
use super::{
    ids, now_ms, AttendanceEntry, AuditEntry, Identity, Participant, Research, Session,
    SessionState, Template,
};
use crate::storage::{Journal, SharedStorage, StorageError};

/// How often a change is retried when someone else changed the session in between. Each
/// retry means another change landed, so running out means heavy contention, not a bug.
const UPDATE_ATTEMPTS: usize = 16;

/// Name of the token signing secret in the store.
const TOKEN_SECRET: &str = "token-signing-key";

/// What went wrong reading or changing a session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no such session")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("session kept changing while being updated; try again")]
    Contended,
}

/// Sessions as stored.
#[derive(Clone)]
pub struct SessionStore {
    storage: SharedStorage,
}

fn encode(value: &impl Serialize) -> Bytes {
    // Our own plain structs: serialising them cannot fail.
    Bytes::from(serde_json::to_vec(value).expect("session records serialize"))
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StorageError> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

impl SessionStore {
    pub fn new(storage: SharedStorage) -> Self {
        SessionStore { storage }
    }

    /// Creates session `id` with a fresh join code.
    pub async fn create(
        &self,
        id: &str,
        title: String,
        template: Template,
        language: String,
        research: Research,
        cycle: Cycle,
    ) -> Result<Session, SessionError> {
        for _ in 0..UPDATE_ATTEMPTS {
            let session = Session {
                id: id.to_owned(),
                title: title.clone(),
                template,
                language: language.clone(),
                state: SessionState::Open,
                phase: String::new(),
                timer_ends_at: None,
                votes_per_participant: DEFAULT_VOTES_PER_PARTICIPANT,
                created_at: super::now_ms(),
                join_code: ids::join_code(),
                revoked: Default::default(),
                items: Default::default(),
                restored: Default::default(),
                carried_redacted: Default::default(),
                research: research.clone(),
                erased: Default::default(),
                cycle: cycle.clone(),
                agenda: Default::default(),
                focus: None,
            };
            let record = encode(&session);
            if self
                .storage
                .create_session(&session.id, &session.join_code, record)
                .await?
            {
                return Ok(session);
            }
        }
        Err(SessionError::Contended)
    }

    pub async fn get(&self, id: &str) -> Result<Option<Session>, StorageError> {
        match self.storage.session(id).await? {
            Some(stored) => Ok(Some(decode(&stored.record, "session")?)),
            None => Ok(None),
        }
    }

    /// Every session, oldest first.
    pub async fn list(&self) -> Result<Vec<Session>, StorageError> {
        let mut sessions = Vec::new();
        for id in self.storage.session_ids().await? {
            sessions.extend(self.get(&id).await?);
        }
        sessions.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(sessions)
    }

    /// The session of a join code, as typed by a person.
    pub async fn by_code(&self, typed: &str) -> Result<Option<Session>, StorageError> {
        let Some(code) = ids::normalize_join_code(typed) else {
            return Ok(None);
        };
        match self.storage.session_by_code(&code).await? {
            // The session record says which code is its own: a code a rotation replaced stops
            // working as soon as the record changes, even before it is released.
            Some(id) => Ok(self.get(&id).await?.filter(|s| s.join_code == code)),
            None => Ok(None),
        }
    }

    /// Gives a session a new join code; the old one stops working at once, on every node.
    /// Returns the session as stored.
    pub async fn rotate_join_code(&self, id: &str) -> Result<Arc<Session>, SessionError> {
        let mut reserved = None;
        for _ in 0..UPDATE_ATTEMPTS {
            let code = ids::join_code();
            if self.storage.reserve_join_code(&code, id).await? {
                reserved = Some(code);
                break;
            }
        }
        let code = reserved.ok_or(SessionError::Contended)?;
        let rotated = self
            .update(id, |session| {
                Ok::<_, SessionError>(std::mem::replace(&mut session.join_code, code.clone()))
            })
            .await;
        // Whichever code the session does not hold is freed: the old one, or the new one if
        // the session could not take it.
        let (result, unused) = match rotated {
            Ok((session, old)) => (Ok(session), old),
            Err(e) => (Err(e), code),
        };
        self.storage.release_join_code(&unused, id).await?;
        result
    }

    /// Applies `change` to the newest version of a session and stores the result, retrying
    /// on concurrent changes. A change that leaves the session as it was writes nothing.
    /// Returns the session as stored and what `change` returned.
    pub async fn update<T, E>(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Session) -> Result<T, E>,
    ) -> Result<(Arc<Session>, T), E>
    where
        E: From<SessionError>,
    {
        for _ in 0..UPDATE_ATTEMPTS {
            let stored = self
                .storage
                .session(id)
                .await
                .map_err(SessionError::from)?
                .ok_or(SessionError::NotFound)?;
            let before: Session = decode(&stored.record, "session").map_err(SessionError::from)?;
            let mut session = before.clone();
            let outcome = change(&mut session)?;
            if session == before {
                return Ok((Arc::new(session), outcome));
            }
            let replaced = self
                .storage
                .replace_session(id, stored.version, encode(&session))
                .await
                .map_err(SessionError::from)?;
            if replaced {
                return Ok((Arc::new(session), outcome));
            }
        }
        Err(SessionError::Contended.into())
    }

    /// Records a participant the first time they are seen.
    pub async fn add_participant(
        &self,
        session: &str,
        participant: &Participant,
    ) -> Result<(), SessionError> {
        self.storage
            .add_participant(session, &participant.id, encode(participant))
            .await?;
        Ok(())
    }

    /// Every participant, in the order they joined.
    pub async fn participants(&self, session: &str) -> Result<Vec<Participant>, SessionError> {
        let mut participants = self
            .storage
            .participants(session)
            .await?
            .iter()
            .map(|record| decode::<Participant>(record, "participant"))
            .collect::<Result<Vec<_>, _>>()?;
        participants.sort_by(|a, b| (a.joined_at, &a.id).cmp(&(b.joined_at, &b.id)));
        Ok(participants)
    }

    /// Rewrites a participant's record (erasure).
    pub async fn replace_participant(
        &self,
        session: &str,
        participant: &Participant,
    ) -> Result<(), SessionError> {
        Ok(self
            .storage
            .replace_participant(session, &participant.id, encode(participant))
            .await?)
    }

    pub async fn audit(&self, session: &str, entry: &AuditEntry) -> Result<(), SessionError> {
        self.append(session, Journal::Audit, entry).await
    }

    /// Records a moderation action in the audit log. The action already happened, so a
    /// failure to record it is logged loudly rather than reported as the action failing.
    pub async fn record_action(
        &self,
        by: &Identity,
        session: &str,
        action: &str,
        target: &str,
        reason: Option<String>,
    ) {
        let entry = AuditEntry {
            at: now_ms(),
            by: by.participant.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            reason,
        };
        if let Err(e) = self.audit(session, &entry).await {
            tracing::error!(session, action, error = %e, "moderation action not recorded in the audit log");
        }
    }

    pub async fn audit_log(&self, session: &str) -> Result<Vec<AuditEntry>, SessionError> {
        self.journal(session, Journal::Audit, "audit entry").await
    }

    pub async fn attend(&self, session: &str, entry: &AttendanceEntry) -> Result<(), SessionError> {
        self.append(session, Journal::Attendance, entry).await
    }

    /// Connections opened and closed, oldest first.
    pub async fn attendance(&self, session: &str) -> Result<Vec<AttendanceEntry>, SessionError> {
        self.journal(session, Journal::Attendance, "attendance entry")
            .await
    }

    /// Appends `entry` to one of the session's journals.
    async fn append<T: Serialize>(
        &self,
        session: &str,
        journal: Journal,
        entry: &T,
    ) -> Result<(), SessionError> {
        Ok(self
            .storage
            .append_entry(session, journal, encode(entry))
            .await?)
    }

    async fn journal<T: DeserializeOwned>(
        &self,
        session: &str,
        journal: Journal,
        what: &str,
    ) -> Result<Vec<T>, SessionError> {
        let entries = self.storage.entries(session, journal).await?;
        let entries = entries
            .iter()
            .map(|entry| decode(entry, what))
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }

    /// The key that signs session tokens: generated and stored on first use, so that every
    /// node sharing the store signs and accepts the same tokens.
    pub async fn token_secret(&self) -> Result<Bytes, StorageError> {
        let candidate = Bytes::copy_from_slice(&ids::secret());
        self.storage.secret(TOKEN_SECRET, candidate).await
    }
}
