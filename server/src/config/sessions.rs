//! Settings of `cocreate session …`: the operator's commands on sessions, run against the
//! store (a data directory or Redis) as `export` and `replay` are.

use clap::{Args, Subcommand};

use super::{InviteArgs, StoreArgs};
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
    #[arg(long, value_parser = template)]
    pub template: Template,
    /// The language of its board and invitations: en, nl, fr or de.
    #[arg(long)]
    pub language: String,
    #[command(flatten)]
    pub invites: InviteArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A template by its name in the API (`journey-map`, …), as `POST /api/sessions` takes it.
fn template(name: &str) -> Result<Template, String> {
    serde_json::from_value(serde_json::Value::from(name)).map_err(|e| e.to_string())
}
