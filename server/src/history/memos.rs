//! Researchers' memos on the replay: a note at an instant of a session ("here the official's
//! question changes the discussion"), optionally tied to a board item. Kept per session as
//! keyed records beside the board (never in the live board), and carried into every research
//! export (`memos.csv` in the dataset, notes in the REFI-QDA project).

use serde::{Deserialize, Serialize};

use crate::storage::RecordKind;

/// The memos of a session: scope = session id, key = memo id.
pub const MEMOS: RecordKind<Memo> = RecordKind::new("memo");

/// Longest memo text, in characters: a few paragraphs of observation.
pub const MAX_MEMO_TEXT: usize = 4000;

/// Memos a session holds at most: far more than a researcher writes on one session (a
/// memo a minute of a full day), few enough that listing and exporting them stays small.
pub const MAX_MEMOS: usize = 1000;

/// One memo on a session's replay.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Memo {
    /// Its id (`memo_…`), unique in the session.
    pub id: String,
    /// The instant of the session it is about, ms since the epoch.
    pub at: u64,
    /// What the researcher noted (plain text, line breaks allowed).
    pub text: String,
    /// The board item it is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Who wrote it (their participant id; only they may change it).
    pub by: String,
    /// When it was written, ms since the epoch.
    pub created_at: u64,
    /// When it was last changed, ms since the epoch.
    pub updated_at: u64,
}

/// Every memo of a session, in the order of the replay (instant, then id).
pub async fn session_memos(
    storage: &dyn crate::storage::Storage,
    session: &str,
) -> Result<Vec<Memo>, crate::storage::StorageError> {
    let mut memos: Vec<Memo> = MEMOS
        .all(storage, session)
        .await?
        .into_iter()
        .map(|(_, memo)| memo)
        .collect();
    memos.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    Ok(memos)
}
