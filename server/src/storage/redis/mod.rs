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
//! Appends and checkpoint saves are Lua scripts, so they are atomic even when several nodes
//! write the same room at once. Sessions' keys are in `sessions`.

mod presence;
mod records;
mod sentinel;
mod sessions;
mod tls;

pub use self::tls::{RedisTlsError, RedisTlsFiles};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{
    AsyncConnectionConfig, Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Script,
    TlsCertificates, Value,
};

use self::sentinel::{MasterConnection, Sentinels};
use super::{
    Checkpoint, KeyframeAt, LogRecord, NewRecord, Origin, Result, Seq, Storage, StorageError,
    StoredRoom,
};
use crate::room_id::RoomId;

/// Records fetched per `XRANGE` while loading or reading a log: large enough that a long log
/// loads in few round trips, small enough that no single reply holds Redis (single-threaded)
/// or our memory for long.
const PAGE: usize = 10_000;

/// How long a command may take before it fails. Generous, since a page of large updates or a
/// big batch is legitimately slow; but a hung Redis must fail a room's append (the room retries
/// it) rather than stall the room forever.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting may take: a reachable Redis answers in milliseconds, even across zones.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Reconnection attempts the connection manager makes within one failing command, and the
/// longest pause between them.
const RECONNECT_RETRIES: usize = 1;
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);

/// How much longer than its `BLOCK` time a blocking read may take to answer before it fails:
/// the time for the reply to travel, on a busy server.
const FOLLOW_GRACE: Duration = Duration::from_secs(5);

/// Idle connections kept for blocking reads. Each following room holds one while it waits;
/// this many stay open between waits so that steady following costs no reconnecting, more are
/// opened when more rooms follow at once and closed after their wait.
const FOLLOW_IDLE_MAX: usize = 64;

/// Appends records to a room's log atomically and returns the last sequence number.
/// KEYS: the counter, the stream. ARGV: six values per record: update, at_ms, node, connection,
/// "1" or "0" (has a participant), participant.
///
/// The next number follows the larger of the counter and the stream's newest entry, so that
/// neither a lost counter nor a trimmed stream can make Redis refuse an id (or reuse one).
/// Everything is checked before the first write: Redis does not roll a script back, so a
/// failure halfway would leave a partial batch. Lua numbers are doubles: sequence numbers are
/// exact up to 2^53, far beyond any room.
const APPEND_SCRIPT: &str = r"
if #ARGV % 6 ~= 0 then
  return redis.error_reply('ERR cocreate append: arguments are not whole records')
end
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if not last then
  return redis.error_reply('ERR cocreate append: sequence counter is not a number')
end
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if newest then
  local newest_seq = tonumber(string.match(newest[1], '^(%d+)-'))
  if newest_seq > last then
    last = newest_seq
  end
end
for i = 1, #ARGV, 6 do
  last = last + 1
  local id = string.format('%d-0', last)
  if ARGV[i + 4] == '1' then
    redis.call('XADD', KEYS[2], id, 'u', ARGV[i], 't', ARGV[i + 1], 'n', ARGV[i + 2],
      'c', ARGV[i + 3], 'p', ARGV[i + 5])
  else
    redis.call('XADD', KEYS[2], id, 'u', ARGV[i], 't', ARGV[i + 1], 'n', ARGV[i + 2],
      'c', ARGV[i + 3])
  end
end
redis.call('SET', KEYS[1], string.format('%d', last))
return last
";

/// Stores a checkpoint unless one covering as much or more is stored; returns 1 if stored.
/// KEYS: the checkpoint hash. ARGV: covers (decimal), state. The numbers are compared as
/// decimal text (longer is larger, then text order) so that every u64 compares exactly.
const SAVE_CHECKPOINT_SCRIPT: &str = r"
local stored = redis.call('HGET', KEYS[1], 'covers')
if stored and (#stored > #ARGV[1] or (#stored == #ARGV[1] and stored >= ARGV[1])) then
  return 0
end
redis.call('HSET', KEYS[1], 'covers', ARGV[1], 'state', ARGV[2])
return 1
";

/// A key prefix that would break the key layout.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid Redis key prefix {0:?}: it must be non-empty and contain no '{{', '}}' or whitespace"
)]
pub struct InvalidRedisPrefix(pub String);

/// The Redis store. Cheap to clone: clones share their connections.
#[derive(Clone)]
pub struct RedisStorage {
    inner: std::sync::Arc<Shared>,
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

/// What opens connections: one server, the sentinels of one, or a cluster's seed nodes. Boxed:
/// the clients are large (TLS settings included) and of very different sizes.
enum Client {
    Single(Box<redis::Client>),
    Sentinel(Arc<Sentinels>),
    /// Without a response timeout: only blocking reads use it, bounded by their own wait.
    Cluster(Box<ClusterClient>),
}

/// Where presence subscriptions are opened. Boxed as in [`Client`].
enum Subscriber {
    Server(Box<redis::Client>),
    /// The master the sentinels name at each (re)subscription.
    Sentinel(Arc<Sentinels>),
}

/// A connection of any kind, so that every command is written once for all.
#[derive(Clone)]
enum Connection {
    Managed(ConnectionManager),
    Dedicated(MultiplexedConnection),
    Cluster(ClusterConnection),
    Master(MasterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Managed(c) => c.req_packed_command(cmd),
            Connection::Dedicated(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
            Connection::Master(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Managed(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Dedicated(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Master(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Managed(c) => c.get_db(),
            Connection::Dedicated(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
            Connection::Master(c) => c.get_db(),
        }
    }
}

/// How to reach Redis beyond its URL.
#[derive(Clone, Debug, Default)]
pub struct RedisOptions {
    pub tls: RedisTlsFiles,
    /// The master's name in Sentinel (`--redis-sentinel-master`): the URL lists sentinels.
    pub sentinel_master: Option<String>,
}

/// A client of one server, with the TLS certificates when any are configured.
fn open_client(url: &str, certificates: Option<&TlsCertificates>) -> RedisResult<redis::Client> {
    match certificates {
        Some(certificates) => redis::Client::build_with_tls(url, certificates.clone()),
        None => redis::Client::open(url),
    }
}

/// The keys of one room.
struct RoomKeys {
    log: String,
    seq: String,
    checkpoint: String,
    keyframes: String,
    keyframe_states: String,
}

impl RedisStorage {
    /// Connects to Redis. `url` is one server (`redis://host:port/db`, `rediss://…`,
    /// `redis+unix:///path/to.sock`), or several nodes of one Redis Cluster separated by commas
    /// (`redis://a:6379,redis://b:6379`): listing more than one node is what selects cluster
    /// mode, and the other nodes are discovered. `prefix` starts every key.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        Self::connect_with(url, prefix, &RedisOptions::default()).await
    }

    /// [`RedisStorage::connect`] with a private CA or a client certificate for `rediss://`, or
    /// through Sentinel: then `url` lists the sentinels.
    pub async fn connect_with(url: &str, prefix: &str, options: &RedisOptions) -> Result<Self> {
        Self::check_prefix(prefix)?;
        let nodes: Vec<&str> = url.split(',').map(str::trim).collect();
        let certificates = options.tls.certificates(&nodes)?;
        if let Some(master) = &options.sentinel_master {
            if certificates.is_some() {
                return Err(RedisTlsError::WithSentinel.into());
            }
            let sentinels = Arc::new(Sentinels::new(&nodes, master)?);
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(CONNECTION_TIMEOUT))
                .set_response_timeout(Some(RESPONSE_TIMEOUT));
            let commands = MasterConnection::new(sentinels.clone(), config);
            return Self::assemble(
                prefix,
                Connection::Master(commands),
                Client::Sentinel(sentinels.clone()),
                Subscriber::Sentinel(sentinels),
            )
            .await;
        }
        let pubsub = Subscriber::Server(Box::new(open_client(nodes[0], certificates.as_ref())?));
        let (commands, client) = if let [single] = nodes[..] {
            let client = open_client(single, certificates.as_ref())?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECTION_TIMEOUT))
                .set_response_timeout(Some(RESPONSE_TIMEOUT))
                // Fail fast and let the caller retry on its own schedule: the room's append
                // backoff and the follower's are what the README documents. The default
                // (6 retries) held each failing command ~9 s while Redis was down.
                .set_number_of_retries(RECONNECT_RETRIES)
                .set_max_delay(RECONNECT_MAX_DELAY);
            let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
            (
                Connection::Managed(manager),
                Client::Single(Box::new(client)),
            )
        } else {
            let cluster = || {
                let builder = ClusterClient::builder(nodes.iter().copied())
                    .connection_timeout(CONNECTION_TIMEOUT);
                match &certificates {
                    Some(certificates) => builder.certs(certificates.clone()),
                    None => builder,
                }
            };
            let commands = cluster()
                .response_timeout(RESPONSE_TIMEOUT)
                .build()?
                .get_async_connection()
                .await?;
            let followers = cluster().build()?;
            (
                Connection::Cluster(commands),
                Client::Cluster(Box::new(followers)),
            )
        };
        Self::assemble(prefix, commands, client, pubsub).await
    }

    /// The store on its connections, once Redis answers.
    async fn assemble(
        prefix: &str,
        commands: Connection,
        client: Client,
        pubsub: Subscriber,
    ) -> Result<Self> {
        let storage = RedisStorage {
            inner: Arc::new(Shared {
                prefix: prefix.to_owned(),
                commands,
                client,
                pubsub,
                idle_followers: Mutex::new(Vec::new()),
                reconnects: AtomicU64::new(0),
                append: Script::new(APPEND_SCRIPT),
                save_checkpoint: Script::new(SAVE_CHECKPOINT_SCRIPT),
            }),
        };
        storage.check().await?;
        Ok(storage)
    }

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

    /// The client that opens presence subscriptions (asking the sentinels, with Sentinel).
    async fn pubsub_client(&self) -> RedisResult<redis::Client> {
        match &self.inner.pubsub {
            Subscriber::Server(client) => Ok((**client).clone()),
            Subscriber::Sentinel(sentinels) => sentinels.master().await,
        }
    }

    fn keys(&self, room: &RoomId) -> RoomKeys {
        let base = format!("{}:{{{}}}", self.inner.prefix, room.as_str());
        RoomKeys {
            log: format!("{base}:log"),
            seq: format!("{base}:seq"),
            checkpoint: format!("{base}:checkpoint"),
            keyframes: format!("{base}:keyframes"),
            keyframe_states: format!("{base}:keyframe-states"),
        }
    }

    fn commands(&self) -> Connection {
        self.inner.commands.clone()
    }

    /// Up to `limit` records after `after`, one page of `XRANGE` at a time.
    async fn read_range(&self, log: &str, after: Seq, limit: usize) -> Result<Vec<LogRecord>> {
        let mut conn = self.commands();
        let mut records = Vec::new();
        let mut next = after.checked_add(1);
        while let Some(first) = next {
            let count = PAGE.min(limit - records.len());
            if count == 0 {
                break;
            }
            let reply: Value = redis::cmd("XRANGE")
                .arg(log)
                .arg(format!("{first}-0"))
                .arg("+")
                .arg("COUNT")
                .arg(count)
                .query_async(&mut conn)
                .await?;
            let page = parse_entries(reply, after)?;
            if page.len() < count {
                records.extend(page);
                break;
            }
            next = page.last().and_then(|last| last.seq.checked_add(1));
            records.extend(page);
        }
        Ok(records)
    }

    /// A dedicated connection for one blocking read, idle or new; the flag says if it is new.
    async fn follower(&self) -> Result<(Connection, bool), RedisError> {
        let idle = self
            .inner
            .idle_followers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(conn) = idle {
            return Ok((conn, false));
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            // Bounded per call instead: each read blocks for its own `wait`.
            .set_response_timeout(None);
        let conn = match &self.inner.client {
            Client::Single(client) => Connection::Dedicated(
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?,
            ),
            Client::Sentinel(sentinels) => Connection::Dedicated(
                sentinels
                    .master()
                    .await?
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?,
            ),
            Client::Cluster(client) => Connection::Cluster(client.get_async_connection().await?),
        };
        Ok((conn, true))
    }

    /// Keeps a connection whose blocking read has answered, for the next one.
    fn release_follower(&self, conn: Connection) {
        let mut idle = self
            .inner
            .idle_followers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < FOLLOW_IDLE_MAX {
            idle.push(conn);
        }
    }
}

#[async_trait]
impl Storage for RedisStorage {
    async fn load(&self, room: &RoomId) -> Result<StoredRoom> {
        let keys = self.keys(room);
        // The checkpoint first: records appended meanwhile are read too, and a checkpoint saved
        // meanwhile only covers records that the log still holds.
        let reply: Value = redis::cmd("HMGET")
            .arg(&keys.checkpoint)
            .arg("covers")
            .arg("state")
            .query_async(&mut self.commands())
            .await?;
        let checkpoint = parse_checkpoint(reply)?;
        let after = checkpoint.as_ref().map_or(0, |c| c.covers);
        let records = self.read_range(&keys.log, after, usize::MAX).await?;
        Ok(StoredRoom {
            checkpoint,
            records,
        })
    }

    async fn append(&self, room: &RoomId, records: Vec<NewRecord>) -> Result<Seq> {
        let keys = self.keys(room);
        let mut invocation = self.inner.append.prepare_invoke();
        invocation.key(&keys.seq).key(&keys.log);
        for record in &records {
            let participant = record.origin.participant.as_deref();
            invocation
                .arg(&record.update[..])
                .arg(record.at_ms)
                .arg(&record.origin.node)
                .arg(record.origin.connection)
                .arg(if participant.is_some() { "1" } else { "0" })
                .arg(participant.unwrap_or_default());
        }
        let last: i64 = invocation.invoke_async(&mut self.commands()).await?;
        Seq::try_from(last)
            .map_err(|_| StorageError::Corrupt(format!("append returned sequence number {last}")))
    }

    async fn save_checkpoint(&self, room: &RoomId, checkpoint: Checkpoint) -> Result<()> {
        let keys = self.keys(room);
        let _stored: i64 = self
            .inner
            .save_checkpoint
            .key(&keys.checkpoint)
            .arg(checkpoint.covers)
            .arg(&checkpoint.state[..])
            .invoke_async(&mut self.commands())
            .await?;
        Ok(())
    }

    /// `XREAD BLOCK` on a connection of its own. A blocking read holds its connection until
    /// it answers, and Redis answers a connection's commands in order: on the shared,
    /// multiplexed connection it would hold up every other command of this node, and every
    /// other room's read. The redis-rs README says as much: send blocking commands on another
    /// connection (it needs no pool otherwise, so it has none for them). So each call borrows
    /// an idle dedicated connection, or opens one, and gives it back once Redis has answered:
    /// rooms following at once never wait for each other, and steady following costs no
    /// connection setup. A call cancelled mid-wait drops its connection (it is still blocked),
    /// which closes it. In a cluster, each dedicated connection is a cluster connection.
    async fn follow(
        &self,
        room: &RoomId,
        after: Seq,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<LogRecord>> {
        if limit == 0 || after == Seq::MAX {
            return Ok(Vec::new());
        }
        // `BLOCK 0` would wait forever.
        let block_ms = u64::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(u64::MAX);
        if block_ms == 0 {
            return self.read_log(room, after, limit).await;
        }
        let keys = self.keys(room);
        let mut read = redis::cmd("XREAD");
        read.arg("COUNT")
            .arg(PAGE.min(limit))
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(&keys.log)
            .arg(format!("{after}-0"));
        let answer_within = wait.saturating_add(FOLLOW_GRACE);
        loop {
            let (mut conn, fresh) = self.follower().await?;
            let reply = tokio::time::timeout(answer_within, read.query_async::<Value>(&mut conn))
                .await
                .map_err(|_| StorageError::Unanswered(answer_within))?;
            match reply {
                Ok(reply) => {
                    self.release_follower(conn);
                    return parse_read(reply, &keys.log, after);
                }
                // An idle connection may have died with a server restart: so have the others.
                Err(e) if !fresh && (e.is_unrecoverable_error() || e.is_connection_dropped()) => {
                    self.inner.reconnects.fetch_add(1, Ordering::Relaxed);
                    self.inner
                        .idle_followers
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clear();
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn read_log(&self, room: &RoomId, after: Seq, limit: usize) -> Result<Vec<LogRecord>> {
        self.read_range(&self.keys(room).log, after, limit).await
    }

    async fn save_keyframe(&self, room: &RoomId, at: KeyframeAt, state: Bytes) -> Result<()> {
        let keys = self.keys(room);
        let mut conn = self.commands();
        redis::cmd("HSET")
            .arg(&keys.keyframe_states)
            .arg(at.covers)
            .arg(&state[..])
            .query_async::<()>(&mut conn)
            .await?;
        redis::cmd("ZADD")
            .arg(&keys.keyframes)
            .arg(at.covers)
            .arg(format!("{}:{}", at.covers, at.at_ms))
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    async fn keyframes(&self, room: &RoomId) -> Result<Vec<KeyframeAt>> {
        let reply: Value = redis::cmd("ZRANGE")
            .arg(self.keys(room).keyframes)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.commands())
            .await?;
        let items = items_of(reply).ok_or_else(|| corrupt("keyframes reply is not an array"))?;
        let mut keyframes = items
            .iter()
            .map(|item| {
                let text = bytes_of(item).ok_or_else(|| corrupt("keyframe is not a string"))?;
                let split = text.iter().position(|b| *b == b':');
                let (covers, at_ms) = split
                    .map(|i| (&text[..i], &text[i + 1..]))
                    .ok_or_else(|| corrupt("keyframe lacks its time"))?;
                Ok(KeyframeAt {
                    covers: number(covers, "keyframe covers")?,
                    at_ms: number(at_ms, "keyframe time")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Scores are doubles: exact up to 2^53, but sort by the exact numbers all the same.
        keyframes.sort_by_key(|k| k.covers);
        keyframes.dedup_by_key(|k| k.covers);
        Ok(keyframes)
    }

    async fn keyframe_state(&self, room: &RoomId, covers: Seq) -> Result<Option<Bytes>> {
        let reply: Value = redis::cmd("HGET")
            .arg(self.keys(room).keyframe_states)
            .arg(covers)
            .query_async(&mut self.commands())
            .await?;
        match reply {
            Value::Nil => Ok(None),
            value => bytes_of(&value)
                .map(|state| Some(Bytes::copy_from_slice(state)))
                .ok_or_else(|| corrupt("keyframe state is not a string")),
        }
    }

    fn reconnects(&self) -> u64 {
        self.inner.reconnects.load(Ordering::Relaxed)
    }

    async fn check(&self) -> Result<()> {
        let _pong: Value = redis::cmd("PING").query_async(&mut self.commands()).await?;
        Ok(())
    }
}

fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("redis {what}"))
}

/// The bytes of a string reply.
fn bytes_of(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.as_bytes()),
        _ => None,
    }
}

/// The elements of an array reply, or the flattened pairs of a map reply (RESP3).
fn items_of(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items),
        Value::Map(pairs) => Some(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        _ => None,
    }
}

/// A decimal number stored as text.
fn number(bytes: &[u8], what: &str) -> Result<u64> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| {
            corrupt(format!(
                "{what} is not a number: {:?}",
                String::from_utf8_lossy(bytes)
            ))
        })
}

/// The `HMGET covers state` reply.
fn parse_checkpoint(reply: Value) -> Result<Option<Checkpoint>> {
    let items = items_of(reply).ok_or_else(|| corrupt("checkpoint reply is not an array"))?;
    match &items[..] {
        [Value::Nil, Value::Nil] => Ok(None),
        [covers, state] => {
            let (Some(covers), Some(state)) = (bytes_of(covers), bytes_of(state)) else {
                return Err(corrupt("checkpoint lacks covers or state"));
            };
            Ok(Some(Checkpoint {
                covers: number(covers, "checkpoint covers")?,
                state: Bytes::copy_from_slice(state),
            }))
        }
        _ => Err(corrupt("checkpoint reply has the wrong length")),
    }
}

/// The `XREAD` reply: nil when nothing arrived, else the entries of our one stream.
fn parse_read(reply: Value, log: &str, after: Seq) -> Result<Vec<LogRecord>> {
    if reply == Value::Nil {
        return Ok(Vec::new());
    }
    let mut items = items_of(reply).ok_or_else(|| corrupt("read reply is not an array"))?;
    // RESP2: [[key, entries]]; RESP3: {key: entries}, flattened to [key, entries].
    if let [Value::Array(_)] = &items[..] {
        items = items_of(items.remove(0)).unwrap_or_default();
    }
    match <[Value; 2]>::try_from(items) {
        Ok([key, entries]) if bytes_of(&key) == Some(log.as_bytes()) => {
            parse_entries(entries, after)
        }
        _ => Err(corrupt("read reply is not the one stream read")),
    }
}

/// An `XRANGE` reply, or the entries of one stream of an `XREAD` reply. Every sequence number
/// must be after `after` and increase: anything else means the ids are not ours.
fn parse_entries(reply: Value, after: Seq) -> Result<Vec<LogRecord>> {
    let entries = items_of(reply).ok_or_else(|| corrupt("log reply is not an array"))?;
    let mut records = Vec::with_capacity(entries.len());
    let mut previous = after;
    for entry in entries {
        let record = parse_entry(entry)?;
        if record.seq <= previous {
            return Err(corrupt(format!(
                "log entry {} follows entry {previous}",
                record.seq
            )));
        }
        previous = record.seq;
        records.push(record);
    }
    Ok(records)
}

/// One stream entry: `[id, [field, value, ...]]`.
fn parse_entry(entry: Value) -> Result<LogRecord> {
    let items = items_of(entry).ok_or_else(|| corrupt("log entry is not an array"))?;
    let [id, fields] =
        <[Value; 2]>::try_from(items).map_err(|_| corrupt("log entry is not an id and fields"))?;
    let id = bytes_of(&id).ok_or_else(|| corrupt("log entry id is not a string"))?;
    let seq = parse_id(id)?;
    let fields = items_of(fields).ok_or_else(|| corrupt(format!("log entry {seq}: no fields")))?;
    if fields.len() % 2 != 0 {
        return Err(corrupt(format!("log entry {seq}: odd field list")));
    }
    let (mut update, mut at_ms, mut node, mut connection, mut participant) =
        (None, None, None, None, None);
    for pair in fields.chunks_exact(2) {
        let (Some(name), Some(value)) = (bytes_of(&pair[0]), bytes_of(&pair[1])) else {
            return Err(corrupt(format!("log entry {seq}: field is not a string")));
        };
        let text = || {
            String::from_utf8(value.to_vec())
                .map_err(|_| corrupt(format!("log entry {seq}: field is not UTF-8")))
        };
        match name {
            b"u" => update = Some(Bytes::copy_from_slice(value)),
            b"t" => at_ms = Some(number(value, "log entry time")?),
            b"n" => node = Some(text()?),
            b"c" => connection = Some(number(value, "log entry connection")?),
            b"p" => participant = Some(text()?),
            // Fields added by a later version are not ours to refuse.
            _ => {}
        }
    }
    let missing = |field: &str| corrupt(format!("log entry {seq}: no field {field}"));
    Ok(LogRecord {
        seq,
        at_ms: at_ms.ok_or_else(|| missing("t"))?,
        origin: Origin {
            node: node.ok_or_else(|| missing("n"))?,
            connection: connection.ok_or_else(|| missing("c"))?,
            participant,
        },
        update: update.ok_or_else(|| missing("u"))?,
    })
}

/// A stream id written by the append script: `<seq>-0`.
fn parse_id(id: &[u8]) -> Result<Seq> {
    match id.strip_suffix(b"-0") {
        Some(seq) => number(seq, "log entry id"),
        None => Err(corrupt(format!(
            "log entry id {:?} is not <seq>-0",
            String::from_utf8_lossy(id)
        ))),
    }
}
