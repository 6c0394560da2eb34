//! Sessions: a room with an owner. A session says who may read and write its room (roles,
//! tokens, revocations), what state it is in (open, locked, closed), and keeps the moderation
//! state of its items. The room enforces it; the HTTP API in `api/` changes it.

pub mod agenda;
pub mod attendance;
pub mod clock;
pub mod deadlines;
pub mod disclosure;
pub mod drafts;
pub mod hidden;
pub mod ids;
pub mod invites;
pub mod process;
pub mod rules;
pub mod store;
pub mod token;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use self::agenda::Agenda;
use self::process::Cycle;
pub use clock::{now_ms, now_secs};

/// The board a session's document is seeded with (the board crate owns the templates).
pub use cocreate_board::Template;

/// What a participant may do. Roles come from tokens, never from what a client claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Edits and moderates.
    Moderator,
    /// Edits.
    Citizen,
    /// Watches live, read-only.
    Observer,
    /// Read-only, plus history, audit and exports.
    Researcher,
}

impl Role {
    /// Every role, in the order invitations list them.
    pub const ALL: [Role; 4] = [
        Role::Moderator,
        Role::Citizen,
        Role::Observer,
        Role::Researcher,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Moderator => "moderator",
            Role::Citizen => "citizen",
            Role::Observer => "observer",
            Role::Researcher => "researcher",
        }
    }

    /// Whether the role edits the board at all (in an open session).
    pub fn edits(self) -> bool {
        matches!(self, Role::Moderator | Role::Citizen)
    }
}

/// Where a session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    /// Citizens and moderators edit.
    Open,
    /// Only moderators edit (e.g. while the facilitator explains the next phase).
    Locked,
    /// Nobody edits; the board is the session's result. Final.
    Closed,
}

/// The languages the product speaks; a session's language seeds its board's texts.
pub const LANGUAGES: [&str; 4] = ["en", "nl", "fr", "de"];

/// A language the product does not speak.
#[derive(Debug, thiserror::Error)]
#[error("language must be one of {}", LANGUAGES.join(", "))]
pub struct UnknownLanguage;

/// `value`, if it is a language the product speaks ([`LANGUAGES`]).
pub fn language(value: &str) -> Result<String, UnknownLanguage> {
    if LANGUAGES.contains(&value) {
        Ok(value.to_owned())
    } else {
        Err(UnknownLanguage)
    }
}

/// Dot-votes per participant when a session starts.
pub const DEFAULT_VOTES_PER_PARTICIPANT: u32 = 5;

/// A session as stored: everything but its participants, audit log and document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub title: String,
    pub template: Template,
    pub language: String,
    pub state: SessionState,
    /// Facilitation phase (e.g. diverge, cluster, vote, review), shown to everyone. Set by
    /// moderators until an agenda step is current; from then on shown as the step's title.
    pub phase: String,
    /// When the facilitator's timer runs out (ms since the epoch), shown to everyone. Like
    /// `phase`, the current agenda step's end takes its place.
    pub timer_ends_at: Option<u64>,
    pub votes_per_participant: u32,
    pub created_at: u64,
    pub join_code: String,
    /// Kicked participants and when: every token naming them is refused.
    #[serde(default)]
    pub revoked: BTreeMap<String, u64>,
    /// Items that were reported or hidden.
    #[serde(default)]
    pub items: BTreeMap<String, ItemModeration>,
    /// Client ids the server restored hidden text under (unhide), each with the client id that
    /// first wrote that text: so that the text stays its writer's for erasure and
    /// remove-contributions, which find text by client id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub restored: BTreeMap<u64, u64>,
    /// Client ids that wrote cards carried into this session whose source has changed since
    /// (erased, removed): their text reads as erased at every point of this session's history
    /// (see `api/copies.rs`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub carried_redacted: BTreeSet<u64>,
    /// Whether and how the session is recorded for research.
    #[serde(default)]
    pub research: Research,
    /// Participants erased at their request, and what was erased.
    #[serde(default)]
    pub erased: BTreeMap<String, Erasure>,
    /// The process the session belongs to and the cycle phase it serves.
    #[serde(flatten)]
    pub cycle: Cycle,
    /// The steps a moderator prepared and the current one (see `agenda.rs`).
    #[serde(default, skip_serializing_if = "Agenda::is_empty")]
    pub agenda: Agenda,
    /// Where a moderator brought everyone ("bring everyone here"), until they let everyone go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<Focus>,
}

/// The zone a moderator brought everyone to, and when: boards go there (each participant may
/// leave it), also the boards of those who join later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Focus {
    /// A zone name (`cocreate_board::zones`): a stage, a lane, the canvas…
    pub zone: String,
    pub at: u64,
}

/// How a session is recorded for research. Participants see it before they join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Research {
    /// Researchers may replay and export the session (shown to everyone as "recorded").
    pub recorded: bool,
    /// Joining asks for research consent; who declines appears in exports only in aggregate.
    pub consent_required: bool,
    /// Exports keep display names (otherwise only pseudonyms).
    pub keep_names: bool,
}

impl Default for Research {
    fn default() -> Self {
        Research {
            recorded: true,
            consent_required: false,
            keep_names: false,
        }
    }
}

/// A participant erased at their request (a data-subject request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub at: u64,
    /// Their text was replaced by a redaction marker, too.
    pub text: bool,
    /// The Yjs client ids they wrote with: their text is found by these at any point of the
    /// history without reading the log from the start.
    pub clients: Vec<u64>,
}

/// The moderation state of one board item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemModeration {
    pub hidden: Option<Hidden>,
    /// Reports since the item was last reviewed, one per participant.
    #[serde(default)]
    pub reports: Vec<Report>,
}

/// A hidden item. Its text lives here, out of the document, until it is unhidden: hidden
/// text is not served to anyone but moderators.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hidden {
    pub reason: String,
    /// The moderator's participant id, or `reports` when reports hid it.
    pub by: String,
    pub at: u64,
    /// Hidden by reports, waiting for a moderator to hide or unhide it for good.
    pub pending_review: bool,
    pub text: String,
    /// Who wrote `text`, run by run in order, so that unhide gives each writer's text back as
    /// theirs and erasure finds it (see `Hidden::runs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writers: Vec<Writer>,
}

/// A run of a hidden text: its length and the Yjs client id that wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    /// `None`: not known (a `text` that was not a Y.Text).
    pub client: Option<u64>,
    /// Its length in characters.
    pub chars: usize,
}

/// Why a participant reported an item (the reasons civic platforms offer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportReason {
    Spam,
    Offensive,
    PersonalData,
    OffTopic,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub by: String,
    pub reason: ReportReason,
    pub at: u64,
    /// The invite the reporter joined through: reports through one shared invite count once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// Someone who joined a session. Stored once, when first seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub id: String,
    /// Empty once the participant was erased.
    pub display_name: String,
    pub role: Role,
    pub language: String,
    pub joined_at: u64,
    /// Their answer when the session asked for research consent (`None`: not asked).
    #[serde(default)]
    pub research_consent: Option<bool>,
    /// An invite link's shared participant (one per role, made with the session): only
    /// these mint participants through `POST /api/join {invite}`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invite: bool,
    /// The invite participant this one joined through (`None`: by join code, or an invite
    /// itself). Kicking the invite kicks them too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_by: Option<String>,
}

/// One line of a session's audit log: a moderation action. Never holds hidden text, nor
/// names: readers look the moderator's name up, so that erasing it erases it here too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: u64,
    /// Participant id of the moderator, or `reports` for an automatic hide.
    pub by: String,
    pub action: String,
    /// What it acted on: a participant id, an item id, or the session.
    pub target: String,
    pub reason: Option<String>,
}

/// A connection of a participant opened or closed: who was there when, for researchers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceEntry {
    pub at: u64,
    pub participant: String,
    pub event: Attendance,
    /// The connection id on its node (as in the logs and the update log's records).
    pub connection: u64,
    pub node: String,
}

/// What happened to a participant's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attendance {
    Connected,
    Disconnected,
}

/// Who a verified token says its bearer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub session: String,
    pub participant: String,
    pub role: Role,
    pub name: String,
}

impl Session {
    /// Whether a participant with `role` may change the board now.
    pub fn can_edit(&self, role: Role) -> bool {
        match self.state {
            SessionState::Open => role.edits(),
            SessionState::Locked => role == Role::Moderator,
            SessionState::Closed => false,
        }
    }

    /// Whether `participant` was kicked.
    pub fn is_revoked(&self, participant: &str) -> bool {
        self.revoked.contains_key(participant)
    }

    /// What every participant may know about the session.
    pub fn public(&self) -> Value {
        json!({
            "id": self.id,
            "title": self.title,
            "template": self.template,
            "language": self.language,
            "state": self.state,
            "phase": self.agenda.phase().unwrap_or(&self.phase),
            "timer_ends_at": self.timer_ends(),
            "votes_per_participant": self.votes_limit(),
            "created_at": self.created_at,
            "research": self.research,
            "process": self.cycle.process,
            "cycle_phase": self.cycle.cycle_phase,
            "step": self.agenda.step_view(),
            "focus": self.focus,
        })
    }

    /// When the countdown everyone sees ends: the current agenda step's, once there is one;
    /// before that the moderator's own timer.
    pub fn timer_ends(&self) -> Option<u64> {
        match self.agenda.current {
            Some(_) => self.agenda.timer_ends_at(),
            None => self.timer_ends_at,
        }
    }

    /// Dot-votes each participant may cast now: the running vote step's, or the session's.
    pub fn votes_limit(&self) -> u32 {
        self.agenda.votes().unwrap_or(self.votes_per_participant)
    }

    /// The public view, plus the join code for moderators (who share it).
    pub fn view_for(&self, role: Role) -> Value {
        let mut view = self.public();
        if role == Role::Moderator {
            view["join_code"] = json!(self.join_code);
        }
        view
    }

    /// The moderation state of an item, created on first use.
    pub fn item(&mut self, item: &str) -> &mut ItemModeration {
        self.items.entry(item.to_owned()).or_default()
    }
}

impl Identity {
    /// What a participant is told about themself.
    pub fn you(&self, session: &Session) -> Value {
        json!({
            "participant_id": self.participant,
            "display_name": self.name,
            "role": self.role,
            "can_edit": session.can_edit(self.role),
        })
    }
}
