//! When timed agenda steps end, as this node's step clock (`crate::step_clock`) waits for them:
//! the handle rooms and handlers arm it with, apart from the clock itself so that arming it
//! needs nothing of the server's state.

use tokio::sync::mpsc;

use super::agenda::OnEnd;
use super::Session;

/// Arms this node's step clock. Cheap to clone; never blocks (a room calls it).
#[derive(Clone)]
pub struct StepClock {
    tx: mpsc::UnboundedSender<Deadline>,
}

/// The end of one run of a step, as the clock waits for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub session: String,
    pub step: String,
    /// Tells this run of the step from a later restart of it.
    pub started_at: u64,
    /// ms since the epoch.
    pub ends_at: u64,
}

impl Deadline {
    /// The deadline of `session`'s step under way, if it has a duration (and is not paused)
    /// and its end ends something (`on_end` is not `continue`).
    pub fn of(session: &Session) -> Option<Deadline> {
        let current = session
            .agenda
            .running()
            .filter(|c| c.step.on_end != OnEnd::Continue)?;
        Some(Deadline {
            session: session.id.clone(),
            step: current.step.id.clone(),
            started_at: current.started_at,
            ends_at: current.ends_at?,
        })
    }
}

impl StepClock {
    /// A clock and what `crate::step_clock::run` reads its deadlines from.
    pub fn new() -> (StepClock, mpsc::UnboundedReceiver<Deadline>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (StepClock { tx }, rx)
    }

    /// Waits for the end of `session`'s step under way, if it has a duration. A deadline of a
    /// session replaces the one before; one that no longer applies ends nothing when it fires.
    pub fn watch(&self, session: &Session) {
        if let Some(deadline) = Deadline::of(session) {
            // Closed only once the clock stopped, at shutdown.
            let _ = self.tx.send(deadline);
        }
    }
}
