//! The record of every sensemaking run, kept per session beside the board (keyed records, as
//! memos are): who asked, the model's name and sha256, the parameters, the input cards' ids
//! and text hashes, the output, and, once a moderator accepts themes of it, what was accepted
//! and the groups it became. Records keep no card text: a card hidden or erased later stays
//! out of them. The research export lists them in `assist_runs.csv`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::cards::Card;
use super::engine::{hex, text_sha256};
use crate::format::{csv_line, rfc3339};
use crate::session::Role;
use crate::storage::{RecordKind, Storage, StorageError};
use cocreate_board::Disclosure;

/// The runs of a session: scope = session id, key = run id.
pub const ASSIST_RUNS: RecordKind<Run> = RecordKind::new("assist_run");

/// What moderators accepted of runs: scope = session id, key = run id; written once (a run
/// is accepted at most once, even when two moderators click at the same moment).
pub const ASSIST_ACCEPTANCES: RecordKind<Acceptance> = RecordKind::new("assist_acceptance");

/// What a run answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    Themes,
    Similar,
    Coverage,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Themes => "themes",
            RunKind::Similar => "similar",
            RunKind::Coverage => "coverage",
        }
    }
}

/// Which model answered: with the weights' sha256, exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelId {
    pub name: String,
    pub sha256: String,
}

/// One input card, by id and the sha256 of its text as the run read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputCard {
    pub item: String,
    pub sha256: String,
}

/// One run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// `run_…`, unique in the session.
    pub id: String,
    pub kind: RunKind,
    /// When it was asked, ms since the epoch.
    pub at: u64,
    /// Who asked (participant id) and in which role.
    pub by: String,
    pub role: Role,
    pub model: ModelId,
    /// What was asked (themes, stage, lane; for similar runs the sha256 of the text).
    pub parameters: Value,
    /// How many cards it read.
    pub inputs: usize,
    /// The sha256 of its input list (`item sha256` lines, in order): one value to compare
    /// two runs' inputs by.
    pub input_sha256: String,
    /// Every input card. Left out of similar runs, which read the same board at every
    /// keystroke; their `input_sha256` still pins it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input: Vec<InputCard>,
    /// What it answered, by item ids (no card text).
    pub output: Value,
}

/// Themes of a run a moderator accepted, and the groups they became.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub at: u64,
    pub by: String,
    /// Indices into the run's themes.
    pub themes: Vec<usize>,
    /// The group items made, one per accepted theme.
    pub groups: Vec<String>,
}

/// The input list of a run reading `cards`, and its sha256.
pub fn input(cards: &[Card]) -> (Vec<InputCard>, String) {
    let input: Vec<InputCard> = cards
        .iter()
        .map(|card| InputCard {
            item: card.item.clone(),
            sha256: text_sha256(&card.text),
        })
        .collect();
    let mut digest = Sha256::new();
    for card in &input {
        digest.update(format!("{} {}\n", card.item, card.sha256));
    }
    (input, hex(&digest.finalize()))
}

/// Every run of a session with its acceptance, oldest first.
pub async fn session_runs(
    storage: &dyn Storage,
    session: &str,
) -> Result<Vec<(Run, Option<Acceptance>)>, StorageError> {
    let mut accepted: HashMap<String, Acceptance> = ASSIST_ACCEPTANCES
        .all(storage, session)
        .await?
        .into_iter()
        .collect();
    let mut runs: Vec<(Run, Option<Acceptance>)> = ASSIST_RUNS
        .all(storage, session)
        .await?
        .into_iter()
        .map(|(key, run)| (run, accepted.remove(&key)))
        .collect();
    runs.sort_by(|a, b| (a.0.at, &a.0.id).cmp(&(b.0.at, &b.0.id)));
    Ok(runs)
}

/// A value as compact JSON, for a CSV field.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `assist_runs.csv`: one row per run, oldest first; who asked and who accepted under the
/// disclosure rules; lists and outputs as JSON.
pub fn runs_csv(runs: &[(Run, Option<Acceptance>)], disclosure: &Disclosure) -> String {
    let mut out = csv_line(&[
        "run",
        "kind",
        "at",
        "time",
        "by",
        "role",
        "model",
        "model_sha256",
        "parameters",
        "inputs",
        "input_sha256",
        "input",
        "output",
        "accepted_at",
        "accepted_by",
        "accepted_themes",
        "groups",
    ]);
    for (run, acceptance) in runs {
        out.push_str(&csv_line(&[
            &run.id,
            run.kind.as_str(),
            &run.at.to_string(),
            &rfc3339(run.at),
            &disclosure.pseudonym(&run.by),
            run.role.as_str(),
            &run.model.name,
            &run.model.sha256,
            &json(&run.parameters),
            &run.inputs.to_string(),
            &run.input_sha256,
            &json(&run.input),
            &json(&run.output),
            &acceptance
                .as_ref()
                .map(|a| a.at.to_string())
                .unwrap_or_default(),
            &acceptance
                .as_ref()
                .map(|a| disclosure.pseudonym(&a.by))
                .unwrap_or_default(),
            &acceptance
                .as_ref()
                .map(|a| json(&a.themes))
                .unwrap_or_default(),
            &acceptance
                .as_ref()
                .map(|a| json(&a.groups))
                .unwrap_or_default(),
        ]));
    }
    out
}
