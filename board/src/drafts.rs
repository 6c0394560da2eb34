//! Revealing private drafts (issue 27): during a private step each participant writes their
//! cards into a document of their own, which nobody else receives; the reveal puts every draft
//! on the board at once. Each author's drafts are written under a fresh client id of their own,
//! so that the server can append them in that author's name (the log's authorship then makes
//! them theirs for receipts, erasure and removal, as if they had typed them on the board).

use serde_json::Value;
use yrs::{ClientID, Map, Transact};

use crate::carry::write_card;
use crate::edit::edit_doc;
use crate::schema::{key, ITEMS, VOTES};

/// The item kinds a draft document may hold that are revealed (what a participant writes on
/// their own; comments and votes wait for the board).
pub const DRAFT_KINDS: [&str; 2] = ["card", "note"];

/// One draft as it goes onto the board.
pub struct Draft<'a> {
    /// Its id on the board: opaque, so that it does not say whose it was.
    pub id: &'a str,
    /// The draft item as `board_json` reads the draft document.
    pub source: &'a Value,
    /// Its place among the cards revealed together (their `order`): not the order its author
    /// wrote in, so that cards of one person do not stand together.
    pub order: f64,
}

/// One author's drafts and secret votes (`votes`: keys `item|participant|n`, see
/// [`crate::votes::admissible`]) as an update for the board, and the client id it is written
/// under. `name`: the display name to show, `None` in an anonymous step; `at`: the reveal's
/// time, which every revealed card and vote takes (so that the order people wrote in is not
/// shown).
pub fn reveal(
    drafts: &[Draft],
    votes: &[String],
    author: &str,
    name: Option<&str>,
    at: u64,
) -> (Vec<u8>, ClientID) {
    let doc = edit_doc();
    let items = doc.get_or_insert_map(ITEMS);
    let vote_map = doc.get_or_insert_map(VOTES);
    let mut txn = doc.transact_mut();
    for key in votes {
        vote_map.insert(&mut txn, key.as_str(), at as f64);
    }
    for draft in drafts {
        let map = write_card(&items, &mut txn, draft.id, draft.source);
        map.insert(&mut txn, key::AUTHOR, author);
        if let Some(name) = name {
            map.insert(&mut txn, key::AUTHOR_NAME, name);
        }
        map.insert(&mut txn, "created_at", at as f64);
        map.insert(&mut txn, "order", draft.order);
    }
    let update = txn.encode_update_v1();
    drop(txn);
    (update, doc.client_id())
}
