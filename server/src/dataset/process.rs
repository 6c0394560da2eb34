//! The research view of a process (issue 31, part 3): its sessions side by side — participation
//! by phase of the co-creation cycle, and how many contributions were carried forward from one
//! session into the next and decided there — as figures (JSON, for the browser's research view)
//! and as a dataset (a zip of CSV files with a README that documents them). Counts only: no
//! names, pseudonyms nor text, so people who declined research are in them only as the counts
//! they add to, as in every aggregate.

use std::collections::HashMap;
use std::io::{Seek, Write};

use serde::Serialize;

use super::{write_files, ExportError};
use crate::format::{csv_line, rfc3339};
use crate::history::outcomes::{OutcomeFigures, Tracker};
use crate::history::participation::{Counter, Participation};
use crate::history::{each_event, SessionRecords};
use crate::outcome::{Decision, CARRIED_TO, DECISIONS};
use crate::room_id::RoomId;
use crate::session::process::{CyclePhase, Process};
use crate::session::{Role, Session};
use crate::storage::{Storage, StorageError};

/// The phases of the cycle, in the order a process runs through them.
const CYCLE: [CyclePhase; 4] = [
    CyclePhase::NeedAnalysis,
    CyclePhase::CoDesign,
    CyclePhase::CoProduction,
    CyclePhase::Evaluation,
];

/// A phase's name as the API spells it (`need-analysis`, …); empty for a session without one.
fn phase_name(phase: Option<CyclePhase>) -> String {
    phase
        .and_then(|p| serde_json::to_value(p).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A card a moderator carried from one session of the process into another, and what became of
/// it.
#[derive(Debug, Serialize)]
pub struct CarriedCard {
    pub from_session: String,
    /// Its id in the session it was carried from.
    pub item: String,
    pub to_session: String,
    /// Its copy's id on the board it was carried into.
    pub to_item: String,
    pub carried_at: u64,
    /// The decision on it in the session it came from, if any.
    pub source_status: Option<&'static str>,
    /// The decision on its copy where it was carried; `None` while it has none, or when that
    /// session is not in the view (not recorded for research).
    pub status: Option<&'static str>,
}

/// What a session and a phase of the cycle count alike.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Counts {
    /// Everyone who joined and could edit (citizens and moderators).
    pub participants: u64,
    pub citizens: u64,
    pub contributors: u64,
    /// Board changes, as the session's metrics count them.
    pub contributions: u64,
    pub citizen_contributions: u64,
    /// Cards and notes on the final board (the server's carried copies not among them), and how
    /// many of them got a decision.
    pub cards: u64,
    pub decided: u64,
    /// Cards carried in from other sessions in the view.
    pub carried_in: u64,
    /// Cards carried out into later sessions, and how many of those got a decision there.
    pub carried_forward: u64,
    pub carried_forward_decided: u64,
}

impl Counts {
    /// The counts in the order of [`COUNTS`], the CSV columns.
    fn values(&self) -> [u64; 10] {
        [
            self.participants,
            self.citizens,
            self.contributors,
            self.contributions,
            self.citizen_contributions,
            self.cards,
            self.decided,
            self.carried_in,
            self.carried_forward,
            self.carried_forward_decided,
        ]
    }

    /// The counts from values in the order of [`COUNTS`].
    fn from_values(v: [u64; 10]) -> Self {
        let [participants, citizens, contributors, contributions, citizen_contributions, cards, decided, carried_in, carried_forward, carried_forward_decided] =
            v;
        Counts {
            participants,
            citizens,
            contributors,
            contributions,
            citizen_contributions,
            cards,
            decided,
            carried_in,
            carried_forward,
            carried_forward_decided,
        }
    }

    /// Citizens' contributions over all; `None` without contributions.
    fn citizen_share(&self) -> Option<f64> {
        (self.contributions > 0)
            .then(|| self.citizen_contributions as f64 / self.contributions as f64)
    }
}

/// One session's figures.
#[derive(Debug, Serialize)]
pub struct SessionFigures {
    pub session: String,
    pub title: String,
    pub cycle_phase: Option<CyclePhase>,
    pub created_at: u64,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The figures of one phase of the cycle: its sessions' counts summed.
#[derive(Debug, Serialize)]
pub struct PhaseFigures {
    /// `null` for the sessions that name no phase.
    pub cycle_phase: Option<CyclePhase>,
    pub sessions: u64,
    #[serde(flatten)]
    pub counts: Counts,
    pub citizen_share: Option<f64>,
}

impl PhaseFigures {
    fn of<'a>(
        phase: Option<CyclePhase>,
        sessions: impl Iterator<Item = &'a SessionFigures>,
    ) -> Self {
        let mut sessions_in = 0;
        let mut sum = [0; 10];
        for s in sessions.filter(|s| s.cycle_phase == phase) {
            sessions_in += 1;
            sum.iter_mut()
                .zip(s.counts.values())
                .for_each(|(total, n)| *total += n);
        }
        let counts = Counts::from_values(sum);
        PhaseFigures {
            cycle_phase: phase,
            sessions: sessions_in,
            citizen_share: counts.citizen_share(),
            counts,
        }
    }
}

/// What one session brings to its process's view, gathered from its history and records.
struct Gathered {
    records: SessionRecords,
    participation: Participation,
    outcomes: OutcomeFigures,
    carried_out: Vec<CarriedCard>,
}

/// A process's research view: its sessions in the order they were held, the figures per phase,
/// and every carried card.
#[derive(Debug, Serialize)]
pub struct ProcessView {
    pub process: Process,
    pub sessions: Vec<SessionFigures>,
    /// The four phases of the cycle in order (with zeros where no session served one), then
    /// the sessions without a phase if there are any.
    pub phases: Vec<PhaseFigures>,
    pub carried: Vec<CarriedCard>,
    /// Sessions of the process the view leaves out (not recorded for research).
    pub left_out: Vec<String>,
}

impl ProcessView {
    /// Walks the histories of `sessions` (those the caller may study, in the order they were
    /// held, with their rooms) for the view of `process`.
    pub async fn gather(
        storage: &dyn Storage,
        keyframe_spacing: u64,
        process: Process,
        sessions: Vec<(RoomId, SessionRecords)>,
        left_out: Vec<String>,
    ) -> Result<Self, StorageError> {
        let mut gathered = Vec::with_capacity(sessions.len());
        let mut decisions: HashMap<String, HashMap<String, Decision>> = HashMap::new();
        for (room, records) in sessions {
            let id = records.session.id.clone();
            let mut counter = Counter::new(60_000);
            let mut tracker = Tracker::default();
            each_event(storage, &room, keyframe_spacing, &records, |event| {
                counter.add(event);
                tracker.add(event);
            })
            .await?;
            let own: HashMap<String, Decision> =
                DECISIONS.all(storage, &id).await?.into_iter().collect();
            let outcomes = tracker.finish(&own).figures;
            decisions.insert(id.clone(), own);
            let carried_out = CARRIED_TO
                .all(storage, &id)
                .await?
                .into_iter()
                .map(|(item, copy)| CarriedCard {
                    from_session: id.clone(),
                    item,
                    to_session: copy.session,
                    to_item: copy.item,
                    carried_at: copy.at,
                    source_status: None,
                    status: None,
                })
                .collect();
            gathered.push(Gathered {
                records,
                participation: counter.finish(),
                outcomes,
                carried_out,
            });
        }
        let status = |session: &str, item: &str| {
            let decision = decisions.get(session).and_then(|d| d.get(item));
            decision.map(|d| d.status.as_str())
        };
        let mut carried: Vec<CarriedCard> = Vec::new();
        for session in &mut gathered {
            for card in &mut session.carried_out {
                card.source_status = status(&card.from_session, &card.item);
                card.status = status(&card.to_session, &card.to_item);
            }
        }
        let sessions: Vec<SessionFigures> = gathered
            .iter()
            .map(|g| session_figures(g, &gathered))
            .collect();
        for g in gathered {
            carried.extend(g.carried_out);
        }
        carried.sort_by(|a, b| (a.carried_at, &a.item).cmp(&(b.carried_at, &b.item)));
        let mut phases: Vec<PhaseFigures> = CYCLE
            .iter()
            .map(|phase| PhaseFigures::of(Some(*phase), sessions.iter()))
            .collect();
        if sessions.iter().any(|s| s.cycle_phase.is_none()) {
            phases.push(PhaseFigures::of(None, sessions.iter()));
        }
        Ok(ProcessView {
            process,
            sessions,
            phases,
            carried,
            left_out,
        })
    }
}

/// A session's figures, its carried-in cards counted from every session's carried-out ones.
fn session_figures(g: &Gathered, all: &[Gathered]) -> SessionFigures {
    let session: &Session = &g.records.session;
    let joined = g
        .records
        .participants
        .iter()
        .filter(|p| !p.invite && p.role.edits());
    let citizens = joined.clone().filter(|p| p.role == Role::Citizen).count();
    let role_count = |role: &str| g.participation.by_role.get(role).copied().unwrap_or(0);
    let carried_in = all
        .iter()
        .flat_map(|other| &other.carried_out)
        .filter(|c| c.to_session == session.id)
        .count();
    SessionFigures {
        session: session.id.clone(),
        title: session.title.clone(),
        cycle_phase: session.cycle.cycle_phase,
        created_at: session.created_at,
        counts: Counts {
            participants: joined.count() as u64,
            citizens: citizens as u64,
            contributors: g.participation.distinct_contributors as u64,
            contributions: g.participation.contributions,
            citizen_contributions: role_count(Role::Citizen.as_str()),
            cards: g.outcomes.all.contributions,
            decided: g.outcomes.all.decided,
            carried_in: carried_in as u64,
            carried_forward: g.carried_out.len() as u64,
            carried_forward_decided: g.carried_out.iter().filter(|c| c.status.is_some()).count()
                as u64,
        },
    }
}

/// Writes the process's dataset into `out`: its README, `sessions.csv`, `phases.csv` and
/// `carried.csv`.
pub fn write_process_dataset<W: Write + Seek>(
    view: &ProcessView,
    out: W,
) -> Result<W, ExportError> {
    let files = [
        ("README.md", readme(view)),
        ("sessions.csv", sessions_csv(&view.sessions)),
        ("phases.csv", phases_csv(&view.phases)),
        ("carried.csv", carried_csv(&view.carried, &view.sessions)),
    ];
    write_files(out, files)
}

/// The counting columns `sessions.csv` and `phases.csv` share, after their own.
const COUNTS: [&str; 10] = [
    "participants",
    "citizens",
    "contributors",
    "contributions",
    "citizen_contributions",
    "cards",
    "decided",
    "carried_in",
    "carried_forward",
    "carried_forward_decided",
];

fn sessions_csv(sessions: &[SessionFigures]) -> String {
    let head = [
        &["session", "title", "cycle_phase", "created_at"][..],
        &COUNTS,
    ];
    let mut out = csv_line(&head.concat());
    for s in sessions {
        let own = [
            s.session.clone(),
            s.title.clone(),
            phase_name(s.cycle_phase),
            rfc3339(s.created_at),
        ];
        let counts = s.counts.values().map(|n| n.to_string());
        out.push_str(&csv_row(own.iter().chain(&counts)));
    }
    out
}

fn phases_csv(phases: &[PhaseFigures]) -> String {
    let head = [
        &["cycle_phase", "sessions"][..],
        &COUNTS,
        &["citizen_share"],
    ];
    let mut out = csv_line(&head.concat());
    for p in phases {
        let own = [phase_name(p.cycle_phase), p.sessions.to_string()];
        let counts = p.counts.values().map(|n| n.to_string());
        let share = p
            .citizen_share
            .map(|s| format!("{s:.3}"))
            .unwrap_or_default();
        out.push_str(&csv_row(own.iter().chain(&counts).chain([&share])));
    }
    out
}

fn carried_csv(carried: &[CarriedCard], sessions: &[SessionFigures]) -> String {
    let phase_of = |id: &str| {
        let session = sessions.iter().find(|s| s.session == id);
        phase_name(session.and_then(|s| s.cycle_phase))
    };
    let mut out = csv_line(&[
        "from_session",
        "from_phase",
        "item",
        "to_session",
        "to_phase",
        "to_item",
        "carried_at",
        "source_status",
        "status",
    ]);
    for c in carried {
        out.push_str(&csv_line(&[
            &c.from_session,
            &phase_of(&c.from_session),
            &c.item,
            &c.to_session,
            &phase_of(&c.to_session),
            &c.to_item,
            &rfc3339(c.carried_at),
            c.source_status.unwrap_or_default(),
            c.status.unwrap_or_default(),
        ]));
    }
    out
}

/// A CSV line of owned fields.
fn csv_row<'a>(fields: impl Iterator<Item = &'a String>) -> String {
    let fields: Vec<&str> = fields.map(String::as_str).collect();
    csv_line(&fields)
}

/// The process dataset's README: what the process was and what every file and column means.
fn readme(view: &ProcessView) -> String {
    let left_out = match view.left_out.as_slice() {
        [] => "Every session of the process is in it.".to_owned(),
        ids => format!(
            "Sessions not recorded for research are left out: {}.",
            ids.join(", ")
        ),
    };
    format!(
        include_str!("process_readme.md"),
        title = view.process.title,
        id = view.process.id,
        organisation = view.process.organisation.as_deref().unwrap_or("—"),
        created = rfc3339(view.process.created_at),
        left_out = left_out,
    )
}
