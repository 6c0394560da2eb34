//! Benchmark: how long loading a room of 100,000 small updates takes with and without a
//! checkpoint, and how long seeking into its history takes without and with keyframes, on
//! the embedded store and (with `COCREATE_BENCH_REDIS_URL`) on Redis.
//! Run: `cargo bench -p cocreate-server --bench load_room`. Prints Markdown tables.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cocreate_server::history::{Position, Seeker};
use cocreate_server::load_document;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{
    Checkpoint, EmbeddedStorage, NewRecord, Origin, RedisStorage, SharedStorage,
};
use yrs::{ReadTxn, StateVector, Text, Transact};

const UPDATES: usize = 100_000;
/// Loads timed per case; the median is reported.
const RUNS: usize = 5;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut stores: Vec<(&str, SharedStorage)> = vec![(
        "embedded",
        Arc::new(EmbeddedStorage::open(dir.path()).expect("embedded store")),
    )];
    if let Ok(url) = std::env::var("COCREATE_BENCH_REDIS_URL") {
        let prefix = format!("bench{}", std::process::id());
        stores.push((
            "redis",
            Arc::new(RedisStorage::connect(&url, &prefix).await.expect("redis")),
        ));
    }
    println!("| store | checkpoint | records replayed | load time (median of {RUNS}) |");
    println!("|---|---|---|---|");
    for (name, storage) in &stores {
        let room = RoomId::parse("bench").expect("room id");
        let doc = yrs::Doc::with_client_id(7);
        let text = doc.get_or_insert_text("text");
        for chunk in 0..UPDATES / 1000 {
            let records = (0..1000)
                .map(|i| {
                    let mut txn = doc.transact_mut();
                    text.insert(&mut txn, (chunk * 1000 + i) as u32, "k");
                    let update = Bytes::from(txn.encode_update_v1());
                    NewRecord {
                        at_ms: (chunk * 1000 + i) as u64 * 10,
                        origin: Origin {
                            node: "bench".into(),
                            connection: 0,
                            participant: None,
                        },
                        update,
                    }
                })
                .collect();
            storage.append(&room, records).await.expect("append");
        }
        for with_checkpoint in [false, true] {
            if with_checkpoint {
                let state = Bytes::from(
                    doc.transact()
                        .encode_state_as_update_v1(&StateVector::default()),
                );
                storage
                    .save_checkpoint(
                        &room,
                        Checkpoint {
                            covers: UPDATES as u64,
                            state,
                        },
                    )
                    .await
                    .expect("checkpoint");
            }
            let mut times = Vec::new();
            let mut replayed = 0;
            for _ in 0..RUNS {
                let started = Instant::now();
                let loaded = load_document(&room, storage.as_ref()).await.expect("load");
                times.push(started.elapsed());
                replayed = loaded.replayed;
            }
            times.sort();
            let median: Duration = times[RUNS / 2];
            println!(
                "| {name} | {} | {replayed} | {median:.1?} |",
                if with_checkpoint { "yes" } else { "no" }
            );
        }
    }
    println!();
    println!("| store | seek | records read | time |");
    println!("|---|---|---|---|");
    for (name, storage) in &stores {
        seek(name, storage.as_ref()).await;
    }
}

/// Seeks into the 100,000-update history: first without keyframes (the seek writes them),
/// then to several points with them (median).
async fn seek(name: &str, storage: &dyn cocreate_server::storage::Storage) {
    let room = RoomId::parse("bench").expect("room id");
    let started = Instant::now();
    let mut seeker = Seeker::new(storage, &room, 1000).await.expect("seeker");
    let first = seeker
        .state_at(Position::Seq(UPDATES as u64))
        .await
        .expect("seek");
    println!(
        "| {name} | to the end, no keyframes yet | {} | {:.1?} |",
        first.records_read,
        started.elapsed()
    );
    let points = [1, 24_999, 50_500, 77_777, 99_999];
    let mut times = Vec::new();
    let mut most_read = 0;
    for _ in 0..RUNS {
        for point in points {
            let started = Instant::now();
            let mut seeker = Seeker::new(storage, &room, 1000).await.expect("seeker");
            let seeked = seeker.state_at(Position::Seq(point)).await.expect("seek");
            times.push(started.elapsed());
            most_read = most_read.max(seeked.records_read);
        }
    }
    times.sort();
    println!(
        "| {name} | to {} points, with keyframes (median) | ≤ {most_read} | {:.1?} |",
        points.len(),
        times[times.len() / 2]
    );
}
