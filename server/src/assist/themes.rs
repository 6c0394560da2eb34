//! Themes of a run's cards: the groups of average-linkage clustering (`cluster`), each with its
//! most telling words as a label (`terms`) and its most central card, the one closest to the
//! mean of its cards' embeddings, to be quoted word for word. Without a number of themes, the
//! tree is cut at [`THEME_DISTANCE`], and cards left alone are listed apart, not as themes.

use cocreate_sense::{Embedding, DIM};
use serde::Serialize;

use super::cluster::{average_linkage, cut, Cut};
use super::terms::{BoardTerms, LABEL_TERMS};

/// Most themes a run may ask for: more than a wall of cards is sorted into by hand.
pub const MAX_THEMES: usize = 50;

/// The average cosine distance under which cards join one theme when the number of themes is
/// not given. Calibrated on the labelled multilingual set of the server tests
/// (`tests/server/assist/quality.rs`), where it gives the best adjusted Rand index.
pub const THEME_DISTANCE: f32 = 0.74;

/// One theme: indices into the run's cards.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Theme {
    /// Its first [`LABEL_TERMS`] terms, joined.
    pub label: String,
    /// Its most telling words, best first, as written on its cards.
    pub terms: Vec<String>,
    /// The card closest to the theme's centre.
    pub central: usize,
    /// Its cards, in the run's order.
    pub items: Vec<usize>,
}

/// What clustering made of a run's cards.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Themes {
    /// Largest first.
    pub themes: Vec<Theme>,
    /// Cards that joined no theme (only when the number of themes was not given).
    pub unthemed: Vec<usize>,
}

/// The themes of `cards` (text and language code) with their embeddings `vectors`: `count`
/// of them if given (fewer if there are fewer cards), else as many as the distance finds.
pub fn themes(
    cards: &[(&str, Option<&str>)],
    vectors: &[Embedding],
    count: Option<usize>,
) -> Themes {
    if cards.is_empty() {
        return Themes::default();
    }
    let merges = average_linkage(vectors);
    let groups = cut(
        cards.len(),
        &merges,
        count.map_or(Cut::Distance(THEME_DISTANCE), Cut::Groups),
    );
    let terms = BoardTerms::new(cards.iter().copied());
    let mut found = Themes::default();
    for items in groups {
        if count.is_none() && items.len() == 1 {
            found.unthemed.extend(items);
            continue;
        }
        let terms = terms.telling(&items);
        found.themes.push(Theme {
            label: terms[..terms.len().min(LABEL_TERMS)].join(", "),
            terms,
            central: central(vectors, &items),
            items,
        });
    }
    found.unthemed.sort_unstable();
    found
}

/// The card of `items` closest to their mean direction.
fn central(vectors: &[Embedding], items: &[usize]) -> usize {
    let mut mean = [0f32; DIM];
    for &i in items {
        mean.iter_mut().zip(&vectors[i]).for_each(|(m, v)| *m += v);
    }
    let score = |i: usize| -> f32 { mean.iter().zip(&vectors[i]).map(|(m, v)| m * v).sum() };
    items
        .iter()
        .copied()
        .max_by(|&a, &b| score(a).total_cmp(&score(b)).then(b.cmp(&a)))
        .unwrap_or_default()
}
