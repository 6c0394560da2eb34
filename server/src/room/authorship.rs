//! Authorship the server can vouch for: each Yjs client id belongs to whoever first writes with
//! it, decided from the update log alone, in log order, so that every node, every restart and
//! every replay decides the same. A participant's record that writes new content under a client
//! id someone else owns (another participant, or the server) is forged: rooms refuse it on
//! receipt and skip it on apply. History, exports, metrics, remove-contributions and erasure
//! find a participant's content through the same table ([`ClientOwners::clients_of`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use cocreate_board::{apply_bytes, apply_update, ApplyError};
use cocreate_protocol::{close, decode_update};
use serde::{Deserialize, Serialize};
use tracing::warn;
use yrs::{ClientID, Update};

use super::Room;
use crate::close_reason::ReasonCode;
use crate::storage::{LogRecord, Origin, RecordKind, Seq, SERVER_EDIT};

/// Who owned which client id as of a checkpoint, saved with it (in the room's scope) so that a
/// load reads only the log after it, not the whole log (issue 32).
pub(crate) const SAVED_OWNERS: RecordKind<SavedOwners> = RecordKind::new("client-owners");
/// The key of the newest [`SAVED_OWNERS`] record.
pub(crate) const NEWEST: &str = "newest";

/// Who owns a client id.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owner {
    /// The server's own edits (a template's seed, moderation edits): no participant may write
    /// with these.
    Server,
    Participant(Arc<str>),
}

/// Who writes a record, as far as ownership goes.
enum Writer<'a> {
    Server,
    Participant(&'a str),
    /// An open room's connection: nobody is identified, nothing is checked or claimed.
    Anonymous,
}

impl<'a> Writer<'a> {
    fn of(origin: &'a Origin) -> Self {
        match &origin.participant {
            _ if origin.connection == SERVER_EDIT => Writer::Server,
            Some(participant) => Writer::Participant(participant),
            None => Writer::Anonymous,
        }
    }
}

/// A client id's owner and the highest clock the accepted records reached with it: content up
/// to there is known, so repeating it (a reconnecting client's sync step 2) writes nothing new.
#[derive(Clone)]
struct Claim {
    owner: Owner,
    clock: u32,
}

/// An update that writes new content under a client id another owner holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forged {
    pub client: ClientID,
    /// The client id is the server's (not another participant's).
    pub server: bool,
}

impl fmt::Display for Forged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = if self.server {
            "the server"
        } else {
            "another participant"
        };
        write!(
            f,
            "update writes under client id {}, which belongs to {owner}",
            self.client.get()
        )
    }
}

/// Who owns which Yjs client id, built from a room's log in order.
#[derive(Clone, Default)]
pub struct ClientOwners(HashMap<ClientID, Claim>);

/// [`ClientOwners`] as of a log position, as storage keeps it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SavedOwners {
    /// The last log record taken in.
    pub covers: Seq,
    claims: Vec<SavedClaim>,
}

/// One client id's claim: `owner` is a participant id, `None` the server.
#[derive(Debug, Serialize, Deserialize)]
struct SavedClaim {
    client: u64,
    owner: Option<String>,
    clock: u32,
}

impl ClientOwners {
    /// What storage keeps of the table, as of log position `covers`.
    pub(crate) fn saved(&self, covers: Seq) -> SavedOwners {
        let claims = self
            .0
            .iter()
            .map(|(client, claim)| SavedClaim {
                client: client.get(),
                owner: match &claim.owner {
                    Owner::Server => None,
                    Owner::Participant(p) => Some(p.to_string()),
                },
                clock: claim.clock,
            })
            .collect();
        SavedOwners { covers, claims }
    }

    /// The table storage kept, and the log position it covers.
    pub(crate) fn from_saved(saved: SavedOwners) -> (Seq, ClientOwners) {
        let claims = saved.claims.into_iter().map(|c| {
            let owner = match c.owner {
                None => Owner::Server,
                Some(p) => Owner::Participant(Arc::from(p)),
            };
            let claim = Claim {
                owner,
                clock: c.clock,
            };
            (ClientID::new(c.client), claim)
        });
        (saved.covers, ClientOwners(claims.collect()))
    }

    /// Takes in the next records of the log, in order; forged records claim nothing.
    pub fn add(&mut self, records: &[LogRecord]) {
        for record in records {
            if matches!(Writer::of(&record.origin), Writer::Anonymous) {
                continue;
            }
            if let Ok(update) = decode_update(&record.update) {
                let _ = self.accept(&record.origin, &update);
            }
        }
    }

    /// Whether a record from `origin` may be applied; if so, takes in the client ids it writes
    /// with. Called for every record in log order, this is the decision every node repeats.
    pub fn accept(&mut self, origin: &Origin, update: &Update) -> Result<(), Forged> {
        let writer = Writer::of(origin);
        if matches!(writer, Writer::Anonymous) {
            return Ok(());
        }
        let written = written(update);
        self.check(&writer, &written)?;
        for (client, clock) in written {
            match self.0.get_mut(&client) {
                Some(claim) => claim.clock = claim.clock.max(clock),
                None => {
                    let owner = match writer {
                        Writer::Participant(participant) => {
                            Owner::Participant(Arc::from(participant))
                        }
                        _ => Owner::Server,
                    };
                    self.0.insert(client, Claim { owner, clock });
                }
            }
        }
        Ok(())
    }

    /// Whether `participant` may write `update` now, without taking it in: the check on
    /// receipt. `unclaimed_ok` is asked about each client id nobody owns yet.
    pub fn check_participant(
        &self,
        participant: &str,
        update: &Update,
        mut unclaimed_ok: impl FnMut(ClientID) -> bool,
    ) -> Result<(), Forged> {
        let written = written(update);
        self.check(&Writer::Participant(participant), &written)?;
        match written
            .iter()
            .find(|(client, _)| !self.0.contains_key(client) && !unclaimed_ok(*client))
        {
            Some((client, _)) => Err(Forged {
                client: *client,
                server: false,
            }),
            None => Ok(()),
        }
    }

    fn check(&self, writer: &Writer, written: &[(ClientID, u32)]) -> Result<(), Forged> {
        let Writer::Participant(participant) = writer else {
            return Ok(()); // the server's edits are its own; an open room checks nothing
        };
        for (client, clock) in written {
            let Some(claim) = self.0.get(client) else {
                continue;
            };
            let theirs = match &claim.owner {
                Owner::Participant(owner) => **owner == **participant,
                Owner::Server => false,
            };
            if !theirs && *clock > claim.clock {
                return Err(Forged {
                    client: *client,
                    server: claim.owner == Owner::Server,
                });
            }
        }
        Ok(())
    }

    /// The participant who owns a client id (`None`: nobody, or the server).
    pub fn participant_of(&self, client: ClientID) -> Option<&str> {
        match &self.0.get(&client)?.owner {
            Owner::Participant(p) => Some(p),
            Owner::Server => None,
        }
    }

    /// The client ids a participant owns.
    pub fn clients_of(&self, participant: &str) -> HashSet<ClientID> {
        self.0
            .iter()
            .filter(
                |(_, claim)| matches!(&claim.owner, Owner::Participant(p) if **p == *participant),
            )
            .map(|(client, _)| *client)
            .collect()
    }
}

impl Room {
    /// Refuses a member's update that writes under a client id it does not own, before it is
    /// stored: closes the member (1008) and says so. Read-only members' updates are dropped
    /// anyway; open rooms check nothing. A client id nobody owns yet may still be taken: not
    /// one that another participant's connection here shows in its presence (it is about to
    /// write with it).
    pub(super) fn refuse_forged(&self, conn: u64, update: &Update) -> bool {
        let Some(member) = self.members.get(&conn).filter(|m| m.writable) else {
            return false;
        };
        let Some(identity) = &member.identity else {
            return false;
        };
        let participant = identity.participant.as_str();
        let announced_by_other = |client| {
            self.presence
                .local_owner(client)
                .filter(|owner| *owner != conn)
                .and_then(|owner| self.members.get(&owner)?.identity.as_ref())
                .is_some_and(|other| other.participant != participant)
        };
        let checked = self
            .owners
            .check_participant(participant, update, |client| !announced_by_other(client));
        let Err(forged) = checked else {
            return false;
        };
        warn!(room = %self.id, conn, participant, client = forged.client.get(), "update refused: {forged}");
        let reason = ReasonCode::ForgedUpdate.reason(forged);
        member.outbox.close(close::POLICY_VIOLATION, reason);
        true
    }

    /// Applies a log record to the document. In a session's room the record is first checked
    /// for authorship, in log order, as every node and every replay checks it: a forged one is
    /// skipped (`None`: not applied, not relayed), and its sender, if connected here, closed.
    pub(super) fn apply_record(
        &mut self,
        record: &LogRecord,
        sender: Option<u64>,
    ) -> Option<Result<(), ApplyError>> {
        if self.session.is_none() {
            return Some(apply_bytes(self.awareness.doc(), &record.update));
        }
        let update = match decode_update(&record.update) {
            Ok(update) => update,
            Err(e) => return Some(Err(e.into())),
        };
        if let Err(forged) = self.owners.accept(&record.origin, &update) {
            warn!(room = %self.id, seq = record.seq, node = %record.origin.node, conn = record.origin.connection, "update skipped: {forged}");
            if let Some(member) = sender.and_then(|conn| self.members.get(&conn)) {
                let reason = ReasonCode::ForgedUpdate.reason(forged);
                member.outbox.close(close::POLICY_VIOLATION, reason);
            }
            return None;
        }
        Some(apply_update(self.awareness.doc(), update))
    }
}

/// The client ids an update inserts content under, each with the clock its content reaches.
/// Deletions claim nothing: deleting others' content is an ordinary edit.
pub(super) fn written(update: &Update) -> Vec<(ClientID, u32)> {
    update
        .insertions(true)
        .iter()
        .filter_map(|(client, ranges)| Some((*client, ranges.iter().map(|r| r.end).max()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact};

    fn origin(participant: Option<&str>, connection: u64) -> Origin {
        Origin {
            node: "n".into(),
            connection,
            participant: participant.map(str::to_owned),
        }
    }

    /// `doc`'s changes since `before`, after typing `text` into it.
    fn typed(doc: &Doc, text: &str) -> Update {
        let before = doc.transact().state_vector();
        let field = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        let end = field.get_string(&txn).len() as u32;
        field.insert(&mut txn, end, text);
        Update::decode_v1(&txn.encode_state_as_update_v1(&before)).unwrap()
    }

    #[test]
    fn the_first_writer_owns_a_client_id_and_others_cannot_write_with_it() {
        let mut owners = ClientOwners::default();
        let doc = Doc::with_client_id(7);
        let first = typed(&doc, "mine");
        assert_eq!(owners.accept(&origin(Some("ann"), 1), &first), Ok(()));
        let second = typed(&doc, " forged");
        let forged = owners.accept(&origin(Some("troll"), 2), &second);
        assert_eq!(
            forged,
            Err(Forged {
                client: ClientID::new(7),
                server: false
            })
        );
        assert_eq!(owners.accept(&origin(Some("ann"), 3), &second), Ok(()));
        assert!(owners.clients_of("troll").is_empty());
        assert_eq!(owners.clients_of("ann"), HashSet::from([ClientID::new(7)]));
    }

    #[test]
    fn repeating_known_content_is_not_writing() {
        let mut owners = ClientOwners::default();
        let doc = Doc::with_client_id(7);
        typed(&doc, "mine");
        let whole = Update::decode_v1(
            &doc.transact()
                .encode_state_as_update_v1(&StateVector::default()),
        )
        .unwrap();
        owners.accept(&origin(Some("ann"), 1), &whole).unwrap();
        assert_eq!(owners.accept(&origin(Some("bob"), 2), &whole), Ok(()));
        assert!(owners.clients_of("bob").is_empty());
    }

    #[test]
    fn the_servers_client_ids_are_nobodys() {
        let mut owners = ClientOwners::default();
        let doc = Doc::with_client_id(9);
        let seed = typed(&doc, "seed");
        owners
            .accept(&origin(Some("moderator"), SERVER_EDIT), &seed)
            .unwrap();
        assert!(owners.clients_of("moderator").is_empty());
        let forged = typed(&doc, "x");
        let refused = owners.check_participant("moderator", &forged, |_| true);
        assert_eq!(refused.map_err(|f| f.server), Err(true));
        assert_eq!(
            refused.unwrap_err().to_string(),
            "update writes under client id 9, which belongs to the server"
        );
    }

    #[test]
    fn open_rooms_check_nothing() {
        let mut owners = ClientOwners::default();
        let doc = Doc::with_client_id(7);
        owners.accept(&origin(None, 1), &typed(&doc, "a")).unwrap();
        owners.accept(&origin(None, 2), &typed(&doc, "b")).unwrap();
        assert!(owners.0.is_empty());
    }
}
