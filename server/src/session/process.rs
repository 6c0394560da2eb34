//! Processes: an organisation's co-creation cycle (need analysis → co-design → co-production →
//! evaluation) that groups sessions beyond one event, so that cards can be carried from one
//! session to the next and results gathered across them. A process is a record of its own; a
//! session names its process and the phase of the cycle it serves ([`Cycle`]), and the process
//! keeps an index of its sessions.

use serde::{Deserialize, Serialize};

use crate::storage::{RecordKind, Storage, StorageError};

/// Every process, in the scope [`ALL_PROCESSES`], keyed by id.
pub const PROCESSES: RecordKind<Process> = RecordKind::new("process");
/// The scope processes are kept in (they belong to no session).
pub const ALL_PROCESSES: &str = "processes";
/// A process's sessions, in the process's scope (its id), keyed by session id.
pub const PROCESS_SESSIONS: RecordKind<Member> = RecordKind::new("session");

/// The phase of the co-creation cycle a session serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CyclePhase {
    NeedAnalysis,
    CoDesign,
    CoProduction,
    Evaluation,
}

/// An official's co-creation process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The owner organisation, when named.
    pub organisation: Option<String>,
    /// ms since the epoch.
    pub created_at: u64,
}

/// A session in a process's index: when it joined the process (the session record holds the
/// rest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub added_at: u64,
}

/// Where a session sits in the cycle; both parts are optional, and part of the session record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    /// The id of the session's process.
    #[serde(default)]
    pub process: Option<String>,
    #[serde(default)]
    pub cycle_phase: Option<CyclePhase>,
}

/// Enters a new session in its process's index (`at`: now, ms since the epoch); `false`, with nothing written, if the process
/// does not exist. Called before the session is created: one that then fails to be created is
/// listed but skipped by readers.
pub async fn enrol(
    storage: &dyn Storage,
    cycle: &Cycle,
    session: &str,
    at: u64,
) -> Result<bool, StorageError> {
    let Some(process) = &cycle.process else {
        return Ok(true);
    };
    if PROCESSES
        .get(storage, ALL_PROCESSES, process)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let member = Member { added_at: at };
    PROCESS_SESSIONS
        .put(storage, process, session, &member)
        .await?;
    Ok(true)
}
