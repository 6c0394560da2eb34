//! How useful the suggestions are, on a labelled set of our own (`cards.tsv`: 210 citizens'
//! sticky notes about public services, ten themes of five ideas each, every idea in Dutch,
//! French, German and English): themes held to the labels by the adjusted Rand index, similar
//! cards by precision and recall over the pairs of cards that state the same idea. Whether
//! the encoder matches its reference is the sense crate's test; this is whether it helps.

use std::collections::HashMap;
use std::time::Instant;

use cocreate_sense::Embedding;
use cocreate_server::assist::cluster::{average_linkage, cut, Cut};
use cocreate_server::assist::similar::SIMILAR_THRESHOLD;
use cocreate_server::assist::themes::{themes, THEME_DISTANCE};

use super::model;

/// The least adjusted Rand index accepted for themes found without a number. Measured: 0.555.
/// The issue measured ~0.7 on its own set; this one mixes ideas that sit between two themes
/// on purpose (a school's traffic, the recycling centre's Sunday closing, letters printed too
/// small), which people would sort either way too.
const MIN_ARI: f64 = 0.5;
/// The least share of pairs of cards stating one idea in two languages that land in one
/// theme: the promise that a Dutch and a French card about the same thing are seen together.
/// Measured: 1.0.
const MIN_ACROSS_LANGUAGES: f64 = 0.9;
/// The least precision and recall of similar cards at the calibrated threshold. Measured:
/// 0.974 and 0.771.
const MIN_DUPLICATE_PRECISION: f64 = 0.95;
const MIN_DUPLICATE_RECALL: f64 = 0.7;

struct Labelled {
    theme: String,
    idea: String,
    language: String,
    text: String,
}

fn labelled() -> Vec<Labelled> {
    include_str!("cards.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "{line:?}");
            Labelled {
                theme: fields[0].into(),
                idea: format!("{}/{}", fields[0], fields[1]),
                language: fields[2].into(),
                text: fields[3].into(),
            }
        })
        .collect()
}

fn embeddings(cards: &[Labelled]) -> Vec<Embedding> {
    let texts: Vec<&str> = cards.iter().map(|c| c.text.as_str()).collect();
    model().embed(&texts)
}

/// Cluster labels per card from groups of card indices.
fn labels_of(n: usize, groups: &[Vec<usize>]) -> Vec<usize> {
    let mut labels = vec![0; n];
    for (label, group) in groups.iter().enumerate() {
        group.iter().for_each(|&i| labels[i] = label);
    }
    labels
}

/// The adjusted Rand index of two labellings (Hubert and Arabie): 1 for the same partition,
/// about 0 for a random one.
fn adjusted_rand_index(truth: &[usize], found: &[usize]) -> f64 {
    let pairs = |n: usize| (n * n.saturating_sub(1) / 2) as f64;
    let mut table: HashMap<(usize, usize), usize> = HashMap::new();
    let (mut rows, mut columns): (HashMap<usize, usize>, HashMap<usize, usize>) =
        Default::default();
    for (&t, &f) in truth.iter().zip(found) {
        *table.entry((t, f)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *columns.entry(f).or_default() += 1;
    }
    let index: f64 = table.values().map(|&n| pairs(n)).sum();
    let row_pairs: f64 = rows.values().map(|&n| pairs(n)).sum();
    let column_pairs: f64 = columns.values().map(|&n| pairs(n)).sum();
    let expected = row_pairs * column_pairs / pairs(truth.len());
    let max = (row_pairs + column_pairs) / 2.0;
    (index - expected) / (max - expected)
}

/// Each card's theme as a number.
fn truth(cards: &[Labelled]) -> Vec<usize> {
    let mut names: Vec<&str> = cards.iter().map(|c| c.theme.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    cards
        .iter()
        .map(|c| names.binary_search(&c.theme.as_str()).unwrap_or_default())
        .collect()
}

#[test]
fn the_labelled_set_is_big_enough_and_multilingual() {
    let cards = labelled();
    assert!(cards.len() >= 200, "{} cards", cards.len());
    let themes: std::collections::BTreeSet<&str> = cards.iter().map(|c| c.theme.as_str()).collect();
    assert!(themes.len() >= 8, "{themes:?}");
    for language in ["nl", "fr", "de", "en"] {
        let n = cards.iter().filter(|c| c.language == language).count();
        assert!(n >= 45, "{n} cards in {language}");
    }
}

#[test]
fn themes_agree_with_the_labels() {
    let cards = labelled();
    let vectors = embeddings(&cards);
    let truth = truth(&cards);
    let merges = average_linkage(&vectors);
    // The calibration: the ARI at every distance around the chosen one.
    for step in 0..=10 {
        let limit = 0.64 + 0.02 * step as f32;
        let groups = cut(cards.len(), &merges, Cut::Distance(limit));
        let ari = adjusted_rand_index(&truth, &labels_of(cards.len(), &groups));
        eprintln!("distance {limit:.2}: {} groups, ARI {ari:.3}", groups.len());
    }
    let given = cut(cards.len(), &merges, Cut::Groups(10));
    let ari_given = adjusted_rand_index(&truth, &labels_of(cards.len(), &given));

    let described: Vec<(&str, Option<&str>)> = cards
        .iter()
        .map(|c| (c.text.as_str(), Some(c.language.as_str())))
        .collect();
    let found = themes(&described, &vectors, None);
    // Cards left alone count as groups of one.
    let mut groups: Vec<Vec<usize>> = found.themes.iter().map(|t| t.items.clone()).collect();
    groups.extend(found.unthemed.iter().map(|&i| vec![i]));
    let ari = adjusted_rand_index(&truth, &labels_of(cards.len(), &groups));
    eprintln!(
        "themes at distance {THEME_DISTANCE}: {} themes, {} cards alone, ARI {ari:.3}; \
         ten themes asked for: ARI {ari_given:.3}",
        found.themes.len(),
        found.unthemed.len()
    );
    for theme in found.themes.iter().take(12) {
        eprintln!(
            "  {:>3} cards  {:<40} \"{}\"",
            theme.items.len(),
            theme.label,
            cards[theme.central].text
        );
    }
    assert!(ari >= MIN_ARI, "adjusted Rand index {ari:.3} < {MIN_ARI}");
    let found_labels = labels_of(cards.len(), &groups);
    let (mut together, mut pairs) = (0usize, 0usize);
    for i in 0..cards.len() {
        for j in (i + 1)..cards.len() {
            if cards[i].idea == cards[j].idea && cards[i].language != cards[j].language {
                pairs += 1;
                together += usize::from(found_labels[i] == found_labels[j]);
            }
        }
    }
    let across = together as f64 / pairs as f64;
    eprintln!("one idea in two languages, one theme: {together} of {pairs} pairs ({across:.3})");
    assert!(
        across >= MIN_ACROSS_LANGUAGES,
        "{across:.3} < {MIN_ACROSS_LANGUAGES}"
    );
    // Every theme is labelled and quotes one of its own cards.
    for theme in &found.themes {
        assert!(!theme.label.is_empty(), "{theme:?}");
        assert!(theme.items.contains(&theme.central), "{theme:?}");
    }
}

/// Precision and recall of "similar" over every pair of cards, at `threshold`.
fn duplicates_at(cards: &[Labelled], vectors: &[Embedding], threshold: f32) -> (f64, f64) {
    let (mut true_positive, mut predicted, mut actual) = (0usize, 0usize, 0usize);
    for i in 0..cards.len() {
        for j in (i + 1)..cards.len() {
            let same = cards[i].idea == cards[j].idea;
            let score: f32 = vectors[i].iter().zip(&vectors[j]).map(|(a, b)| a * b).sum();
            let said = score >= threshold;
            actual += usize::from(same);
            predicted += usize::from(said);
            true_positive += usize::from(same && said);
        }
    }
    (
        true_positive as f64 / predicted.max(1) as f64,
        true_positive as f64 / actual.max(1) as f64,
    )
}

#[test]
fn similar_cards_are_the_same_idea() {
    let cards = labelled();
    let vectors = embeddings(&cards);
    for step in 0..=8 {
        let threshold = 0.50 + 0.025 * step as f32;
        let (precision, recall) = duplicates_at(&cards, &vectors, threshold);
        eprintln!("similar from {threshold:.3}: precision {precision:.3}, recall {recall:.3}");
    }
    let (precision, recall) = duplicates_at(&cards, &vectors, SIMILAR_THRESHOLD);
    eprintln!("at {SIMILAR_THRESHOLD}: precision {precision:.3}, recall {recall:.3}");
    assert!(
        precision >= MIN_DUPLICATE_PRECISION,
        "precision {precision:.3} < {MIN_DUPLICATE_PRECISION}"
    );
    assert!(
        recall >= MIN_DUPLICATE_RECALL,
        "recall {recall:.3} < {MIN_DUPLICATE_RECALL}"
    );
}

/// The figure: themes for a 1,000-card board (embedding included, nothing cached) in
/// under 2 s; measured 1.2 to 1.5 s on the development machine (embedding 1.1 to 1.3 s).
/// Timing needs a release build:
/// `cargo test --release -p cocreate-server --test server assist::quality::themes_of_a_thousand_cards -- --ignored --nocapture`.
#[test]
#[ignore = "a timing: run in release (see its doc comment)"]
fn themes_of_a_thousand_cards() {
    let cards = labelled();
    let texts: Vec<String> = (0..1000)
        .map(|i| format!("{} ({})", cards[i % cards.len()].text, i / cards.len() + 1))
        .collect();
    let started = Instant::now();
    let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = model().embed(&borrowed);
    let embedded = started.elapsed();
    let described: Vec<(&str, Option<&str>)> = borrowed.iter().map(|t| (*t, None)).collect();
    let found = themes(&described, &vectors, None);
    let total = started.elapsed();
    eprintln!(
        "1,000 cards: {} themes in {:.2} s (embedding {:.2} s, clustering and labels {:.2} s)",
        found.themes.len(),
        total.as_secs_f64(),
        embedded.as_secs_f64(),
        (total - embedded).as_secs_f64()
    );
    assert!(total.as_secs_f64() < 2.0, "{total:?}");
}
