//! The server the load tests run against: the freshly built binary on an ephemeral port,
//! with the abuse limits out of the way (every simulated participant is 127.0.0.1).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cocreate_load::participant::Target;
use cocreate_load::run::Options;
use cocreate_load::wire::Protocol;

/// The server under test, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    _data: tempfile::TempDir,
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

/// Starts the server on an ephemeral port and waits for its `listening` line.
pub fn start_server() -> Server {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(server_binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--open-rooms",
            "--admin-key",
            "smoke",
            // Every simulated participant comes from 127.0.0.1 and sends faster than people.
            "--max-connections-per-ip",
            "1000000",
            "--max-messages-per-second",
            "1000000",
            "--max-bytes-per-second",
            "1099511627776",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .env_remove("COCREATE_REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cocreate");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("cocreate exited before listening")
            .expect("read cocreate output");
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
        _data: data,
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
