//! Settings of `cocreate session …`: the operator's commands on sessions, run against the
//! store (a data directory or Redis) as `export` and `replay` are.

use clap::{Args, Subcommand};

use super::{InviteArgs, StoreArgs};
use crate::session::process::CyclePhase;
use crate::session::Template;

/// `cocreate session …`.
#[derive(Clone, Debug, Subcommand)]
pub enum SessionCommand {
    /// Create a session with its seeded board; print what `POST /api/sessions` answers (JSON).
    Create(CreateArgs),
    /// One line per session, oldest first: id, state, created (RFC 3339, UTC) and title,
    /// separated by tabs; or a JSON array with --json.
    List {
        /// Print the sessions as a JSON array (as `session show` prints each).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print a session as a moderator sees it (JSON), its participants included.
    Show {
        /// The session's id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Close a session: nobody edits it any more (final). Connected people are told at once
    /// when the store is Redis.
    Close {
        /// The session's id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Settings of `cocreate session create`.
#[derive(Clone, Debug, Args)]
pub struct CreateArgs {
    /// The session's title (1 to 200 characters).
    #[arg(long)]
    pub title: String,
    /// The board it starts from.
    #[arg(long, value_parser = api_name::<Template>)]
    pub template: Template,
    /// The language of its board and invitations: en, nl, fr or de.
    #[arg(long)]
    pub language: String,
    /// The process (its id, from `POST /api/processes`) the session belongs to.
    #[arg(long)]
    pub process: Option<String>,
    /// The phase of the co-creation cycle it serves: need-analysis, co-design,
    /// co-production or evaluation.
    #[arg(long, value_parser = api_name::<CyclePhase>)]
    pub cycle_phase: Option<CyclePhase>,
    #[command(flatten)]
    pub invites: InviteArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A value by its name in the API (a template such as `journey-map`, a cycle phase such as
/// `co-design`), as `POST /api/sessions` takes it.
fn api_name<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::from(name)).map_err(|e| e.to_string())
}
