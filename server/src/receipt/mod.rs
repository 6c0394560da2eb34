//! Receipts: a participant's personal, unguessable link to what became of their input. Issued
//! when they join, it opens their contributions (`contributions`) with each card's decision and
//! takes their answers to the evaluation questionnaire (`evaluation`), without a token, months
//! later; erasure removes it. Kept as keyed records (`crate::storage::RecordBackend`): by id
//! across sessions (what a link resolves) and by participant within their session (what
//! `/api/me` and erasure find).

pub mod contributions;
pub mod evaluation;

use serde::{Deserialize, Serialize};

use crate::session::{ids, now_ms};
use crate::storage::{RecordKind, Storage, StorageError};

/// Scope of the receipts by id: outside any session, since a link names only the receipt.
const BY_ID: &str = "receipts";

/// Receipts by id, in [`BY_ID`].
const RECEIPTS: RecordKind<Receipt> = RecordKind::new("receipt");

/// A participant's receipt id, in their session's scope, keyed by participant id.
const RECEIPT_OF: RecordKind<String> = RecordKind::new("participant-receipt");

/// Whom a receipt belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub session: String,
    pub participant: String,
    /// When it was issued (ms since the epoch).
    pub issued_at: u64,
}

/// Issues a receipt to a participant who just joined; returns its id.
pub async fn issue(
    storage: &dyn Storage,
    session: &str,
    participant: &str,
) -> Result<String, StorageError> {
    let id = ids::receipt_id();
    let receipt = Receipt {
        session: session.to_owned(),
        participant: participant.to_owned(),
        issued_at: now_ms(),
    };
    // By participant first: a receipt is never reachable without the entry erasure finds.
    RECEIPT_OF.put(storage, session, participant, &id).await?;
    RECEIPTS.put(storage, BY_ID, &id, &receipt).await?;
    Ok(id)
}

/// The receipt a link names, if it exists.
pub async fn find(storage: &dyn Storage, id: &str) -> Result<Option<Receipt>, StorageError> {
    RECEIPTS.get(storage, BY_ID, id).await
}

/// The id of a participant's receipt (participants who share an invite have none).
pub async fn of(
    storage: &dyn Storage,
    session: &str,
    participant: &str,
) -> Result<Option<String>, StorageError> {
    RECEIPT_OF.get(storage, session, participant).await
}

/// Removes a participant's receipt and the evaluation answered with it (erasure): its link
/// answers 404 from now on.
pub async fn remove(
    storage: &dyn Storage,
    session: &str,
    participant: &str,
) -> Result<(), StorageError> {
    if let Some(id) = of(storage, session, participant).await? {
        evaluation::remove(storage, session, &id).await?;
        RECEIPTS.delete(storage, BY_ID, &id).await?;
    }
    RECEIPT_OF.delete(storage, session, participant).await?;
    Ok(())
}

/// A receipt's link for people: the web client's receipt page on `base`.
pub fn receipt_url(base: &str, id: &str) -> String {
    format!("{base}/#receipt={id}")
}
