//! Session history for researchers: the board at any moment (`seek`), what changed when
//! and by whom (`timeline`, over the board crate's change events), participation figures
//! (`participation`), the agenda's steps and what was contributed in each (`steps`),
//! researchers' memos on the replay (`memos`, kept as records of their
//! own) and what became of the cards (`outcomes`, and the `ledger` receipts and results read
//! without replaying the whole history), each under the session's
//! disclosure rules (`crate::session::disclosure`; the board as JSON under those rules is the
//! board crate's). Everything is derived from the room's update log and the session's
//! journals; nothing here writes to them (only keyframes, which are derived too). The research
//! dataset built from all this is `crate::dataset`.
pub mod ledger;
pub mod memos;
pub mod outcomes;
pub mod participation;
pub mod seek;
pub mod steps;
pub mod timeline;

pub use ledger::{Ledger, Ledgers};
pub use seek::{Position, Seeked, Seeker};
pub use steps::{StepRun, Steps};
pub use timeline::{HistoryEvent, SessionRecords, Walk};

use cocreate_board::board_json;
use serde_json::{json, Value};

use crate::format::rfc3339;
use crate::room_id::RoomId;
use crate::session::store::{SessionError, SessionStore};
use crate::storage::{Seq, Storage, StorageError};

/// Reads what a session's history needs besides its log. `None` if there is no such session.
pub async fn session_records(
    sessions: &SessionStore,
    id: &str,
) -> Result<Option<SessionRecords>, SessionError> {
    let Some(session) = sessions.get(id).await? else {
        return Ok(None);
    };
    let participants = sessions.participants(id).await?;
    let attendance = sessions.attendance(id).await?;
    let audit = sessions.audit_log(id).await?;
    Ok(Some(SessionRecords::new(
        session,
        participants,
        attendance,
        audit,
    )))
}

/// The answer to "the board at a position" (the state API and `cocreate replay`): where the
/// seek to `at` landed, what it cost, the board under the session's disclosure rules, and the
/// agenda's step current then (`null` if none).
pub fn state_json(records: &SessionRecords, at: Position, seeked: &Seeked) -> Value {
    // The instant the position stands for: the record's time, unless it is "now".
    let instant = match at {
        Position::Time(ms) => Some(ms),
        Position::Seq(Seq::MAX) => None,
        Position::Seq(_) => Some(seeked.at_ms.unwrap_or(0)),
    };
    let step = Steps::until(records, instant).current().map(StepRun::view);
    json!({
        "session": records.session.id,
        "seq": seeked.seq,
        "at": seeked.at_ms,
        "time": seeked.at_ms.map(rfc3339),
        "keyframe": seeked.keyframe,
        "records_read": seeked.records_read,
        "board": board_json(&seeked.doc, &records.disclosure),
        "step": step,
    })
}

/// A walk through a session's whole history, from its first record to its last.
pub async fn walk_all<'a>(
    storage: &'a dyn Storage,
    room: &'a RoomId,
    keyframe_spacing: u64,
    records: &'a SessionRecords,
) -> Result<Walk<'a>, StorageError> {
    let (from, until) = (Position::Seq(0), Position::Seq(Seq::MAX));
    Walk::new(storage, room, keyframe_spacing, records, from, until).await
}

/// Walks a session's whole history, handing every event to `each` in order; returns the walk
/// at its end, whose document is the final board.
pub async fn each_event<'a>(
    storage: &'a dyn Storage,
    room: &'a RoomId,
    keyframe_spacing: u64,
    records: &'a SessionRecords,
    mut each: impl FnMut(&HistoryEvent),
) -> Result<Walk<'a>, StorageError> {
    let mut walk = walk_all(storage, room, keyframe_spacing, records).await?;
    while let Some(events) = walk.next_page(|_, _| {}).await? {
        events.iter().for_each(&mut each);
    }
    Ok(walk)
}
