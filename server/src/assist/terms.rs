//! A theme's label: its most telling words, those that its cards use and the rest of the board
//! does not (a word's share of the theme's cards times its inverse card frequency on the
//! board). Words are compared by their stem in the card's language (Snowball, per language),
//! so that "wachttijd" and "wachttijden" count as one, and shown as written most often. A
//! card's language is guessed from its function words, else the one it was written with.

use std::collections::{HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};

/// Words a label holds at most: enough to tell themes apart, short enough to read on a card.
pub const LABEL_TERMS: usize = 3;

/// Terms a theme lists at most (the label's and the next ones).
pub const THEME_TERMS: usize = 6;

/// Shortest word that can be a term: shorter ones are mostly inflections and abbreviations.
const MIN_TERM_CHARS: usize = 3;

/// The languages of the interface, with their stemmers and function words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    En,
    Nl,
    Fr,
    De,
}

impl Language {
    const ALL: [Language; 4] = [Language::En, Language::Nl, Language::Fr, Language::De];

    /// The language of a code as cards and sessions carry it (`nl`, `fr-BE`, ...).
    pub fn from_code(code: &str) -> Option<Language> {
        match code.get(..2)?.to_ascii_lowercase().as_str() {
            "en" => Some(Language::En),
            "nl" => Some(Language::Nl),
            "fr" => Some(Language::Fr),
            "de" => Some(Language::De),
            _ => None,
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Language::En => Algorithm::English,
            Language::Nl => Algorithm::Dutch,
            Language::Fr => Algorithm::French,
            Language::De => Algorithm::German,
        }
    }

    /// Words that say nothing about a theme: articles, pronouns, auxiliaries, prepositions,
    /// and what every card about a public service says ("the municipality", "please").
    fn function_words(self) -> &'static [&'static str] {
        match self {
            Language::En => &[
                "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her",
                "was", "one", "our", "out", "has", "him", "his", "how", "its", "may", "now", "who",
                "why", "did", "get", "got", "too", "very", "with", "this", "that", "from", "have",
                "they", "them", "there", "their", "what", "when", "which", "would", "could",
                "should", "about", "into", "than", "then", "were", "been", "being", "more", "most",
                "much", "many", "some", "only", "also", "just", "even", "does", "doesn", "don",
                "isn", "aren", "wasn", "didn", "can't", "cannot", "because", "where", "here",
                "after", "before", "will", "your", "yours", "mine", "ours", "myself", "every",
                "each", "other", "such", "like", "need", "needs", "want", "please", "still",
                "again", "always", "never", "really", "there's", "it's", "i'm", "don't", "doesn't",
                "lot", "lots",
            ],
            Language::Nl => &[
                "de", "het", "een", "en", "van", "voor", "met", "niet", "maar", "wel", "dat",
                "die", "dit", "deze", "zijn", "ben", "bent", "was", "waren", "wordt", "worden",
                "werd", "heb", "hebt", "heeft", "hebben", "had", "kan", "kun", "kunt", "kunnen",
                "moet", "moeten", "mag", "wil", "wilt", "willen", "zou", "zouden", "ook", "nog",
                "al", "als", "dan", "toen", "om", "op", "aan", "bij", "uit", "naar", "over",
                "door", "tot", "tegen", "onder", "tussen", "zonder", "geen", "niets", "iets", "ik",
                "je", "jij", "u", "uw", "hij", "zij", "ze", "wij", "we", "mij", "me", "mijn",
                "ons", "onze", "hun", "hen", "er", "hier", "daar", "waar", "wat", "wie", "hoe",
                "waarom", "want", "omdat", "zo", "zeer", "erg", "heel", "veel", "meer", "alle",
                "alles", "elke", "ieder", "altijd", "nooit", "graag", "even", "echt", "gewoon",
                "gemeente", "men",
            ],
            Language::Fr => &[
                "le", "la", "les", "un", "une", "des", "du", "de", "et", "ou", "mais", "pas", "ne",
                "plus", "pour", "par", "avec", "sans", "sur", "sous", "dans", "en", "au", "aux",
                "ce", "cet", "cette", "ces", "qui", "que", "quoi", "dont", "est", "sont", "suis",
                "était", "être", "été", "avoir", "avons", "avez", "ont", "ai", "as", "il", "elle",
                "ils", "elles", "on", "nous", "vous", "je", "tu", "me", "te", "se", "mon", "ma",
                "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos", "votre", "vos",
                "leur", "leurs", "très", "trop", "peu", "aussi", "encore", "toujours", "jamais",
                "tout", "tous", "toute", "toutes", "faut", "fait", "faire", "peut", "peux",
                "pouvoir", "doit", "dois", "devoir", "veux", "veut", "comme", "quand", "où",
                "comment", "pourquoi", "parce", "car", "donc", "alors", "même", "bien", "vraiment",
                "merci", "commune", "c'est", "n'est", "qu'il", "j'ai", "d'un", "d'une", "l'on",
                "y", "a",
            ],
            Language::De => &[
                "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer",
                "eines", "und", "oder", "aber", "nicht", "kein", "keine", "keinen", "mit", "ohne",
                "für", "von", "vom", "zu", "zum", "zur", "auf", "aus", "bei", "nach", "über",
                "unter", "vor", "durch", "gegen", "um", "an", "am", "im", "in", "ist", "sind",
                "war", "waren", "sein", "bin", "bist", "wird", "werden", "wurde", "habe", "hast",
                "hat", "haben", "hatte", "kann", "kannst", "können", "muss", "musst", "müssen",
                "soll", "sollte", "sollten", "will", "wollen", "möchte", "ich", "du", "er", "sie",
                "es", "wir", "ihr", "mich", "mir", "man", "mein", "meine", "unser", "unsere",
                "ihre", "ihren", "sehr", "zu", "auch", "noch", "schon", "immer", "nie", "wenn",
                "dass", "weil", "als", "wie", "was", "wer", "wo", "warum", "hier", "dort", "da",
                "so", "mehr", "viel", "viele", "alle", "alles", "jede", "jeder", "bitte",
                "einfach", "wirklich", "gemeinde",
            ],
        }
    }

    /// The language whose function words `words` use most, if any.
    fn guess(words: &[String]) -> Option<Language> {
        let (best, hits) = Language::ALL
            .into_iter()
            .map(|language| {
                let list = language.function_words();
                let hits = words.iter().filter(|w| list.contains(&w.as_str())).count();
                (language, hits)
            })
            .max_by_key(|&(_, hits)| hits)?;
        (hits > 0).then_some(best)
    }
}

/// A card's words: lower-case runs of letters (apostrophes inside words kept, digits dropped).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’').replace('’', "'"))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// The terms of one card: its telling words' stems, each with the word as written.
struct CardTerms {
    stems: HashMap<String, String>,
}

impl CardTerms {
    /// The terms of `text`, written in `language` (a code; guessed from the words first).
    fn new(text: &str, language: Option<&str>, function_words: &HashSet<&str>) -> CardTerms {
        let words = words(text);
        let language = Language::guess(&words)
            .or_else(|| language.and_then(Language::from_code))
            .unwrap_or(Language::En);
        let stemmer = Stemmer::create(language.algorithm());
        let stems = words
            .into_iter()
            .filter(|w| w.chars().count() >= MIN_TERM_CHARS && !function_words.contains(w.as_str()))
            .map(|w| (stemmer.stem(&w).into_owned(), w))
            .collect();
        CardTerms { stems }
    }
}

/// The terms of every card of a run, and on how many cards each stem is.
pub struct BoardTerms {
    cards: Vec<CardTerms>,
    frequency: HashMap<String, usize>,
}

impl BoardTerms {
    /// The terms of cards given as (text, language code).
    pub fn new<'a>(cards: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> BoardTerms {
        let function_words: HashSet<&str> = Language::ALL
            .into_iter()
            .flat_map(|l| l.function_words().iter().copied())
            .collect();
        let cards: Vec<CardTerms> = cards
            .into_iter()
            .map(|(text, language)| CardTerms::new(text, language, &function_words))
            .collect();
        let mut frequency: HashMap<String, usize> = HashMap::new();
        for stem in cards.iter().flat_map(|c| c.stems.keys()) {
            *frequency.entry(stem.clone()).or_default() += 1;
        }
        BoardTerms { cards, frequency }
    }

    /// The most telling terms (as written) of the theme made of the cards `members`, best
    /// first, at most [`THEME_TERMS`].
    pub fn telling(&self, members: &[usize]) -> Vec<String> {
        // In how many of the theme's cards each stem is, and how it is written there.
        let mut in_theme: HashMap<&str, (usize, HashMap<&str, usize>)> = HashMap::new();
        for &i in members {
            for (stem, word) in &self.cards[i].stems {
                let entry = in_theme.entry(stem).or_default();
                entry.0 += 1;
                *entry.1.entry(word).or_default() += 1;
            }
        }
        let total = self.cards.len() as f32;
        // Words on several of the theme's cards first: a word of one card says little about
        // a theme, but may be all there is (one idea in four languages shares no word).
        let mut scored: Vec<(bool, f32, &str, &str)> = in_theme
            .iter()
            .map(|(stem, (count, spellings))| {
                let share = *count as f32 / members.len() as f32;
                let rarity = (total / self.frequency[*stem] as f32).ln() + 1.0;
                let written = spellings
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map_or("", |(w, _)| *w);
                (*count > 1, share * rarity, *stem, written)
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(b.2)));
        let mut terms: Vec<String> = Vec::new();
        for (_, _, _, written) in scored {
            if !terms.iter().any(|t| t == written) {
                terms.push(written.to_owned());
            }
            if terms.len() == THEME_TERMS {
                break;
            }
        }
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_one_stem_count_once_and_are_shown_as_written_most() {
        let board = BoardTerms::new([
            ("De wachttijden aan het loket zijn te lang", Some("nl")),
            ("Wachttijd aan het loket: twee uur!", Some("nl")),
            ("Lange wachttijden bij de telefoon", Some("en")),
            ("The website is hard to read on a phone", Some("en")),
        ]);
        let terms = board.telling(&[0, 1, 2]);
        assert_eq!(terms[0], "wachttijden", "{terms:?}");
        assert!(terms.contains(&"loket".to_owned()), "{terms:?}");
        assert!(!terms.iter().any(|t| t == "het" || t == "aan"), "{terms:?}");
    }

    #[test]
    fn the_language_is_guessed_from_function_words_before_the_code() {
        assert_eq!(
            Language::guess(&words("Le formulaire est trop long")),
            Some(Language::Fr)
        );
        assert_eq!(Language::guess(&words("Formular Online")), None);
        assert_eq!(Language::from_code("de-BE"), Some(Language::De));
        assert_eq!(Language::from_code("x"), None);
    }
}
