//! The step clock: ends a timed agenda step when its time is up, on the server, with no
//! moderator present. Every node runs one and arms it for the steps it hears of: those started
//! through it, those in the session changes its rooms follow (also another node's), and, when
//! it starts, every session's step under way (a step whose end passed while no node ran is
//! ended at once). Several nodes may fire for one step: the end is a compare-and-set on the
//! session that only acts while that very run of the step is under way, so the first node to
//! store it ends it, and only that node audits and announces it. Rooms and handlers arm it
//! through `session::deadlines::StepClock`, which needs nothing of the server's state.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::session::agenda::OnEnd;
use crate::session::deadlines::Deadline;
use crate::session::store::SessionError;
use crate::session::{now_ms, Identity, Role, SessionState};
use crate::state::AppState;

/// Who the audit log names for a step that ended on time (as `reports` for an automatic hide).
pub const TIMER: &str = "timer";

/// How long after storage failed to end a step the clock tries again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Runs the clock until shutdown: arms every session's step under way, then the deadlines
/// [`crate::session::deadlines::StepClock::watch`] sends, ending each step when its time is up.
pub async fn run(state: AppState, mut deadlines_rx: mpsc::UnboundedReceiver<Deadline>) {
    let mut deadlines: HashMap<String, Deadline> = HashMap::new();
    match state.sessions.list().await {
        Ok(sessions) => {
            for deadline in sessions.iter().filter_map(Deadline::of) {
                deadlines.insert(deadline.session.clone(), deadline);
            }
        }
        Err(e) => {
            warn!(error = %e, "steps under way not read at start: they end when their sessions next change")
        }
    }
    loop {
        let next = deadlines.values().map(|d| d.ends_at).min();
        let wake =
            Instant::now() + Duration::from_millis(next.unwrap_or(0).saturating_sub(now_ms()));
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            deadline = deadlines_rx.recv() => match deadline {
                Some(deadline) => {
                    deadlines.insert(deadline.session.clone(), deadline);
                }
                None => return,
            },
            () = tokio::time::sleep_until(wake), if next.is_some() => {
                let now = now_ms();
                let due: Vec<String> = deadlines
                    .values()
                    .filter(|d| d.ends_at <= now)
                    .map(|d| d.session.clone())
                    .collect();
                for session in due {
                    let Some(deadline) = deadlines.remove(&session) else { continue };
                    if let Err(retry) = end_on_time(&state, &deadline).await {
                        deadlines.entry(session).or_insert(retry);
                    }
                }
            }
        }
    }
}

/// Ends the step of `deadline` if it is still under way: audited and announced by whichever
/// node stores the end. A deadline to try again later when storage failed.
async fn end_on_time(state: &AppState, deadline: &Deadline) -> Result<(), Deadline> {
    let Deadline {
        session: id,
        step,
        started_at,
        ..
    } = deadline;
    let now = now_ms();
    let ended = state
        .sessions
        .update(id, |s| {
            let ended = s.agenda.end_due(step, *started_at, now);
            let locks = s.agenda.current.as_ref().map(|c| c.step.on_end) == Some(OnEnd::Lock);
            if ended && locks && s.state == SessionState::Open {
                s.state = SessionState::Locked;
            }
            Ok::<_, SessionError>(ended)
        })
        .await;
    let session = match ended {
        Ok((session, true)) => session,
        Ok((_, false)) => {
            debug!(session = %id, step = %step, "step already ended or replaced");
            return Ok(());
        }
        Err(SessionError::NotFound) => return Ok(()),
        Err(e) => {
            warn!(session = %id, step = %step, error = %e, "step not ended on time; trying again");
            let ends_at = now_ms() + RETRY_AFTER.as_millis() as u64;
            return Err(Deadline {
                ends_at,
                ..deadline.clone()
            });
        }
    };
    info!(session = %id, step = %step, node = %state.node, "step ended on time");
    let timer = Identity {
        session: id.clone(),
        participant: TIMER.into(),
        role: Role::Moderator,
        name: TIMER.into(),
    };
    let reason = Some("time".to_owned());
    state
        .sessions
        .record_action(&timer, id, "step-ended", step, reason)
        .await;
    let locked = session.agenda.current.as_ref().map(|c| c.step.on_end) == Some(OnEnd::Lock)
        && session.state == SessionState::Locked;
    if locked {
        state
            .sessions
            .record_action(&timer, id, "locked", id, None)
            .await;
        info!(session = %id, step = %step, "session locked as its step ended");
    }
    state.announce(&session, "step-ended").await;
    Ok(())
}
