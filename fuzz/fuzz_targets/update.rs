//! Update bytes as a client may send them, applied to a live board through the room's own path
//! (`apply_bytes`: `decode_update`, then the apply that catches yrs panics).
//!
//! Beyond "no crash", whatever became of the update (applied, refused, or a caught panic),
//! the document is not poisoned: its state still encodes into a checkpoint, and a client's
//! next edit still applies.
#![no_main]

#[path = "board.rs"]
mod board;

use board::{apply, apply_hostile, AUTHOR, BOARD, NEXT, NEXT_EDIT};
use cocreate_board::{apply_bytes, encode_state, ApplyError};
use libfuzzer_sys::fuzz_target;
use yrs::block::ClientID;
use yrs::{Doc, ReadTxn, StateVector, Transact};

fuzz_target!(|update: &[u8]| {
    let doc = Doc::with_client_id(AUTHOR + 100);
    apply(&doc, &BOARD);
    if let Err(ApplyError::Panicked) = apply_hostile(&doc, update) {
        return; // the room drops this document and reloads from its log
    }

    // What a checkpoint of this room would hold still encodes, without a panic (issue 33: a
    // clock range that wraps around applied, then every encoding divided by zero). (That it
    // also loads back into a fresh document does not always hold yet: README.md, Open.)
    if let Err(e) = encode_state(&doc, &StateVector::default()) {
        panic!("an update the room accepted left a document that does not encode: {e}");
    }

    // The next edit applies, unless the update already wrote as that client (a client id
    // collision, which yrs resolves by keeping what it has).
    let next = ClientID::new(NEXT);
    if doc.transact().state_vector().get(&next) > 0 {
        return;
    }
    if let Err(e) = apply_bytes(&doc, &NEXT_EDIT) {
        panic!("the next client's edit no longer applies: {e}");
    }
    assert!(
        doc.transact().state_vector().get(&next) > 0,
        "the next client's edit is pending: the board lost blocks it builds on"
    );
});
