//! A session's history as one ordered list of events: what each log record changed on the
//! board (with its author and their role), merged by time with the session's journals
//! (participants joining, connecting and disconnecting; moderation actions).

use std::collections::{HashMap, VecDeque};

use serde::Serialize;
use yrs::Doc;

use cocreate_board::{BoardChange, Disclosure, ObservedDoc};

use super::seek::{Position, Seeked, Seeker};
use crate::room_id::RoomId;
use crate::session::disclosure::SessionDisclosure;
use crate::session::{AttendanceEntry, AuditEntry, Participant, Role, Session};
use crate::storage::{LogRecord, Seq, Storage, StorageError, REVEALED_DRAFTS, SERVER_EDIT};

/// One event of a session's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEvent {
    /// The log record that made the change; `null` for journal events.
    pub seq: Option<Seq>,
    /// Server time, ms since the epoch.
    pub at: u64,
    /// Pseudonym of who did it (`declined` for those who declined research consent); `null`
    /// for the server's own edits (the template's seed).
    pub participant: Option<String>,
    pub role: Option<Role>,
    pub entity: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// The participant's own id, for counting people apart even when their pseudonym is
    /// `declined`; never serialised.
    #[serde(skip)]
    pub participant_id: Option<String>,
    /// An edit the server made on the participant's behalf: the template's first board, or
    /// a moderation action's edit (hide, unhide, remove-contributions, erase). Not counted
    /// as a contribution.
    pub by_server: bool,
    /// A draft put on the board by the reveal of a private step, in its author's name: it
    /// counts in the step that was revealed, not in the one under way at the reveal. Never
    /// serialised.
    #[serde(skip)]
    pub revealed_draft: bool,
}

/// What a session's history is read with: the session, its participants and journals, and
/// the disclosure rules derived from them.
pub struct SessionRecords {
    pub session: Session,
    pub participants: Vec<Participant>,
    pub attendance: Vec<AttendanceEntry>,
    pub audit: Vec<AuditEntry>,
    pub disclosure: Disclosure,
}

impl SessionRecords {
    pub fn new(
        session: Session,
        participants: Vec<Participant>,
        attendance: Vec<AttendanceEntry>,
        audit: Vec<AuditEntry>,
    ) -> Self {
        let disclosure = Disclosure::for_session(&session, &participants);
        SessionRecords {
            session,
            participants,
            attendance,
            audit,
            disclosure,
        }
    }

    /// The journals as events, oldest first.
    pub(super) fn journal_events(&self) -> Vec<HistoryEvent> {
        let roles: HashMap<&str, Role> = self
            .participants
            .iter()
            .map(|p| (p.id.as_str(), p.role))
            .collect();
        let who = |id: &str| (Some(self.disclosure.pseudonym(id)), roles.get(id).copied());
        let mut events = Vec::new();
        for p in &self.participants {
            let (participant, role) = who(&p.id);
            events.push(HistoryEvent {
                seq: None,
                at: p.joined_at,
                participant_id: Some(p.id.clone()),
                participant: participant.clone(),
                role,
                entity: "participant".into(),
                action: "joined".into(),
                target: participant.unwrap_or_default(),
                detail: String::new(),
                by_server: false,
                revealed_draft: false,
            });
        }
        for entry in &self.attendance {
            let (participant, role) = who(&entry.participant);
            let action = serde_json::to_value(entry.event).ok();
            events.push(HistoryEvent {
                seq: None,
                at: entry.at,
                participant_id: Some(entry.participant.clone()),
                participant: participant.clone(),
                role,
                entity: "participant".into(),
                action: action
                    .as_ref()
                    .and_then(|a| a.as_str())
                    .unwrap_or_default()
                    .into(),
                target: participant.unwrap_or_default(),
                detail: String::new(),
                by_server: false,
                revealed_draft: false,
            });
        }
        for entry in &self.audit {
            let (participant, role) = who(&entry.by);
            // A participant target is shown as its pseudonym; items and the session as ids.
            let target = if roles.contains_key(entry.target.as_str()) {
                self.disclosure.pseudonym(&entry.target)
            } else {
                entry.target.clone()
            };
            // A decision on a card is kept in the audit log; history shows it as its own.
            let (entity, action) = match entry.action.as_str() {
                "decision" => ("decision", "set"),
                // Sensemaking runs and acceptances (`assist-themes`, ...): not moderation.
                action if action.starts_with("assist-") => ("assist", &action["assist-".len()..]),
                action => ("moderation", action),
            };
            events.push(HistoryEvent {
                seq: None,
                at: entry.at,
                participant_id: Some(entry.by.clone()),
                participant,
                role,
                entity: entity.into(),
                action: action.into(),
                target,
                detail: entry.reason.clone().unwrap_or_default(),
                by_server: false,
                revealed_draft: false,
            });
        }
        events.sort_by_key(|e| e.at);
        events
    }

    fn role_of(&self, participant: &str) -> Option<Role> {
        self.participants
            .iter()
            .find(|p| p.id == participant)
            .map(|p| p.role)
    }

    /// How history names the author of a log record (`None`: the server): their pseudonym and
    /// role.
    pub(super) fn attribution(&self, author: Option<&str>) -> (Option<String>, Option<Role>) {
        match author {
            Some(author) => (
                Some(self.disclosure.pseudonym(author)),
                self.role_of(author),
            ),
            None => (None, None),
        }
    }
}

/// Walks a session's history from one position to another, record by record.
pub struct Walk<'a> {
    seeker: Seeker<'a>,
    seeked: Seeked,
    observed: ObservedDoc,
    records: &'a SessionRecords,
    journal: VecDeque<HistoryEvent>,
    until: Position,
    /// Records' authors as history names them, by participant id.
    authors: HashMap<Option<String>, (Option<String>, Option<Role>)>,
}

impl<'a> Walk<'a> {
    /// Starts after `from` (silently rebuilding the board there from a keyframe); events
    /// follow up to `until`.
    pub async fn new(
        storage: &'a dyn Storage,
        room: &'a RoomId,
        keyframe_spacing: u64,
        records: &'a SessionRecords,
        from: Position,
        until: Position,
    ) -> Result<Walk<'a>, StorageError> {
        let mut seeker = Seeker::new(storage, room, keyframe_spacing).await?;
        let mut seeked = if from == Position::Seq(0) {
            seeker.start_at(from).await?
        } else {
            seeker.state_at(from).await?
        };
        // Reaching `from` by time read a record past it: the walk goes on from there.
        seeked.reached = false;
        let since = match from {
            Position::Time(ms) => Some(ms),
            Position::Seq(0) => None,
            Position::Seq(_) => Some(seeked.at_ms.unwrap_or(0)),
        };
        let journal = records
            .journal_events()
            .into_iter()
            .filter(|e| since.is_none_or(|since| e.at > since))
            .collect();
        Ok(Walk {
            observed: ObservedDoc::new(seeked.doc.clone()),
            seeker,
            seeked,
            records,
            journal,
            until,
            authors: HashMap::new(),
        })
    }

    /// The board after the records walked so far.
    pub fn doc(&self) -> &Doc {
        self.observed.doc()
    }

    /// The position reached and what reaching it read.
    pub fn position(&self) -> &Seeked {
        &self.seeked
    }

    /// The events of the next page of records (with the journal events before each),
    /// calling `before` with the board as it was before each record; `None` at the end.
    /// At the end, the journal events up to `until` come last.
    pub async fn next_page(
        &mut self,
        mut before: impl FnMut(&Doc, &LogRecord),
    ) -> Result<Option<Vec<HistoryEvent>>, StorageError> {
        let records = self
            .seeker
            .next_records(&mut self.seeked, self.until)
            .await?;
        if records.is_empty() {
            if self.journal.is_empty() {
                return Ok(None);
            }
            let end = match self.until {
                Position::Time(ms) => Some(ms),
                Position::Seq(seq) if seq < Seq::MAX => Some(self.seeked.at_ms.unwrap_or(0)),
                Position::Seq(_) => None,
            };
            let rest = std::mem::take(&mut self.journal)
                .into_iter()
                .filter(|e| end.is_none_or(|end| e.at <= end))
                .collect();
            return Ok(Some(rest));
        }
        let mut events = Vec::new();
        for record in &records {
            while self.journal.front().is_some_and(|e| e.at < record.at_ms) {
                events.extend(self.journal.pop_front());
            }
            before(self.observed.doc(), record);
            self.seeker.advance(&mut self.seeked, record).await;
            let changes = self.observed.take();
            events.extend(self.record_events(record, changes));
        }
        Ok(Some(events))
    }

    fn record_events(
        &mut self,
        record: &LogRecord,
        changes: Vec<BoardChange>,
    ) -> Vec<HistoryEvent> {
        let author = record.origin.participant.as_deref();
        let (participant, role) = self
            .authors
            .entry(author.map(str::to_owned))
            .or_insert_with(|| self.records.attribution(author))
            .clone();
        changes
            .into_iter()
            .map(|c| HistoryEvent {
                seq: Some(record.seq),
                at: record.at_ms,
                participant_id: author.map(str::to_owned),
                participant: participant.clone(),
                role,
                entity: c.entity,
                action: c.action.into(),
                target: c.target,
                detail: c.detail,
                by_server: record.origin.connection == SERVER_EDIT,
                revealed_draft: record.origin.connection == REVEALED_DRAFTS,
            })
            .collect()
    }
}
