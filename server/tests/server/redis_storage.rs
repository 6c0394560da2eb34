//! What the Redis backend promises beyond the storage contract: its key layout, isolation by
//! prefix, consecutive numbers under concurrent writers, paged loading, corrupt entries
//! reported rather than panicked on, blocking reads that hold up nothing else, and the server
//! serving from Redis end to end.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use cocreate_server::config::{Cli, Command};
use cocreate_server::storage::{Checkpoint, RedisStorage, Storage, StorageError};
use cocreate_server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::redis_server::{
    query, raw_connection, storage, storage_with_prefix, unique_prefix, url,
};
use crate::storage_contract::{record, room};
use crate::support::{Client, TestServer, WAIT};

#[tokio::test]
async fn keys_carry_the_prefix_and_the_room_as_hash_tag() {
    let prefix = unique_prefix();
    let storage = storage_with_prefix(&prefix).await;
    let r = room("workshop:1");
    storage
        .append(&r, vec![record(1, b"a"), record(2, b"b")])
        .await
        .unwrap();
    storage
        .save_checkpoint(
            &r,
            Checkpoint {
                covers: 1,
                state: Bytes::from_static(b"s"),
            },
        )
        .await
        .unwrap();

    let mut raw = raw_connection().await;
    let mut keys: Vec<String> = query(&mut raw, "KEYS", format!("{prefix}:*")).await;
    keys.sort();
    let base = format!("{prefix}:{{workshop:1}}");
    assert_eq!(
        keys,
        [
            format!("{base}:checkpoint"),
            format!("{base}:log"),
            format!("{base}:seq")
        ]
    );
    for (key, kind) in [("log", "stream"), ("seq", "string"), ("checkpoint", "hash")] {
        let actual: String = query(&mut raw, "TYPE", format!("{base}:{key}")).await;
        assert_eq!(actual, kind, "{key}");
    }
    let entries: Vec<(String, Vec<String>)> =
        query(&mut raw, "XRANGE", (format!("{base}:log"), "-", "+")).await;
    let fields = |pairs: &[&str]| pairs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        entries,
        [
            (
                "1-0".to_string(),
                fields(&["u", "a", "t", "1", "n", "node-1", "c", "1"])
            ),
            (
                "2-0".to_string(),
                fields(&["u", "b", "t", "2", "n", "node-2", "c", "2", "p", "p2"])
            ),
        ],
        "the entry id is the sequence number; no participant, no field"
    );
    let seq: u64 = query(&mut raw, "GET", format!("{base}:seq")).await;
    assert_eq!(seq, 2);
}

#[tokio::test]
async fn two_prefixes_on_one_redis_do_not_see_each_others_rooms() {
    let (first, second) = (storage().await, storage().await);
    let r = room("shared-name");
    first
        .append(&r, vec![record(1, b"first"), record(2, b"first")])
        .await
        .unwrap();
    assert_eq!(
        second.append(&r, vec![record(3, b"second")]).await.unwrap(),
        1,
        "numbering starts afresh under another prefix"
    );
    assert_eq!(first.load(&r).await.unwrap().records.len(), 2);
    let seen = second.load(&r).await.unwrap().records;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].update, Bytes::from_static(b"second"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_from_two_nodes_get_consecutive_unique_numbers() {
    const WRITERS_PER_NODE: usize = 8;
    const APPENDS_PER_WRITER: usize = 25;
    let prefix = unique_prefix();
    let nodes = [
        storage_with_prefix(&prefix).await,
        storage_with_prefix(&prefix).await,
    ];
    let r = room("contended");
    let mut writers = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for w in 0..WRITERS_PER_NODE {
            let (node, r) = (node.clone(), r.clone());
            writers.push(tokio::spawn(async move {
                let mut appended = Vec::new();
                for a in 0..APPENDS_PER_WRITER {
                    let tags: Vec<String> =
                        (0..1 + a % 3).map(|i| format!("{n}/{w}/{a}/{i}")).collect();
                    let batch = tags.iter().map(|t| record(1, t.as_bytes())).collect();
                    let last = node.append(&r, batch).await.unwrap();
                    appended.push((last, tags));
                }
                appended
            }));
        }
    }
    let mut batches = Vec::new();
    for writer in writers {
        batches.extend(writer.await.unwrap());
    }

    let total: usize = batches.iter().map(|(_, tags)| tags.len()).sum();
    let log = nodes[0].read_log(&r, 0, usize::MAX).await.unwrap();
    assert_eq!(
        log.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=total as u64).collect::<Vec<_>>(),
        "no gap, no duplicate, nothing lost"
    );
    for (last, tags) in batches {
        let first = last as usize - tags.len();
        let stored: Vec<&[u8]> = log[first..last as usize]
            .iter()
            .map(|r| &r.update[..])
            .collect();
        let sent: Vec<&[u8]> = tags.iter().map(|t| t.as_bytes()).collect();
        assert_eq!(
            stored, sent,
            "a batch is stored whole, ending where append said"
        );
    }
}

#[tokio::test]
async fn a_long_log_loads_in_pages() {
    const RECORDS: u64 = 25_000;
    const BATCH: u64 = 5_000;
    let storage = storage().await;
    let r = room("long");
    for start in (0..RECORDS).step_by(BATCH as usize) {
        let batch = (start..start + BATCH)
            .map(|i| record(i, &i.to_le_bytes()))
            .collect();
        assert_eq!(storage.append(&r, batch).await.unwrap(), start + BATCH);
    }

    let loaded = storage.load(&r).await.unwrap();
    assert_eq!(loaded.checkpoint, None);
    assert_eq!(loaded.records.len(), RECORDS as usize);
    for (i, record) in loaded.records.iter().enumerate() {
        assert_eq!(record.seq, i as u64 + 1);
        assert_eq!(&record.update[..], &(i as u64).to_le_bytes());
    }

    storage
        .save_checkpoint(
            &r,
            Checkpoint {
                covers: 1_000,
                state: Bytes::from_static(b"state@1000"),
            },
        )
        .await
        .unwrap();
    let loaded = storage.load(&r).await.unwrap();
    assert_eq!(loaded.records.len(), 24_000);
    assert_eq!(loaded.records.first().map(|r| r.seq), Some(1_001));
    assert_eq!(loaded.records.last().map(|r| r.seq), Some(RECORDS));

    let page = storage.read_log(&r, 0, 12_345).await.unwrap();
    assert_eq!(page.len(), 12_345, "a limit spanning pages");
    assert_eq!(page.last().map(|r| r.seq), Some(12_345));
    assert_eq!(
        storage
            .read_log(&r, 20_000, usize::MAX)
            .await
            .unwrap()
            .len(),
        5_000
    );
}

#[tokio::test]
async fn malformed_entries_are_reported_as_corrupt() {
    let prefix = unique_prefix();
    let storage = storage_with_prefix(&prefix).await;
    let mut raw = raw_connection().await;
    let cases: [(&str, &str, &[&[u8]]); 5] = [
        (
            "bad-time",
            "1-0",
            &[b"u", b"x", b"t", b"soon", b"n", b"a", b"c", b"1"],
        ),
        ("no-update", "1-0", &[b"t", b"1", b"n", b"a", b"c", b"1"]),
        (
            "foreign-id",
            "1-7",
            &[b"u", b"x", b"t", b"1", b"n", b"a", b"c", b"1"],
        ),
        (
            "bad-node",
            "1-0",
            &[b"u", b"x", b"t", b"1", b"n", b"\xff", b"c", b"1"],
        ),
        (
            "bad-connection",
            "1-0",
            &[b"u", b"x", b"t", b"1", b"n", b"a", b"c", b"-1"],
        ),
    ];
    for (name, id, fields) in cases {
        let _: String = query(
            &mut raw,
            "XADD",
            (format!("{prefix}:{{{name}}}:log"), id, fields),
        )
        .await;
        let read = storage.read_log(&room(name), 0, 10).await;
        assert!(
            matches!(read, Err(StorageError::Corrupt(_))),
            "{name}: {read:?}"
        );
        let loaded = storage.load(&room(name)).await;
        assert!(
            matches!(loaded, Err(StorageError::Corrupt(_))),
            "{name}: {loaded:?}"
        );
    }

    let _: i64 = query(
        &mut raw,
        "HSET",
        (format!("{prefix}:{{half}}:checkpoint"), "state", "s"),
    )
    .await;
    let loaded = storage.load(&room("half")).await;
    assert!(
        matches!(loaded, Err(StorageError::Corrupt(_))),
        "{loaded:?}"
    );
}

#[tokio::test]
async fn blocking_reads_hold_up_no_other_room_and_no_other_command() {
    const QUIET_ROOMS: usize = 20;
    let storage = storage().await;
    let quiet: Vec<_> = (0..QUIET_ROOMS)
        .map(|i| {
            let (storage, r) = (storage.clone(), room(&format!("quiet-{i}")));
            tokio::spawn(async move { storage.follow(&r, 0, 10, Duration::from_secs(60)).await })
        })
        .collect();
    // Until the quiet reads are blocked in Redis (other tests' reads may be counted too, a
    // couple at most).
    let mut raw = raw_connection().await;
    tokio::time::timeout(WAIT, async {
        while blocked_clients(&mut raw).await < QUIET_ROOMS {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the quiet rooms' reads block");

    let busy = room("busy");
    let following = {
        let storage = storage.clone();
        let busy = busy.clone();
        tokio::spawn(async move { storage.follow(&busy, 0, 10, Duration::from_secs(60)).await })
    };
    tokio::time::timeout(WAIT, storage.check())
        .await
        .expect("commands are not held up by blocking reads")
        .unwrap();
    tokio::time::timeout(WAIT, storage.append(&busy, vec![record(1, b"hi")]))
        .await
        .expect("appends are not held up by blocking reads")
        .unwrap();
    let followed = tokio::time::timeout(WAIT, following)
        .await
        .expect("a read is not held up by other rooms' reads")
        .unwrap()
        .unwrap();
    assert_eq!(followed.iter().map(|r| r.seq).collect::<Vec<_>>(), [1]);
    for read in quiet {
        read.abort();
    }
}

async fn blocked_clients(raw: &mut redis::aio::MultiplexedConnection) -> usize {
    let info: String = query(raw, "INFO", "clients").await;
    info.lines()
        .find_map(|line| line.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn prefixes_that_would_break_the_key_layout_are_refused() {
    for prefix in ["", "a{b", "a}b", "two words", "tab\t"] {
        assert!(
            matches!(
                RedisStorage::connect(&url(), prefix).await,
                Err(StorageError::InvalidRedisPrefix(_))
            ),
            "{prefix:?}"
        );
        assert!(
            Cli::try_parse_from(["cocreate", "serve", "--redis-prefix", prefix]).is_err(),
            "{prefix:?}"
        );
    }
    let Ok(Cli {
        command: Command::Serve(config),
    }) = Cli::try_parse_from(["cocreate", "serve", "--redis-prefix", "team-a:cocreate"])
    else {
        panic!("a prefix with ':' and '-' is fine");
    };
    assert_eq!(config.store.redis_prefix, "team-a:cocreate");
}

#[tokio::test]
async fn the_server_serves_rooms_from_redis() {
    let prefix = unique_prefix();
    // A data directory of its own each time: what survives can only come from Redis.
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let config = |dir: &Path| {
        let mut config = crate::support::open_config(dir);
        config.store.redis_url = Some(url());
        config.store.redis_prefix = prefix.clone();
        config
    };
    let server = TestServer::start_with(config(dirs[0].path())).await;
    let (status, body) = server.get("/readyz").await;
    assert_eq!(
        (status, &body["status"]),
        (200, &serde_json::json!("ready"))
    );
    let mut writer = Client::connect(&server.url("kept-in-redis")).await;
    writer.insert(0, "shared").await;
    let mut witness = Client::connect(&server.url("kept-in-redis")).await;
    witness.wait_text(|t| t == "shared").await;
    server.stop().await;

    let server = TestServer::start_with(config(dirs[1].path())).await;
    let reader = Client::connect(&server.url("kept-in-redis")).await;
    assert_eq!(reader.text(), "shared");
    server.stop().await;

    let stored = storage_with_prefix(&prefix)
        .await
        .load(&room("kept-in-redis"))
        .await
        .unwrap();
    assert!(stored.checkpoint.is_some(), "unloading wrote a checkpoint");
}

#[tokio::test]
async fn a_bad_redis_url_stops_the_server_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::open_config(dir.path());
    config.store.redis_url = Some("http://not-redis".into());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started = cocreate_server::serve(listener, config, CancellationToken::new()).await;
    let Err(e @ StartError::Redis(_)) = started else {
        panic!("expected a Redis start error, got {started:?}");
    };
    assert!(e.to_string().contains("--redis-url"), "{e}");
}

#[tokio::test]
async fn a_log_that_went_backwards_reloads_the_room_and_clients_restore_it() {
    let prefix = unique_prefix();
    let server = TestServer::fresh_with(|config| {
        config.store.redis_url = Some(url());
        config.store.redis_prefix = prefix.clone();
    })
    .await;
    let address = server.url("amnesia");
    let mut writer = Client::connect(&address).await;
    let mut witness = Client::connect(&address).await;
    writer.insert(0, "one").await;
    witness.wait_text(|t| t == "one").await;

    // Redis forgets the room, as after a restart without persistence.
    let keys: Vec<String> = ["log", "seq", "checkpoint"]
        .iter()
        .map(|kind| format!("{prefix}:{{amnesia}}:{kind}"))
        .collect();
    let _: () = query(&mut raw_connection().await, "DEL", &keys).await;

    // The next append gets sequence numbers the room has already passed: it reloads.
    writer.insert(3, "two").await;
    let (code, reason) = crate::support::close_of(&mut writer.socket).await;
    assert_eq!(code, cocreate_protocol::close::INTERNAL_ERROR, "{reason}");

    // The client still holds everything; its sync step 2 gives it back to the fresh room.
    let mut restored = Client::connect_with(&address, writer.vanish()).await;
    restored.wait_all_saved().await;
    let fresh = Client::connect(&address).await;
    assert_eq!(fresh.text(), "onetwo");
    server.stop().await;
}
