//! The storage contract (see `server/src/storage/mod.rs`), written once against the trait so
//! that every backend runs the same checks. Add a backend by adding it to `backends()`.
//!
//! The Redis backend runs against this test binary's own redis-server (see `redis_server`),
//! with a fresh key prefix per call. Setting `COCREATE_TEST_REDIS_CLUSTER` to a Redis
//! Cluster's comma-separated node URLs runs every check against that cluster too.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{
    Checkpoint, EmbeddedStorage, Journal, KeyframeAt, NewRecord, Origin, RedisStorage,
    SharedStorage, Storage,
};

use crate::redis_server;

/// Every backend, each fresh, with the guard that keeps its data alive.
async fn backends() -> Vec<(&'static str, SharedStorage, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let embedded = Arc::new(EmbeddedStorage::open(dir.path()).unwrap());
    let mut backends: Vec<(&'static str, SharedStorage, Option<tempfile::TempDir>)> = vec![
        ("embedded", embedded, Some(dir)),
        ("redis", redis_server::storage().await, None),
    ];
    if let Ok(nodes) = std::env::var("COCREATE_TEST_REDIS_CLUSTER") {
        // The cluster outlives this run: keys of earlier runs must not be seen.
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let prefix = format!("{}-{run}", redis_server::unique_prefix());
        let cluster = RedisStorage::connect(&nodes, &prefix)
            .await
            .expect("connect to COCREATE_TEST_REDIS_CLUSTER");
        backends.push(("redis-cluster", Arc::new(cluster), None));
    }
    backends
}

pub fn room(name: &str) -> RoomId {
    RoomId::parse(name).unwrap()
}

/// Stored bytes holding `text`.
fn bytes(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

pub fn record(at_ms: u64, update: &[u8]) -> NewRecord {
    NewRecord {
        at_ms,
        origin: Origin {
            node: format!("node-{}", at_ms % 3),
            connection: at_ms,
            participant: (at_ms % 2 == 0).then(|| format!("p{at_ms}")),
        },
        update: Bytes::copy_from_slice(update),
    }
}

/// Records 1 to `n`, the i-th holding the byte i.
fn numbered(n: u64) -> Vec<NewRecord> {
    (1..=n).map(|i| record(i, &[i as u8])).collect()
}

fn checkpoint(covers: u64, state: &'static [u8]) -> Checkpoint {
    Checkpoint {
        covers,
        state: Bytes::from_static(state),
    }
}

#[tokio::test]
async fn sequence_numbers_start_at_one_and_are_consecutive_per_room() {
    for (name, storage, _guard) in backends().await {
        let append = |to: &'static str, records: Vec<NewRecord>| {
            let storage = storage.clone();
            async move { storage.append(&room(to), records).await.unwrap() }
        };
        assert_eq!(
            append("a", vec![record(1, b"x"), record(2, b"y")]).await,
            2,
            "{name}"
        );
        assert_eq!(append("b", vec![record(3, b"z")]).await, 1, "{name}");
        assert_eq!(append("a", vec![record(4, b"w")]).await, 3, "{name}");
        let log = storage.read_log(&room("a"), 0, 10).await.unwrap();
        assert_eq!(
            log.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [1, 2, 3],
            "{name}"
        );
        assert_eq!(log[3 - 1].update, Bytes::from_static(b"w"), "{name}");
    }
}

#[tokio::test]
async fn records_keep_time_origin_and_bytes() {
    for (name, storage, _guard) in backends().await {
        let written = record(42, &[0, 1, 2, 255]);
        storage
            .append(&room("r"), vec![written.clone()])
            .await
            .unwrap();
        let read = storage.read_log(&room("r"), 0, 1).await.unwrap().remove(0);
        assert_eq!(
            (read.seq, read.at_ms, read.origin, read.update),
            (1, 42, written.origin, written.update),
            "{name}"
        );
    }
}

#[tokio::test]
async fn read_log_pages_after_a_sequence_number() {
    for (name, storage, _guard) in backends().await {
        let records = numbered(7);
        storage.append(&room("paged"), records).await.unwrap();
        let page = storage.read_log(&room("paged"), 3, 2).await.unwrap();
        assert_eq!(
            page.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [4, 5],
            "{name}"
        );
        assert!(
            storage
                .read_log(&room("paged"), 7, 10)
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        assert!(
            storage
                .read_log(&room("paged"), u64::MAX, 10)
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn load_returns_the_checkpoint_and_the_records_after_it() {
    for (name, storage, _guard) in backends().await {
        let r = room("loaded");
        assert_eq!(
            storage.load(&r).await.unwrap(),
            Default::default(),
            "{name}: new room is empty"
        );
        storage.append(&r, numbered(5)).await.unwrap();
        let checkpoint = checkpoint(3, b"state@3");
        storage
            .save_checkpoint(&r, checkpoint.clone())
            .await
            .unwrap();
        let stored = storage.load(&r).await.unwrap();
        assert_eq!(stored.checkpoint, Some(checkpoint), "{name}");
        assert_eq!(
            stored.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [4, 5],
            "{name}"
        );
        // Checkpoints never delete history.
        assert_eq!(
            storage.read_log(&r, 0, 10).await.unwrap().len(),
            5,
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_older_checkpoint_never_replaces_a_newer_one() {
    for (name, storage, _guard) in backends().await {
        let r = room("cp");
        storage.append(&r, numbered(4)).await.unwrap();
        let newer = checkpoint(4, b"new");
        storage.save_checkpoint(&r, newer.clone()).await.unwrap();
        storage
            .save_checkpoint(&r, checkpoint(2, b"old"))
            .await
            .unwrap();
        assert_eq!(
            storage.load(&r).await.unwrap().checkpoint,
            Some(newer),
            "{name}"
        );
    }
}

#[tokio::test]
async fn keyframes_are_kept_in_order_and_saved_once_per_position() {
    for (name, storage, _guard) in backends().await {
        let r = room("kf");
        let at = |covers, at_ms| KeyframeAt { covers, at_ms };
        for (covers, state) in [(2000, "b"), (1000, "a"), (2000, "b")] {
            let keyframe = at(covers, covers * 10);
            let state = Bytes::from_static(state.as_bytes());
            storage.save_keyframe(&r, keyframe, state).await.unwrap();
        }
        assert_eq!(
            storage.keyframes(&r).await.unwrap(),
            [at(1000, 10_000), at(2000, 20_000)],
            "{name}"
        );
        let state = storage.keyframe_state(&r, 1000).await.unwrap();
        assert_eq!(state.as_deref(), Some(&b"a"[..]), "{name}");
        assert_eq!(
            storage.keyframe_state(&r, 1500).await.unwrap(),
            None,
            "{name}"
        );
        assert!(
            storage.keyframes(&room("other")).await.unwrap().is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn appends_are_durable_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let storage = EmbeddedStorage::open(dir.path()).unwrap();
        storage
            .append(&room("durable"), vec![record(1, b"kept")])
            .await
            .unwrap();
    }
    let reopened = EmbeddedStorage::open(dir.path()).unwrap();
    let stored = reopened.load(&room("durable")).await.unwrap();
    assert_eq!(stored.records[0].update, Bytes::from_static(b"kept"));
    reopened.check().await.unwrap();
}

#[tokio::test]
async fn follow_returns_new_records_and_waits_for_them() {
    for (name, storage, _guard) in backends().await {
        let r = room("followed");
        storage.append(&r, vec![record(1, b"a")]).await.unwrap();
        let now = storage
            .follow(&r, 0, 10, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(now.iter().map(|r| r.seq).collect::<Vec<_>>(), [1], "{name}");

        let waiting = {
            let storage = storage.clone();
            let r = r.clone();
            tokio::spawn(async move { storage.follow(&r, 1, 10, Duration::from_secs(10)).await })
        };
        storage
            .append(&r, vec![record(2, b"b"), record(3, b"c")])
            .await
            .unwrap();
        let later = waiting.await.unwrap().unwrap();
        assert_eq!(later.first().map(|r| r.seq), Some(2), "{name}");
        assert!(later.iter().all(|r| r.seq > 1), "{name}");
    }
}

// Real time: Redis waits on its own clock, and paused tokio time would fire the client's
// network timeouts at once instead.
#[tokio::test]
async fn follow_gives_up_after_its_wait() {
    for (name, storage, _guard) in backends().await {
        let quiet = storage
            .follow(&room("quiet"), 0, 10, Duration::from_millis(200))
            .await
            .unwrap();
        assert!(quiet.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn session_records_change_only_from_the_version_read() {
    for (name, storage, _guard) in backends().await {
        let create = |id: &'static str, text| storage.create_session(id, "CODE234", bytes(text));
        let replace = |version, text| storage.replace_session("s1", version, bytes(text));
        assert!(create("s1", "v1").await.unwrap(), "{name}");
        assert!(!create("s2", "x").await.unwrap(), "{name}: code taken");
        assert_eq!(
            storage.session_by_code("CODE234").await.unwrap().as_deref(),
            Some("s1"),
            "{name}"
        );
        assert_eq!(
            storage.session_by_code("NOPE234").await.unwrap(),
            None,
            "{name}"
        );
        let stored = storage.session("s1").await.unwrap().unwrap();
        assert_eq!(
            (stored.version, &stored.record[..]),
            (1, &b"v1"[..]),
            "{name}"
        );
        assert!(replace(1, "v2").await.unwrap(), "{name}");
        assert!(!replace(1, "lost").await.unwrap(), "{name}: stale version");
        let stored = storage.session("s1").await.unwrap().unwrap();
        assert_eq!(
            (stored.version, &stored.record[..]),
            (2, &b"v2"[..]),
            "{name}"
        );
        assert_eq!(storage.session("s2").await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn session_ids_are_those_of_the_sessions_created() {
    for (name, storage, _guard) in backends().await {
        assert_eq!(
            storage.session_ids().await.unwrap(),
            Vec::<String>::new(),
            "{name}"
        );
        assert!(storage
            .create_session("s1", "CODE234", bytes("a"))
            .await
            .unwrap());
        assert!(storage
            .create_session("s3", "CODE567", bytes("b"))
            .await
            .unwrap());
        assert!(!storage
            .create_session("s2", "CODE234", bytes("c"))
            .await
            .unwrap());
        let mut ids = storage.session_ids().await.unwrap();
        ids.sort();
        assert_eq!(ids, ["s1", "s3"], "{name}");
    }
}

#[tokio::test]
async fn join_codes_are_reserved_once_and_released_only_by_their_session() {
    for (name, storage, _guard) in backends().await {
        let owner = |code: &'static str| storage.session_by_code(code);
        assert!(storage
            .create_session("s1", "OLD2345", bytes("a"))
            .await
            .unwrap());
        assert!(
            !storage.reserve_join_code("OLD2345", "s2").await.unwrap(),
            "{name}"
        );
        assert!(
            storage.reserve_join_code("NEW2345", "s1").await.unwrap(),
            "{name}"
        );
        assert!(
            !storage.reserve_join_code("NEW2345", "s2").await.unwrap(),
            "{name}"
        );
        // Another session's release leaves the code where it is.
        storage.release_join_code("OLD2345", "s2").await.unwrap();
        assert_eq!(
            owner("OLD2345").await.unwrap().as_deref(),
            Some("s1"),
            "{name}"
        );
        storage.release_join_code("OLD2345", "s1").await.unwrap();
        assert_eq!(owner("OLD2345").await.unwrap(), None, "{name}");
        assert_eq!(
            owner("NEW2345").await.unwrap().as_deref(),
            Some("s1"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn participants_are_written_once_and_audit_entries_kept_in_order() {
    for (name, storage, _guard) in backends().await {
        let add = |session: &'static str, id: &'static str, text| {
            storage.add_participant(session, id, bytes(text))
        };
        assert!(add("s1", "p1", "ann").await.unwrap(), "{name}");
        assert!(!add("s1", "p1", "imposter").await.unwrap(), "{name}");
        assert!(add("s1", "p2", "bob").await.unwrap(), "{name}");
        assert!(add("s10", "p3", "other session").await.unwrap(), "{name}");
        let mut participants = storage.participants("s1").await.unwrap();
        participants.sort();
        assert_eq!(participants, [bytes("ann"), bytes("bob")], "{name}");
        storage
            .replace_participant("s1", "p2", bytes("erased"))
            .await
            .unwrap();
        let mut participants = storage.participants("s1").await.unwrap();
        participants.sort();
        assert_eq!(participants, [bytes("ann"), bytes("erased")], "{name}");
        for entry in ["first", "second", "third"] {
            storage
                .append_entry("s1", Journal::Audit, bytes(entry))
                .await
                .unwrap();
        }
        storage
            .append_entry("s1", Journal::Attendance, bytes("came"))
            .await
            .unwrap();
        assert_eq!(
            storage.entries("s1", Journal::Audit).await.unwrap(),
            [bytes("first"), bytes("second"), bytes("third")],
            "{name}"
        );
        assert_eq!(
            storage.entries("s1", Journal::Attendance).await.unwrap(),
            [bytes("came")],
            "{name}"
        );
        assert!(
            storage
                .entries("s2", Journal::Audit)
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        let secret = storage.secret("key", bytes("first")).await.unwrap();
        assert_eq!(secret, bytes("first"), "{name}");
        assert_eq!(
            storage.secret("key", bytes("second")).await.unwrap(),
            secret,
            "{name}: kept"
        );
    }
}

#[tokio::test]
async fn records_are_kept_per_scope_and_kind_and_listed_by_key() {
    for (name, storage, _guard) in backends().await {
        let put = |scope: &'static str, kind: &'static str, key: &'static str, text| {
            storage.put_record(scope, kind, key, bytes(text))
        };
        put("s1", "decision", "item-b", "first").await.unwrap();
        put("s1", "decision", "item-b", "changed").await.unwrap();
        put("s1", "decision", "item-a", "a").await.unwrap();
        put("s1", "decisions", "item-c", "other kind")
            .await
            .unwrap();
        put("s10", "decision", "item-d", "other scope")
            .await
            .unwrap();
        assert_eq!(
            storage.records("s1", "decision").await.unwrap(),
            [
                ("item-a".to_owned(), bytes("a")),
                ("item-b".to_owned(), bytes("changed"))
            ],
            "{name}"
        );
        assert_eq!(
            storage.record("s1", "decision", "item-b").await.unwrap(),
            Some(bytes("changed")),
            "{name}"
        );
        assert_eq!(
            storage.record("s1", "decision", "item-z").await.unwrap(),
            None,
            "{name}"
        );
        assert!(
            storage.records("s2", "decision").await.unwrap().is_empty(),
            "{name}"
        );
        let add =
            |key: &'static str, text| storage.add_record("receipts", "receipt", key, bytes(text));
        assert!(add("r1", "mine").await.unwrap(), "{name}");
        assert!(!add("r1", "imposter").await.unwrap(), "{name}: added once");
        assert_eq!(
            storage.record("receipts", "receipt", "r1").await.unwrap(),
            Some(bytes("mine")),
            "{name}"
        );
        assert!(
            storage
                .delete_record("s1", "decision", "item-a")
                .await
                .unwrap(),
            "{name}"
        );
        assert!(
            !storage
                .delete_record("s1", "decision", "item-a")
                .await
                .unwrap(),
            "{name}: already gone"
        );
        assert_eq!(
            storage.records("s1", "decision").await.unwrap(),
            [("item-b".to_owned(), bytes("changed"))],
            "{name}"
        );
    }
}
