//! Cards that say what a text says: while someone types a card, the board offers the ones
//! they could vote for instead. Ranked by cosine similarity, at most [`MAX_SIMILAR`], and only
//! above [`SIMILAR_THRESHOLD`], so that "nothing similar" is the usual answer.

use cocreate_sense::Embedding;

/// Most similar cards one answer lists: what a person reads before typing on.
pub const MAX_SIMILAR: usize = 5;

/// Longest text asked about, in characters: a sticky note, with room to spare.
pub const MAX_SIMILAR_TEXT: usize = 1000;

/// The cosine similarity from which a card counts as saying the same thing. Calibrated on the
/// labelled multilingual set of the server tests (`tests/server/assist/quality.rs`: pairs of
/// cards stating the same idea, in one language or two, against cards of the same theme that
/// say something else), for precision first: a wrong suggestion costs the writer's attention.
pub const SIMILAR_THRESHOLD: f32 = 0.60;

/// The indices of `cards` similar to `query` with their similarity, best first.
pub fn similar(query: &Embedding, cards: &[Embedding]) -> Vec<(usize, f32)> {
    let mut found: Vec<(usize, f32)> = cards
        .iter()
        .map(|card| card.iter().zip(query).map(|(a, b)| a * b).sum::<f32>())
        .enumerate()
        .filter(|&(_, score)| score >= SIMILAR_THRESHOLD)
        .collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    found.truncate(MAX_SIMILAR);
    found
}
