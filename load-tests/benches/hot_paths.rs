//! Microbenchmarks of the server's hot paths:
//! - decoding a received frame and applying its update to the room's document,
//! - encoding an update once and handing the same bytes to K members' bounded queues,
//! - loading a room from a checkpoint (plus the log after it) from the embedded store.
//!
//! Run: `cargo bench -p cocreate-load --bench hot_paths`.

use std::sync::Arc;

use bytes::Bytes;
use cocreate_protocol::{decode_frame, decode_update, Message, SyncMessage};
use cocreate_server::load_document;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{Checkpoint, EmbeddedStorage, NewRecord, Origin, SharedStorage};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

/// Room sizes (members) the fan-out is measured for.
const FAN_OUT: [usize; 3] = [10, 100, 1500];
/// Queue bound per member, as the server's per-connection queue.
const QUEUE: usize = 1024;
/// Records in the room loaded from a checkpoint, and records after it.
const CHECKPOINTED: usize = 10_000;
const TAIL: usize = 100;

/// A typing update ("k" at the end of a text of `at` characters) from `client`.
fn typing_updates(client: u64, count: usize) -> Vec<Vec<u8>> {
    let doc = Doc::with_client_id(client);
    let text = doc.get_or_insert_text("text");
    (0..count)
        .map(|i| {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, i as u32, "k");
            txn.encode_update_v1()
        })
        .collect()
}

fn decode_and_apply(c: &mut Criterion) {
    let updates = typing_updates(7, 1000);
    let frames: Vec<Vec<u8>> = updates
        .iter()
        .map(|u| Message::Sync(SyncMessage::Update(u.clone())).encode_v1())
        .collect();
    let mut group = c.benchmark_group("decode_and_apply");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("1000 typing updates", |b| {
        b.iter(|| {
            let doc = Doc::with_client_id(1);
            for frame in &frames {
                for message in decode_frame(frame).expect("valid frame") {
                    if let Message::Sync(SyncMessage::Update(bytes)) = message {
                        let update = decode_update(&bytes).expect("valid update");
                        doc.transact_mut().apply_update(update).expect("applies");
                    }
                }
            }
            doc
        })
    });
    group.finish();
}

fn fan_out(c: &mut Criterion) {
    let update = typing_updates(7, 1).remove(0);
    let mut group = c.benchmark_group("encode_once_fan_out");
    for members in FAN_OUT {
        group.throughput(Throughput::Elements(members as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(members),
            &members,
            |b, &members| {
                let mut queues: Vec<_> = (0..members)
                    .map(|_| tokio::sync::mpsc::channel::<Bytes>(QUEUE))
                    .collect();
                b.iter(|| {
                    let frame =
                        Bytes::from(Message::Sync(SyncMessage::Update(update.clone())).encode_v1());
                    for (tx, _) in &queues {
                        tx.try_send(frame.clone()).expect("queue has room");
                    }
                    // What each member's writer task does first: take the frame off its queue.
                    for (_, rx) in &mut queues {
                        rx.try_recv().expect("frame queued");
                    }
                });
            },
        );
    }
    group.finish();
}

fn load_from_checkpoint(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let storage: SharedStorage = Arc::new(EmbeddedStorage::open(dir.path()).expect("store"));
    let room = RoomId::parse("bench").expect("room id");
    let doc = Doc::with_client_id(7);
    let text = doc.get_or_insert_text("text");
    let record = |update: Vec<u8>| NewRecord {
        at_ms: 0,
        origin: Origin {
            node: "bench".into(),
            connection: 0,
            participant: None,
        },
        update: Bytes::from(update),
    };
    let append = |count: usize| {
        let records = (0..count)
            .map(|_| {
                let mut txn = doc.transact_mut();
                let len = text.len(&txn);
                text.insert(&mut txn, len, "k");
                record(txn.encode_update_v1())
            })
            .collect();
        runtime
            .block_on(storage.append(&room, records))
            .expect("append");
    };
    append(CHECKPOINTED);
    let state = Bytes::from(
        doc.transact()
            .encode_state_as_update_v1(&StateVector::default()),
    );
    runtime
        .block_on(storage.save_checkpoint(
            &room,
            Checkpoint {
                covers: CHECKPOINTED as u64,
                state,
            },
        ))
        .expect("checkpoint");
    append(TAIL);
    c.bench_function("load_from_checkpoint (10,000 + 100 records)", |b| {
        b.iter(|| {
            runtime
                .block_on(load_document(&room, storage.as_ref()))
                .expect("load")
        })
    });
}

criterion_group!(benches, decode_and_apply, fan_out, load_from_checkpoint);
criterion_main!(benches);
