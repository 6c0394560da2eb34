//! The evaluation questionnaire participants answer from their receipt (at close, or months
//! later): four statements on a 1-5 scale and a free comment, all optional. Anonymous by
//! default: an answer set is stored with its session, under a one-way hash of the receipt (so
//! that the receipt's holder can replace it, and nobody reading the evaluations can tell whose
//! it is), never with the participant; officials and researchers see figures and rows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::format::{csv_line, rfc3339};
use crate::session::now_ms;
use crate::storage::{RecordKind, Storage, StorageError};

/// Answer sets, in their session's scope, keyed by [`key`].
const EVALUATIONS: RecordKind<Evaluation> = RecordKind::new("evaluation");

/// The statements answered from 1 (disagree) to 5 (agree), as the API and export name them:
/// I could say what mattered to me; I was listened to; I understand what happens next; I
/// would take part again.
pub const STATEMENTS: [&str; 4] = [
    "could_say",
    "listened_to",
    "understand_next",
    "would_return",
];

/// Longest free comment, in characters: a few paragraphs, not a document.
pub const MAX_COMMENT: usize = 2000;

/// One participant's answers. Every question may be skipped; at least one is answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub could_say: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listened_to: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub understand_next: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub would_return: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Answers {
    /// The 1-5 answers, in the order of [`STATEMENTS`].
    pub fn scores(&self) -> [Option<u8>; 4] {
        [
            self.could_say,
            self.listened_to,
            self.understand_next,
            self.would_return,
        ]
    }

    /// The answers as stored: scores 1 to 5, the comment trimmed (empty: none) and within
    /// [`MAX_COMMENT`] without control characters but line breaks; at least one answer.
    pub fn checked(mut self) -> Result<Answers, String> {
        for (name, score) in STATEMENTS.iter().zip(self.scores()) {
            if score.is_some_and(|s| !(1..=5).contains(&s)) {
                return Err(format!("{name} must be 1 to 5"));
            }
        }
        if let Some(comment) = self.comment.take() {
            let comment = comment.trim();
            let control = comment.chars().any(|c| c.is_control() && c != '\n');
            if comment.chars().count() > MAX_COMMENT || control {
                return Err(format!(
                    "comment must be at most {MAX_COMMENT} characters without control characters"
                ));
            }
            self.comment = (!comment.is_empty()).then(|| comment.to_owned());
        }
        if self.scores().iter().all(Option::is_none) && self.comment.is_none() {
            return Err("answer at least one question".into());
        }
        Ok(self)
    }
}

/// An answer set as stored: the answers and when, nothing about who.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub answers: Answers,
    /// When it was (last) answered, ms since the epoch.
    pub at: u64,
}

/// Where a receipt's answers are kept: a hash, so that the stored evaluations do not hold the
/// receipts that would open their authors' contributions.
fn key(receipt: &str) -> String {
    Sha256::digest(format!("evaluation:{receipt}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores a receipt's answers, replacing earlier ones; says whether it replaced some.
pub async fn answer(
    storage: &dyn Storage,
    session: &str,
    receipt: &str,
    answers: Answers,
) -> Result<(Evaluation, bool), StorageError> {
    let evaluation = Evaluation {
        answers,
        at: now_ms(),
    };
    let key = key(receipt);
    let replaced = EVALUATIONS.get(storage, session, &key).await?.is_some();
    EVALUATIONS.put(storage, session, &key, &evaluation).await?;
    Ok((evaluation, replaced))
}

/// A receipt's answers, if it gave some.
pub async fn of(
    storage: &dyn Storage,
    session: &str,
    receipt: &str,
) -> Result<Option<Evaluation>, StorageError> {
    EVALUATIONS.get(storage, session, &key(receipt)).await
}

/// Every answer set of a session, oldest first.
pub async fn all(storage: &dyn Storage, session: &str) -> Result<Vec<Evaluation>, StorageError> {
    let mut evaluations: Vec<Evaluation> = EVALUATIONS
        .all(storage, session)
        .await?
        .into_iter()
        .map(|(_, evaluation)| evaluation)
        .collect();
    evaluations.sort_by_key(|e| e.at);
    Ok(evaluations)
}

/// Removes a receipt's answers (erasure).
pub async fn remove(
    storage: &dyn Storage,
    session: &str,
    receipt: &str,
) -> Result<(), StorageError> {
    EVALUATIONS.delete(storage, session, &key(receipt)).await?;
    Ok(())
}

/// Answer sets needed before any figure or comment of them is shown (k-anonymity): with fewer,
/// a moderator or researcher could read one person's answers off the figures, or each new
/// answer as a difference.
pub const MIN_RESPONSES: u64 = 5;

/// The figures of a session's evaluations (`GET /api/sessions/{id}/metrics`).
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Answer sets given.
    pub responses: u64,
    /// Fewer than `minimum_responses` answered: the statements' figures are empty and
    /// `comments` is 0 until enough have.
    pub withheld: bool,
    /// [`MIN_RESPONSES`].
    pub minimum_responses: u64,
    /// Per statement of [`STATEMENTS`].
    pub statements: BTreeMap<&'static str, StatementFigures>,
    /// Answer sets with a comment (the comments themselves are in the export).
    pub comments: u64,
}

/// How one statement was answered.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct StatementFigures {
    pub answered: u64,
    /// Mean score; `null` when nobody answered.
    pub mean: Option<f64>,
    /// How many answered 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
}

/// Sums up answer sets; withheld below [`MIN_RESPONSES`].
pub fn figures(evaluations: &[Evaluation]) -> Figures {
    let withheld = (evaluations.len() as u64) < MIN_RESPONSES;
    let counted = if withheld { &[][..] } else { evaluations };
    let mut figures = Figures {
        responses: evaluations.len() as u64,
        withheld,
        minimum_responses: MIN_RESPONSES,
        statements: STATEMENTS
            .iter()
            .map(|s| (*s, StatementFigures::default()))
            .collect(),
        comments: counted
            .iter()
            .filter(|e| e.answers.comment.is_some())
            .count() as u64,
    };
    for evaluation in counted {
        for (name, score) in STATEMENTS.iter().zip(evaluation.answers.scores()) {
            let (Some(score), Some(statement)) = (score, figures.statements.get_mut(name)) else {
                continue;
            };
            statement.answered += 1;
            statement.distribution[usize::from(score.clamp(1, 5) - 1)] += 1;
        }
    }
    for statement in figures.statements.values_mut() {
        let sum: u64 = (1..=5)
            .zip(statement.distribution)
            .map(|(s, n)| s * n)
            .sum();
        statement.mean = (statement.answered > 0).then(|| sum as f64 / statement.answered as f64);
    }
    figures
}

/// `evaluation.csv` of the research export: one row per answer set, oldest first, with the day
/// it was answered (not the time, which attendance could tie to a person); only the header
/// below [`MIN_RESPONSES`] answer sets.
pub fn evaluation_csv(evaluations: &[Evaluation]) -> String {
    let evaluations = match evaluations.len() as u64 {
        n if n < MIN_RESPONSES => &[][..],
        _ => evaluations,
    };
    let header: Vec<&str> = ["answered_on"]
        .into_iter()
        .chain(STATEMENTS)
        .chain(["comment"])
        .collect();
    let mut out = csv_line(&header);
    for evaluation in evaluations {
        let day = rfc3339(evaluation.at).chars().take(10).collect::<String>();
        let scores = evaluation
            .answers
            .scores()
            .map(|s| s.map(|s| s.to_string()).unwrap_or_default());
        let comment = evaluation.answers.comment.as_deref().unwrap_or_default();
        let mut row = vec![day.as_str()];
        row.extend(scores.iter().map(String::as_str));
        row.push(comment);
        out.push_str(&csv_line(&row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(scores: [Option<u8>; 4], comment: Option<&str>) -> Evaluation {
        let [could_say, listened_to, understand_next, would_return] = scores;
        Evaluation {
            answers: Answers {
                could_say,
                listened_to,
                understand_next,
                would_return,
                comment: comment.map(str::to_owned),
            },
            at: 0,
        }
    }

    #[test]
    fn answers_are_checked() {
        let ok = Answers {
            listened_to: Some(5),
            comment: Some("  thanks\nfor listening  ".into()),
            ..Answers::default()
        };
        assert_eq!(
            ok.checked().unwrap().comment.as_deref(),
            Some("thanks\nfor listening")
        );
        for bad in [
            Answers::default(),
            Answers {
                comment: Some("   ".into()),
                ..Answers::default()
            },
            Answers {
                could_say: Some(0),
                ..Answers::default()
            },
            Answers {
                would_return: Some(6),
                ..Answers::default()
            },
            Answers {
                comment: Some("a\u{7}b".into()),
                ..Answers::default()
            },
            Answers {
                comment: Some("x".repeat(MAX_COMMENT + 1)),
                ..Answers::default()
            },
        ] {
            assert!(bad.clone().checked().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn figures_count_means_and_distributions_of_what_was_answered() {
        let mut answered = vec![
            scored([Some(5), Some(4), None, Some(1)], Some("good")),
            scored([Some(3), Some(4), None, None], None),
        ];
        answered.extend((0..3).map(|_| scored([Some(4), None, None, None], None)));
        let figures = figures(&answered);
        assert_eq!((figures.responses, figures.comments), (5, 1));
        assert!(!figures.withheld);
        let could_say = &figures.statements["could_say"];
        assert_eq!((could_say.answered, could_say.mean), (5, Some(4.0)));
        assert_eq!(could_say.distribution, [0, 0, 1, 3, 1]);
        assert_eq!(figures.statements["understand_next"].mean, None);
        assert_eq!(
            figures.statements["would_return"].distribution,
            [1, 0, 0, 0, 0]
        );
    }

    #[test]
    fn below_the_minimum_nothing_of_the_answers_shows() {
        let answered: Vec<Evaluation> = (0..MIN_RESPONSES - 1)
            .map(|_| scored([Some(5), None, None, None], Some("mine")))
            .collect();
        let figures = figures(&answered);
        assert_eq!((figures.responses, figures.withheld), (4, true));
        assert_eq!(figures.comments, 0);
        assert_eq!(figures.statements["could_say"].answered, 0);
        assert_eq!(figures.statements["could_say"].mean, None);
        assert_eq!(evaluation_csv(&answered).lines().count(), 1);
    }
}
