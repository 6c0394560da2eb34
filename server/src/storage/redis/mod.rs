//! The Redis backend (`--redis-url`): one store shared by every node, so that several cocreate
//! processes can serve the same rooms. Works with a standalone Redis, a Sentinel-managed master
//! (see `sentinel`) and Redis Cluster, in plain TCP or TLS (`rediss://`, see `tls`).
//!
//! Key layout, per room; the room is the hash tag, so that one room's keys share a cluster slot
//! and a script can touch them together, and the prefix lets deployments share one Redis:
//! - `{prefix}:{<room>}:log` — a stream, one entry per record, with the explicit id `<seq>-0`
//!   (the record's sequence number is the id's first part) and the fields `u` (update bytes),
//!   `t` (at_ms), `n` (origin node), `c` (origin connection) and `p` (participant, absent when
//!   there is none). Never trimmed: the log is the history researchers replay.
//! - `{prefix}:{<room>}:seq` — the last sequence number assigned, so that a trimmed or damaged
//!   stream can never make a number be given twice.
//! - `{prefix}:{<room>}:checkpoint` — a hash with `covers` and `state`.
//! - `{prefix}:{<room>}:keyframes` — a sorted set of `<covers>:<at_ms>` scored by covers, and
//!   `{prefix}:{<room>}:keyframe-states` — a hash from covers (decimal) to state. The state is
//!   written first, so an indexed keyframe always has one.
//!
//! - `{prefix}:{<room>}:presence` — the pub/sub channel of the room bus (see `presence`).
//!
//! Appends and checkpoint saves are Lua scripts (`scripts`), so they are atomic even when
//! several nodes write the same room at once. How Redis is reached is `connection`; blocking
//! reads' own connections are `followers`; the room's log, checkpoint and keyframes are `log`;
//! sessions' keys are in `sessions`, other records' in `records`; replies are read in
//! `replies`.

mod connection;
mod followers;
mod log;
mod presence;
mod records;
mod replies;
mod scripts;
mod sentinel;
mod sessions;
mod tls;

pub use self::tls::{RedisTlsError, RedisTlsFiles};

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use redis::Script;

use self::connection::{Client, Connection, Subscriber};
use crate::room_id::RoomId;

/// A key prefix that would break the key layout.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid Redis key prefix {0:?}: it must be non-empty and contain no '{{', '}}' or whitespace"
)]
pub struct InvalidRedisPrefix(pub String);

/// The Redis store. Cheap to clone: clones share their connections.
#[derive(Clone)]
pub struct RedisStorage {
    inner: Arc<Shared>,
}

struct Shared {
    prefix: String,
    /// Every command but blocking reads: multiplexed, so concurrent rooms share one socket
    /// (per node, in a cluster), and reconnecting by itself after a failure.
    commands: Connection,
    /// Opens the dedicated connections of blocking reads.
    client: Client,
    /// Opens presence subscriptions: one server, the first listed for a cluster (a cluster
    /// delivers every PUBLISH to subscribers on any of its nodes), the master with Sentinel.
    pubsub: Subscriber,
    /// Dedicated connections between two blocking reads (see [`RedisStorage::follow`]).
    idle_followers: Mutex<Vec<Connection>>,
    /// Blocking-read connections found dead (a Redis restart) and reopened.
    reconnects: AtomicU64,
    append: Script,
    save_checkpoint: Script,
}

/// How to reach Redis beyond its URL.
#[derive(Clone, Debug, Default)]
pub struct RedisOptions {
    pub tls: RedisTlsFiles,
    /// The master's name in Sentinel (`--redis-sentinel-master`): the URL lists sentinels.
    pub sentinel_master: Option<String>,
}

impl RedisStorage {
    /// Refuses prefixes that would break the layout: a brace would change the hash tag (and
    /// so the slot) of every key, whitespace is a typo waiting to happen, and an empty prefix
    /// would make keys start with `:`.
    pub fn check_prefix(prefix: &str) -> Result<(), InvalidRedisPrefix> {
        if prefix.is_empty() || prefix.contains(['{', '}']) || prefix.contains(char::is_whitespace)
        {
            return Err(InvalidRedisPrefix(prefix.to_owned()));
        }
        Ok(())
    }

    /// The pub/sub channel of a room's presence, in the room's hash tag like its keys.
    fn presence_channel(&self, room: &RoomId) -> String {
        format!("{}:{{{}}}:presence", self.inner.prefix, room.as_str())
    }

    /// A key of a session's records, in the session room's hash tag.
    fn session_key(&self, session: &str, what: &str) -> String {
        format!("{}:{{{session}}}:{what}", self.inner.prefix)
    }

    /// A key outside any room: join codes and secrets.
    fn global_key(&self, what: &str, name: &str) -> String {
        format!("{}:{what}:{name}", self.inner.prefix)
    }
}
