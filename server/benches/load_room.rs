//! Benchmark: how long loading a room of 100,000 small updates takes with and without a
//! checkpoint, on the embedded store and (with `COCREATE_BENCH_REDIS_URL`) on Redis.
//! Run: `cargo bench -p cocreate-server --bench load_room`. Prints a Markdown table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
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
    for (name, storage) in stores {
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
                        at_ms: 0,
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
}
