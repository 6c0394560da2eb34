//! The research dataset of a session, as one zip: the event list, the participants with
//! their attendance and contribution counts, the moderation log, the agenda's steps and what
//! each participant contributed in each, the final board, the board at regular intervals, the
//! outcomes, the evaluation, researchers' memos, the sensemaking runs, and a README that
//! documents every file and column; the same session as a REFI-QDA project (`qdpx`); and a
//! process's sessions side by side (`process`). The
//! same disclosure rules as every research output apply (`cocreate_board::Disclosure`).

pub mod process;
pub mod qdpx;

use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::time::Duration;

use serde_json::json;
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

use crate::assist::runs::{runs_csv, session_runs};
use crate::format::{csv_line, rfc3339};
use crate::history::memos::{session_memos, Memo};
use crate::history::outcomes::{outcomes_csv, Tracker};
use crate::history::participation::Counter;
use crate::history::steps::{steps_csv, StepContributions};
use crate::history::{walk_all, HistoryEvent, SessionRecords};
use crate::outcome::DECISIONS;
use crate::receipt::evaluation::{self, evaluation_csv};
use crate::room_id::RoomId;
use crate::storage::{Storage, StorageError};
use cocreate_board::{board_json, Disclosure, DECLINED, ERASED_TEXT, HIDDEN_TEXT};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("writing the zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the zip: {0}")]
    Io(#[from] std::io::Error),
}

/// Attendance and contribution counts per participant, gathered while walking.
#[derive(Default)]
struct Presence {
    first_connected: Option<u64>,
    last_disconnected: Option<u64>,
    connections: u64,
    contributions: u64,
}

/// Writes the dataset of a session into `out`, with the board every `interval`.
pub async fn write_dataset<W: Write + Seek>(
    storage: &dyn Storage,
    room: &RoomId,
    keyframe_spacing: u64,
    records: &SessionRecords,
    interval: Duration,
    out: W,
) -> Result<W, ExportError> {
    let disclosure = &records.disclosure;
    let interval_ms = interval.as_millis().max(1) as u64;
    let mut walk = walk_all(storage, room, keyframe_spacing, records).await?;
    let mut events_csv = csv_line(&[
        "seq",
        "at",
        "time",
        "participant",
        "role",
        "entity",
        "action",
        "target",
        "detail",
        "by_server",
    ]);
    let mut intervals = String::new();
    let mut next_mark: Option<u64> = None;
    // The last board written: a mark at which nothing changed since is skipped, so that idle
    // hours (or days) of a session do not repeat the board thousands of times.
    let mut last_board: Option<serde_json::Value> = None;
    let mut presence: BTreeMap<String, Presence> = BTreeMap::new();
    let mut counter = Counter::new(interval_ms);
    let mut outcomes = Tracker::default();
    let mut by_step = StepContributions::default();
    let mut moderation_csv = csv_line(&["at", "time", "moderator", "action", "target", "reason"]);
    loop {
        let page = walk
            .next_page(|doc, record| {
                let mark = *next_mark.get_or_insert(record.at_ms / interval_ms * interval_ms);
                if record.at_ms <= mark {
                    return;
                }
                // The board as it was at each mark passed before this record.
                let board = board_json(doc, disclosure);
                if last_board.as_ref() != Some(&board) {
                    let line = json!({ "at": mark, "time": rfc3339(mark), "board": board });
                    intervals.push_str(&line.to_string());
                    intervals.push('\n');
                    last_board = Some(board);
                }
                // The next mark after this record (marks in between saw this same board).
                let passed = (record.at_ms - mark).div_ceil(interval_ms);
                let mark = mark + passed * interval_ms;
                next_mark = Some(mark);
            })
            .await?;
        let Some(events) = page else { break };
        for event in &events {
            counter.add(event);
            outcomes.add(event);
            by_step.add(event);
            tally(&mut presence, event);
            events_csv.push_str(&event_line(event));
            if event.entity == "moderation" {
                moderation_csv.push_str(&csv_line(&[
                    &event.at.to_string(),
                    &rfc3339(event.at),
                    event.participant.as_deref().unwrap_or_default(),
                    &event.action,
                    &event.target,
                    &event.detail,
                ]));
            }
        }
    }
    let final_board = board_json(walk.doc(), disclosure);
    if let (Some(mark), Some(last)) = (next_mark, walk.position().at_ms) {
        let line =
            json!({ "at": mark.max(last), "time": rfc3339(mark.max(last)), "board": final_board });
        intervals.push_str(&line.to_string());
        intervals.push('\n');
    }
    let participation = counter.finish();
    for figures in &participation.by_participant {
        presence
            .entry(figures.participant.clone())
            .or_default()
            .contributions = figures.contributions;
    }
    let participants_csv = participants_csv(records, &presence);
    let final_json = json!({
        "session": records.session.public(),
        "seq": walk.position().seq,
        "at": walk.position().at_ms,
        "board": final_board,
    });

    let session = &records.session.id;
    let decisions = DECISIONS.all(storage, session).await?.into_iter().collect();
    let outcomes_csv = outcomes_csv(&outcomes.finish(&decisions));
    let evaluation_csv = evaluation_csv(&evaluation::all(storage, session).await?);
    let memos_csv = memos_csv(&session_memos(storage, session).await?, disclosure);
    let assist_csv = runs_csv(&session_runs(storage, session).await?, disclosure);

    let files: [(&str, String); 12] = [
        ("README.md", readme(records)),
        ("events.csv", events_csv),
        ("participants.csv", participants_csv),
        ("moderation.csv", moderation_csv),
        ("steps.csv", steps_csv(by_step.steps().runs())),
        ("contributions_by_step.csv", by_step.csv()),
        (
            "final-board.json",
            serde_json::to_string_pretty(&final_json).unwrap_or_default(),
        ),
        ("board-at-intervals.jsonl", intervals),
        ("outcomes.csv", outcomes_csv),
        ("evaluation.csv", evaluation_csv),
        ("memos.csv", memos_csv),
        ("assist_runs.csv", assist_csv),
    ];
    write_files(out, files)
}

/// Writes `files` (name, content) into a zip on `out`, compressed.
fn write_files<W: Write + Seek>(
    out: W,
    files: impl IntoIterator<Item = (&'static str, String)>,
) -> Result<W, ExportError> {
    let mut zip = ZipWriter::new(out);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        zip.start_file(name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?)
}

/// One row per memo, in the order of the replay; writers under the disclosure rules.
fn memos_csv(memos: &[Memo], disclosure: &Disclosure) -> String {
    let mut out = csv_line(&[
        "memo",
        "at",
        "time",
        "item",
        "by",
        "text",
        "created_at",
        "updated_at",
    ]);
    for memo in memos {
        out.push_str(&csv_line(&[
            &memo.id,
            &memo.at.to_string(),
            &rfc3339(memo.at),
            memo.item.as_deref().unwrap_or_default(),
            &disclosure.pseudonym(&memo.by),
            &memo.text,
            &rfc3339(memo.created_at),
            &rfc3339(memo.updated_at),
        ]));
    }
    out
}

fn event_line(event: &HistoryEvent) -> String {
    let role = event.role.map(|r| r.as_str()).unwrap_or_default();
    csv_line(&[
        &event.seq.map(|s| s.to_string()).unwrap_or_default(),
        &event.at.to_string(),
        &rfc3339(event.at),
        event.participant.as_deref().unwrap_or_default(),
        role,
        &event.entity,
        &event.action,
        &event.target,
        &event.detail,
        &event.by_server.to_string(),
    ])
}

fn tally(presence: &mut BTreeMap<String, Presence>, event: &HistoryEvent) {
    let Some(participant) = &event.participant else {
        return;
    };
    if event.entity != "participant" {
        return;
    }
    let entry = presence.entry(participant.clone()).or_default();
    match event.action.as_str() {
        "connected" => {
            entry.connections += 1;
            entry.first_connected.get_or_insert(event.at);
        }
        "disconnected" => entry.last_disconnected = Some(event.at),
        _ => {}
    }
}

/// One row per participant; those who declined consent share one row per role.
fn participants_csv(records: &SessionRecords, presence: &BTreeMap<String, Presence>) -> String {
    let disclosure = &records.disclosure;
    let mut out = csv_line(&[
        "participant",
        "role",
        "language",
        "research_consent",
        "erased",
        "joined_at",
        "first_connected_at",
        "last_disconnected_at",
        "connections",
        "contributions",
        "display_name",
    ]);
    let time = |ms: Option<u64>| ms.map(rfc3339).unwrap_or_default();
    let mut declined_roles = std::collections::BTreeSet::new();
    for p in &records.participants {
        if !disclosure.individual(&p.id) {
            declined_roles.insert(p.role.as_str());
            continue;
        }
        let seen = presence.get(&p.id);
        out.push_str(&csv_line(&[
            &p.id,
            p.role.as_str(),
            &p.language,
            &p.research_consent
                .map(|c| c.to_string())
                .unwrap_or_default(),
            &disclosure.is_erased(&p.id).to_string(),
            &rfc3339(p.joined_at),
            &time(seen.and_then(|s| s.first_connected)),
            &time(seen.and_then(|s| s.last_disconnected)),
            &seen.map_or(0, |s| s.connections).to_string(),
            &seen.map_or(0, |s| s.contributions).to_string(),
            &disclosure.name(&p.id),
        ]));
    }
    if let Some(declined) = presence.get(DECLINED) {
        out.push_str(&csv_line(&[
            DECLINED,
            &declined_roles.into_iter().collect::<Vec<_>>().join(" "),
            "",
            "false",
            "false",
            "",
            "",
            "",
            &declined.connections.to_string(),
            &declined.contributions.to_string(),
            "",
        ]));
    }
    out
}

/// The dataset's README: what the session was and what every file and column means.
fn readme(records: &SessionRecords) -> String {
    let session = &records.session;
    let names = if records.disclosure.keeps_names() {
        "The session was configured to keep display names: they appear in `participants.csv` \
         and as `author_name` on board items (except for erased participants and those who \
         declined research consent)."
    } else {
        "Display names are not included (the session was not configured to keep them): \
         participants appear only by pseudonym."
    };
    format!(
        include_str!("readme.md"),
        title = session.title,
        id = session.id,
        template = serde_json::to_value(session.template)
            .ok()
            .and_then(|t| t.as_str().map(str::to_owned))
            .unwrap_or_default(),
        language = session.language,
        created = rfc3339(session.created_at),
        names = names,
        declined = DECLINED,
        erased = ERASED_TEXT,
        hidden = HIDDEN_TEXT,
    )
}
