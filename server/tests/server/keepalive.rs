//! Keep-alive pings and the idle timeout, on paused time: the runtime jumps to the next timer
//! whenever nothing else can run, so minutes pass instantly and exactly.

use std::time::Duration;

use cocreate_protocol::close;
use cocreate_server::{IDLE_TIMEOUT, PING_EVERY};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{raw_socket, TestServer};

#[tokio::test(start_paused = true)]
async fn the_server_pings_a_quiet_connection() {
    let server = TestServer::fresh().await;
    let mut socket = raw_socket(&server.url("quiet")).await;
    let started = tokio::time::Instant::now();
    loop {
        match socket.next().await.expect("open").expect("frame") {
            WsMessage::Ping(_) => break,
            WsMessage::Binary(_) => continue, // the initial sync step 1
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(started.elapsed() >= PING_EVERY - Duration::from_secs(1));
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_connection_silent_past_the_idle_timeout_is_closed() {
    let server = TestServer::fresh().await;
    // A WebSocket opened by hand that then neither reads nor answers pings, like a peer whose
    // network vanished. (A WebSocket library would answer the pings while reading.)
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let upgrade = "GET /ws/silent HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    tcp.write_all(upgrade.as_bytes()).await.unwrap();
    tokio::time::sleep(IDLE_TIMEOUT + Duration::from_secs(1)).await;

    // The server has closed the connection by now. Without an idle timeout it would go on
    // pinging forever on paused time: a bound on the bytes read turns that into a failure.
    let mut received = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let read = tcp.read(&mut chunk).await.unwrap();
        if read == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..read]);
        assert!(
            received.len() < 4096,
            "the connection was still open long after the idle timeout"
        );
    }
    let reason = b"idle timeout";
    let close_frame = [
        &[0x88, 2 + reason.len() as u8][..],
        &close::GOING_AWAY.to_be_bytes(),
        reason,
    ]
    .concat();
    assert!(
        received
            .windows(close_frame.len())
            .any(|w| w == close_frame),
        "no 1001 'idle timeout' close frame in what the server sent"
    );
    server.stop().await;
}
