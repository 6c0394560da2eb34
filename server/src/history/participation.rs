//! Participation figures from a session's history: who contributed how much, citizens'
//! share against officials', how many contributed, how concentrated contributions were.
//!
//! A contribution is one board event by a participant (an item added, deleted, moved or
//! changed, a vote, a stage or lane change), with a run of text edits by one participant on
//! one item counted once, so that typing a sentence is one contribution, not one per key.
//! The server's edits on a participant's behalf (moderation) are not contributions.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::timeline::HistoryEvent;
use crate::session::Role;

/// Participation figures of a session.
#[derive(Debug, Default, Serialize)]
pub struct Participation {
    pub contributions: u64,
    pub distinct_contributors: usize,
    pub by_role: BTreeMap<String, u64>,
    /// Citizens' contributions over citizens' and moderators' (officials'); `null` when
    /// neither contributed.
    pub citizen_share: Option<f64>,
    /// Gini coefficient of contributions over the participants who could edit and took part
    /// (0: all contributed equally; towards 1: a few did everything).
    pub gini: Option<f64>,
    pub by_participant: Vec<ParticipantFigures>,
    pub over_time: Vec<Bucket>,
}

#[derive(Debug, Serialize)]
pub struct ParticipantFigures {
    /// Pseudonym, or `declined` for everyone who declined research consent, together (whose
    /// `role` is then `null` unless they all had the same).
    pub participant: String,
    pub role: Option<Role>,
    pub contributions: u64,
    pub by_entity: BTreeMap<String, u64>,
}

/// Contributions in one time slot, by role.
#[derive(Debug, Serialize)]
pub struct Bucket {
    pub from: u64,
    pub to: u64,
    pub total: u64,
    pub by_role: BTreeMap<String, u64>,
}

/// Counts contributions as events arrive, in history order.
pub struct Counter {
    bucket_ms: u64,
    /// The last text edit per participant: (item), to count a run of edits once.
    last_text_edit: HashMap<String, String>,
    figures: BTreeMap<String, ParticipantFigures>,
    buckets: BTreeMap<u64, Bucket>,
    /// Participants (by id) who took part (connected or contributed) and could edit.
    present: HashMap<String, Role>,
}

impl Counter {
    pub fn new(bucket_ms: u64) -> Self {
        Counter {
            bucket_ms: bucket_ms.max(1),
            last_text_edit: HashMap::new(),
            figures: BTreeMap::new(),
            buckets: BTreeMap::new(),
            present: HashMap::new(),
        }
    }

    pub fn add(&mut self, event: &HistoryEvent) {
        let (Some(participant), Some(pseudonym), Some(role)) =
            (&event.participant_id, &event.participant, event.role)
        else {
            return;
        };
        if event.entity == "participant" && event.action == "connected" && role.edits() {
            self.present.insert(participant.clone(), role);
        }
        if event.seq.is_none() || event.by_server || !role.edits() {
            return;
        }
        if event.action == "text-edited" {
            if self.last_text_edit.get(participant) == Some(&event.target) {
                return;
            }
            self.last_text_edit
                .insert(participant.clone(), event.target.clone());
        } else {
            self.last_text_edit.remove(participant);
        }
        self.present.insert(participant.clone(), role);
        let figures =
            self.figures
                .entry(participant.clone())
                .or_insert_with(|| ParticipantFigures {
                    participant: pseudonym.clone(),
                    role: Some(role),
                    contributions: 0,
                    by_entity: BTreeMap::new(),
                });
        figures.contributions += 1;
        *figures.by_entity.entry(event.entity.clone()).or_default() += 1;
        let from = event.at / self.bucket_ms * self.bucket_ms;
        let bucket = self.buckets.entry(from).or_insert_with(|| Bucket {
            from,
            to: from + self.bucket_ms,
            total: 0,
            by_role: BTreeMap::new(),
        });
        bucket.total += 1;
        *bucket.by_role.entry(role.as_str().into()).or_default() += 1;
    }

    pub fn finish(self) -> Participation {
        let mut by_role: BTreeMap<String, u64> = BTreeMap::new();
        for figures in self.figures.values() {
            if let Some(role) = figures.role {
                *by_role.entry(role.as_str().into()).or_default() += figures.contributions;
            }
        }
        let citizens = by_role.get("citizen").copied().unwrap_or(0);
        let officials = by_role.get("moderator").copied().unwrap_or(0);
        let counts: Vec<u64> = self
            .present
            .keys()
            .map(|p| self.figures.get(p).map_or(0, |f| f.contributions))
            .collect();
        Participation {
            contributions: citizens + officials,
            distinct_contributors: self.figures.len(),
            citizen_share: (citizens + officials > 0)
                .then(|| citizens as f64 / (citizens + officials) as f64),
            gini: gini(&counts),
            by_role,
            by_participant: by_pseudonym(self.figures.into_values()),
            over_time: self.buckets.into_values().collect(),
        }
    }
}

/// One row per pseudonym: everyone who declined consent shares one (with a role only if they
/// all had the same).
fn by_pseudonym(figures: impl Iterator<Item = ParticipantFigures>) -> Vec<ParticipantFigures> {
    let mut rows: BTreeMap<String, ParticipantFigures> = BTreeMap::new();
    for figures in figures {
        match rows.get_mut(&figures.participant) {
            None => {
                rows.insert(figures.participant.clone(), figures);
            }
            Some(row) => {
                row.contributions += figures.contributions;
                if row.role != figures.role {
                    row.role = None;
                }
                for (entity, count) in figures.by_entity {
                    *row.by_entity.entry(entity).or_default() += count;
                }
            }
        }
    }
    rows.into_values().collect()
}

/// The Gini coefficient of `values` (mean absolute difference over twice the mean); `None`
/// for no values or all zero.
pub fn gini(values: &[u64]) -> Option<f64> {
    let n = values.len() as f64;
    let sum: u64 = values.iter().sum();
    if values.is_empty() || sum == 0 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    // Sorted form: G = (2 Σ i·x_i) / (n Σ x) − (n + 1) / n, with i from 1.
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0) * *x as f64)
        .sum();
    Some(2.0 * weighted / (n * sum as f64) - (n + 1.0) / n)
}

#[cfg(test)]
mod tests {
    use super::gini;

    #[test]
    fn gini_is_zero_for_equal_shares_and_grows_with_concentration() {
        assert_eq!(gini(&[]), None);
        assert_eq!(gini(&[0, 0]), None);
        assert!(gini(&[5, 5, 5, 5]).unwrap().abs() < 1e-9);
        let one_did_all = gini(&[0, 0, 0, 12]).unwrap();
        assert!((one_did_all - 0.75).abs() < 1e-9, "{one_did_all}");
        assert!(gini(&[1, 2, 3, 10]).unwrap() < one_did_all);
    }
}
