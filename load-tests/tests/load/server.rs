//! The server the load tests run against: the freshly built binary on a loopback port, with
//! the abuse limits out of the way (every simulated participant is 127.0.0.1).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cocreate_load::participant::Target;
use cocreate_load::run::Options;
use cocreate_load::wire::Protocol;

/// Where a server keeps its rooms.
pub enum Backend<'a> {
    /// The embedded store in this directory.
    Embedded(&'a Path),
    /// Redis at this URL.
    Redis(&'a str),
}

/// A running server, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    /// WebSocket URL with `{room}` where the room name goes.
    pub url: String,
    /// What it wrote to standard error (panics, among others).
    pub stderr: PathBuf,
    /// Holds the data and the log while the server runs.
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("COCREATE_BIN") {
        return bin.into();
    }
    // target/<profile>/deps/smoke-<hash> -> target/<profile>/cocreate
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("cocreate"))
        .expect("target directory");
    assert!(
        bin.exists(),
        "cocreate binary not found at {}: build it first (`cargo build -p cocreate-server`, or run \
         `cargo test --workspace`, which builds it) or set COCREATE_BIN",
        bin.display()
    );
    bin
}

impl Server {
    /// Starts a server on `listen` (`127.0.0.1:0` for any free port) and waits for its
    /// `listening` line. An embedded store with no directory given gets a fresh one; `extra`
    /// are more `serve` flags.
    pub fn start(backend: Option<Backend>, listen: &str, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let stderr = dir.path().join("stderr.log");
        let mut command = Command::new(server_binary());
        command.args([
            "serve",
            "--listen",
            listen,
            "--open-rooms",
            "--admin-key",
            "load-tests",
            // Every simulated participant comes from 127.0.0.1 and sends faster than people.
            "--max-connections-per-ip",
            "1000000",
            "--max-messages-per-second",
            "1000000",
            "--max-bytes-per-second",
            "1099511627776",
        ]);
        command.args(extra);
        match backend {
            None => command.arg("--data-dir").arg(dir.path().join("data")),
            Some(Backend::Embedded(data)) => command.arg("--data-dir").arg(data),
            Some(Backend::Redis(url)) => command
                .arg("--data-dir")
                .arg(dir.path().join("data"))
                .args(["--redis-url", url]),
        };
        let mut child = command
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .env_remove("COCREATE_REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr log"))
            .spawn()
            .expect("start cocreate");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(line) = lines.next() else {
                let log = std::fs::read_to_string(&stderr).unwrap_or_default();
                panic!("cocreate exited before listening: {log}");
            };
            let line = line.expect("read cocreate output");
            if let Some(addr) = line
                .split_whitespace()
                .find_map(|field| field.strip_prefix("addr="))
                .filter(|_| line.contains("listening"))
            {
                break addr.to_owned();
            }
        };
        // Keep draining the log so that the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            url: format!("ws://{addr}/ws/{{room}}"),
            addr,
            stderr,
            _dir: dir,
        }
    }
}

pub fn options(server: &Server, diverge_one: bool) -> Options {
    Options {
        target: Target {
            url: server.url.clone(),
            protocol: Protocol::YWebsocket,
        },
        server_pids: vec![server.child.id()],
        drain_timeout: Duration::from_secs(20),
        progress: false,
        diverge_one,
        create_url: None,
    }
}
