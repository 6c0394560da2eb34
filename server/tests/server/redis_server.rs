//! A real `redis-server` for the tests: one per test binary, started on first use, listening
//! only on a unix socket in a temporary directory (no TCP port), persisting nothing, and gone
//! when the test process ends, however it ends.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use cocreate_server::storage::RedisStorage;

/// How long redis-server may take to accept connections: it starts in milliseconds.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs redis-server and ends it when its standard input closes, which happens when the test
/// process exits, even when it is killed: the test process alone holds the pipe's write end
/// (Rust opens pipes close-on-exec, so no other child inherits it). Then removes the directory.
const WATCHDOG: &str = r#"redis-server "$@" & server=$!
read -r _ignored
kill "$server" 2>/dev/null
wait "$server"
rm -rf "$REDIS_TEST_DIR""#;

/// The running server. Kept in a static for the whole test process: statics are never
/// dropped, so the watchdog's stdin stays open until the process exits.
struct RedisServer {
    socket: PathBuf,
    _watchdog: Child,
    _stdin: ChildStdin,
}

static SERVER: OnceLock<Result<RedisServer, String>> = OnceLock::new();

/// The URL of this test binary's redis-server, starting it on first use. Fails the test with a
/// way out when redis-server is not installed: skipping would pass without testing anything.
pub fn url() -> String {
    match SERVER.get_or_init(start) {
        Ok(server) => format!("redis+unix://{}", server.socket.display()),
        Err(e) => panic!("{e}"),
    }
}

/// A key prefix no other test uses, so that tests sharing the server never see each other.
pub fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("test{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A Redis store with a prefix of its own.
pub async fn storage() -> Arc<RedisStorage> {
    storage_with_prefix(&unique_prefix()).await
}

pub async fn storage_with_prefix(prefix: &str) -> Arc<RedisStorage> {
    Arc::new(
        RedisStorage::connect(&url(), prefix)
            .await
            .expect("connect to the test redis-server"),
    )
}

/// A plain connection, to look at the keys directly.
pub async fn raw_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect to the test redis-server")
}

fn start() -> Result<RedisServer, String> {
    let installed = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status();
    if !matches!(installed, Ok(status) if status.success()) {
        return Err(
            "redis-server is not installed; the Redis storage tests need it. \
                    Run scripts/install-test-deps.sh (or `make test-deps`)."
                .into(),
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("cocreate-redis-")
        .tempdir()
        .map_err(|e| format!("temporary directory: {e}"))?
        .keep();
    let socket = dir.join("redis.sock");
    let log = dir.join("redis.log");
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("sh")
        .args(["--port", "0", "--unixsocket"])
        .arg(&socket)
        .args([
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--daemonize", "no", "--dir"])
        .arg(&dir)
        .arg("--logfile")
        .arg(&log)
        .env("REDIS_TEST_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start redis-server: {e}"))?;
    let stdin = watchdog
        .stdin
        .take()
        .ok_or("no stdin pipe to redis-server")?;
    let started = Instant::now();
    while UnixStream::connect(&socket).is_err() {
        if started.elapsed() > START_TIMEOUT || matches!(watchdog.try_wait(), Ok(Some(_))) {
            return Err(format!(
                "redis-server did not start listening on {}; its log:\n{}",
                socket.display(),
                read_log(&log)
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(RedisServer {
        socket,
        _watchdog: watchdog,
        _stdin: stdin,
    })
}

fn read_log(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    text
}
