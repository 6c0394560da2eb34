//! The board the update targets write on, and the room's apply of a hostile update; shared by
//! `update` and `room` (each includes it with `#[path]`).

use std::cell::Cell;
use std::sync::{LazyLock, Once};

use cocreate_board::schema::{key, EMOTION_VOTES, ITEMS, META, VOTES};
use cocreate_board::{apply_bytes, seed_by, ApplyError, Template};
use yrs::{Doc, Map, MapPrelim, MapRef, Out, ReadTxn, StateVector, Text, TextPrelim};
use yrs::{Transact, WriteTxn};

/// The server's client for the seed (random in production, fixed here so crashes reproduce).
pub const SERVER: u64 = 1_000_000;
/// The client that writes the board's cards; the update under test lands on its work.
pub const AUTHOR: u64 = 1_000_001;
/// The client whose edit must still apply afterwards.
pub const NEXT: u64 = 1_000_002;

/// A journey map in use: the server's seed, a client's rewrite of the schema version, two cards
/// with text (one since deleted), a comment and votes, as the web client writes them
/// (web-client/README.md).
pub static BOARD: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let doc = Doc::with_client_id(AUTHOR);
    apply(
        &doc,
        &seed_by(Doc::with_client_id(SERVER), Template::JourneyMap),
    );
    let mut txn = doc.transact_mut();
    let meta = txn.get_or_insert_map(META);
    meta.insert(&mut txn, "schema", 2);
    let items = txn.get_or_insert_map(ITEMS);
    for (id, text) in [
        ("card_a", "Long queue at the desk"),
        ("card_b", "No parking"),
    ] {
        let card = items.insert(&mut txn, id, MapPrelim::default());
        card.insert(&mut txn, key::TYPE, "card");
        card.insert(&mut txn, "lane", "lane-pain-points");
        card.insert(&mut txn, "stage", "stage-wait");
        card.insert(&mut txn, "order", "a0");
        card.insert(&mut txn, key::AUTHOR, "p_ann");
        card.insert(&mut txn, key::TEXT, TextPrelim::new(text));
    }
    let comment = items.insert(&mut txn, "comment_a", MapPrelim::default());
    comment.insert(&mut txn, key::TYPE, "comment");
    comment.insert(&mut txn, "parent", "card_a");
    comment.insert(&mut txn, key::TEXT, TextPrelim::new("Same for me"));
    txn.get_or_insert_map(VOTES)
        .insert(&mut txn, "card_a|p_ann|0", 1_700_000_000_000i64);
    txn.get_or_insert_map(EMOTION_VOTES)
        .insert(&mut txn, "stage-wait|p_ann", -2);
    items.remove(&mut txn, "card_b");
    txn.encode_state_as_update_v1(&StateVector::default())
});

/// The next client's edit on the board: it types into card_a's text, so it builds on the
/// board's own blocks.
pub static NEXT_EDIT: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let doc = Doc::with_client_id(NEXT);
    apply(&doc, &BOARD);
    let before = doc.transact().state_vector();
    let text = card_text(&doc);
    let mut txn = doc.transact_mut();
    text.insert(&mut txn, 0, "Still: ");
    txn.encode_state_as_update_v1(&before)
});

thread_local! {
    /// Set while the update under test is applied: a panic then is caught by the room's apply.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}
static QUIET_WHEN_CAUGHT: Once = Once::new();

/// Applies the update under test as a room does. A yrs panic the room catches (it then
/// reloads: every member reconnects, the record is skipped) is the room's handled outcome, but
/// libFuzzer's panic hook would abort on it; it stays a crash everywhere else. yrs panics of
/// this kind are listed in README.md, Open.
pub fn apply_hostile(doc: &Doc, update: &[u8]) -> Result<(), ApplyError> {
    QUIET_WHEN_CAUGHT.call_once(|| {
        let libfuzzer = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(Cell::get) {
                libfuzzer(info);
            }
        }));
    });
    CATCHING.with(|c| c.set(true));
    let result = apply_bytes(doc, update);
    CATCHING.with(|c| c.set(false));
    result
}

pub fn apply(doc: &Doc, update: &[u8]) {
    apply_bytes(doc, update).expect("a known update applies");
}

pub fn card_text(doc: &Doc) -> yrs::TextRef {
    let items: MapRef = doc.get_or_insert_map(ITEMS);
    let txn = doc.transact();
    let Some(Out::YMap(card)) = items.get(&txn, "card_a") else {
        panic!("the board has card_a");
    };
    let Some(Out::YText(text)) = card.get(&txn, key::TEXT) else {
        panic!("card_a has text");
    };
    text
}

