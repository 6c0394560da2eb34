//! The dedicated connections of blocking reads (`XREAD BLOCK`). A blocking read holds its
//! connection until it answers, and Redis answers a connection's commands in order: on the
//! shared, multiplexed connection it would hold up every other command of this node, and every
//! other room's read. The redis-rs README says as much: send blocking commands on another
//! connection (it needs no pool otherwise, so it has none for them). So each read borrows an
//! idle dedicated connection, or opens one, and gives it back once Redis has answered: rooms
//! following at once never wait for each other, and steady following costs no connection
//! setup. A read cancelled mid-wait drops its connection (it is still blocked), which closes
//! it. In a cluster, each dedicated connection is a cluster connection.

use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::Duration;

use redis::{AsyncConnectionConfig, Cmd, RedisError, Value};

use super::connection::{Client, Connection, CONNECTION_TIMEOUT};
use super::RedisStorage;
use crate::storage::{Result, StorageError};

/// How much longer than its `BLOCK` time a blocking read may take to answer before it fails:
/// the time for the reply to travel, on a busy server.
const FOLLOW_GRACE: Duration = Duration::from_secs(5);

/// Idle connections kept for blocking reads. Each following room holds one while it waits;
/// this many stay open between waits so that steady following costs no reconnecting, more are
/// opened when more rooms follow at once and closed after their wait.
const FOLLOW_IDLE_MAX: usize = 64;

impl RedisStorage {
    /// Sends a blocking read, which waits up to `wait`, on a dedicated connection; a dead idle
    /// connection (a Redis restart) is counted, dropped with the other idle ones, and the read
    /// sent again on a fresh one.
    pub(super) async fn read_blocking(&self, read: &Cmd, wait: Duration) -> Result<Value> {
        let answer_within = wait.saturating_add(FOLLOW_GRACE);
        loop {
            let (mut conn, fresh) = self.follower().await?;
            let reply = tokio::time::timeout(answer_within, read.query_async::<Value>(&mut conn))
                .await
                .map_err(|_| StorageError::Unanswered(answer_within))?;
            match reply {
                Ok(reply) => {
                    self.release_follower(conn);
                    return Ok(reply);
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
