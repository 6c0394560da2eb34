//! A sequence of updates as a room takes them, on a live board: each applied through the
//! room's own apply (`apply_bytes`), the document encoded after each one the room accepted (a
//! new member's sync answer), then checkpointed and reloaded as a room loads (`apply_bytes` of
//! the checkpoint into a fresh document, then `encode_loadable`, the check a loaded room runs).
//!
//! Input: updates, each prefixed by one length byte (a length past the end takes the rest).
//! Beyond "no crash": an update the room accepted never leaves a document that does not encode
//! (issue 33), a checkpoint of it reloads into a document that encodes again, and another
//! client's next edit still applies after the whole sequence.
#![no_main]

#[path = "board.rs"]
mod board;

use board::{apply, apply_hostile, AUTHOR, BOARD, NEXT, NEXT_EDIT};
use cocreate_board::{apply_bytes, encode_loadable, encode_state, ApplyError};
use libfuzzer_sys::fuzz_target;
use yrs::block::ClientID;
use yrs::{Doc, ReadTxn, StateVector, Transact};

/// The most updates one input is cut into: enough for a block and the blocks built on it.
const MAX_UPDATES: usize = 8;

fuzz_target!(|input: &[u8]| {
    let doc = Doc::with_client_id(AUTHOR + 100);
    apply(&doc, &BOARD);
    let mut rest = input;
    for _ in 0..MAX_UPDATES {
        let Some((&len, tail)) = rest.split_first() else {
            break;
        };
        let (update, tail) = tail.split_at(usize::from(len).min(tail.len()));
        rest = tail;
        match apply_hostile(&doc, update) {
            Err(ApplyError::Panicked) => return, // the room reloads; the record is skipped
            Err(_) => continue,                  // refused: never stored, never relayed
            Ok(()) => {}
        }
        if let Err(e) = encode_state(&doc, &StateVector::default()) {
            panic!("an update the room accepted left a document that does not encode: {e}");
        }
    }
    // The room's checkpoint, and a load of it. A checkpoint that does not load back is the
    // open finding `state-not-utf8` (README.md, Open): a loading room then replays its log.
    let checkpoint = encode_state(&doc, &StateVector::default()).expect("checked above");
    let reloaded = Doc::new();
    if apply_bytes(&reloaded, &checkpoint).is_ok() {
        if let Err(e) = encode_state(&reloaded, &StateVector::default()) {
            panic!("a reloaded checkpoint does not encode: {e}");
        }
        let _ = encode_loadable(&reloaded);
    }
    // The next edit applies, unless the sequence already wrote as that client.
    if doc.transact().state_vector().get(&ClientID::new(NEXT)) == 0 {
        if let Err(e) = apply_bytes(&doc, &NEXT_EDIT) {
            panic!("the next client's edit no longer applies: {e}");
        }
    }
});
