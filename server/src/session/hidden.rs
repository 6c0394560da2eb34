//! Hidden texts with their writers, and the client ids unhide restored text under: so that
//! text that goes through hide → unhide stays its writer's for erasure and
//! remove-contributions, which find a participant's text by client id.

use std::collections::HashSet;

use yrs::ClientID;

pub use cocreate_board::edit::{written_runs, WrittenRun};

use super::{Hidden, Session, Writer};

impl Session {
    /// The client ids that hold a participant's text, from `clients` (those they wrote with):
    /// the ids unhide restored others' text under are not theirs (the log credits them to the
    /// moderator who unhid), the ids it restored their text under are.
    pub fn with_restored(&self, mut clients: HashSet<ClientID>) -> HashSet<ClientID> {
        for (&fresh, &writer) in &self.restored {
            if clients.contains(&ClientID::new(writer)) {
                clients.insert(ClientID::new(fresh));
            } else {
                clients.remove(&ClientID::new(fresh));
            }
        }
        clients
    }

    /// Records which fresh client id restored whose text, by the client that first wrote it.
    pub fn record_restored(&mut self, restored: &[(ClientID, ClientID)]) {
        for (fresh, writer) in restored {
            let first = self
                .restored
                .get(&writer.get())
                .copied()
                .unwrap_or(writer.get());
            self.restored.insert(fresh.get(), first);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(runs: &[(&str, Option<u64>)]) -> Hidden {
        let mut hidden = Hidden {
            reason: "r".into(),
            by: "m".into(),
            at: 1,
            pending_review: false,
            text: String::new(),
            writers: Vec::new(),
        };
        hidden.set_runs(
            runs.iter()
                .map(|(text, writer)| WrittenRun {
                    text: (*text).to_owned(),
                    writer: writer.map(ClientID::new),
                })
                .collect(),
        );
        hidden
    }

    #[test]
    fn an_erasure_redacts_only_their_runs_of_a_hidden_text() {
        let mut h = hidden(&[("Queue ", Some(1)), ("é Jan", Some(2)), (" Jan", Some(3))]);
        assert_eq!(h.text, "Queue é Jan Jan");
        h.replace_runs(
            &HashSet::from([ClientID::new(2), ClientID::new(3)]),
            false,
            "[erased]",
        );
        assert_eq!(h.text, "Queue [erased]");
        let writers: Vec<_> = h.runs().into_iter().map(|r| r.writer).collect();
        assert_eq!(writers, [Some(ClientID::new(1)), Some(ClientID::new(2))]);
        h.replace_runs(&HashSet::from([ClientID::new(1)]), false, "");
        assert_eq!(h.text, "[erased]");
    }

    #[test]
    fn text_of_no_known_writer_counts_as_the_item_authors() {
        // Hidden before writers were kept: the whole text, by nobody known.
        let mut legacy = hidden(&[]);
        legacy.text = "call me".into();
        legacy.replace_runs(&HashSet::new(), false, "[erased]");
        assert_eq!(legacy.text, "call me");
        legacy.replace_runs(&HashSet::new(), true, "[erased]");
        assert_eq!(legacy.text, "[erased]");
    }

    #[test]
    fn restored_ids_belong_to_the_writer_of_what_they_restored() {
        let mut session: Session = serde_json::from_value(serde_json::json!({
            "id": "s1", "title": "t", "template": "canvas", "language": "en",
            "state": "open", "phase": "", "timer_ends_at": null,
            "votes_per_participant": 3, "created_at": 0, "join_code": "J",
        }))
        .expect("a valid session");
        let (ann, fresh, again) = (ClientID::new(1), ClientID::new(10), ClientID::new(11));
        session.record_restored(&[(fresh, ann)]);
        // Hidden and unhidden again: still Ann's first client.
        session.record_restored(&[(again, fresh)]);
        assert_eq!(
            session.with_restored(HashSet::from([ann])),
            HashSet::from([ann, fresh, again])
        );
        // The moderator whose edit first carried them does not own them.
        let moderator = ClientID::new(5);
        assert_eq!(
            session.with_restored(HashSet::from([moderator, fresh])),
            HashSet::from([moderator])
        );
    }
}
