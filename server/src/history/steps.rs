//! The agenda's steps as history tells them (issue 27, part 7): every run of a step — when it
//! started, was revealed and ended, why it ended, and the rules it ran with — read from the
//! audit events the agenda leaves (`agenda` with its steps, `step-started`, `step-revealed`,
//! `step-ended` with its reason), so that it is right at any instant of a session's history
//! and after restarts with nothing kept besides; and what each participant contributed in each
//! step. Feeds the dataset's `steps.csv` and `contributions_by_step.csv`, and the `step` of
//! the board at a moment.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tracing::warn;

use super::timeline::{HistoryEvent, SessionRecords};
use crate::format::{csv_line, rfc3339};
use crate::session::agenda::Step;

/// One run of a step: a step started twice runs twice.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRun {
    pub id: String,
    /// The title it was started with.
    pub title: String,
    /// The step as the agenda held it when this run started; `None` if that agenda's change
    /// is not in the audit log (its recording failed).
    pub rules: Option<Step>,
    /// When the server recorded the start (ms since the epoch).
    pub started_at: u64,
    /// When it was due to end on its own (`minutes` after the start).
    pub ends_at: Option<u64>,
    /// When the server ended it; `None` while under way.
    pub ended_at: Option<u64>,
    /// `moderator`, `next step`, `closed` or `time`, as the audit log gives it.
    pub end_reason: Option<String>,
    /// Its first reveal.
    pub revealed_at: Option<u64>,
}

impl StepRun {
    /// The step as the session's `step` field shows it, as of this point of history.
    pub fn view(&self) -> Value {
        let rules = self.rules.as_ref();
        json!({
            "id": self.id,
            "title": self.title,
            "method": rules.map(|s| s.method),
            "started_at": self.started_at,
            "ends_at": self.ends_at,
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "private": rules.is_some_and(|s| s.private),
            "anonymous": rules.is_some_and(|s| s.anonymous),
            "secret": rules.is_some_and(|s| s.secret),
            "revealed": self.revealed_at.is_some(),
            "revealed_at": self.revealed_at,
        })
    }
}

/// Follows the agenda through a session's history events, in order.
#[derive(Default)]
pub struct Steps {
    /// The steps as the last `agenda` event listed them.
    agenda: Vec<Step>,
    runs: Vec<StepRun>,
    /// The run of the agenda's current step, in `runs`: started last and still on the agenda
    /// (an ended step stays current, and can be revealed, until another starts).
    current: Option<usize>,
}

impl Steps {
    /// The agenda's steps as of every event of `records`' journals up to `until` (ms since
    /// the epoch; `None`: all of them).
    pub fn until(records: &SessionRecords, until: Option<u64>) -> Self {
        let mut steps = Steps::default();
        records
            .journal_events()
            .iter()
            .filter(|e| until.is_none_or(|until| e.at <= until))
            .for_each(|e| steps.add(e));
        steps
    }

    /// Takes in an event; anything but the agenda's audit events changes nothing.
    pub fn add(&mut self, event: &HistoryEvent) {
        if event.entity != "moderation" {
            return;
        }
        let (at, target) = (event.at, &event.target);
        match event.action.as_str() {
            "agenda" => match serde_json::from_str::<Vec<Step>>(&event.detail) {
                Ok(agenda) => {
                    self.agenda = agenda;
                    // As the session does: an ended current step taken off the agenda stops
                    // being current.
                    let listed = |id: &str| self.agenda.iter().any(|s| s.id == id);
                    if self.current().is_some_and(|c| !listed(&c.id)) {
                        self.current = None;
                    }
                }
                Err(e) => warn!(at, error = %e, "an audited agenda that does not read as steps"),
            },
            "step-started" => {
                // Starting a step ends the one under way; its `step-ended` (reason `next step`)
                // is audited just before, and stands in for it if that entry was lost.
                if let Some(run) = self.current.and_then(|i| self.runs.get_mut(i)) {
                    if run.ended_at.is_none() {
                        run.ended_at = Some(at);
                        run.end_reason = Some("next step".to_owned());
                    }
                }
                let rules = self.agenda.iter().find(|s| s.id == *target).cloned();
                let title = match (&event.detail, &rules) {
                    (title, _) if !title.is_empty() => title.clone(),
                    (_, Some(step)) => step.title.clone(),
                    _ => String::new(),
                };
                let minutes = rules.as_ref().and_then(|s| s.minutes);
                self.runs.push(StepRun {
                    id: target.clone(),
                    title,
                    ends_at: minutes.map(|m| at + (m * 60_000.0).round() as u64),
                    rules,
                    started_at: at,
                    ended_at: None,
                    end_reason: None,
                    revealed_at: None,
                });
                self.current = Some(self.runs.len() - 1);
            }
            "step-revealed" => {
                if let Some(run) = self.current_mut(target) {
                    run.revealed_at.get_or_insert(at);
                }
            }
            "step-ended" => {
                if let Some(run) = self.current_mut(target).filter(|r| r.ended_at.is_none()) {
                    run.ended_at = Some(at);
                    run.end_reason = Some(event.detail.clone()).filter(|r| !r.is_empty());
                }
            }
            _ => {}
        }
    }

    /// The agenda's current step: started last, maybe ended.
    pub fn current(&self) -> Option<&StepRun> {
        self.current.and_then(|i| self.runs.get(i))
    }

    /// The current step's run if it is step `id`.
    fn current_mut(&mut self, id: &str) -> Option<&mut StepRun> {
        self.current
            .and_then(|i| self.runs.get_mut(i))
            .filter(|run| run.id == id)
    }

    /// Which run a contribution at this point of history counts in: the step under way, or,
    /// for a draft a reveal put on the board, the step revealed (the current one).
    fn counted_in(&self, event: &HistoryEvent) -> Option<usize> {
        let current = self.current?;
        let under_way = self.runs.get(current)?.ended_at.is_none();
        (under_way || event.revealed_draft).then_some(current)
    }

    /// Every run so far, in the order they started.
    pub fn runs(&self) -> &[StepRun] {
        &self.runs
    }
}

/// `steps.csv` of the dataset: one row per run of a step, in the order they started.
pub fn steps_csv(runs: &[StepRun]) -> String {
    let mut out = csv_line(&[
        "step",
        "title",
        "method",
        "private",
        "anonymous",
        "secret",
        "votes",
        "started_at",
        "ends_at",
        "ended_at",
        "end_reason",
        "revealed_at",
        "zones",
    ]);
    let time = |ms: Option<u64>| ms.map(rfc3339).unwrap_or_default();
    for run in runs {
        let rules = run.rules.as_ref();
        let flag = |set: fn(&Step) -> bool| rules.map(|s| set(s).to_string()).unwrap_or_default();
        out.push_str(&csv_line(&[
            &run.id,
            &run.title,
            rules.map(|s| s.method.as_str()).unwrap_or_default(),
            &flag(|s| s.private),
            &flag(|s| s.anonymous),
            &flag(|s| s.secret),
            &rules
                .and_then(|s| s.votes)
                .map(|v| v.to_string())
                .unwrap_or_default(),
            &rfc3339(run.started_at),
            &time(run.ends_at),
            &time(run.ended_at),
            run.end_reason.as_deref().unwrap_or_default(),
            &time(run.revealed_at),
            &rules
                .map(|s| serde_json::to_string(&s.zones).unwrap_or_default())
                .unwrap_or_default(),
        ]));
    }
    out
}

/// What one participant added in one step.
#[derive(Default)]
struct StepCounts {
    cards: u64,
    notes: u64,
    comments: u64,
    votes: u64,
}

/// Contributions per run of a step and participant, as events arrive in history order.
#[derive(Default)]
pub struct StepContributions {
    steps: Steps,
    /// (run in `steps`, `None`: no step under way; pseudonym; role) → counts.
    counts: BTreeMap<(Option<usize>, String, String), StepCounts>,
}

impl StepContributions {
    /// Takes in an event: the agenda's, or a card, note, comment or vote a participant added
    /// (the server's edits on someone's behalf are not contributions).
    pub fn add(&mut self, event: &HistoryEvent) {
        self.steps.add(event);
        if event.seq.is_none() || event.by_server || event.action != "added" {
            return;
        }
        let (Some(participant), Some(role)) = (&event.participant, event.role) else {
            return;
        };
        let tally: fn(&mut StepCounts) -> &mut u64 = match event.entity.as_str() {
            "card" => |c| &mut c.cards,
            "note" => |c| &mut c.notes,
            "comment" => |c| &mut c.comments,
            "vote" => |c| &mut c.votes,
            _ => return,
        };
        let run = self.steps.counted_in(event);
        let key = (run, participant.clone(), role.as_str().to_owned());
        *tally(self.counts.entry(key).or_default()) += 1;
    }

    /// The steps followed.
    pub fn steps(&self) -> &Steps {
        &self.steps
    }

    /// `contributions_by_step.csv` of the dataset: one row per step run and participant (by
    /// pseudonym: everyone who declined research together, per role) who added anything,
    /// contributions outside any step first.
    pub fn csv(&self) -> String {
        let mut out = csv_line(&[
            "step",
            "step_started_at",
            "participant",
            "role",
            "cards",
            "notes",
            "comments",
            "votes",
        ]);
        for ((run, participant, role), counts) in &self.counts {
            let run = run.and_then(|i| self.steps.runs.get(i));
            out.push_str(&csv_line(&[
                run.map(|r| r.id.as_str()).unwrap_or_default(),
                &run.map(|r| rfc3339(r.started_at)).unwrap_or_default(),
                participant,
                role,
                &counts.cards.to_string(),
                &counts.notes.to_string(),
                &counts.comments.to_string(),
                &counts.votes.to_string(),
            ]));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audited(at: u64, action: &str, target: &str, detail: &str) -> HistoryEvent {
        HistoryEvent {
            seq: None,
            at,
            participant: Some("p_mod".into()),
            role: Some(crate::session::Role::Moderator),
            entity: "moderation".into(),
            action: action.into(),
            target: target.into(),
            detail: detail.into(),
            participant_id: Some("p_mod".into()),
            by_server: false,
            revealed_draft: false,
        }
    }

    const AGENDA: &str = r#"[{"id":"a","title":"A","method":"brainwrite","minutes":1.0,"private":true,"anonymous":false,"votes":null,"secret":false,"zones":{}},{"id":"b","title":"B","method":"discuss","minutes":null,"private":false,"anonymous":false,"votes":null,"secret":false,"zones":{}}]"#;

    #[test]
    fn a_start_ends_the_run_under_way_even_without_its_end_audited() {
        let mut steps = Steps::default();
        steps.add(&audited(1, "agenda", "s", AGENDA));
        steps.add(&audited(10, "step-started", "a", "A"));
        steps.add(&audited(20, "step-started", "b", "B"));
        let runs = steps.runs();
        assert_eq!(runs[0].ends_at, Some(10 + 60_000));
        assert_eq!(
            (runs[0].ended_at, runs[0].end_reason.as_deref()),
            (Some(20), Some("next step"))
        );
        assert_eq!(steps.current().map(|r| r.id.as_str()), Some("b"));
    }

    #[test]
    fn an_ended_step_taken_off_the_agenda_stops_being_current() {
        let mut steps = Steps::default();
        steps.add(&audited(1, "agenda", "s", AGENDA));
        steps.add(&audited(10, "step-started", "b", "B"));
        steps.add(&audited(20, "step-ended", "b", "moderator"));
        steps.add(&audited(30, "step-revealed", "b", ""));
        assert_eq!(steps.current().and_then(|r| r.revealed_at), Some(30));
        let only_a = &AGENDA[..AGENDA.find("},{").unwrap() + 1];
        steps.add(&audited(40, "agenda", "s", &format!("{only_a}]")));
        assert_eq!(steps.current(), None);
        assert_eq!(steps.runs().len(), 1, "the run stays in the record");
    }
}
