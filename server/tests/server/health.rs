//! Liveness and readiness endpoints.

use crate::support::TestServer;

#[tokio::test]
async fn healthz_and_readyz_answer_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
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
