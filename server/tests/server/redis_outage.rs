//! Redis going away and coming back: the node keeps its clients, says it is not ready, keeps
//! their edits pending, and stores them once Redis is back.

use cocreate_testkit::redis::RedisServer;

use crate::support::{Client, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_while_redis_is_down_are_stored_when_it_is_back() {
    let mut redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut config = crate::support::open_config(data.path());
    config.store.redis_url = Some(redis.url());
    let server = TestServer::start_with(config.clone()).await;
    let mut writer = Client::connect(&server.url("outage")).await;
    let mut witness = Client::connect(&server.url("outage")).await;
    writer.insert(0, "before").await;
    witness.wait_text(|t| t == "before").await;
    writer.wait_all_saved().await;
    assert_eq!(server.get("/readyz").await.0, 200);

    redis.stop();
    let (status, body) = server.get("/readyz").await;
    assert_eq!(
        (status, &body["code"]),
        (503, &"storage_unavailable".into()),
        "{body}"
    );
    writer.insert(6, " during").await;
    assert_eq!(
        witness.text(),
        "before",
        "nobody sees an edit before it is stored"
    );

    redis.restart();
    writer.wait_all_saved().await;
    witness.wait_text(|t| t == "before during").await;
    assert_eq!(server.get("/readyz").await.0, 200);
    server.stop().await;

    // A fresh node reads it all back from Redis.
    let server = TestServer::start_with(config).await;
    let reader = Client::connect(&server.url("outage")).await;
    assert_eq!(reader.text(), "before during");
    server.stop().await;
    redis.stop();
}
