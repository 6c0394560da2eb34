//! Redis Sentinel (`--redis-sentinel-master`): the sentinels say which server is the master,
//! and cocreate asks them again every [`RECHECK`] and whenever the master it used fails or
//! refuses writes (a demoted master answers `READONLY`), so that it follows a failover by
//! itself. Until then the old master may still take writes that the new one never receives:
//! a room finds its log gone backwards, reloads, and its clients resend what the log lacks
//! when they reconnect (see `room::updates`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::sentinel::{SentinelClient, SentinelServerType};
use redis::{
    AsyncConnectionConfig, Cmd, ConnectionAddr, Pipeline, RedisFuture, RedisResult, Value,
};
use tokio::sync::Mutex;
use tracing::info;

/// How long a master connection is used before the sentinels are asked again whether it is
/// still the master: the longest time writes may go to a demoted master after a failover.
const RECHECK: Duration = Duration::from_secs(1);

/// The sentinels of one master.
pub(super) struct Sentinels {
    client: Mutex<SentinelClient>,
}

impl Sentinels {
    /// `nodes`: the sentinels' URLs; `master`: the name they monitor it by.
    pub(super) fn new(nodes: &[&str], master: &str) -> RedisResult<Sentinels> {
        let client =
            SentinelClient::build(nodes.to_vec(), master, None, SentinelServerType::Master)?;
        Ok(Sentinels {
            client: Mutex::new(client),
        })
    }

    /// A client of the current master, as the sentinels know it now.
    pub(super) async fn master(&self) -> RedisResult<redis::Client> {
        self.client.lock().await.async_get_client().await
    }
}

/// A multiplexed connection to whichever server is master: opened on first use, and dropped
/// after any failed command so that the next one asks the sentinels again. Cheap to clone:
/// clones share the connection.
#[derive(Clone)]
pub(super) struct MasterConnection {
    sentinels: Arc<Sentinels>,
    config: AsyncConnectionConfig,
    current: Arc<Mutex<Option<Current>>>,
}

/// The open connection, the master it goes to, and when the sentinels last named that master.
struct Current {
    conn: MultiplexedConnection,
    master: ConnectionAddr,
    confirmed: Instant,
}

impl MasterConnection {
    pub(super) fn new(sentinels: Arc<Sentinels>, config: AsyncConnectionConfig) -> Self {
        MasterConnection {
            sentinels,
            config,
            current: Arc::default(),
        }
    }

    /// The open connection, or a new one to the master the sentinels name.
    async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        let mut current = self.current.lock().await;
        if let Some(open) = &*current {
            if open.confirmed.elapsed() < RECHECK {
                return Ok(open.conn.clone());
            }
        }
        let master = self.sentinels.master().await?;
        let addr = master.get_connection_info().addr().clone();
        if let Some(open) = current.as_mut().filter(|open| open.master == addr) {
            open.confirmed = Instant::now();
            return Ok(open.conn.clone());
        }
        info!(master = %addr, "sentinel: connecting to the master");
        let conn = master
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        *current = Some(Current {
            conn: conn.clone(),
            master: addr,
            confirmed: Instant::now(),
        });
        Ok(conn)
    }

    /// Forgets the connection after a failure: a dead socket, a timeout, or a master since
    /// demoted. The room retries the command, and then reaches the new master.
    async fn forget(&self) {
        *self.current.lock().await = None;
    }
}

impl ConnectionLike for MasterConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let result = self.connection().await?.req_packed_command(cmd).await;
            if result.is_err() {
                self.forget().await;
            }
            result
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut conn = self.connection().await?;
            let result = conn.req_packed_commands(pipeline, offset, count).await;
            if result.is_err() {
                self.forget().await;
            }
            result
        })
    }

    fn get_db(&self) -> i64 {
        0
    }
}
