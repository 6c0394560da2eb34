//! A member that stops reading is closed with 1013 once its queue overflows; the room and
//! its other members never wait for it.

use cocreate_protocol::close;

use crate::support::{close_of, Client, Socket, TestServer, WAIT};

/// The stalled peer's receive buffer: small and fixed, so the kernel cannot absorb the
/// backlog that must overflow the server's queue (autotuning would grow it to 32 MiB).
const STALLED_RECEIVE_BUFFER: u32 = 4096;
/// Enough updates to fill the server's send buffer and then the outbox of the stalled peer.
const UPDATES: usize = 2400;
const CHUNK: usize = 4 * 1024;
/// Updates sent before waiting for the watcher: well under the outbox capacity.
const ROUND: usize = 200;

/// Connects a WebSocket with a small fixed receive buffer.
async fn stalled_socket(server: &TestServer, room: &str) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(STALLED_RECEIVE_BUFFER).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    tokio_tungstenite::client_async(server.url(room), stream)
        .await
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_closed_and_stalls_nobody() {
    let server = TestServer::fresh().await;
    let url = server.url("slow");
    let mut stalled = stalled_socket(&server, "slow").await; // joins, then reads nothing while others edit
    let mut writer = Client::connect(&url).await;
    let mut watcher = Client::connect(&url).await;

    // The watcher reports how much it has seen; the writer sends in rounds and waits for it,
    // so only the stalled peer builds a backlog.
    let expected_len = UPDATES * CHUNK;
    let (seen_tx, mut seen) = tokio::sync::watch::channel(0);
    let watching = tokio::spawn(async move {
        watcher
            .wait_text(|t| {
                seen_tx.send_replace(t.len());
                t.len() == expected_len
            })
            .await;
        watcher
    });
    let chunk = "s".repeat(CHUNK);
    for round in (0..UPDATES).collect::<Vec<_>>().chunks(ROUND) {
        for i in round {
            writer.insert((i * CHUNK) as u32, &chunk).await;
        }
        let sent = (round[round.len() - 1] + 1) * CHUNK;
        tokio::time::timeout(WAIT, seen.wait_for(|len| *len >= sent))
            .await
            .unwrap()
            .unwrap();
    }
    let mut watcher = watching
        .await
        .expect("the watcher kept up while a peer stalled");

    let (code, reason) = close_of(&mut stalled).await;
    assert_eq!(code, close::TRY_AGAIN_LATER, "{reason}");

    writer.insert(0, "after").await;
    watcher.wait_text(|t| t.starts_with("after")).await;
    server.stop().await;
}
