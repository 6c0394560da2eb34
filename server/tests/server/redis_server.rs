//! This test binary's `redis-server` (the testkit's shared one: a unix socket in a temporary
//! directory, persisting nothing, gone when the test process ends, however it ends), and the
//! stores and connections tests make on it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cocreate_server::storage::RedisStorage;

/// The URL of this test binary's redis-server, starting it on first use.
pub fn url() -> String {
    cocreate_testkit::redis::shared_url()
}

/// A key prefix no other test uses, so that tests sharing the server never see each other.
pub fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("test{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A Redis store with a prefix of its own.
pub async fn storage() -> Arc<RedisStorage> {
    storage_with_prefix(&unique_prefix()).await
}

pub async fn storage_with_prefix(prefix: &str) -> Arc<RedisStorage> {
    Arc::new(
        RedisStorage::connect(&url(), prefix)
            .await
            .expect("connect to the test redis-server"),
    )
}

/// A plain connection, to look at the keys directly.
pub async fn raw_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect to the test redis-server")
}

/// Runs one command (`name` and its arguments) on a plain connection, to look at or break the
/// keys directly.
pub async fn query<T: redis::FromRedisValue>(
    raw: &mut redis::aio::MultiplexedConnection,
    name: &str,
    args: impl redis::ToRedisArgs,
) -> T {
    redis::cmd(name)
        .arg(args)
        .query_async(raw)
        .await
        .expect("redis command")
}
