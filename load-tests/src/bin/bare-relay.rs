//! The physical-limit baseline: a bare tokio WebSocket relay with no CRDT and no storage.
//! Every binary frame a client sends goes to every other client on the same path (the room),
//! so a load run against it shows what this machine can move at all.
//!
//! Sync without a document: the relay answers a sync step 1 with an empty sync step 2, so that
//! a lone client counts as synced, and hands the step 1 to the room's oldest member only; that
//! member's next sync step 2 goes back to the joiner alone. Forwarding every step 1 to everyone
//! would make a joining room quadratic (1,500 viewers: 2.25 million step 2s), which measures
//! the relay's sync, not what the machine can move. Rooms with history no member can supply
//! (late-join, join4mb) are not meaningful here.
//!
//! A member whose queue is full is closed with 1013, as cocreate does: nothing is skipped
//! silently, so a run that overloads the relay fails visibly rather than hanging.
//!
//! `bare-relay --listen 127.0.0.1:0` prints `listening on ADDR`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Bytes;
use tokio_tungstenite::tungstenite::Message;

/// Frames queued for one slow client before it is closed (as cocreate does: never skip).
const QUEUE: usize = 1024;
/// An empty sync step 2: `[sync, step 2, update of 0 structs and an empty delete set]`.
const EMPTY_STEP2: [u8; 5] = [0, 1, 2, 0, 0];

/// One connection as the room sees it.
struct Member {
    id: u64,
    queue: mpsc::Sender<Message>,
    /// Wakes the member's writer to close it when its queue overflowed.
    kick: Arc<Notify>,
}

/// The members of one path, oldest first, and who waits for whose sync step 2.
#[derive(Default)]
struct Room {
    members: Vec<Member>,
    /// Per answering member, the joiners whose step 1 it was handed, in order.
    awaiting: HashMap<u64, VecDeque<u64>>,
}

impl Room {
    /// Queues `message` for the members `to` selects; closes those whose queue is full.
    fn send(&mut self, message: &Message, to: impl Fn(u64) -> bool) {
        self.members.retain(|m| {
            if !to(m.id) || m.queue.try_send(message.clone()).is_ok() {
                return true;
            }
            m.kick.notify_one();
            false
        });
    }

    /// Routes one frame from `from`: a step 1 to the oldest other member, that member's
    /// answer to the joiner it owes one, everything else to everyone else.
    fn relay(&mut self, from: u64, bytes: Bytes) {
        let message = Message::Binary(bytes.clone());
        if bytes.starts_with(&[0, 0]) {
            if let Some(oldest) = self.members.iter().map(|m| m.id).find(|&m| m != from) {
                self.awaiting.entry(oldest).or_default().push_back(from);
                self.send(&message, |m| m == oldest);
            }
            return;
        }
        if bytes.starts_with(&[0, 1]) {
            if let Some(joiner) = self.awaiting.get_mut(&from).and_then(VecDeque::pop_front) {
                self.send(&message, |m| m == joiner);
                return;
            }
        }
        self.send(&message, |m| m != from);
    }

    fn leave(&mut self, id: u64) {
        self.members.retain(|m| m.id != id);
        self.awaiting.remove(&id);
    }
}

type Rooms = Arc<Mutex<HashMap<String, Room>>>;

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
    let kick = Arc::new(Notify::new());
    lock(&rooms)
        .entry(path.clone())
        .or_default()
        .members
        .push(Member {
            id,
            queue: tx.clone(),
            kick: Arc::clone(&kick),
        });
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                message = rx.recv() => {
                    let Some(message) = message else { break };
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                () = kick.notified() => {
                    let close = CloseFrame { code: CloseCode::Again, reason: "queue full".into() };
                    let _ = sink.send(Message::Close(Some(close))).await;
                    break;
                }
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
        if let Some(room) = lock(&rooms).get_mut(&path) {
            room.relay(id, bytes);
        }
    }
    {
        let mut rooms = lock(&rooms);
        if let Some(room) = rooms.get_mut(&path) {
            room.leave(id);
            if room.members.is_empty() {
                rooms.remove(&path);
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
