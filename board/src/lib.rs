//! The board document, owned in one place: its schema (roots, item kinds, template stages and
//! lanes, the version), the seed of each template, the edits the server makes (hide, unhide,
//! remove contributions, erase, remove refused votes, carry cards in from another session,
//! gather accepted themes into groups),
//! reading it (as JSON under the disclosure rules, text runs, the changes an update made) and
//! the safe apply of updates from the network, and the names of its zones (what facilitation
//! rules open or close). No I/O.
//!
//! The web client (`web-client/src/board/model.ts`) writes the same schema; the golden documents in
//! `golden/` are loaded by this crate's tests and by the web client's, so the two cannot drift.

pub mod apply;
pub mod carry;
pub mod changes;
pub mod disclosure;
pub mod drafts;
pub mod edit;
pub mod group;
pub mod guard;
pub mod read;
pub mod schema;
pub mod seed;
pub mod votes;
pub mod zones;

pub use apply::{
    apply_bytes, apply_update, encode_loadable, encode_state, ApplyError, EncodeError,
};
pub use carry::{carry, Carried, CarryUpdate, CARRIED_KINDS};
pub use changes::{BoardChange, ObservedDoc};
pub use disclosure::{
    direction_override, neutral_text, Disclosure, DECLINED, ERASED_TEXT, HIDDEN_TEXT,
};
pub use edit::{edit_doc, HiddenMark, ItemNotFound};
pub use group::{group, GroupAuthor, NewGroup};
pub use read::{any_to_json, board_json, text_runs};
pub use schema::{Template, SCHEMA_VERSION};
pub use seed::{seed, seed_by};
