//! A real redis-server for tests, listening only on a unix socket in a directory of its own
//! (no TCP port to collide on): either one a test owns and breaks ([`RedisServer`]: kill,
//! stop, restart on the same data), or one shared by every test of a binary ([`shared_url`]).
//! [`RedisServer::start_tls`] adds a TLS-only TCP port, with certificates made by `openssl`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long redis-server may take to answer after it is started: it takes milliseconds.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a group of servers may take to form (a replica to sync, a cluster to agree), or a
/// failover to complete: seconds, usually.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a missing redis-server tells the person running the tests.
const NOT_INSTALLED: &str = "redis-server (run scripts/install-test-deps.sh or `make test-deps`)";

/// A redis-server of one test's own, with an append-only file fsynced on every write: killing
/// it loses nothing it answered (as with `appendfsync always` in production), and a restart
/// reads it all back. Killed when dropped.
pub struct RedisServer {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The TLS port of [`RedisServer::start_tls`].
    tls_port: Option<u16>,
    /// A configuration file, given first (a sentinel's: the sentinel rewrites it).
    config: Option<PathBuf>,
    /// Arguments after the launcher's own (TLS, TCP port, replication settings).
    extra: Vec<OsString>,
}

impl RedisServer {
    /// Starts one in a new temporary directory; returns once it answers.
    pub fn start() -> RedisServer {
        let mut redis = RedisServer::unstarted();
        redis.restart();
        redis
    }

    /// Starts one that takes TCP connections only over TLS, on 127.0.0.1, with a certificate
    /// for `localhost` signed by a CA of its own (see [`RedisServer::tls_file`]). With
    /// `client_certificates`, it also requires clients to present one signed by that CA.
    pub fn start_tls(client_certificates: bool) -> RedisServer {
        let mut redis = RedisServer::unstarted();
        let dir = redis.dir.path();
        crate::certificates::make(dir);
        let port = free_port();
        redis.extra = vec![
            "--tls-port".into(),
            port.to_string().into(),
            "--tls-cert-file".into(),
            dir.join("server.crt").into(),
            "--tls-key-file".into(),
            dir.join("server.key").into(),
            "--tls-ca-cert-file".into(),
            dir.join("ca.crt").into(),
            "--tls-auth-clients".into(),
            if client_certificates { "yes" } else { "no" }.into(),
        ];
        redis.tls_port = Some(port);
        redis.restart();
        redis
    }

    /// Starts one with `config` first and `extra` after the launcher's own arguments, given
    /// the directory it will have.
    pub(crate) fn start_with(
        config: impl FnOnce(&Path) -> Option<PathBuf>,
        extra: Vec<OsString>,
    ) -> RedisServer {
        let mut redis = RedisServer::unstarted();
        redis.config = config(redis.dir.path());
        redis.extra = extra;
        redis.restart();
        redis
    }

    fn unstarted() -> RedisServer {
        let dir = tempfile::Builder::new()
            .prefix("cocreate-redis-")
            .tempdir()
            .expect("temporary directory");
        RedisServer {
            dir,
            child: None,
            tls_port: None,
            config: None,
            extra: Vec::new(),
        }
    }

    /// The process id while it runs (for CPU and memory figures).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }

    /// The URL the server's `--redis-url` takes.
    pub fn url(&self) -> String {
        url_of(&socket_in(self.dir.path()))
    }

    /// The `rediss://` URL of a server from [`RedisServer::start_tls`].
    pub fn tls_url(&self) -> String {
        let port = self.tls_port.expect("started with start_tls");
        format!("rediss://localhost:{port}")
    }

    /// A PEM file of [`RedisServer::start_tls`]: `ca.crt`, or the client's `client.crt` and
    /// `client.key`.
    pub fn tls_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts it (again) on its directory, keeping what it stored; returns once it answers.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "redis-server is already running");
        let dir = self.dir.path();
        let _ = std::fs::remove_file(socket_in(dir));
        let mut child = Command::new("redis-server")
            .args(&self.config)
            .args(arguments(dir, Persistence::Durable))
            .args(&self.extra)
            .stdout(Stdio::null())
            .spawn()
            .expect(NOT_INSTALLED);
        if let Err(e) = blocking(|| wait_until_answering(dir, &mut child)) {
            let _ = child.kill();
            panic!("{e}");
        }
        self.child = Some(child);
    }

    /// `kill -9`: it dies at once; what it acknowledged is in its fsynced append-only file.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("redis-server is running");
        child.kill().expect("SIGKILL");
        blocking(|| child.wait()).expect("reap redis-server");
    }

    /// Stops it the way an operator does (SIGTERM: it finishes its append-only file) and
    /// waits until it has exited.
    pub fn stop(&mut self) {
        let mut child = self.child.take().expect("redis-server is running");
        let pid = child.id().to_string();
        let status = Command::new("kill").arg(&pid).status().expect("kill");
        assert!(status.success(), "kill -TERM {pid} failed");
        blocking(|| child.wait()).expect("reap redis-server");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The URL of this test binary's shared redis-server, started on first use: it persists
/// nothing, so tests keep apart by key prefix. Fails the test with a way out when redis-server
/// is not installed: skipping would pass without testing anything.
pub fn shared_url() -> String {
    static SHARED: OnceLock<Result<SharedServer, String>> = OnceLock::new();
    match SHARED.get_or_init(SharedServer::start) {
        Ok(server) => url_of(&socket_in(&server.dir)),
        Err(e) => panic!("{e}"),
    }
}

/// Runs redis-server and ends it when its standard input closes, which happens when the test
/// process exits, even when it is killed: the test process alone holds the pipe's write end
/// (Rust opens pipes close-on-exec, so no other child inherits it). Then removes the directory.
const WATCHDOG: &str = r#"redis-server "$@" & server=$!
read -r _ignored
kill "$server" 2>/dev/null
wait "$server"
rm -rf "$REDIS_TEST_DIR""#;

/// The shared server. Kept in a static for the whole test process: statics are never dropped,
/// so the watchdog's stdin stays open until the process exits.
struct SharedServer {
    dir: PathBuf,
    _watchdog: Child,
    _stdin: ChildStdin,
}

impl SharedServer {
    fn start() -> Result<SharedServer, String> {
        let dir = tempfile::Builder::new()
            .prefix("cocreate-redis-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?
            .keep();
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .args(arguments(&dir, Persistence::None))
            .env("REDIS_TEST_DIR", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {NOT_INSTALLED}: {e}"))?;
        let stdin = watchdog
            .stdin
            .take()
            .ok_or("no stdin pipe to redis-server")?;
        wait_until_answering(&dir, &mut watchdog)?;
        Ok(SharedServer {
            dir,
            _watchdog: watchdog,
            _stdin: stdin,
        })
    }
}

/// Whether a server keeps its data across a restart.
#[derive(Clone, Copy, PartialEq)]
enum Persistence {
    /// An append-only file fsynced on every write.
    Durable,
    /// Nothing on disk.
    None,
}

/// redis-server's arguments: only the unix socket in `dir`, its files and log there.
fn arguments(dir: &Path, persistence: Persistence) -> Vec<OsString> {
    let durable = persistence == Persistence::Durable;
    let mut args: Vec<OsString> = ["--port", "0", "--unixsocket"].map(Into::into).into();
    args.push(socket_in(dir).into());
    args.extend(
        [
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            if durable { "yes" } else { "no" },
            "--appendfsync",
            if durable { "always" } else { "everysec" },
            "--daemonize",
            "no",
        ]
        .map(OsString::from),
    );
    args.extend(["--dir".into(), dir.as_os_str().to_owned()]);
    args.extend(["--logfile".into(), dir.join("redis.log").into()]);
    args
}

impl RedisServer {
    /// Sends one command in Redis's inline form on the unix socket and reads the answer (what
    /// one read returns: enough for short answers).
    pub fn ask(&self, command: &str) -> String {
        let mut stream = UnixStream::connect(socket_in(self.dir.path())).expect("connect");
        stream
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("send a command");
        let mut answer = [0; 4096];
        let read = stream.read(&mut answer).expect("read the answer");
        String::from_utf8_lossy(&answer[..read]).into_owned()
    }
}

/// A TCP port nothing listens on now (the OS picks it); redis-server cannot pick its own and
/// say which.
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn socket_in(dir: &Path) -> PathBuf {
    dir.join("redis.sock")
}

fn url_of(socket: &Path) -> String {
    format!("redis+unix://{}", socket.display())
}

/// Waits (bounded) until Redis answers a PING with PONG on its socket (while it loads its
/// append-only file it accepts connections but answers `-LOADING`): a process start gives no
/// other event to await. Says why, with its log, when it exits or takes too long.
fn wait_until_answering(dir: &Path, child: &mut Child) -> Result<(), String> {
    let socket = socket_in(dir);
    let deadline = Instant::now() + START_TIMEOUT;
    while !pongs(&socket) {
        if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
            let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
            return Err(format!(
                "redis-server did not answer on {} (is it installed? {NOT_INSTALLED}); its log:\n{log}",
                socket.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

fn pongs(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let mut answer = [0; 5];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG"
}

/// Polls `done` (bounded) until it holds: the processes give no event to await.
pub(crate) fn settle(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `f`, which blocks for milliseconds, without holding up the other tasks of a
/// multi-threaded tokio runtime it may be called from.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_it_answered_survives_a_kill_and_a_stop() {
        let mut redis = RedisServer::start();
        assert!(redis.url().starts_with("redis+unix://"));
        assert_eq!(redis.ask("SET board kept"), "+OK\r\n");
        redis.kill();
        assert!(
            !pongs(&socket_in(redis.dir.path())),
            "killed, yet answering"
        );
        redis.restart();
        assert_eq!(redis.ask("GET board"), "$4\r\nkept\r\n");
        redis.stop();
        redis.restart();
        assert_eq!(redis.ask("GET board"), "$4\r\nkept\r\n");
    }

    #[test]
    fn the_shared_server_is_one_per_process() {
        assert_eq!(shared_url(), shared_url());
        let socket = shared_url().replace("redis+unix://", "");
        assert!(pongs(Path::new(&socket)));
    }
}
