//! `cocreate session …`: operators create, list, show and close sessions from the command
//! line, against the store (a data directory or Redis) as `export` and `replay` work. Sessions
//! are created and closed by the same code as the HTTP API's.

use std::sync::Arc;

use anyhow::{anyhow, Context};
use serde_json::Value;

use crate::api::{moderator_view, move_session, NewSession, SessionMaker};
use crate::bus::{BusMessage, BusMessageKind, SharedBus};
use crate::config::{CreateArgs, SessionCommand, StoreArgs};
use crate::error::ApiError;
use crate::format::rfc3339;
use crate::room_id::RoomId;
use crate::session::store::SessionStore;
use crate::session::token::TokenKey;
use crate::session::{now_ms, AuditEntry, Research, SessionState};
use crate::storage::{SharedStorage, StorageError};
use crate::StartError;

/// Who the audit log and the update log name for what the command line does.
const OPERATOR: &str = "operator";

/// Runs one `cocreate session` command; its output is on stdout.
pub async fn run(command: SessionCommand) -> anyhow::Result<()> {
    match command {
        SessionCommand::Create(args) => create(args).await,
        SessionCommand::List { json, store } => list(&store, json).await,
        SessionCommand::Show { id, store } => show(&store, &id).await,
        SessionCommand::Close { id, store } => close(&store, &id).await,
    }
}

/// The store, with the bus that tells running servers about changes (Redis only).
async fn open(store: &StoreArgs) -> anyhow::Result<(SharedStorage, Option<SharedBus>)> {
    crate::open_store(store).await.map_err(|e| match e {
        StartError::Storage(StorageError::Embedded(redb::Error::DatabaseAlreadyOpen)) => anyhow!(
            "the data directory {} is in use: a running server holds it (the embedded store \
             is one process's at a time). Stop the server, or use its HTTP API",
            store.data_dir.display()
        ),
        e => e.into(),
    })
}

/// An API error as a command-line error: its message.
fn failed(e: ApiError) -> anyhow::Error {
    anyhow!("{}", e.message)
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let (storage, _) = open(&args.store).await?;
    let sessions = SessionStore::new(storage.clone());
    let secret = crate::token_secret(&args.invites, &sessions).await?;
    let maker = SessionMaker {
        storage,
        sessions,
        tokens: TokenKey::new(&secret),
        token_ttl: args.invites.token_ttl(),
        node: Arc::from(OPERATOR),
    };
    let new = NewSession {
        title: args.title,
        template: args.template,
        language: args.language,
        research: Research::default(),
        process: args.process,
        cycle_phase: args.cycle_phase,
    };
    let base = args
        .invites
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    let created = maker.create(new, base).await.map_err(failed)?;
    if base.is_empty() {
        eprintln!("note: without --public-url, the links have no address in front");
    }
    print_json(&created)
}

async fn list(store: &StoreArgs, json: bool) -> anyhow::Result<()> {
    let (storage, _) = open(store).await?;
    let sessions = SessionStore::new(storage).list().await?;
    if json {
        let views: Vec<Value> = sessions
            .iter()
            .map(|s| s.view_for(crate::session::Role::Moderator))
            .collect();
        return print_json(&Value::from(views));
    }
    for session in sessions {
        let state = serde_json::to_value(session.state)?;
        let state = state.as_str().unwrap_or_default();
        println!(
            "{}\t{state}\t{}\t{}",
            session.id,
            rfc3339(session.created_at),
            session.title
        );
    }
    Ok(())
}

async fn show(store: &StoreArgs, id: &str) -> anyhow::Result<()> {
    let (storage, _) = open(store).await?;
    let sessions = SessionStore::new(storage);
    let session = sessions
        .get(id)
        .await?
        .ok_or_else(|| anyhow!("no session {id} in this store"))?;
    print_json(&moderator_view(&sessions, &session).await.map_err(failed)?)
}

async fn close(store: &StoreArgs, id: &str) -> anyhow::Result<()> {
    let (storage, bus) = open(store).await?;
    let sessions = SessionStore::new(storage);
    if sessions.get(id).await?.is_none() {
        return Err(anyhow!("no session {id} in this store"));
    }
    let (_, moved) = move_session(&sessions, id, SessionState::Closed)
        .await
        .map_err(failed)?;
    if !moved.changed {
        eprintln!("session {id} was already closed");
        return Ok(());
    }
    let mut entries = vec![AuditEntry {
        at: now_ms(),
        by: OPERATOR.to_owned(),
        action: "closed".to_owned(),
        target: id.to_owned(),
        reason: None,
    }];
    // The agenda's step under way ended with the session.
    if let Some(step) = moved.ended_step {
        entries.push(AuditEntry {
            action: "step-ended".to_owned(),
            target: step,
            reason: Some("closed".to_owned()),
            ..entries[0].clone()
        });
    }
    for entry in &entries {
        sessions
            .audit(id, entry)
            .await
            .context("closed, but not recorded in the audit log")?;
    }
    if let Some(bus) = bus {
        let room = RoomId::parse(id).map_err(|e| anyhow!("invalid session id: {e}"))?;
        let message = BusMessage {
            node: OPERATOR.to_owned(),
            kind: BusMessageKind::Session("closed".to_owned()),
        };
        bus.publish(&room, message)
            .await
            .context("closed, but the running servers could not be told")?;
    }
    eprintln!("closed session {id}");
    Ok(())
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
