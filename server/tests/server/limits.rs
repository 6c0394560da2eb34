//! Abuse limits: each answered with a clear close reason or HTTP status, counted in
//! `/metrics`, and harming nobody else.

use std::collections::HashMap;

use cocreate_protocol::{close, AwarenessUpdate, Message, SyncMessage};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::updates::encoder::Encode;

use crate::awareness::{presence, present};
use crate::support::{
    add_card, close_of, exchange, http_request, invite, raw_socket, Client, Socket, TestServer,
    ADMIN_KEY,
};

/// The HTTP status a WebSocket upgrade was refused with (panics if it was accepted).
async fn refused_upgrade(url: &str, origin: Option<&str>) -> u16 {
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        other => panic!("upgrade not refused: {:?}", other.map(|_| ())),
    }
}

/// Checks an HTTP answer is 429 with the error `code` and a `Retry-After`.
fn assert_waits(answer: (u16, HashMap<String, String>, Vec<u8>), code: &str) {
    let (status, headers, body) = answer;
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, &body["code"]), (429, &json!(code)), "{body}");
    assert!(headers["retry-after"].parse::<u64>().unwrap() >= 1);
}

/// How often a limit was reached, from `/metrics`.
async fn limited(server: &TestServer, limit: &str) -> f64 {
    server.scrape().await[&format!("cocreate_limited_total{{limit=\"{limit}\"}}")]
}

#[tokio::test]
async fn connections_are_limited_per_address_and_origins_are_checked() {
    let server = TestServer::fresh_with(|config| {
        config.max_connections_per_ip = 2;
        config.allowed_origins = vec!["https://partner.example".into()];
    })
    .await;
    let [mut first, _second] = server.connect_synced("crowded").await;
    let url = server.url("crowded");
    assert_eq!(refused_upgrade(&url, None).await, 429);
    assert_eq!(limited(&server, "connections_per_ip").await, 1.0);
    first.insert(0, "still served").await;
    first.wait_all_saved().await;
    drop(first);
    drop(_second);

    // Another site's page is refused; the server's own pages and listed partners are not.
    let other = server.url("origins");
    assert_eq!(
        refused_upgrade(&other, Some("https://evil.example")).await,
        403
    );
    for origin in [
        format!("http://{}", server.addr),
        "https://partner.example".into(),
    ] {
        let mut request = other.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
        let accepted = loop {
            // The two connections above are released asynchronously.
            match tokio_tungstenite::connect_async(request.clone()).await {
                Ok(_) => break true,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 429 => {
                    tokio::task::yield_now().await
                }
                Err(e) => panic!("{origin}: {e}"),
            }
        };
        assert!(accepted);
    }
    // Every answer carries the security headers.
    let (_, headers, _) = server.fetch("/healthz", "").await;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    server.stop().await;
}

#[tokio::test]
async fn join_attempts_participants_and_request_bodies_are_limited() {
    let server = TestServer::fresh_with(|config| {
        config.join_attempts_per_minute = 3;
        config.max_participants = 5; // the four invites and one more
        config.max_request_bytes = 1024;
    })
    .await;
    let created = server
        .create_session(json!({"title": "T", "template": "canvas", "language": "en"}))
        .await;
    let code = created["join_code"].as_str().unwrap();
    let join = |code: &str| json!({"code": code, "display_name": "Guess"});
    let (status, _) = server
        .call("POST", "/api/join", None, Some(join(code)))
        .await;
    assert_eq!(status, 200);
    let (status, full) = server
        .call("POST", "/api/join", None, Some(join(code)))
        .await;
    assert_eq!(
        (status, &full["code"]),
        (409, &json!("session_full")),
        "{full}"
    );
    // A join page's preview counts like a join: a code is a secret.
    let (status, wrong) = server.get("/api/join/preview?code=WRONG22").await;
    assert_eq!(status, 404, "{wrong}");
    // The fourth attempt within the minute is refused, however it would have ended.
    let fourth = http_request("POST", "/api/join", None, Some(join(code)));
    assert_waits(exchange(server.addr, &fourth).await, "too_many_attempts");
    assert_eq!(limited(&server, "join_attempts").await, 1.0);

    let big = json!({"title": "x".repeat(2000), "template": "canvas", "language": "en"});
    let (status, error) = server
        .call("POST", "/api/sessions", Some(ADMIN_KEY), Some(big))
        .await;
    assert_eq!(
        (status, &error["code"]),
        (413, &json!("request_too_large")),
        "{error}"
    );
    server.stop().await;
}

#[tokio::test]
async fn oversized_presence_documents_and_floods_are_closed_without_harm() {
    let server = TestServer::fresh_with(|config| {
        config.max_awareness_bytes = 256;
        config.max_document_bytes = 4096;
        config.max_messages_per_second = 1;
    })
    .await;
    let [mut editor] = server.connect_synced("guarded").await;
    let url = server.url("guarded");
    editor.insert(0, "kept").await;
    editor.wait_all_saved().await;

    let mut chatty = raw_socket(&url).await;
    let state = format!("{{\"user\":{{\"name\":\"{}\"}}}}", "x".repeat(400));
    chatty
        .send(WsMessage::Binary(presence(7, 1, &state).encode_v1().into()))
        .await
        .unwrap();
    let (code, reason) = close_of(&mut chatty).await;
    assert_eq!(code, close::MESSAGE_TOO_BIG, "{reason}");
    assert!(reason.contains("presence"), "{reason}");

    // An update that would make the board larger than allowed is refused, not stored.
    let mut hoarder = Client::connect(&url).await;
    hoarder.insert(0, &"y".repeat(5000)).await;
    let (code, reason) = hoarder.wait_closed().await;
    assert_eq!(code, close::MESSAGE_TOO_BIG, "{reason}");

    // Ten seconds' worth of messages pass at once; a flood beyond that is closed.
    let mut flood = raw_socket(&url).await;
    let ping = Message::Sync(SyncMessage::SyncStep1(Default::default())).encode_v1();
    for _ in 0..60 {
        if flood
            .send(WsMessage::Binary(ping.clone().into()))
            .await
            .is_err()
        {
            break;
        }
    }
    let (code, reason) = close_of(&mut flood).await;
    assert_eq!(code, close::POLICY_VIOLATION, "{reason}");
    assert!(reason.contains("too fast"), "{reason}");

    // The editor was never disturbed, and nothing of the others was stored.
    editor.insert(4, "!").await;
    editor.wait_all_saved().await;
    // "Saved" means in the log; the room applies the record when it reads it back, so a
    // newcomer may sync just before that and get the "!" as an update right after.
    let mut newcomer = Client::connect(&url).await;
    assert_eq!(newcomer.wait_text(|t| t == "kept!").await, "kept!");
    for limit in ["awareness_size", "document_size", "message_rate"] {
        assert_ne!(limited(&server, limit).await, 0.0, "{limit}");
    }
    server.stop().await;
}

/// The room still serves `member` after one connection was refused for its input (1008).
async fn still_served_after_one_refusal(server: &TestServer, member: &mut Client) {
    member.insert(0, "still served").await;
    member.wait_all_saved().await;
    assert_eq!(
        server.scrape().await["cocreate_rejected_total{reason=\"policy\"}"],
        1.0
    );
}

#[tokio::test]
async fn an_awareness_message_with_many_clients_is_refused_and_reaches_nobody() {
    let server = TestServer::fresh().await;
    let [mut member] = server.connect_synced("crowded-presence").await;
    let url = server.url("crowded-presence");

    // Nine clients in one message: one more than a connection may speak for.
    let mut crowd = HashMap::new();
    for client in 100..109 {
        let Message::Awareness(one) = presence(client, 1, r#"{"user":{"name":"x"}}"#) else {
            unreachable!()
        };
        crowd.extend(one.clients);
    }
    let mut observer = raw_socket(&url).await;
    let message = Message::Awareness(AwarenessUpdate { clients: crowd });
    observer
        .send(WsMessage::Binary(message.encode_v1().into()))
        .await
        .unwrap();
    let (code, reason) = close_of(&mut observer).await;
    assert_eq!(code, close::POLICY_VIOLATION, "{reason}");
    assert!(reason.contains("9 clients"), "{reason}");

    // The room goes on: a later state arrives, and none of the refused ones came before it.
    let mut neighbour = raw_socket(&url).await;
    let state = presence(5, 1, r#"{"user":{"name":"y"}}"#).encode_v1();
    neighbour
        .send(WsMessage::Binary(state.into()))
        .await
        .unwrap();
    member.wait_presence(|states| present(states, 5)).await;
    assert!((100..109).all(|client| !present(&member.presence, client)));
    still_served_after_one_refusal(&server, &mut member).await;
    server.stop().await;
}

#[tokio::test]
async fn a_refused_room_name_cannot_forge_a_log_line() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cocreate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "text"])
        .args(["--max-connections-per-ip", "1", "--open-rooms"])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start cocreate");
    let (lines, logged) = std::sync::mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in stdout.lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let next_line = || {
        logged
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a log line")
    };
    let addr = loop {
        let line = next_line();
        if let Some((_, rest)) = line.split_once(" addr=") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };

    // One connection is the limit; the second, named to forge a line, is refused.
    let _first = raw_socket(&format!("ws://{addr}/ws/first")).await;
    let forged = "FORGED%20INFO%20admin%20key%20accepted";
    let url = format!("ws://{addr}/ws/x%0A{forged}");
    assert_eq!(refused_upgrade(&url, None).await, 429);
    let mut seen: Vec<String> = Vec::new();
    while !seen
        .last()
        .is_some_and(|line| line.contains("limit reached"))
    {
        seen.push(next_line());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.iter().all(|line| !line.starts_with("FORGED")),
        "{seen:#?}"
    );
    assert!(seen.last().unwrap().contains(r"x\nFORGED"), "{seen:#?}");
}

/// Sends one message on a raw socket.
async fn say(socket: &mut Socket, message: Message) {
    let frame = WsMessage::Binary(message.encode_v1().into());
    socket.send(frame).await.unwrap();
}

#[tokio::test]
async fn a_connection_speaks_for_a_few_awareness_clients_over_its_life() {
    let server = TestServer::fresh().await;
    let [mut member] = server.connect_synced("many-faces").await;
    let mut observer = raw_socket(&server.url("many-faces")).await;
    // Removals (a Yjs client times out its peers) and renewals of one client claim nothing.
    for client in 200..220 {
        say(&mut observer, presence(client, 1, "null")).await;
    }
    for clock in 1..4 {
        say(
            &mut observer,
            presence(100, clock, r#"{"user":{"name":"x"}}"#),
        )
        .await;
    }
    // Eight clients, one message each: allowed; the ninth is one too many.
    for client in 101..108 {
        say(
            &mut observer,
            presence(client, 1, r#"{"user":{"name":"x"}}"#),
        )
        .await;
    }
    member.wait_presence(|states| present(states, 107)).await;
    say(&mut observer, presence(108, 1, r#"{"user":{"name":"x"}}"#)).await;
    let (code, reason) = close_of(&mut observer).await;
    assert_eq!(code, close::POLICY_VIOLATION, "{reason}");
    assert!(reason.contains("9 clients on one connection"), "{reason}");

    // The refused state reached nobody; the room goes on.
    member.wait_presence(|states| !present(states, 107)).await;
    assert!(!member.presence.contains_key(&108));
    still_served_after_one_refusal(&server, &mut member).await;
    server.stop().await;
}

#[tokio::test]
async fn wrong_admin_keys_are_limited_per_address() {
    let server = TestServer::fresh().await;
    let new = json!({"title": "T", "template": "canvas", "language": "en"});
    let create = |key: &str| http_request("POST", "/api/sessions", Some(key), Some(new.clone()));
    // Right keys never count; ten wrong ones a minute are answered as such.
    for _ in 0..12 {
        assert_eq!(exchange(server.addr, &create(ADMIN_KEY)).await.0, 201);
    }
    for _ in 0..10 {
        let (status, _, _) = exchange(server.addr, &create("guess")).await;
        assert_eq!(status, 401);
    }
    // Then every attempt waits, the right key's too.
    for key in ["guess", ADMIN_KEY] {
        assert_waits(
            exchange(server.addr, &create(key)).await,
            "too_many_attempts",
        );
    }
    assert_eq!(limited(&server, "admin_key_attempts").await, 2.0);
    server.stop().await;
}

/// A session recorded for research: its answer to `POST /api/sessions`.
async fn research_session(server: &TestServer) -> serde_json::Value {
    let research = json!({"recorded": true, "consent_required": false, "keep_names": false});
    let session =
        json!({"title": "T", "template": "canvas", "language": "en", "research": research});
    server.create_session(session).await
}

/// A download that has started and then stopped reading: the server is still sending it.
async fn stalled_download(server: &TestServer, path: &str, token: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server.addr).await.unwrap();
    let request = http_request("GET", path, Some(token), None);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut status_line = [0u8; 12];
    stream.read_exact(&mut status_line).await.unwrap();
    assert_eq!(&status_line, b"HTTP/1.0 200");
    stream
}

#[tokio::test]
async fn two_exports_are_built_and_sent_at_a_time() {
    let server = TestServer::fresh().await;
    let created = research_session(&server).await;
    let id = created["id"].as_str().unwrap();
    let (moderator, researcher) = (
        invite(&created, "moderator"),
        invite(&created, "researcher"),
    );

    // A card of 8 MB that does not compress: its export outgrows what the sockets buffer, so
    // a download that stops reading stays being sent.
    let mut writer = Client::connect(&format!("{}?token={moderator}", server.url(id))).await;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let noise: String = (0..8_000_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b'!' + (seed % 90) as u8)
        })
        .collect();
    add_card(&mut writer, "big", &noise, "").await;
    writer.wait_all_saved().await;

    let path = format!("/api/sessions/{id}/export");
    let first = stalled_download(&server, &path, &researcher).await;
    let second = stalled_download(&server, &path, &researcher).await;
    assert_waits(server.fetch(&path, &researcher).await, "too_many_exports");
    assert_eq!(limited(&server, "exports").await, 1.0);

    // A download given up gives its place back.
    drop(first);
    let zip = loop {
        match server.fetch(&path, &researcher).await {
            (200, _, zip) => break zip,
            (429, _, _) => tokio::task::yield_now().await,
            (status, _, body) => panic!("{status}: {}", String::from_utf8_lossy(&body)),
        }
    };
    assert!(zip.len() > 6_000_000, "the export is {} bytes", zip.len());
    drop(second);
    server.stop().await;
}

#[tokio::test]
async fn reconnects_continue_one_attendance_span_instead_of_growing_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let created = research_session(&server).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let code = created["join_code"].as_str().unwrap();
    let researcher = invite(&created, "researcher");
    let (token, _) = server.join(code, "Flaky").await;
    let room = format!("{}?token={token}", server.url(&id));
    // Five reconnects in a row, and a second tab.
    for _ in 0..5 {
        let _ = Client::connect(&room).await;
    }
    let [_first, _second] = server.connect_synced(&format!("{id}?token={token}")).await;
    let attendance = async |server: &TestServer| {
        let path = format!("/api/sessions/{id}/history");
        let (status, _, body) = server.fetch(&path, &researcher).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let body = String::from_utf8(body).unwrap();
        let actions: Vec<String> = body
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter(|event| event["entity"] == "participant" && event["action"] != "joined")
            .map(|event| event["action"].as_str().unwrap().to_owned())
            .collect();
        actions
    };
    assert_eq!(attendance(&server).await, ["connected"]);

    // Shutting down ends the span; the journal holds two entries, not fourteen.
    drop((_first, _second));
    server.stop().await;
    let server = TestServer::start(dir.path()).await;
    assert_eq!(attendance(&server).await, ["connected", "disconnected"]);
    server.stop().await;
}

#[tokio::test]
async fn echoed_presence_of_many_peers_claims_nothing() {
    let server = TestServer::fresh().await;
    let [mut member] = server.connect_synced("echoes").await;
    let url = server.url("echoes");
    let mut peers = Vec::new();
    let mut heard = HashMap::new();
    for client in 1..=10 {
        let mut peer = raw_socket(&url).await;
        let Message::Awareness(state) = presence(client, 1, r#"{"user":{"name":"p"}}"#) else {
            unreachable!()
        };
        heard.extend(state.clients.clone());
        say(&mut peer, Message::Awareness(state)).await;
        peers.push(peer);
    }
    member
        .wait_presence(|states| (1..=10).all(|client| present(states, client)))
        .await;

    // y-websocket sends back every state it receives, ten peers' at once after a busy tick:
    // stale by then, they set nothing and cost the sender nothing.
    let echo = &mut peers[0];
    say(echo, Message::Awareness(AwarenessUpdate { clients: heard })).await;
    say(
        echo,
        Message::Sync(SyncMessage::SyncStep1(Default::default())),
    )
    .await;
    loop {
        match echo.next().await.expect("a frame").expect("a frame") {
            WsMessage::Close(frame) => panic!("the echo was refused: {frame:?}"),
            WsMessage::Binary(frame) if frame.starts_with(&[0, 1]) => break,
            _ => continue,
        }
    }
    server.stop().await;
}
