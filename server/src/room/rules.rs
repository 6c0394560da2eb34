//! The zone rules in a session's room (`session/rules.rs`): every participant's update is
//! judged before it is queued for the log, so that a change a rule forbids never reaches
//! storage or anyone else, also from a client that ignores the rules. Judging needs the
//! document as it will be once what is already queued is applied (a card typed into right
//! after it was added is still on its way to the log), so the room keeps a second document
//! ahead of its own: the [`Ahead`] document, with the room's document's records and every
//! update queued since. A refused update is dropped whole (a Yjs update cannot be taken in
//! part) and its sender told with the session message `edit-refused`; the web client then
//! shows the board as the server has it and starts over from it, so nothing is resent. The
//! ahead document is rebuilt after a refusal, since it had taken the update to judge it.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use cocreate_board::guard::{Guard, Owner, Touch, Unjudgeable};
use cocreate_protocol::{close, cocreate};
use serde_json::json;
use tracing::{error, info};
use yrs::{ClientID, Update};

use super::access::session_message;
use super::authorship::written;
use super::frames::encode;
use super::Room;
use crate::close_reason::ReasonCode;
use crate::session::rules::{judge, Refusal};
use crate::session::Role;
use crate::storage::LogRecord;

/// The session message event telling a writer their update was refused.
const EDIT_REFUSED: &str = "edit-refused";

/// Refused updates one connection may send before it is closed: an honest client starts over
/// after the first, so many mean a client that keeps resending.
const REFUSALS_BEFORE_CLOSE: u32 = 50;

/// The room's document ahead of the log: what the next update is judged against.
pub(super) struct Ahead {
    guard: Guard,
    /// Updates queued from this node's members, not yet back from the log, in order.
    queued: VecDeque<Bytes>,
    /// Who wrote under each client id the queued updates brought (the room learns its owners
    /// only as it applies them).
    claims: HashMap<ClientID, String>,
}

impl Ahead {
    /// Starts ahead of `doc`, the room's document as loaded.
    pub(super) fn of(doc: &yrs::Doc) -> Option<Self> {
        match Guard::copy_of(doc) {
            Ok(guard) => Some(Ahead {
                guard,
                queued: VecDeque::new(),
                claims: HashMap::new(),
            }),
            Err(e) => {
                error!(error = %e, "the room's document does not copy: zone rules are not checked");
                None
            }
        }
    }
}

impl Room {
    /// Judges a member's update by the zone rules; `true` if it was refused (and its sender
    /// told), so that it must be dropped.
    pub(super) fn refuse_by_rules(&mut self, conn: u64, update: &Update, bytes: &Bytes) -> bool {
        let (Some(ahead), Some(session)) = (&mut self.ahead, &self.session) else {
            return false;
        };
        let Some(identity) = self.members.get(&conn).and_then(|m| m.identity.as_ref()) else {
            return false;
        };
        let writer = identity.participant.as_str();
        let own_clients: Vec<ClientID> = written(update).into_iter().map(|(c, _)| c).collect();
        let refusal = match ahead.guard.apply(bytes) {
            Ok(_) if identity.role == Role::Moderator => None,
            Ok(touches) => touches.iter().find_map(|touch| {
                let owner = owner_of(touch, &own_clients, writer, &ahead.claims, &self.owners);
                judge(
                    &session.agenda,
                    identity.role,
                    writer,
                    owner.as_deref(),
                    touch,
                )
                .err()
            }),
            Err(e) => Some(unjudgeable(e)),
        };
        let Some(refusal) = refusal else {
            for client in own_clients {
                ahead
                    .claims
                    .entry(client)
                    .or_insert_with(|| writer.to_owned());
            }
            ahead.queued.push_back(bytes.clone());
            return false;
        };
        info!(room = %self.id, conn, participant = writer, zone = %refusal.zone, reason = %refusal.reason, "edit refused");
        self.rebuild_ahead();
        let Some(member) = self.members.get_mut(&conn) else {
            return true;
        };
        member.refused += 1;
        if member.refused > REFUSALS_BEFORE_CLOSE {
            member.outbox.close(
                close::POLICY_VIOLATION,
                ReasonCode::TooManyRefusals.reason(format_args!(
                    "more than {REFUSALS_BEFORE_CLOSE} refused edits: reload the board"
                )),
            );
            return true;
        }
        if let (Some(session), Some(identity)) = (&self.session, &member.identity) {
            let mut message = session_message(session, identity, EDIT_REFUSED);
            message["zone"] = json!(refusal.zone);
            message["reason"] = json!(refusal.reason);
            member
                .outbox
                .send_cocreate(encode(&cocreate::session(&message.to_string())));
        }
        true
    }

    /// Keeps the ahead document ahead once `record` is applied to the room's: this node's
    /// members' updates are in it already; anything else (the server's edits, other nodes')
    /// is applied to it too.
    /// `applied`: whether the room's document took it (a forged record is skipped there).
    pub(super) fn follow_ahead(&mut self, record: &LogRecord, applied: bool) {
        let Some(ahead) = &mut self.ahead else {
            return;
        };
        if ahead.queued.front() == Some(&record.update) {
            ahead.queued.pop_front();
            if !applied {
                self.rebuild_ahead();
            }
            return;
        }
        if !applied {
            return;
        }
        if let Err(e) = ahead.guard.follow(&record.update) {
            info!(room = %self.id, seq = record.seq, error = %e, "the document ahead is rebuilt");
            self.rebuild_ahead();
        }
    }

    /// Takes back the update judged last, which did not reach the log after all.
    pub(super) fn unqueue_ahead(&mut self) {
        if let Some(ahead) = &mut self.ahead {
            ahead.queued.pop_back();
            self.rebuild_ahead();
        }
    }

    /// Builds the ahead document again: the room's document plus what is queued.
    fn rebuild_ahead(&mut self) {
        let queued = self
            .ahead
            .take()
            .map(|a| (a.queued, a.claims))
            .unwrap_or_default();
        let Some(mut ahead) = Ahead::of(self.awareness.doc()) else {
            return;
        };
        for update in &queued.0 {
            if let Err(e) = ahead.guard.follow(update) {
                error!(room = %self.id, error = %e, "a queued update does not apply ahead");
            }
        }
        (ahead.queued, ahead.claims) = queued;
        self.ahead = Some(ahead);
    }
}

/// The participant whose the touched thing is: an item's creator (the writer for client ids
/// this very update writes under), or the participant a vote's key names.
fn owner_of(
    touch: &Touch,
    own_clients: &[ClientID],
    writer: &str,
    claims: &HashMap<ClientID, String>,
    owners: &super::ClientOwners,
) -> Option<String> {
    match &touch.owner {
        Owner::Client(client) if own_clients.contains(client) => Some(writer.to_owned()),
        Owner::Client(client) => claims
            .get(client)
            .map(String::as_str)
            .or_else(|| owners.participant_of(*client))
            .map(str::to_owned),
        Owner::Participant(participant) => Some(participant.clone()),
        Owner::Nobody => None,
    }
}

/// An update that cannot be judged is refused whole.
fn unjudgeable(e: Unjudgeable) -> Refusal {
    Refusal {
        zone: String::new(),
        reason: e.to_string(),
    }
}
