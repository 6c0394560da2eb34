//! The physical-limit baseline: a bare tokio WebSocket relay with no CRDT and no storage.
//! Every binary frame a client sends goes to every other client on the same path (the room),
//! so a load run against it shows what this machine can move at all.
//!
//! It answers a sync step 1 with an empty sync step 2 so that a lone client counts as
//! synced, and forwards the step 1 too: peers already in the room answer it with what the
//! joiner lacks, so a joiner still converges (as with y-webrtc). Rooms with history a peer
//! cannot supply (late-join, join-4mb) are not meaningful here.
//!
//! `bare-relay --listen 127.0.0.1:0` prints `listening on ADDR`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

/// Frames queued for one slow client before it is dropped (as cocreate does: never skip).
const QUEUE: usize = 1024;
/// An empty sync step 2: `[sync, step 2, update of 0 structs and an empty delete set]`.
const EMPTY_STEP2: [u8; 5] = [0, 1, 2, 0, 0];

type Rooms = Arc<Mutex<HashMap<String, Vec<(u64, mpsc::Sender<Message>)>>>>;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = match (args.next().as_deref(), args.next()) {
        (Some("--listen"), Some(addr)) => addr,
        _ => "127.0.0.1:0".to_owned(),
    };
    let listener = TcpListener::bind(&listen).await?;
    println!("listening on {}", listener.local_addr()?);
    let rooms: Rooms = Arc::default();
    let mut next_id = 0u64;
    loop {
        let (stream, _) = listener.accept().await?;
        next_id += 1;
        tokio::spawn(serve(stream, next_id, Arc::clone(&rooms)));
    }
}

async fn serve(stream: TcpStream, id: u64, rooms: Rooms) {
    let _ = stream.set_nodelay(true);
    let mut path = String::new();
    #[allow(clippy::result_large_err)] // the signature tungstenite's accept_hdr_async asks for
    let callback = |req: &Request, res: Response| {
        path = req.uri().path().to_owned();
        Ok(res)
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let (mut sink, mut source) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(QUEUE);
    lock(&rooms)
        .entry(path.clone())
        .or_default()
        .push((id, tx.clone()));
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(message)) = source.next().await {
        let Message::Binary(bytes) = message else {
            continue;
        };
        if bytes.starts_with(&[0, 0]) && tx.try_send(Message::binary(EMPTY_STEP2.to_vec())).is_err()
        {
            break;
        }
        let shared = Message::Binary(bytes);
        let mut slow = Vec::new();
        if let Some(members) = lock(&rooms).get(&path) {
            for (member, queue) in members.iter().filter(|(m, _)| *m != id) {
                if queue.try_send(shared.clone()).is_err() {
                    slow.push(*member);
                }
            }
        }
        if !slow.is_empty() {
            if let Some(members) = lock(&rooms).get_mut(&path) {
                members.retain(|(m, _)| !slow.contains(m));
            }
        }
    }
    if let Some(members) = lock(&rooms).get_mut(&path) {
        members.retain(|(m, _)| *m != id);
    }
    drop(tx);
    let _ = writer.await;
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
