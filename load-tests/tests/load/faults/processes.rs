//! The processes a fault test breaks: cocreate nodes (killed with SIGKILL, stopped with
//! SIGTERM, restarted on the same port) and a Redis of the test's own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::{Backend, Server};

/// How long a process may take to start or to exit: they take milliseconds.
const PROCESS_WAIT: Duration = Duration::from_secs(20);

/// Where the test keeps its rooms: the same store across every node it starts.
pub enum Store {
    Embedded(tempfile::TempDir),
    Redis(Redis),
}

impl Store {
    pub fn embedded() -> Store {
        Store::Embedded(tempfile::tempdir().expect("temp dir"))
    }

    pub fn redis() -> Store {
        Store::Redis(Redis::start(tempfile::tempdir().expect("temp dir")))
    }

    /// Starts a node on this store with `extra` flags. Blocks while it starts (milliseconds):
    /// called from a multi-threaded runtime, the participants go on on the other worker.
    pub fn node(&self, listen: &str, extra: &[&str]) -> Server {
        let url;
        let backend = match self {
            Store::Embedded(dir) => Backend::Embedded(dir.path()),
            Store::Redis(redis) => {
                url = redis.url();
                Backend::Redis(&url)
            }
        };
        tokio::task::block_in_place(|| Server::start(Some(backend), listen, extra))
    }
}

/// `kill -9`: the node dies at once, mid-write; returns when it is gone.
pub fn kill(server: &mut Server) {
    server.child.kill().expect("SIGKILL");
    tokio::task::block_in_place(|| server.child.wait()).expect("reap the node");
}

/// Stops a node the way an operator does (SIGTERM: it closes its clients and unloads its
/// rooms) and waits for it to exit.
pub fn stop(server: &mut Server) {
    let pid = server.child.id().to_string();
    let status = Command::new("kill").arg(&pid).status().expect("kill");
    assert!(status.success(), "kill -TERM {pid} failed");
    tokio::task::block_in_place(|| server.child.wait()).expect("reap the node");
}

/// The panics a node wrote to its standard error, if any.
pub fn panics(server: &Server) -> Vec<String> {
    std::fs::read_to_string(&server.stderr)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("panicked"))
        .map(str::to_owned)
        .collect()
}

/// A redis-server on a unix socket in its own directory, with an append-only file fsynced on
/// every write: killing it loses nothing it answered, as with `appendfsync always` in
/// production.
pub struct Redis {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Redis {
    fn start(dir: tempfile::TempDir) -> Redis {
        let mut redis = Redis { dir, child: None };
        redis.restart();
        redis
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Starts it (again) on its directory; returns once it accepts connections.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "redis-server is already running");
        let socket = self.socket();
        let _ = std::fs::remove_file(&socket);
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
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (run scripts/install-test-deps.sh)");
        self.child = Some(child);
        tokio::task::block_in_place(|| wait_for_socket(&socket));
    }

    /// `kill -9`: Redis dies at once; what it acknowledged is in its fsynced append-only file.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("redis-server is running");
        child.kill().expect("SIGKILL");
        tokio::task::block_in_place(|| child.wait()).expect("reap redis-server");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits (bounded) until Redis answers a PING with PONG on its unix socket (while it loads
/// its append-only file it accepts connections but answers `-LOADING`): a process start
/// gives no other event to await.
fn wait_for_socket(socket: &Path) {
    let deadline = Instant::now() + PROCESS_WAIT;
    while !pongs(socket) {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn pongs(socket: &Path) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let mut answer = [0; 5];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG"
}
