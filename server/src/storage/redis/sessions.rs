//! Sessions in Redis: per session a hash (`…:{id}:session`: version `v` and JSON `data`), a
//! hash of participants and the journals (`…:audit`, `…:attendance`: lists), all in the session room's hash tag; join codes,
//! secrets and the set of session ids (`…:index:sessions`, written since the admin CLI lists
//! sessions) are plain keys. Every operation touches one key (or, for a new session, one after
//! the other), so it works the same on Redis Cluster.

use std::sync::LazyLock;

use async_trait::async_trait;
use bytes::Bytes;
use redis::{Script, Value};

use super::replies::{bytes_of, corrupt, items_of, number};
use super::RedisStorage;
use crate::storage::{Journal, Result, SessionBackend, Versioned};

/// Creates a session hash unless it exists; returns 1 if created. KEYS: the hash. ARGV: JSON.
static CREATE_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'data', ARGV[1])
return 1
",
    )
});

/// Replaces a session's JSON if its version is still ARGV[1]; returns 1 if replaced.
/// KEYS: the hash. ARGV: expected version, JSON, new version (decimal text).
static REPLACE_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'data', ARGV[2])
return 1
",
    )
});

/// Deletes a join code if it still names session ARGV[1]. KEYS: the code's key.
static RELEASE_JOIN_CODE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
",
    )
});

/// The byte strings of an array reply.
fn list_of(value: Value, what: &str) -> Result<Vec<Bytes>> {
    let items = items_of(value).ok_or_else(|| corrupt(format!("{what}: not a list")))?;
    items
        .iter()
        .map(|item| {
            bytes_of(item)
                .map(Bytes::copy_from_slice)
                .ok_or_else(|| corrupt(format!("{what}: not a string")))
        })
        .collect()
}

#[async_trait]
impl SessionBackend for RedisStorage {
    async fn create_session(&self, id: &str, code: &str, record: Bytes) -> Result<bool> {
        if !self.reserve_join_code(code, id).await? {
            return Ok(false);
        }
        let mut conn = self.commands();
        // Listed before it exists: a failure in between leaves an id that lists skip, never a
        // session missing from the list.
        redis::cmd("SADD")
            .arg(self.global_key("index", "sessions"))
            .arg(id)
            .query_async::<()>(&mut conn)
            .await?;
        let created: i64 = CREATE_SESSION
            .key(self.session_key(id, "session"))
            .arg(record.as_ref())
            .invoke_async(&mut conn)
            .await?;
        if created == 0 {
            redis::cmd("DEL")
                .arg(self.global_key("join-code", code))
                .query_async::<()>(&mut conn)
                .await?;
        }
        Ok(created == 1)
    }

    async fn session(&self, id: &str) -> Result<Option<Versioned>> {
        let reply: Value = redis::cmd("HMGET")
            .arg(self.session_key(id, "session"))
            .arg("v")
            .arg("data")
            .query_async(&mut self.commands())
            .await?;
        let fields = items_of(reply).unwrap_or_default();
        let [version, record] = fields.as_slice() else {
            return Err(corrupt(format!("session {id}: HMGET answered no pair")));
        };
        if *version == Value::Nil {
            return Ok(None);
        }
        let (Some(version), Some(record)) = (bytes_of(version), bytes_of(record)) else {
            return Err(corrupt(format!("session {id}: version or data missing")));
        };
        Ok(Some(Versioned {
            version: number(version, "session version")?,
            record: Bytes::copy_from_slice(record),
        }))
    }

    async fn session_ids(&self) -> Result<Vec<String>> {
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.global_key("index", "sessions"))
            .query_async(&mut self.commands())
            .await?;
        Ok(ids)
    }

    async fn session_by_code(&self, code: &str) -> Result<Option<String>> {
        let id: Option<String> = redis::cmd("GET")
            .arg(self.global_key("join-code", code))
            .query_async(&mut self.commands())
            .await?;
        Ok(id)
    }

    async fn reserve_join_code(&self, code: &str, id: &str) -> Result<bool> {
        let reserved: Value = redis::cmd("SET")
            .arg(self.global_key("join-code", code))
            .arg(id)
            .arg("NX")
            .query_async(&mut self.commands())
            .await?;
        Ok(reserved != Value::Nil)
    }

    async fn release_join_code(&self, code: &str, id: &str) -> Result<()> {
        RELEASE_JOIN_CODE
            .key(self.global_key("join-code", code))
            .arg(id)
            .invoke_async::<()>(&mut self.commands())
            .await?;
        Ok(())
    }

    async fn replace_session(&self, id: &str, version: u64, record: Bytes) -> Result<bool> {
        let replaced: i64 = REPLACE_SESSION
            .key(self.session_key(id, "session"))
            .arg(version.to_string())
            .arg(record.as_ref())
            .arg((version + 1).to_string())
            .invoke_async(&mut self.commands())
            .await?;
        Ok(replaced == 1)
    }

    async fn add_participant(&self, session: &str, id: &str, record: Bytes) -> Result<bool> {
        let added: i64 = redis::cmd("HSETNX")
            .arg(self.session_key(session, "participants"))
            .arg(id)
            .arg(record.as_ref())
            .query_async(&mut self.commands())
            .await?;
        Ok(added == 1)
    }

    async fn participants(&self, session: &str) -> Result<Vec<Bytes>> {
        let reply: Value = redis::cmd("HVALS")
            .arg(self.session_key(session, "participants"))
            .query_async(&mut self.commands())
            .await?;
        list_of(reply, "participants")
    }

    async fn replace_participant(&self, session: &str, id: &str, record: Bytes) -> Result<()> {
        redis::cmd("HSET")
            .arg(self.session_key(session, "participants"))
            .arg(id)
            .arg(record.as_ref())
            .query_async::<()>(&mut self.commands())
            .await?;
        Ok(())
    }

    async fn append_entry(&self, session: &str, journal: Journal, entry: Bytes) -> Result<()> {
        redis::cmd("RPUSH")
            .arg(self.session_key(session, journal.name()))
            .arg(entry.as_ref())
            .query_async::<()>(&mut self.commands())
            .await?;
        Ok(())
    }

    async fn entries(&self, session: &str, journal: Journal) -> Result<Vec<Bytes>> {
        let reply: Value = redis::cmd("LRANGE")
            .arg(self.session_key(session, journal.name()))
            .arg(0)
            .arg(-1)
            .query_async(&mut self.commands())
            .await?;
        list_of(reply, journal.name())
    }

    async fn secret(&self, name: &str, candidate: Bytes) -> Result<Bytes> {
        let mut conn = self.commands();
        let key = self.global_key("secret", name);
        redis::cmd("SET")
            .arg(&key)
            .arg(candidate.as_ref())
            .arg("NX")
            .query_async::<()>(&mut conn)
            .await?;
        let stored: Value = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
        bytes_of(&stored)
            .map(Bytes::copy_from_slice)
            .ok_or_else(|| corrupt(format!("secret {name}: missing after SET NX")))
    }
}
