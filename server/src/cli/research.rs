//! `cocreate export` and `cocreate replay`: research outputs from the store without a
//! running server, for researchers working offline from a copy of the data directory or
//! from Redis. They apply the same disclosure rules as the HTTP API.

use std::time::Duration;

use anyhow::{anyhow, Context};

use crate::config::{ExportArgs, ReplayArgs, StoreArgs, DEFAULT_CHECKPOINT_EVERY_RECORDS};
use crate::dataset::write_dataset;
use crate::history::{session_records, state_json, Position, Seeker, SessionRecords};
use crate::room_id::RoomId;
use crate::session::store::SessionStore;
use crate::storage::{Seq, SharedStorage};

/// Log records between the keyframes a seek leaves behind.
const KEYFRAME_SPACING: u64 = DEFAULT_CHECKPOINT_EVERY_RECORDS;

async fn open(
    store: &StoreArgs,
    session: &str,
) -> anyhow::Result<(SharedStorage, RoomId, SessionRecords)> {
    let (storage, _) = crate::open_store(store).await?;
    let room = RoomId::parse(session).map_err(|e| anyhow!("invalid session id: {e}"))?;
    let records = session_records(&SessionStore::new(storage.clone()), session)
        .await?
        .ok_or_else(|| anyhow!("no session {session} in this store"))?;
    Ok((storage, room, records))
}

/// Writes the session's dataset to `--out`.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let (storage, room, records) = open(&args.store, &args.session).await?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    write_dataset(
        storage.as_ref(),
        &room,
        KEYFRAME_SPACING,
        &records,
        Duration::from_secs(args.interval_seconds),
        file,
    )
    .await?;
    eprintln!(
        "wrote the dataset of session {} ({} participants) to {}",
        args.session,
        records.participants.len(),
        args.out.display()
    );
    Ok(())
}

/// Prints the board at `--at` as JSON, as `GET /api/sessions/{id}/state` answers.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let (storage, room, records) = open(&args.store, &args.session).await?;
    let at = match &args.at {
        Some(at) => at.parse::<Position>().map_err(|e| anyhow!("--at: {e}"))?,
        None => Position::Seq(Seq::MAX),
    };
    let mut seeker = Seeker::new(storage.as_ref(), &room, KEYFRAME_SPACING).await?;
    let seeked = seeker.state_at(at).await?;
    let state = state_json(&records, at, &seeked);
    println!("{}", serde_json::to_string_pretty(&state)?);
    Ok(())
}
