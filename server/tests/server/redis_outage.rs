//! Redis going away and coming back: the node keeps its clients, says it is not ready, keeps
//! their edits pending, and stores them once Redis is back.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::support::{Client, TestServer, WAIT};

/// A redis-server of this test's own, with an append-only file so a restart keeps the data.
struct OwnRedis {
    dir: PathBuf,
    child: Child,
}

impl OwnRedis {
    async fn start(dir: &Path) -> Self {
        let socket = dir.join("redis.sock");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
            ])
            .arg(dir)
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server (run scripts/install-test-deps.sh)");
        // Started when it answers; bounded, as a process start gives no other event to await.
        tokio::time::timeout(WAIT, async {
            while tokio::net::UnixStream::connect(&socket).await.is_err() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("redis-server did not start");
        OwnRedis {
            dir: dir.to_owned(),
            child,
        }
    }

    fn url(&self) -> String {
        format!("redis+unix://{}", self.dir.join("redis.sock").display())
    }

    /// Stops it the way an operator would (SIGTERM: it finishes writing its append-only file).
    async fn stop(mut self) {
        let pid = self.child.id().expect("running") as i32;
        Command::new("kill")
            .arg(pid.to_string())
            .status()
            .await
            .expect("kill");
        self.child.wait().await.expect("redis-server exit");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_while_redis_is_down_are_stored_when_it_is_back() {
    let redis_dir = tempfile::tempdir().unwrap();
    let redis = OwnRedis::start(redis_dir.path()).await;
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

    redis.stop().await;
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

    let redis = OwnRedis::start(redis_dir.path()).await;
    writer.wait_all_saved().await;
    witness.wait_text(|t| t == "before during").await;
    assert_eq!(server.get("/readyz").await.0, 200);
    server.stop().await;

    // A fresh node reads it all back from Redis.
    let server = TestServer::start_with(config).await;
    let reader = Client::connect(&server.url("outage")).await;
    assert_eq!(reader.text(), "before during");
    server.stop().await;
    redis.stop().await;
}
