//! `cocreate-load history-costs`: what a session's reads cost as its history grows (issue 32).
//! For each size N it builds a session in which a citizen adds one card and a moderator then
//! types N keystrokes (each its own update), and times, median of a few calls: the citizen's
//! receipt, the published results, a decision, a new client's first sync with the room loaded,
//! and a cold load of the room after a restart; then the rush of 200 receipts at once after
//! the biggest session closes. It starts each server binary itself on loopback (a data
//! directory of its own), so that a baseline and a candidate are measured side by side.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use cocreate_protocol::{Message, SyncMessage};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::updates::decoder::Decode;
use yrs::{Doc, Map, MapPrelim, Out, StateVector, Text, TextPrelim, Transact, WriteTxn};

use crate::wire::{Incoming, Protocol, Wire};

const ADMIN_KEY: &str = "history-costs-admin-key";
/// Calls timed per figure; the median is reported.
const RUNS: usize = 5;
/// Restarts timed for the cold load; the median is reported.
const RESTARTS: usize = 3;
/// Keystrokes sent before waiting for the server to report them saved.
const WINDOW: u64 = 500;
/// Upper bound for anything the tool waits for.
const WAIT: Duration = Duration::from_secs(120);

/// One server binary's figures at each size.
pub struct Figures {
    pub name: String,
    pub sizes: Vec<usize>,
    /// Per figure (see [`FIGURES`]), per size: median milliseconds.
    pub ms: Vec<Vec<f64>>,
    /// The data directory's size at the end (every size's session).
    pub disk_mb: f64,
    /// The rush after the biggest session closed: all answered, the slowest one, in ms.
    pub rush: Option<(usize, f64, f64)>,
}

/// The timed figures, in the tables' order.
pub const FIGURES: [&str; 6] = [
    "`GET /api/receipts/{r}` (no token)",
    "`GET /api/results/{id}` (published)",
    "`PUT …/items/{item}/decision`",
    "a new client's first sync, room loaded",
    "cold load: first sync after a restart",
    "writing it: the N updates sent and saved",
];

/// Measures `bin` at every size of `sizes`, with `receipts` receipts asked at once at the end.
pub async fn measure(name: &str, bin: &Path, sizes: &[usize], receipts: usize) -> Result<Figures> {
    let data = tempfile_dir(name)?;
    let mut server = Server::start(bin, &data)?;
    server.ready().await?;
    let mut sessions = Vec::new();
    for &size in sizes {
        eprintln!("{name}: building a session of {size} updates");
        sessions.push(Built::new(&server, size).await?);
    }
    let mut ms = vec![Vec::new(); FIGURES.len()];
    for built in &sessions {
        eprintln!("{name}: timing the session of {} updates", built.size);
        ms[0].push(median(RUNS, || built.receipt(&server)).await?);
        ms[1].push(median(RUNS, || built.results(&server)).await?);
        ms[2].push(median(RUNS, || built.decide(&server)).await?);
        // The moderator stays connected, so the room stays loaded.
        let _moderator = Peer::connect(&server, &built.id, &built.moderator).await?;
        ms[3].push(median(RUNS, || built.sync_once(&server)).await?);
    }
    let mut cold: Vec<Vec<f64>> = vec![Vec::new(); sessions.len()];
    for _ in 0..RESTARTS {
        server.stop()?;
        server = Server::start(bin, &data)?;
        server.ready().await?;
        for (built, times) in sessions.iter().zip(&mut cold) {
            let started = Instant::now();
            built.sync_once(&server).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    ms[4] = cold.into_iter().map(middle).collect();
    ms[5] = sessions.iter().map(|built| built.written_ms).collect();
    let disk_mb = dir_mb(&data);
    let rush = match sessions.last() {
        Some(biggest) if receipts > 0 => Some(biggest.rush(&server, receipts).await?),
        _ => None,
    };
    server.stop()?;
    let _ = std::fs::remove_dir_all(&data);
    Ok(Figures {
        name: name.to_owned(),
        sizes: sizes.to_vec(),
        ms,
        disk_mb,
        rush,
    })
}

/// The Markdown table of every binary's figures, with the ratio of the biggest size to the
/// smallest.
pub fn table(all: &[Figures]) -> String {
    let Some(first) = all.first() else {
        return String::new();
    };
    let mut out = String::from("| figure | server |");
    for size in &first.sizes {
        out.push_str(&format!(" N = {size} |"));
    }
    out.push_str(" biggest ÷ smallest |\n|---|---|");
    out.push_str(&"---:|".repeat(first.sizes.len() + 1));
    out.push('\n');
    for (index, figure) in FIGURES.iter().enumerate() {
        for figures in all {
            let row = &figures.ms[index];
            out.push_str(&format!("| {figure} | {} |", figures.name));
            for value in row {
                out.push_str(&format!(" {value:.1} ms |"));
            }
            let ratio = match (row.first(), row.last()) {
                (Some(a), Some(b)) if *a > 0.0 => format!("{:.1}×", b / a),
                _ => "–".into(),
            };
            out.push_str(&format!(" {ratio} |\n"));
        }
    }
    for figures in all {
        out.push_str(&format!(
            "\n{}: data on disk for all sizes: {:.1} MB",
            figures.name, figures.disk_mb
        ));
        if let Some((count, all_ms, slowest)) = figures.rush {
            out.push_str(&format!(
                "\n{}: {count} receipts asked at once after the biggest session closed: all answered in {all_ms:.0} ms (slowest {slowest:.0} ms)",
                figures.name
            ));
        }
    }
    out.push('\n');
    out
}

/// A server process on loopback.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(bin: &Path, data: &Path) -> Result<Server> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new(bin)
            .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(data)
            .args([
                "--admin-key",
                ADMIN_KEY,
                "--token-secret",
                "history-costs-token-secret-of-32-characters-or-more",
            ])
            .args(["--max-messages-per-second", "1000000000"])
            .args(["--max-bytes-per-second", "1000000000000"])
            .args(["--join-attempts-per-minute", "1000000"])
            .args(["--max-connections-per-ip", "1000000"])
            .env("RUST_LOG", "warn")
            // The receipt rush comes from one address (older servers ignore the variable).
            .env("COCREATE_PUBLIC_READS_PER_MINUTE", "1000000")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        Ok(Server { child, addr })
    }

    async fn ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited: {status}");
            }
            if let Ok((200, _)) = http(self.addr, "GET", "/readyz", None, None).await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server was not ready in time")
    }

    /// Stops the server as an operator does (SIGTERM: it writes its checkpoints).
    fn stop(&mut self) -> Result<()> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        self.child.wait()?;
        Ok(())
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value> {
        let (status, body) = http(self.addr, method, path, token, body).await?;
        if !(200..300).contains(&status) {
            bail!("{method} {path}: {status} {body}");
        }
        Ok(body)
    }
}

/// A session built for one size: who is in it and what they wrote.
struct Built {
    size: usize,
    id: String,
    code: String,
    moderator: String,
    citizen: String,
    receipt: String,
    card: String,
    /// How long the moderator's updates took to send and be saved (the write path of a
    /// session's room: authorship, zone rules, the log).
    written_ms: f64,
}

impl Built {
    async fn new(server: &Server, size: usize) -> Result<Built> {
        let created = server
            .call("POST", "/api/sessions", Some(ADMIN_KEY), Some(json!({"title": format!("History {size}"), "template": "canvas", "language": "en"})))
            .await?;
        let id = text(&created["id"])?;
        let invite = text(&created["invites"]["moderator"]["token"])?;
        let moderator = server
            .call(
                "POST",
                "/api/join",
                None,
                Some(json!({"invite": invite, "display_name": "Mo"})),
            )
            .await?;
        let code = text(&created["join_code"])?;
        let citizen = server
            .call(
                "POST",
                "/api/join",
                None,
                Some(json!({"code": code, "display_name": "Ann"})),
            )
            .await?;
        let mut built = Built {
            size,
            id,
            code,
            moderator: text(&moderator["token"])?,
            citizen: text(&citizen["token"])?,
            receipt: text(&citizen["receipt"])?,
            card: "card-ann".into(),
            written_ms: 0.0,
        };
        let mut ann = Peer::connect(server, &built.id, &built.citizen).await?;
        ann.edit(|txn| add_card(txn, "card-ann", "A question about the permit"))
            .await?;
        ann.wait_saved().await?;
        let mut mo = Peer::connect(server, &built.id, &built.moderator).await?;
        let writing = Instant::now();
        mo.edit(|txn| add_card(txn, "note-mo", "")).await?;
        for _ in 1..size {
            mo.edit(|txn| type_key(txn, "note-mo")).await?;
            if mo.sent - mo.saved >= WINDOW {
                mo.wait_saved_to(mo.sent - WINDOW / 2).await?;
            }
        }
        mo.wait_saved().await?;
        built.written_ms = writing.elapsed().as_secs_f64() * 1000.0;
        let path = format!("/api/sessions/{}/publish", built.id);
        server
            .call("POST", &path, Some(&built.moderator), None)
            .await?;
        Ok(built)
    }

    async fn receipt(&self, server: &Server) -> Result<()> {
        let body = server
            .call(
                "GET",
                &format!("/api/receipts/{}", self.receipt),
                None,
                None,
            )
            .await?;
        if body["contributions"]
            .as_array()
            .is_none_or(|c| c.is_empty())
        {
            bail!("the receipt lists nothing: {body}");
        }
        Ok(())
    }

    async fn results(&self, server: &Server) -> Result<()> {
        server
            .call("GET", &format!("/api/results/{}", self.id), None, None)
            .await?;
        Ok(())
    }

    async fn decide(&self, server: &Server) -> Result<()> {
        let path = format!("/api/sessions/{}/items/{}/decision", self.id, self.card);
        let body = json!({"status": "accepted", "explanation": "We will do this."});
        server
            .call("PUT", &path, Some(&self.moderator), Some(body))
            .await?;
        Ok(())
    }

    async fn sync_once(&self, server: &Server) -> Result<()> {
        Peer::connect(server, &self.id, &self.citizen)
            .await
            .map(drop)
    }

    /// `count` new citizens join, the session closes, and they all ask for their receipt at once.
    async fn rush(&self, server: &Server, count: usize) -> Result<(usize, f64, f64)> {
        let mut receipts = Vec::with_capacity(count);
        for i in 0..count {
            let joined = server
                .call(
                    "POST",
                    "/api/join",
                    None,
                    Some(json!({"code": self.code, "display_name": format!("P{i}")})),
                )
                .await?;
            receipts.push(text(&joined["receipt"])?);
        }
        let path = format!("/api/sessions/{}/close", self.id);
        server
            .call("POST", &path, Some(&self.moderator), None)
            .await?;
        let started = Instant::now();
        let asks = receipts.iter().map(|r| {
            let path = format!("/api/receipts/{r}");
            async move {
                let (status, _) = http(server.addr, "GET", &path, None, None).await?;
                anyhow::ensure!(status == 200, "receipt answered {status}");
                Ok::<_, anyhow::Error>(started.elapsed().as_secs_f64() * 1000.0)
            }
        });
        let times = futures_util::future::try_join_all(asks).await?;
        let slowest = times.iter().copied().fold(0.0, f64::max);
        Ok((count, started.elapsed().as_secs_f64() * 1000.0, slowest))
    }
}

/// A y-websocket peer with a token, keeping a replica of the board.
struct Peer {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    wire: Wire,
    doc: Doc,
    sent: u64,
    saved: u64,
}

impl Peer {
    /// Connects and completes the sync handshake (until the server's step 2 arrived).
    async fn connect(server: &Server, room: &str, token: &str) -> Result<Peer> {
        let url = format!("ws://{}/ws/{room}?token={token}&cocreate=1", server.addr);
        let (socket, _) = tokio_tungstenite::connect_async(&url)
            .await
            .context("connecting")?;
        let mut peer = Peer {
            socket,
            wire: Wire::new(Protocol::YWebsocket, room),
            doc: Doc::new(),
            sent: 0,
            saved: 0,
        };
        for frame in peer.wire.opening(&StateVector::default()) {
            peer.socket.send(WsMessage::Binary(frame.into())).await?;
        }
        peer.read_until(|_, step2| step2).await?;
        Ok(peer)
    }

    async fn edit(&mut self, change: impl FnOnce(&mut yrs::TransactionMut)) -> Result<()> {
        let update = {
            let mut txn = self.doc.transact_mut();
            change(&mut txn);
            txn.encode_update_v1()
        };
        let frame = self.wire.frame(&Message::Sync(SyncMessage::Update(update)));
        self.socket.send(WsMessage::Binary(frame.into())).await?;
        self.sent += 1;
        Ok(())
    }

    async fn wait_saved(&mut self) -> Result<()> {
        self.wait_saved_to(self.sent).await
    }

    async fn wait_saved_to(&mut self, count: u64) -> Result<()> {
        self.read_until(|peer, _| peer.saved >= count).await
    }

    async fn read_until(&mut self, mut done: impl FnMut(&Peer, bool) -> bool) -> Result<()> {
        if done(self, false) {
            return Ok(());
        }
        let reading = async {
            while let Some(message) = self.socket.next().await {
                let WsMessage::Binary(frame) = message? else {
                    continue;
                };
                let mut step2 = false;
                for incoming in self.wire.messages(&frame).map_err(|e| anyhow!("{e:?}"))? {
                    match incoming {
                        Incoming::Saved(count) => self.saved = count,
                        Incoming::SyncStep2(payload) | Incoming::Update(payload) => {
                            let update = yrs::Update::decode_v1(payload)?;
                            self.doc.transact_mut().apply_update(update)?;
                            step2 |= matches!(incoming, Incoming::SyncStep2(_));
                        }
                        _ => {}
                    }
                }
                if done(self, step2) {
                    return Ok(());
                }
            }
            bail!("the server hung up")
        };
        tokio::time::timeout(WAIT, reading)
            .await
            .context("waiting for the server")?
    }
}

/// Adds a card as the web client does (`items` map, `type`, `text`).
fn add_card(txn: &mut yrs::TransactionMut, id: &str, text: &str) {
    let items = txn.get_or_insert_map("items");
    let card = items.insert(txn, id, MapPrelim::default());
    card.insert(txn, "type", "card");
    card.insert(txn, "text", TextPrelim::new(text));
}

/// Types one character at the end of a card's text.
fn type_key(txn: &mut yrs::TransactionMut, id: &str) {
    let items = txn.get_or_insert_map("items");
    let Some(Out::YMap(card)) = items.get(txn, id) else {
        return;
    };
    let Some(Out::YText(text)) = card.get(txn, "text") else {
        return;
    };
    let end = text.len(txn);
    text.insert(txn, end, "k");
}

/// A bare HTTP/1.1 request on loopback: status and JSON body.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value)> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("no HTTP status in {answer:.80}"))?;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

async fn median<F, Fut>(runs: usize, mut call: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        call().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(middle(times))
}

fn middle(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(0.0)
}

fn text(value: &Value) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("expected a string, got {value}"))
}

fn tempfile_dir(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("history-costs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn dir_mb(dir: &Path) -> f64 {
    fn size(path: &Path) -> u64 {
        match std::fs::read_dir(path) {
            Ok(entries) => entries.flatten().map(|e| size(&e.path())).sum(),
            Err(_) => std::fs::metadata(path).map_or(0, |m| m.len()),
        }
    }
    size(dir) as f64 / 1e6
}
