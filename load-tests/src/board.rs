//! A participant's copy of the board, and the edits a person makes on it.
//!
//! The document follows the board's schema (`cocreate-board`'s `schema`, the web client's too):
//! `items` holds cards (a map each, with a `text` Y.Text), `votes` holds one key per vote.
//! Every edit inserts something, so it advances the author's clock: a pure deletion would not,
//! and could not be timed by the receivers (see `participant`).

use cocreate_board::schema::{key, ITEMS, JOURNEY_LANES, STAGE_KINDS, VOTES};
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Doc, IdSet, Map, MapPrelim, MapRef, ReadTxn, StateVector, Text, TextPrelim, TextRef,
    Transact, Update, ID,
};

/// Stages and lanes of a journey map: where a card can be moved to.
const STAGES: [&str; 5] = STAGE_KINDS;
const LANES: [&str; 4] = [
    JOURNEY_LANES[0],
    JOURNEY_LANES[1],
    JOURNEY_LANES[2],
    JOURNEY_LANES[4],
];
/// What people type, a few characters per keystroke batch.
const WORDS: [&str; 8] = [
    "form ", "queue ", "letter ", "wait ", "phone ", "desk ", "online ", "permit ",
];

/// The kinds of edit, in the proportions of a workshop: mostly typing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Type,
    AddCard,
    MoveCard,
    Vote,
}

impl Edit {
    /// Picks an edit: 70 % typing, 10 % each of adding, moving and voting.
    fn pick(rng: &mut fastrand::Rng) -> Edit {
        match rng.u8(0..10) {
            0 => Edit::AddCard,
            1 => Edit::MoveCard,
            2 => Edit::Vote,
            _ => Edit::Type,
        }
    }
}

/// One participant's replica of a room's board.
pub struct Board {
    doc: Doc,
    items: MapRef,
    votes: MapRef,
    /// The participant's pseudonym, as the web client stores it in `author`.
    author: String,
    /// Cards this participant created and how many: card ids are `author/n`.
    cards_added: u32,
    rng: fastrand::Rng,
    /// Instead of a replica, the clock ranges received. Integrating every update costs a
    /// viewer more as the document grows (a search and a shift of the block list per split
    /// text); a tally only decodes, so a run's generator can watch a server at hundreds of
    /// thousands of deliveries a second. Its clocks are compared, not its content: the
    /// viewers that keep a replica check that.
    tally: Option<IdSet>,
}

/// What a board holds, compared across participants at the end of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Client id → clock.
    pub state: Vec<(u64, u32)>,
    /// The board's content as JSON; `None` for a tally, which keeps no content.
    pub content: Option<String>,
}

impl Snapshot {
    /// Whether a room's snapshots agree: every one holds the same clocks, and every one with
    /// content the same content.
    pub fn all_agree(snapshots: &[&Snapshot]) -> bool {
        let Some(first) = snapshots.first() else {
            return true;
        };
        let content = snapshots.iter().find_map(|s| s.content.as_ref());
        snapshots.iter().all(|s| {
            s.state == first.state && (s.content.is_none() || s.content.as_ref() == content)
        })
    }
}

impl Board {
    /// An empty board for a client; `seed` makes the edit sequence reproducible.
    pub fn new(client_id: u32, seed: u64) -> Self {
        let doc = Doc::with_client_id(u64::from(client_id));
        let items = doc.get_or_insert_map(ITEMS);
        let votes = doc.get_or_insert_map(VOTES);
        Board {
            doc,
            items,
            votes,
            author: format!("p_{client_id:08x}"),
            cards_added: 0,
            rng: fastrand::Rng::with_seed(seed),
            tally: None,
        }
    }

    /// A board that only tallies what it receives (see `Board::tally`); it cannot edit.
    pub fn tally(client_id: u32) -> Self {
        Board {
            tally: Some(IdSet::default()),
            ..Board::new(client_id, 0)
        }
    }

    pub fn client_id(&self) -> u64 {
        self.doc.client_id().get()
    }

    pub fn state_vector(&self) -> StateVector {
        match &self.tally {
            Some(tally) => contiguous(tally),
            None => self.doc.transact().state_vector(),
        }
    }

    /// The clock this client has reached: the end of its last edit.
    pub fn own_clock(&self) -> u32 {
        let client = self.doc.client_id();
        self.doc.transact().state_vector().get(&client)
    }

    /// What `remote` lacks (answer to a sync step 1).
    pub fn diff(&self, remote: &StateVector) -> Vec<u8> {
        self.doc.transact().encode_state_as_update_v1(remote)
    }

    /// Applies an update received from the server; returns the resulting state vector.
    /// Decoded as a Yjs client does, trusting the server: the server's own checks on untrusted
    /// updates (`cocreate_protocol::decode_update`) would double what each replica costs the
    /// generator, which is the limit of the one-writer runs.
    pub fn apply(&mut self, update: &[u8]) -> Result<StateVector, ApplyError> {
        let update = Update::decode_v1(update)?;
        if let Some(tally) = &mut self.tally {
            for (client, ranges) in update.insertions(true).iter() {
                for range in ranges.iter() {
                    tally.insert(ID::new(*client, range.start), range.end - range.start);
                }
            }
            return Ok(contiguous(tally));
        }
        let mut txn = self.doc.transact_mut();
        txn.apply_update(update)?;
        Ok(txn.state_vector())
    }

    /// Makes one random edit; returns the update to send.
    pub fn edit(&mut self) -> Vec<u8> {
        let edit = Edit::pick(&mut self.rng);
        self.make(edit)
    }

    /// Makes an edit of the given kind (falls back to adding a card on an empty board).
    pub fn make(&mut self, edit: Edit) -> Vec<u8> {
        let mut txn = self.doc.transact_mut();
        let card = if edit == Edit::AddCard {
            None
        } else {
            random_card(&self.items, &txn, &mut self.rng)
        };
        match (edit, card) {
            (Edit::Type, Some(card)) => {
                if let Some(text) = card
                    .get(&txn, key::TEXT)
                    .and_then(|t| t.cast::<TextRef>().ok())
                {
                    let len = text.len(&txn);
                    let at = if len == 0 { 0 } else { self.rng.u32(0..=len) };
                    // Insert at a word boundary-ish position; byte offsets of ASCII text.
                    let word = WORDS[self.rng.usize(..WORDS.len())];
                    text.insert(&mut txn, at.min(len), word);
                }
            }
            (Edit::MoveCard, Some(card)) => {
                let stage = STAGES[self.rng.usize(..STAGES.len())];
                card.insert(&mut txn, "stage", stage);
                card.insert(&mut txn, "order", format!("a{}", self.rng.u32(..1000)));
            }
            (Edit::Vote, Some(card)) => {
                let id = card_id(&card, &txn);
                let key = format!("{id}|{}|{}", self.author, self.rng.u32(..1_000_000));
                self.votes.insert(&mut txn, key, Any::from(now_ms()));
            }
            _ => {
                self.cards_added += 1;
                let id = format!("{}/{}", self.author, self.cards_added);
                let card = self
                    .items
                    .insert(&mut txn, id.clone(), MapPrelim::default());
                card.insert(&mut txn, "id", id);
                card.insert(&mut txn, key::TYPE, "card");
                card.insert(&mut txn, key::AUTHOR, self.author.clone());
                card.insert(&mut txn, "stage", STAGES[self.rng.usize(..STAGES.len())]);
                card.insert(&mut txn, "lane", LANES[self.rng.usize(..LANES.len())]);
                card.insert(&mut txn, "order", "a0");
                card.insert(&mut txn, key::TEXT, TextPrelim::new("idea: "));
            }
        }
        txn.encode_update_v1()
    }

    /// Types `bytes` characters into one card in a single update (a pasted text): builds large
    /// documents without millions of round trips.
    pub fn paste(&mut self, bytes: usize) -> Vec<u8> {
        let text: String = WORDS
            .iter()
            .cycle()
            .flat_map(|w| w.chars())
            .take(bytes)
            .collect();
        let mut txn = self.doc.transact_mut();
        self.cards_added += 1;
        let id = format!("{}/{}", self.author, self.cards_added);
        let card = self.items.insert(&mut txn, id, MapPrelim::default());
        card.insert(&mut txn, key::TYPE, "card");
        card.insert(&mut txn, key::TEXT, TextPrelim::new(text));
        txn.encode_update_v1()
    }

    /// Changes the board locally without telling anyone: the smoke test's deliberately
    /// divergent participant, which the end-of-run comparison must catch.
    pub fn diverge(&mut self) {
        let mut txn = self.doc.transact_mut();
        self.items.insert(&mut txn, "divergent", "never sent");
    }

    pub fn snapshot(&self) -> Snapshot {
        let txn = self.doc.transact();
        let mut state: Vec<(u64, u32)> = self
            .state_vector()
            .iter()
            .map(|(client, clock)| (client.get(), *clock))
            .collect();
        state.sort_unstable();
        // Through serde_json's sorted maps: yrs's own JSON follows hash map order.
        let content = [ITEMS, VOTES]
            .map(|root| {
                txn.get_map(root)
                    .and_then(|map| serde_json::to_value(map.to_json(&txn)).ok())
                    .unwrap_or_default()
            })
            .iter()
            .map(serde_json::Value::to_string)
            .collect();
        Snapshot {
            state,
            content: self.tally.is_none().then_some(content),
        }
    }
}

/// What a tally holds without gaps: per client, the clock up to which every struct arrived
/// (yrs's state vector has the same meaning, since it keeps what arrives early pending).
fn contiguous(tally: &IdSet) -> StateVector {
    let mut state = StateVector::default();
    for (client, ranges) in tally.iter() {
        if let Some(first) = ranges.iter().next().filter(|r| r.start == 0) {
            state.set_max(*client, first.end);
        }
    }
    state
}

/// A card anyone on the board made, picked at random.
fn random_card<T: ReadTxn>(items: &MapRef, txn: &T, rng: &mut fastrand::Rng) -> Option<MapRef> {
    let count = items.len(txn);
    if count == 0 {
        return None;
    }
    let pick = rng.usize(..count as usize);
    items
        .iter(txn)
        .nth(pick)
        .and_then(|(_, value)| value.cast::<MapRef>().ok())
}

fn card_id<T: ReadTxn>(card: &MapRef, txn: &T) -> String {
    card.get(txn, "id")
        .map(|v| v.to_string(txn))
        .unwrap_or_default()
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// An update from the server that could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Decode(#[from] yrs::encoding::read::Error),
    #[error("update failed to apply: {0}")]
    Apply(#[from] yrs::error::UpdateError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edit_advances_the_clock_and_replicas_converge() {
        let mut a = Board::new(1, 1);
        let mut b = Board::new(2, 2);
        for edit in [Edit::AddCard, Edit::Type, Edit::MoveCard, Edit::Vote] {
            for board in [&mut a, &mut b] {
                let before = board.own_clock();
                let update = board.make(edit);
                assert!(
                    board.own_clock() > before,
                    "{edit:?} did not advance the clock"
                );
                let _ = update;
            }
        }
        let (ua, ub) = (a.diff(&b.state_vector()), b.diff(&a.state_vector()));
        a.apply(&ub).unwrap();
        b.apply(&ua).unwrap();
        assert_eq!(a.snapshot(), b.snapshot());
        b.diverge();
        assert_ne!(a.snapshot(), b.snapshot());
    }

    #[test]
    fn a_tally_holds_the_clocks_received_without_gaps_and_agrees_only_on_them() {
        let mut writer = Board::new(1, 1);
        let updates: Vec<Vec<u8>> = (0..5).map(|_| writer.edit()).collect();
        let mut full = Board::new(2, 2);
        let mut tally = Board::tally(3);
        // The third update arrives last: the tally's clock stops before the gap, as yrs's does.
        for i in [0, 1, 3, 4] {
            full.apply(&updates[i]).unwrap();
            tally.apply(&updates[i]).unwrap();
        }
        assert_eq!(tally.state_vector(), full.state_vector());
        assert!(!Snapshot::all_agree(&[
            &full.snapshot(),
            &writer.snapshot()
        ]));
        full.apply(&updates[2]).unwrap();
        tally.apply(&updates[2]).unwrap();
        assert_eq!(tally.state_vector(), writer.state_vector());
        let (w, f, t) = (writer.snapshot(), full.snapshot(), tally.snapshot());
        assert_eq!(t.content, None);
        assert!(Snapshot::all_agree(&[&t, &w, &f]));
        // Content is still compared between the replicas that have it.
        full.diverge();
        assert!(!Snapshot::all_agree(&[&t, &w, &full.snapshot()]));
        // And a tally that lacks an update does not agree.
        let mut short = Board::tally(4);
        short.apply(&updates[0]).unwrap();
        assert!(!Snapshot::all_agree(&[&w, &short.snapshot()]));
    }
}
