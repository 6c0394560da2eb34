//! A session's agenda: the steps a moderator prepares (title, method, duration, options, zone
//! rules) and the one that is current, with when it started, when it ends and whether it was
//! revealed. Pure changes on the stored session; the API (`api/agenda.rs`) makes them through
//! `SessionStore::update`, and the step clock (`step_clock.rs`) ends timed steps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Role;

/// How a step is run: what the participants do in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Everyone writes alone first (usually private).
    Brainwrite,
    Discuss,
    /// Sorting the cards into themes.
    Cluster,
    /// Dot-voting (usually secret).
    Vote,
    /// Officials review and decide.
    Review,
    Custom,
}

impl Method {
    /// Every method, in the order the API lists them.
    pub const ALL: [Method; 6] = [
        Method::Brainwrite,
        Method::Discuss,
        Method::Cluster,
        Method::Vote,
        Method::Review,
        Method::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Brainwrite => "brainwrite",
            Method::Discuss => "discuss",
            Method::Cluster => "cluster",
            Method::Vote => "vote",
            Method::Review => "review",
            Method::Custom => "custom",
        }
    }

    /// The method named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// What a zone rule lets a role do in a zone during a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneAccess {
    /// Add, change, move and delete (their own cards, as everywhere).
    Edit,
    /// Add new cards only.
    Add,
    /// Look only.
    Read,
}

impl ZoneAccess {
    pub const ALL: [ZoneAccess; 3] = [ZoneAccess::Edit, ZoneAccess::Add, ZoneAccess::Read];

    pub fn as_str(self) -> &'static str {
        match self {
            ZoneAccess::Edit => "edit",
            ZoneAccess::Add => "add",
            ZoneAccess::Read => "read",
        }
    }

    pub fn parse(name: &str) -> Option<ZoneAccess> {
        ZoneAccess::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// What happens when a timed step's time is up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnEnd {
    /// The step ends: what it allowed stops.
    #[default]
    End,
    /// The step ends and the session locks (only moderators edit until they unlock it).
    Lock,
    /// Nothing ends: everyone sees the time is up and the facilitator decides.
    Continue,
}

impl OnEnd {
    pub const ALL: [OnEnd; 3] = [OnEnd::End, OnEnd::Lock, OnEnd::Continue];

    pub fn as_str(self) -> &'static str {
        match self {
            OnEnd::End => "end",
            OnEnd::Lock => "lock",
            OnEnd::Continue => "continue",
        }
    }

    pub fn parse(name: &str) -> Option<OnEnd> {
        OnEnd::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// One step of an agenda, as the moderator prepared it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Unique in its agenda; given by the moderator or made by the server (`step_…`).
    pub id: String,
    pub title: String,
    pub method: Method,
    /// How long the step runs once started; `None`: until a moderator ends it.
    pub minutes: Option<f64>,
    /// Contributions are drafts until revealed.
    pub private: bool,
    /// No names shown to other participants, during and after the step.
    pub anonymous: bool,
    /// Dot-votes per participant while the step runs; `None`: the session's own setting.
    pub votes: Option<u32>,
    /// Vote tallies hidden until revealed.
    pub secret: bool,
    /// Zone name (`cocreate_board::zones`) → role → what that role may do there.
    pub zones: BTreeMap<String, BTreeMap<Role, ZoneAccess>>,
    /// What happens when its time is up.
    #[serde(default)]
    pub on_end: OnEnd,
}

/// The current step: started, maybe ended, maybe revealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Current {
    /// The step as it was when started: changing the agenda later does not change a step
    /// that is under way (its rules, its end), only the next start of it.
    pub step: Step,
    /// ms since the epoch, as every time in a session.
    pub started_at: u64,
    /// When it ends on its own (`minutes` after the start); `None`: no duration.
    pub ends_at: Option<u64>,
    /// When it ended (on time, by a moderator, or by the next step starting).
    pub ended_at: Option<u64>,
    pub revealed: bool,
    /// Since when its countdown is paused (`ends_at` is `None` meanwhile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<u64>,
    /// While paused: how much of its time was left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<u64>,
}

/// A session's agenda. Empty until a moderator prepares one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Agenda {
    pub steps: Vec<Step>,
    /// The step started last: it stays current once ended (its drafts can still be
    /// revealed) until another starts.
    pub current: Option<Current>,
}

/// Why an agenda change was refused. Each is answered with its own stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AgendaError {
    #[error("no step {0} in the agenda")]
    StepNotFound(String),
    #[error("step {0} is under way: end it before removing it from the agenda")]
    StepRunning(String),
    #[error("no step was started")]
    NoCurrentStep,
    #[error("the current step is neither private nor secret: there is nothing to reveal")]
    NothingToReveal,
    #[error("no step is under way")]
    NoRunningStep,
    #[error("the step under way has no duration: there is no countdown to pause")]
    NoTimer,
    #[error("the step's countdown is paused already")]
    AlreadyPaused,
    #[error("the step's countdown is not paused")]
    NotPaused,
}

/// What starting a step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    /// The step was already under way: nothing changed.
    AlreadyRunning,
    /// The step started; the step that was under way before, if any, ended.
    Started { ended: Option<String> },
}

impl Agenda {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.current.is_none()
    }

    /// The current step while it is under way (started, not ended).
    pub fn running(&self) -> Option<&Current> {
        self.current.as_ref().filter(|c| c.ended_at.is_none())
    }

    /// Replaces the steps. The step under way must stay on the agenda; an ended current step
    /// that is no longer on it stops being current.
    pub fn set_steps(&mut self, steps: Vec<Step>) -> Result<(), AgendaError> {
        let listed = |id: &str| steps.iter().any(|s| s.id == id);
        if let Some(running) = self.running() {
            if !listed(&running.step.id) {
                return Err(AgendaError::StepRunning(running.step.id.clone()));
            }
        }
        if self.current.as_ref().is_some_and(|c| !listed(&c.step.id)) {
            self.current = None;
        }
        self.steps = steps;
        Ok(())
    }

    /// Starts step `id` at `now`, ending the step under way (if another).
    pub fn start(&mut self, id: &str, now: u64) -> Result<Started, AgendaError> {
        let step = self
            .steps
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| AgendaError::StepNotFound(id.to_owned()))?
            .clone();
        if self.running().is_some_and(|c| c.step.id == id) {
            return Ok(Started::AlreadyRunning);
        }
        let ended = self.end(now).ok().flatten();
        let ends_at = step.minutes.map(|m| now + (m * 60_000.0).round() as u64);
        self.current = Some(Current {
            step,
            started_at: now,
            ends_at,
            ended_at: None,
            revealed: false,
            paused_at: None,
            remaining_ms: None,
        });
        Ok(Started::Started { ended })
    }

    /// Reveals the current step (running or ended); `false` if it already was.
    pub fn reveal(&mut self) -> Result<bool, AgendaError> {
        let current = self.current.as_mut().ok_or(AgendaError::NoCurrentStep)?;
        if !current.step.private && !current.step.secret {
            return Err(AgendaError::NothingToReveal);
        }
        Ok(!std::mem::replace(&mut current.revealed, true))
    }

    /// The step under way, to change its countdown.
    fn running_mut(&mut self) -> Result<&mut Current, AgendaError> {
        self.current
            .as_mut()
            .filter(|c| c.ended_at.is_none())
            .ok_or(AgendaError::NoRunningStep)
    }

    /// Gives the step under way `ms` more (a step without a duration gets one: `ms` from
    /// `now`). Its new end, or `None` while paused (its remaining time grew).
    pub fn extend(&mut self, ms: u64, now: u64) -> Result<Option<u64>, AgendaError> {
        let current = self.running_mut()?;
        if let Some(remaining) = &mut current.remaining_ms {
            *remaining += ms;
            return Ok(None);
        }
        let ends_at = current.ends_at.unwrap_or(now).max(now) + ms;
        current.ends_at = Some(ends_at);
        Ok(Some(ends_at))
    }

    /// Stops the countdown of the step under way at `now`, keeping what was left of it.
    pub fn pause(&mut self, now: u64) -> Result<(), AgendaError> {
        let current = self.running_mut()?;
        if current.paused_at.is_some() {
            return Err(AgendaError::AlreadyPaused);
        }
        let ends_at = current.ends_at.ok_or(AgendaError::NoTimer)?;
        current.remaining_ms = Some(ends_at.saturating_sub(now));
        current.paused_at = Some(now);
        current.ends_at = None;
        Ok(())
    }

    /// Runs the paused countdown again from `now`: its new end.
    pub fn resume(&mut self, now: u64) -> Result<u64, AgendaError> {
        let current = self.running_mut()?;
        if current.paused_at.take().is_none() {
            return Err(AgendaError::NotPaused);
        }
        let ends_at = now + current.remaining_ms.take().unwrap_or_default();
        current.ends_at = Some(ends_at);
        Ok(ends_at)
    }

    /// Ends the step under way at `now`: its id, or `None` if the current step had ended.
    pub fn end(&mut self, now: u64) -> Result<Option<String>, AgendaError> {
        let current = self.current.as_mut().ok_or(AgendaError::NoCurrentStep)?;
        if current.ended_at.is_some() {
            return Ok(None);
        }
        current.ended_at = Some(now);
        Ok(Some(current.step.id.clone()))
    }

    /// Ends step `id`, started at `started_at`, if it is still under way and its time is up at
    /// `now`: what the step clock does, on every node, so only the first to store it ends it.
    pub fn end_due(&mut self, id: &str, started_at: u64, now: u64) -> bool {
        match &mut self.current {
            Some(c)
                if c.step.id == id
                    && c.started_at == started_at
                    && c.ended_at.is_none()
                    && c.ends_at.is_some_and(|end| end <= now) =>
            {
                c.ended_at = c.ends_at;
                true
            }
            _ => false,
        }
    }

    /// The phase existing clients show: the current step's title.
    pub fn phase(&self) -> Option<&str> {
        self.current.as_ref().map(|c| c.step.title.as_str())
    }

    /// The countdown existing clients show: the current step's end, unless a moderator (or the
    /// next step) ended it before its time.
    pub fn timer_ends_at(&self) -> Option<u64> {
        let current = self.current.as_ref()?;
        let ends_at = current.ends_at?;
        current
            .ended_at
            .is_none_or(|ended| ended >= ends_at)
            .then_some(ends_at)
    }

    /// Dot-votes per participant the running step sets, if it sets any.
    pub fn votes(&self) -> Option<u32> {
        self.running().and_then(|c| c.step.votes)
    }

    /// `{"steps": [...], "current": step id or null}`, as the API answers it.
    pub fn view(&self) -> Value {
        json!({
            "steps": self.steps,
            "current": self.current.as_ref().map(|c| &c.step.id),
        })
    }

    /// The session's `step` field: the current step, or `null`.
    pub fn step_view(&self) -> Value {
        let Some(c) = &self.current else {
            return Value::Null;
        };
        json!({
            "id": c.step.id,
            "title": c.step.title,
            "method": c.step.method,
            "started_at": c.started_at,
            "ends_at": c.ends_at,
            "ended_at": c.ended_at,
            "private": c.step.private,
            "anonymous": c.step.anonymous,
            "secret": c.step.secret,
            "revealed": c.revealed,
            "on_end": c.step.on_end,
            "paused_at": c.paused_at,
            "remaining_ms": c.remaining_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: &str, minutes: Option<f64>, private: bool) -> Step {
        Step {
            id: id.into(),
            title: format!("Step {id}"),
            method: Method::Brainwrite,
            minutes,
            private,
            anonymous: false,
            votes: None,
            secret: false,
            zones: BTreeMap::new(),
            on_end: OnEnd::End,
        }
    }

    fn agenda() -> Agenda {
        let mut agenda = Agenda::default();
        let steps = vec![step("a", Some(2.0), true), step("b", None, false)];
        agenda.set_steps(steps).unwrap();
        agenda
    }

    #[test]
    fn starting_a_step_ends_the_one_under_way() {
        let mut agenda = agenda();
        assert_eq!(
            agenda.start("a", 1_000),
            Ok(Started::Started { ended: None })
        );
        let current = agenda.current.clone().unwrap();
        assert_eq!(
            (current.started_at, current.ends_at),
            (1_000, Some(121_000))
        );
        assert_eq!(agenda.start("a", 5_000), Ok(Started::AlreadyRunning));
        assert_eq!(agenda.current.as_ref().unwrap().started_at, 1_000);
        assert_eq!(
            agenda.start("b", 9_000),
            Ok(Started::Started {
                ended: Some("a".into())
            })
        );
        assert_eq!(agenda.current.as_ref().unwrap().ends_at, None);
        assert_eq!(
            agenda.start("c", 9_000),
            Err(AgendaError::StepNotFound("c".into()))
        );
    }

    #[test]
    fn a_step_ends_on_time_once_and_only_the_run_it_was_armed_for() {
        let mut agenda = agenda();
        agenda.start("a", 1_000).unwrap();
        assert!(!agenda.end_due("a", 1_000, 120_999), "not yet");
        assert!(!agenda.end_due("a", 999, 121_000), "another run of it");
        assert!(agenda.end_due("a", 1_000, 121_500));
        assert_eq!(agenda.current.as_ref().unwrap().ended_at, Some(121_000));
        assert!(!agenda.end_due("a", 1_000, 122_000), "ended once");
        assert_eq!(agenda.timer_ends_at(), Some(121_000), "time is up");
        assert_eq!(agenda.end(130_000), Ok(None));
    }

    #[test]
    fn ended_early_the_countdown_disappears() {
        let mut agenda = agenda();
        agenda.start("a", 1_000).unwrap();
        assert_eq!(agenda.end(2_000), Ok(Some("a".into())));
        assert_eq!(agenda.timer_ends_at(), None);
        assert!(!agenda.end_due("a", 1_000, 200_000));
        assert_eq!(agenda.phase(), Some("Step a"));
    }

    #[test]
    fn only_a_private_or_secret_step_is_revealed() {
        let mut agenda = agenda();
        assert_eq!(agenda.reveal(), Err(AgendaError::NoCurrentStep));
        assert_eq!(agenda.end(1), Err(AgendaError::NoCurrentStep));
        agenda.start("a", 1_000).unwrap();
        agenda.end(2_000).unwrap();
        assert_eq!(agenda.reveal(), Ok(true), "after its end too");
        assert_eq!(agenda.reveal(), Ok(false));
        agenda.start("b", 3_000).unwrap();
        assert_eq!(agenda.reveal(), Err(AgendaError::NothingToReveal));
    }

    #[test]
    fn the_step_under_way_stays_on_the_agenda() {
        let mut agenda = agenda();
        agenda.start("a", 1_000).unwrap();
        let only_b = vec![step("b", None, false)];
        assert_eq!(
            agenda.set_steps(only_b.clone()),
            Err(AgendaError::StepRunning("a".into()))
        );
        assert_eq!(agenda.steps.len(), 2, "nothing changed");
        agenda.end(2_000).unwrap();
        agenda.set_steps(only_b).unwrap();
        assert_eq!(agenda.current, None);
        assert_eq!(
            agenda.view(),
            json!({"steps": agenda.steps, "current": null})
        );
    }

    #[test]
    fn a_running_step_keeps_the_settings_it_started_with() {
        let mut agenda = agenda();
        agenda.start("a", 1_000).unwrap();
        let mut changed = step("a", Some(10.0), false);
        changed.title = "Renamed".into();
        agenda
            .set_steps(vec![changed, step("b", None, false)])
            .unwrap();
        let view = agenda.step_view();
        assert_eq!(
            (&view["title"], &view["private"], &view["ends_at"]),
            (&json!("Step a"), &json!(true), &json!(121_000))
        );
    }
}
