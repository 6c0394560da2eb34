//! Moderation of a session's board: who wrote with which Yjs client id (from the room's log),
//! and the board edits moderators make, which `cocreate-board` builds as Yjs updates (appended
//! to the room's log like any participant's update).

pub use cocreate_board::edit::{
    author_of, erase, has_item, hide, remove_clients, unhide, HiddenMark, ItemNotFound,
};

/// Who wrote with which Yjs client id: the room's own authorship table, rebuilt from the log.
pub use crate::room::ClientOwners;
