//! Liveness and readiness endpoints.

use crate::support::TestServer;

#[tokio::test]
async fn healthz_and_readyz_answer_json() {
    let server = TestServer::fresh().await;
    assert_eq!(
        server.get("/healthz").await,
        (200, serde_json::json!({"status": "ok"}))
    );
    let (status, body) = server.get("/readyz").await;
    assert_eq!(
        (status, &body["status"], &body["rooms"]),
        (200, &"ready".into(), &0.into())
    );
    server.stop().await;
}

#[tokio::test]
async fn http_errors_are_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let (status, body) = server.get("/api/nowhere").await;
    assert_eq!((status, &body["code"]), (404, &"not_found".into()));
    // Pages are the web client's: without a built client, the answer says how to build it.
    let (status, body) = server.get("/join").await;
    assert_eq!(
        (status, &body["code"]),
        (404, &"web_client_not_built".into())
    );
    // A plain GET on a room: the WebSocket upgrade is missing.
    let (status, body) = server.get("/ws/room").await;
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(body["code"], "websocket_required");
    assert!(
        body["error"].as_str().unwrap().contains("WebSocket"),
        "{body}"
    );
    server.stop().await;
}

#[test]
fn json_logs_carry_the_node_id_on_every_line() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cocreate"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--node-id",
            "n7",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start cocreate");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Bounded: the server logs the admin key and `listening` first thing.
    for line in lines.by_ref().take(10) {
        let line: serde_json::Value = serde_json::from_str(&line.unwrap()).expect("JSON line");
        let listening = line["fields"]["message"] == "listening";
        seen.push(line);
        if listening {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l["fields"]["message"] == "listening"),
        "{seen:?}"
    );
    for line in &seen {
        assert!(line["node"].as_str().unwrap().starts_with("n7-"), "{line}");
    }
}
