//! Clients of the fault tests' own, outside the simulated participants: a reader that asks
//! storage what a room holds, a flood of malformed frames, a peer that stops reading and a
//! writer that pastes large cards.

use std::collections::BTreeMap;
use std::time::Duration;

use cocreate_load::board::Board;
use cocreate_load::participant::Clocks;
use cocreate_load::wire::{Incoming, Protocol, Wire};
use cocreate_protocol::{close, Message, SyncMessage};
use futures_util::{SinkExt, StreamExt};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, StateVector};

use crate::server::Server;

/// How long one probe may wait for the server: far longer than anything takes on loopback.
pub const WAIT: Duration = Duration::from_secs(30);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A room's URL, asking for cocreate's own messages (saved counts among them).
fn room_url(server: &Server, room: &str) -> String {
    format!("{}?cocreate=1", server.url.replace("{room}", room))
}

async fn connect(server: &Server, room: &str) -> Socket {
    let url = room_url(server, room);
    timeout(WAIT, tokio_tungstenite::connect_async(&url))
        .await
        .expect("connect timed out")
        .expect("connect")
        .0
}

/// A client that is not a participant: never edits, never shows up in anyone's clocks.
fn reader_board() -> Board {
    Board::new(fastrand::u32(1..1 << 31), 0)
}

/// What the server holds of `room`: joins with an empty document and returns the state
/// vector of the server's answer (sync step 2).
pub async fn stored(server: &Server, room: &str) -> StateVector {
    let wire = Wire::new(Protocol::YWebsocket, room);
    let mut board = reader_board();
    let mut socket = connect(server, room).await;
    for frame in wire.opening(&board.state_vector()) {
        socket.send(WsMessage::binary(frame)).await.expect("send");
    }
    loop {
        let frame = timeout(WAIT, socket.next())
            .await
            .expect("no sync step 2 from the server")
            .expect("connection ended before sync step 2")
            .expect("read");
        let WsMessage::Binary(bytes) = frame else {
            continue;
        };
        for message in wire.messages(&bytes).expect("well-formed frame") {
            if let Incoming::SyncStep2(update) = message {
                let state = board.apply(update).expect("the stored room applies");
                let _ = socket.close(None).await;
                return state;
            }
        }
    }
}

/// Asks `server` what each room holds; describes every client whose clock there is behind
/// what `expected` says must have been stored.
pub async fn lost(server: &Server, expected: &[(String, Clocks)]) -> Vec<String> {
    let mut lost = Vec::new();
    for (room, clocks) in expected {
        let state = stored(server, room).await;
        for (&client, &clock) in clocks {
            let have = state.get(&ClientID::new(client));
            if have < clock {
                lost.push(format!(
                    "room {room}: client {client} stored up to clock {have} of {clock}"
                ));
            }
        }
    }
    lost
}

/// What a flood of malformed frames got back: (kind of input, answer) → how many.
pub type Flood = BTreeMap<(&'static str, Answer), usize>;

/// How the server answered one malformed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Answer {
    /// Closed with this code.
    Closed(u16),
    /// Ended without a close frame reaching us: the server closed with the oversized frame
    /// unread, so the kernel reset the connection (allowed for oversized input only).
    Reset,
    /// Found harmless and answered normally (random bytes can happen to spell valid
    /// messages, such as a query for awareness).
    Tolerated,
}

/// The close codes a malformed input may get.
const REJECTIONS: [u16; 5] = [
    close::PROTOCOL_ERROR,
    close::UNSUPPORTED_DATA,
    close::INVALID_PAYLOAD,
    close::POLICY_VIOLATION,
    close::MESSAGE_TOO_BIG,
];

/// The kind of input that is refused unread (and may be answered with a reset).
const OVERSIZED: &str = "oversized";

/// Sends `inputs` malformed frames into `room`, each on a connection of its own, and waits
/// for each answer: a close with one of `REJECTIONS`, or (harmless input) the answer to the
/// sync step 1 sent right after it. Inputs come from `seed`, so a failure can be replayed.
pub async fn flood(server: &Server, room: &str, inputs: usize, seed: u64) -> Flood {
    let mut rng = fastrand::Rng::with_seed(seed);
    let wire = Wire::new(Protocol::YWebsocket, room);
    let probe = wire.frame(&Message::Sync(SyncMessage::SyncStep1(
        StateVector::default(),
    )));
    let mut flood = Flood::new();
    for _ in 0..inputs {
        let mut socket = connect(server, room).await;
        let (kind, input) = malformed(&mut rng);
        let _ = socket.send(input).await;
        let _ = socket.send(WsMessage::binary(probe.clone())).await;
        let answer = answer(&mut socket, &wire).await;
        match answer {
            Answer::Closed(code) => assert!(
                REJECTIONS.contains(&code),
                "{kind} input closed with {code}"
            ),
            Answer::Reset => assert_eq!(kind, OVERSIZED, "{kind} input: connection reset"),
            Answer::Tolerated => {
                let _ = socket.close(None).await;
            }
        }
        *flood.entry((kind, answer)).or_default() += 1;
    }
    flood
}

/// Reads until the server closes or answers the sync step 1 with a step 2.
async fn answer(socket: &mut Socket, wire: &Wire) -> Answer {
    loop {
        let frame = timeout(WAIT, socket.next())
            .await
            .expect("the server neither closed nor answered");
        match frame {
            Some(Ok(WsMessage::Close(frame))) => {
                return Answer::Closed(frame.map_or(1005, |f| u16::from(f.code)));
            }
            Some(Ok(WsMessage::Binary(bytes))) => {
                let step2 = wire
                    .messages(&bytes)
                    .expect("well-formed frame")
                    .iter()
                    .any(|m| matches!(m, Incoming::SyncStep2(_)));
                if step2 {
                    return Answer::Tolerated;
                }
            }
            Some(Ok(_)) => {}
            // Reset, end of stream or a failed write, depending on when the reset came.
            Some(Err(_)) | None => return Answer::Reset,
        }
    }
}

/// One malformed input and its kind: each kind a client could send by mistake or on purpose.
fn malformed(rng: &mut fastrand::Rng) -> (&'static str, WsMessage) {
    let framed = |sync: u8, payload: Vec<u8>| {
        let mut frame = vec![0, sync];
        frame.extend(varint(payload.len() as u64));
        frame.extend(payload);
        frame
    };
    let (kind, bytes) = match rng.u8(0..8) {
        0 => ("noise", noise(rng, 1..128)),
        1 => ("update of noise", framed(2, noise(rng, 0..96))),
        2 => ("sync step 2 of noise", framed(1, noise(rng, 0..96))),
        3 => {
            let mut board = Board::new(rng.u32(1..1 << 31), rng.u64(..));
            let whole = Message::Sync(SyncMessage::Update(board.edit())).encode_v1();
            (
                "truncated update",
                whole[..rng.usize(1..whole.len())].to_vec(),
            )
        }
        4 => (
            "length beyond the frame",
            [
                vec![0, 2],
                varint(rng.u64(1 << 20..1 << 40)),
                noise(rng, 8..9),
            ]
            .concat(),
        ),
        5 => {
            let state = b"{\"cursor\": ";
            let mut entry = vec![1];
            entry.extend(varint(rng.u64(1..1 << 31)));
            entry.extend(varint(1));
            entry.extend(varint(state.len() as u64));
            entry.extend(state);
            (
                "awareness not JSON",
                [vec![1], varint(entry.len() as u64), entry].concat(),
            )
        }
        // Over the size limit (the flood's node allows 1 MiB).
        6 => (OVERSIZED, framed(2, vec![0; 2 << 20])),
        _ => return ("text frame", WsMessage::text("{\"type\": \"sync\"}")),
    };
    (kind, WsMessage::binary(bytes))
}

/// Random bytes, as many as a random pick from `len`.
fn noise(rng: &mut fastrand::Rng, len: std::ops::Range<usize>) -> Vec<u8> {
    let len = rng.usize(len);
    (0..len).map(|_| rng.u8(..)).collect()
}

fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A member that joins `room` and then reads nothing, with a small fixed receive buffer so
/// that the kernel cannot absorb the backlog (autotuning would grow it to megabytes).
pub async fn stalled(server: &Server, room: &str) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    let stream = socket
        .connect(server.addr.parse().expect("socket address"))
        .await
        .expect("connect");
    tokio_tungstenite::client_async(
        room_url(server, room),
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
    )
    .await
    .expect("handshake")
    .0
}

/// Reads a (stalled) member's backlog to the end: the close code the server ended it with.
pub async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        match timeout(WAIT, socket.next()).await.expect("no close") {
            Some(Ok(WsMessage::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            _ => return None,
        }
    }
}

/// Pastes `cards` cards of `bytes` each into `room`, at most `per_second`, then waits until
/// the server reports all of them stored. Returns the writer's client id and final clock.
pub async fn paste(
    server: &Server,
    room: &str,
    cards: usize,
    bytes: usize,
    per_second: f64,
) -> (u64, u32) {
    let wire = Wire::new(Protocol::YWebsocket, room);
    let mut board = reader_board();
    let mut socket = connect(server, room).await;
    let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    let (mut sent, mut saved) = (0, 0);
    // Bounded as a whole: the room's other members keep the socket busy, so no single read
    // ever times out.
    let deadline =
        tokio::time::Instant::now() + WAIT + Duration::from_secs_f64(cards as f64 / per_second);
    // Reads all along, so that the writer itself never becomes a slow consumer.
    while saved < cards as u64 {
        tokio::select! {
            _ = pace.tick(), if sent < cards => {
                let update = board.paste(bytes);
                let frame = wire.frame(&Message::Sync(SyncMessage::Update(update)));
                socket.send(WsMessage::binary(frame)).await.expect("send");
                sent += 1;
            }
            frame = socket.next() => {
                let frame = frame.expect("connection ended").expect("read");
                let WsMessage::Binary(frame) = frame else { continue };
                for message in wire.messages(&frame).expect("well-formed frame") {
                    match message {
                        Incoming::Saved(count) => saved = count,
                        Incoming::Update(update) | Incoming::SyncStep2(update) => {
                            board.apply(update).expect("applies");
                        }
                        _ => {}
                    }
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                panic!("the server reported {saved} of {cards} pasted cards stored")
            }
        }
    }
    let _ = socket.close(None).await;
    (board.client_id(), board.own_clock())
}
