//! Invite links and the participants they mint. An invite is a shared participant (one per
//! role, made with the session); exchanging its token at `POST /api/join` mints a personal
//! participant that records the invite it came through. A personal token mints nothing, so
//! kicking an invite kicks everyone who joined through it, and everyone who joined through one
//! shared link counts as one reporter (they may all be one person).

use std::sync::Arc;

use super::store::{SessionError, SessionStore};
use super::{now_ms, Participant, Report, Session};

impl Report {
    /// Who the report counts as: the invite its author joined through, or its author.
    pub fn reporter(&self) -> &str {
        self.invite.as_deref().unwrap_or(&self.by)
    }
}

impl Session {
    /// Whether a participant is out: kicked, or joined through an invite that was.
    pub fn removes(&self, participant: &Participant) -> bool {
        self.is_revoked(&participant.id)
            || (participant.invited_by.as_deref()).is_some_and(|invite| self.is_revoked(invite))
    }
}

impl SessionStore {
    /// A participant of a session, if it has one with that id.
    pub async fn participant(
        &self,
        session: &str,
        id: &str,
    ) -> Result<Option<Participant>, SessionError> {
        let participants = self.participants(session).await?;
        Ok(participants.into_iter().find(|p| p.id == id))
    }

    /// Kicks `participant` and everyone who joined through them (when they are an invite):
    /// every token naming any of them is refused from now on. Returns the session as stored
    /// and who was kicked with them.
    ///
    /// Two steps close the race with a join through the invite: such a join stores its
    /// participant and then reads the session again ([`SessionStore::admits`]). Either that
    /// read sees the kick, or the listing here, made once the kick is stored, sees the
    /// participant.
    pub async fn kick(
        &self,
        session: &str,
        participant: &str,
    ) -> Result<(Arc<Session>, Vec<String>), SessionError> {
        self.revoke(session, &[participant.to_owned()]).await?;
        let joined: Vec<String> = (self.participants(session).await?.into_iter())
            .filter(|p| p.invited_by.as_deref() == Some(participant))
            .map(|p| p.id)
            .collect();
        let stored = self.revoke(session, &joined).await?;
        Ok((stored, joined))
    }

    async fn revoke(&self, session: &str, ids: &[String]) -> Result<Arc<Session>, SessionError> {
        let at = now_ms();
        let (stored, ()) = self
            .update(session, |s| {
                for id in ids {
                    s.revoked.entry(id.clone()).or_insert(at);
                }
                Ok::<_, SessionError>(())
            })
            .await?;
        Ok(stored)
    }

    /// Whether a participant that was just stored may be given a token: neither they nor the
    /// invite they joined through were kicked meanwhile (see [`SessionStore::kick`]).
    pub async fn admits(
        &self,
        session: &str,
        participant: &Participant,
    ) -> Result<bool, SessionError> {
        let stored = self.get(session).await?;
        Ok(stored.is_some_and(|s| !s.removes(participant)))
    }
}
