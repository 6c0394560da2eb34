//! How the Redis backend reaches Redis: one server, a Sentinel-managed master or a cluster,
//! over one shared, multiplexed connection for commands ([`Connection`], whatever its kind),
//! with the clients that open blocking reads' and presence subscriptions' own connections.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::io::tcp::TcpSettings;
use redis::{
    AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, RedisResult, Script, TlsCertificates, Value,
};

use super::scripts::{APPEND_SCRIPT, SAVE_CHECKPOINT_SCRIPT};
use super::sentinel::{MasterConnection, Sentinels};
use super::{RedisOptions, RedisStorage, RedisTlsError, Shared};
use crate::storage::{Result, Storage};

/// How long a command may take before it fails. Generous, since a page of large updates or a
/// big batch is legitimately slow; but a hung Redis must fail a room's append (the room retries
/// it) rather than stall the room forever.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting may take: a reachable Redis answers in milliseconds, even across zones.
pub(super) const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Reconnection attempts the connection manager makes within one failing command, and the
/// longest pause between them.
const RECONNECT_RETRIES: usize = 1;
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);

/// What opens connections: one server, the sentinels of one, or a cluster's seed nodes. Boxed:
/// the clients are large (TLS settings included) and of very different sizes.
pub(super) enum Client {
    Single(Box<redis::Client>),
    Sentinel(Arc<Sentinels>),
    /// Without a response timeout: only blocking reads use it, bounded by their own wait.
    Cluster(Box<ClusterClient>),
}

/// Where presence subscriptions are opened. Boxed as in [`Client`].
pub(super) enum Subscriber {
    Server(Box<redis::Client>),
    /// The master the sentinels name at each (re)subscription.
    Sentinel(Arc<Sentinels>),
}

/// A connection of any kind, so that every command is written once for all.
#[derive(Clone)]
pub(super) enum Connection {
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

/// A client of one server, with the TLS certificates when any are configured.
fn open_client(url: &str, certificates: Option<&TlsCertificates>) -> RedisResult<redis::Client> {
    match certificates {
        Some(certificates) => redis::Client::build_with_tls(url, certificates.clone()),
        None => redis::Client::open(url),
    }
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
                // Small commands sent one after the other: without TCP_NODELAY, Nagle's
                // algorithm and delayed ACKs hold them ~40 ms (redis-rs leaves it off).
                let builder = ClusterClient::builder(nodes.iter().copied())
                    .connection_timeout(CONNECTION_TIMEOUT)
                    .tcp_settings(TcpSettings::default().set_nodelay(true));
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

    /// The client that opens presence subscriptions (asking the sentinels, with Sentinel).
    pub(super) async fn pubsub_client(&self) -> RedisResult<redis::Client> {
        match &self.inner.pubsub {
            Subscriber::Server(client) => Ok((**client).clone()),
            Subscriber::Sentinel(sentinels) => sentinels.master().await,
        }
    }

    /// The shared connection every command but blocking reads goes through.
    pub(super) fn commands(&self) -> Connection {
        self.inner.commands.clone()
    }
}
