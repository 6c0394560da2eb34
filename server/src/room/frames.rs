//! Encoded frames a room sends: the sync and awareness messages, and the caches that let a
//! crowd joining an unchanged room cost one encoding.

use bytes::Bytes;
use cocreate_board::{encode_state, EncodeError};
use cocreate_protocol::{Message, SyncMessage};
use yrs::sync::Awareness;
use yrs::updates::encoder::Encode;
use yrs::{Doc, IdSet, ReadTxn, StateVector, Transact};

/// What a room reuses until its document changes; cleared by [`FrameCache::clear`] then.
#[derive(Default)]
pub(super) struct FrameCache {
    /// Encoded sync step 1 (the document's state vector).
    step1: Option<Bytes>,
    /// Encoded sync step 2 with the whole document, for members that have nothing.
    full_state: Option<Bytes>,
    /// Deletions the document knows, computed on demand to recognise a sync step 2 that only
    /// repeats them (sent on every reconnect).
    known_deletions: Option<IdSet>,
}

impl FrameCache {
    /// A cache holding the sync answer for members with nothing: `state`, the document's
    /// whole state as the room's load encoded it.
    pub(super) fn with_state(state: Vec<u8>) -> Self {
        FrameCache {
            full_state: Some(encode(&Message::Sync(SyncMessage::SyncStep2(state)))),
            ..FrameCache::default()
        }
    }

    pub(super) fn step1(&mut self, doc: &Doc) -> Bytes {
        self.step1
            .get_or_insert_with(|| {
                encode(&Message::Sync(SyncMessage::SyncStep1(
                    doc.transact().state_vector(),
                )))
            })
            .clone()
    }

    pub(super) fn full_state(&mut self, doc: &Doc) -> Result<Bytes, EncodeError> {
        if let Some(frame) = &self.full_state {
            return Ok(frame.clone());
        }
        let frame = step2(doc, &StateVector::default())?;
        self.full_state = Some(frame.clone());
        Ok(frame)
    }

    pub(super) fn known_deletions(&mut self, doc: &Doc) -> &IdSet {
        self.known_deletions
            .get_or_insert_with(|| doc.transact().snapshot().delete_set)
    }

    /// Forgets everything cached: the document changed.
    pub(super) fn clear(&mut self) {
        *self = FrameCache::default();
    }
}

/// Sync step 2: what `doc` has beyond state vector `sv`.
pub(super) fn step2(doc: &Doc, sv: &StateVector) -> Result<Bytes, EncodeError> {
    Ok(encode(&Message::Sync(SyncMessage::SyncStep2(
        encode_state(doc, sv)?,
    ))))
}

/// Every current presence state as one message; `None` when nobody has any.
pub(super) fn full_awareness_frame(awareness: &Awareness) -> Option<Bytes> {
    let update = awareness.update().ok()?;
    (!update.clients.is_empty()).then(|| encode(&Message::Awareness(update)))
}

pub(super) fn encode(message: &Message) -> Bytes {
    Bytes::from(message.encode_v1())
}
