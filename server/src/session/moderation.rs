//! Moderation of a session's board: who wrote with which Yjs client id (from the room's log,
//! and the client ids unhide restored text under), hidden texts with their writers, and the
//! board edits moderators make, which `cocreate-board` builds as Yjs updates (appended to the
//! room's log like any participant's update).

use std::collections::{HashMap, HashSet};

use cocreate_protocol::decode_update;
use yrs::ClientID;

pub use cocreate_board::edit::{
    author_of, erase, has_item, hide, remove_clients, unhide, written_runs, HiddenMark,
    ItemNotFound, Unhidden, WrittenRun,
};

use super::{Hidden, Session, Writer};
use crate::storage::LogRecord;

/// Who wrote with which Yjs client id, from a room's log. A client id belongs to the
/// participant whose update first carried content of it: a later update that repeats others'
/// content (a client's sync step 2 after the server lost data) does not make it theirs.
#[derive(Default)]
pub struct ClientOwners(HashMap<ClientID, String>);

impl ClientOwners {
    /// Takes in the next records of the log, in order.
    pub fn add(&mut self, records: &[LogRecord]) {
        for record in records {
            let Some(author) = &record.origin.participant else {
                continue;
            };
            let Ok(update) = decode_update(&record.update) else {
                continue;
            };
            for (client, _) in update.state_vector().iter() {
                self.0.entry(*client).or_insert_with(|| author.clone());
            }
        }
    }

    /// The client ids a participant wrote with.
    pub fn clients_of(&self, participant: &str) -> HashSet<ClientID> {
        self.0
            .iter()
            .filter(|(_, owner)| *owner == participant)
            .map(|(client, _)| *client)
            .collect()
    }
}

/// The client ids that hold a participant's text, from `clients` (those they wrote with): the
/// ids unhide restored others' text under are not theirs (the log credits them to the
/// moderator who unhid), the ids it restored their text under are.
pub fn with_restored(session: &Session, mut clients: HashSet<ClientID>) -> HashSet<ClientID> {
    for (&fresh, &writer) in &session.restored {
        if clients.contains(&ClientID::new(writer)) {
            clients.insert(ClientID::new(fresh));
        } else {
            clients.remove(&ClientID::new(fresh));
        }
    }
    clients
}

/// Records which fresh client id restored whose text, by the client that first wrote it.
pub fn record_restored(session: &mut Session, restored: &[(ClientID, ClientID)]) {
    for (fresh, writer) in restored {
        let first = session
            .restored
            .get(&writer.get())
            .copied()
            .unwrap_or(writer.get());
        session.restored.insert(fresh.get(), first);
    }
}

impl Hidden {
    /// The hidden text run by run, with who wrote each. Text the runs do not cover (hidden
    /// before writers were kept) has no known writer.
    pub fn runs(&self) -> Vec<WrittenRun> {
        let mut chars = self.text.chars();
        let mut runs: Vec<WrittenRun> = self
            .writers
            .iter()
            .map(|w| WrittenRun {
                text: chars.by_ref().take(w.chars).collect(),
                writer: w.client.map(ClientID::new),
            })
            .collect();
        let rest: String = chars.collect();
        if !rest.is_empty() {
            runs.push(WrittenRun {
                text: rest,
                writer: None,
            });
        }
        runs
    }

    /// Sets the hidden text from its runs.
    pub fn set_runs(&mut self, runs: Vec<WrittenRun>) {
        self.text = runs.iter().map(|r| r.text.as_str()).collect();
        self.writers = runs
            .into_iter()
            .map(|r| Writer {
                client: r.writer.map(|w| w.get()),
                chars: r.text.chars().count(),
            })
            .collect();
    }

    /// Replaces the runs `clients` wrote, and with `unknown_too` those of no known writer, by
    /// `replacement` (once per stretch), keeping who wrote them: an erasure redacts hidden text
    /// as it redacts the board's, and it does not come back on unhide.
    pub fn replace_runs(
        &mut self,
        clients: &HashSet<ClientID>,
        unknown_too: bool,
        replacement: &str,
    ) {
        let mut runs: Vec<WrittenRun> = Vec::new();
        let mut last_replaced = false;
        for run in self.runs() {
            let theirs = run.writer.map_or(unknown_too, |w| clients.contains(&w));
            if !theirs {
                runs.push(run);
            } else if !last_replaced && !replacement.is_empty() {
                runs.push(WrittenRun {
                    text: replacement.to_owned(),
                    writer: run.writer,
                });
            }
            last_replaced = theirs;
        }
        self.set_runs(runs);
    }
}
