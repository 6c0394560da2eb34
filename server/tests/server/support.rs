//! Test harness: an in-process server on 127.0.0.1:0 and a protocol-speaking client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use cocreate_protocol::{cocreate, decode_frame, Message, SyncMessage};
use cocreate_server::config::ServeConfig;
use cocreate_server::room_id::RoomId;
use cocreate_server::storage::{NewRecord, Origin, Storage};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Doc, GetString, Map, MapPrelim, Out, ReadTxn, Text, TextPrelim, TextRef, Transact, Update,
};

/// Upper bound for anything a test waits for; reaching it fails the test.
pub const WAIT: Duration = Duration::from_secs(10);

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The real server, serving in this process.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), cocreate_server::StartError>>,
    /// The data directory the server made for itself (`fresh`), removed with the server.
    _own_data: Option<tempfile::TempDir>,
}

/// The admin key of test servers.
pub const ADMIN_KEY: &str = "test-admin-key";

/// A test server's configuration: rooms open without tokens (as the sync tests need), a
/// known admin key, and rate limits out of the way (tests send far faster than people;
/// `limits.rs` tests the limits with its own settings).
pub fn open_config(data_dir: &Path) -> ServeConfig {
    let mut config = ServeConfig::with_data_dir(data_dir);
    config.open_rooms = true;
    config.admin_key = Some(ADMIN_KEY.into());
    config.max_messages_per_second = 1_000_000;
    config.max_bytes_per_second = 1 << 40;
    config.join_attempts_per_minute = 1_000_000;
    config.public_reads_per_minute = 1_000_000;
    config
}

/// A server with sessions only (no open rooms), storing in `dir`.
pub async fn session_server(dir: &Path) -> TestServer {
    let mut config = open_config(dir);
    config.open_rooms = false;
    TestServer::start_with(config).await
}

/// A node with sessions only on the tests' shared Redis, its keys under `prefix`.
pub async fn redis_node(prefix: &str, node: &str) -> TestServer {
    TestServer::fresh_with(|config| {
        config.open_rooms = false;
        config.store.redis_url = Some(crate::redis_server::url());
        config.store.redis_prefix = prefix.to_owned();
        config.node_id = Some(node.to_owned());
    })
    .await
}

/// Nodes `a` and `b` with sessions only, sharing the tests' Redis under a fresh prefix
/// (returned, for the store itself or more nodes).
pub async fn two_redis_nodes() -> (String, TestServer, TestServer) {
    let prefix = crate::redis_server::unique_prefix();
    let a = redis_node(&prefix, "a").await;
    let b = redis_node(&prefix, "b").await;
    (prefix, a, b)
}

impl TestServer {
    pub async fn start(data_dir: &Path) -> Self {
        Self::start_with(open_config(data_dir)).await
    }

    pub async fn start_with(config: ServeConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(cocreate_server::serve(listener, config, shutdown.clone()));
        TestServer {
            addr,
            shutdown,
            task,
            _own_data: None,
        }
    }

    /// A server with the test configuration on a data directory of its own.
    pub async fn fresh() -> Self {
        Self::fresh_with(|_| {}).await
    }

    /// A server on a data directory of its own, with the test configuration as `change` leaves
    /// it.
    pub async fn fresh_with(change: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temporary data directory");
        let mut config = open_config(dir.path());
        change(&mut config);
        let server = Self::start_with(config).await;
        TestServer {
            _own_data: Some(dir),
            ..server
        }
    }

    /// `N` clients connected to `room`, one after the other, each synced.
    pub async fn connect_synced<const N: usize>(&self, room: &str) -> [Client; N] {
        let mut clients = Vec::with_capacity(N);
        for _ in 0..N {
            clients.push(Client::connect(&self.url(room)).await);
        }
        match clients.try_into() {
            Ok(clients) => clients,
            Err(_) => unreachable!("N clients were connected"),
        }
    }

    pub fn url(&self, room: &str) -> String {
        format!("ws://{}/ws/{room}", self.addr)
    }

    /// Graceful shutdown, as on SIGTERM; returns once every room is stored.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task
            .await
            .expect("server task")
            .expect("server result");
    }

    /// A minimal HTTP GET: status code and JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.call("GET", path, None, None).await
    }

    /// An HTTP request with a bearer token and JSON body: status code and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let request = http_request(method, path, token, body);
        let (status, _, body) = exchange(self.addr, &request).await;
        let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// An HTTP request whose answer must be `expected`: a status and the error `code` in its
    /// body.
    pub async fn call_expect(
        &self,
        expected: (u16, &str),
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) {
        let (status, body) = self.call(method, path, token, body).await;
        assert_eq!(
            (status, &body["code"]),
            (expected.0, &serde_json::json!(expected.1)),
            "{method} {path}: {body}"
        );
    }

    /// Creates a session with the admin key (`body`: title, template, language, research):
    /// the answer's body, which must be 201 Created.
    pub async fn create_session(&self, body: serde_json::Value) -> serde_json::Value {
        let (status, created) = self
            .call("POST", "/api/sessions", Some(ADMIN_KEY), Some(body))
            .await;
        assert_eq!(status, 201, "{created}");
        created
    }

    /// Joins a session by its code with a display name: the personal token and participant id.
    pub async fn join(&self, code: &str, name: &str) -> (String, String) {
        let body = serde_json::json!({"code": code, "display_name": name});
        let (status, body) = self.call("POST", "/api/join", None, Some(body)).await;
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap().to_owned();
        (token, body["participant_id"].as_str().unwrap().to_owned())
    }

    /// Every sample of `/metrics`, by name with labels (`name{labels}`), checking the format.
    pub async fn scrape(&self) -> HashMap<String, f64> {
        let (status, headers, body) = self.fetch("/metrics", "").await;
        assert_eq!(status, 200);
        assert!(headers["content-type"].starts_with("text/plain; version=0.0.4"));
        let text = String::from_utf8(body).unwrap();
        let mut samples = HashMap::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(comment) = line.strip_prefix('#') {
                assert!(
                    comment.starts_with(" HELP cocreate_")
                        || comment.starts_with(" TYPE cocreate_"),
                    "{line}"
                );
                continue;
            }
            let (name, value) = line.rsplit_once(' ').expect("name and value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("number in {line}"));
            assert!(
                samples.insert(name.to_owned(), value).is_none(),
                "twice: {name}"
            );
        }
        samples
    }

    /// A GET with a bearer token: status, headers and the body's bytes (NDJSON, zip).
    pub async fn fetch(&self, path: &str, token: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
        exchange(self.addr, &http_request("GET", path, Some(token), None)).await
    }
}

/// A fresh server (test configuration, a data directory of its own) and `N` clients synced in
/// `room`: the opening of most sync tests.
pub async fn connect_synced<const N: usize>(room: &str) -> (TestServer, [Client; N]) {
    let server = TestServer::fresh().await;
    let clients = server.connect_synced(room).await;
    (server, clients)
}

/// An HTTP/1.0 request (so the answer is never chunked) with an optional bearer token and
/// JSON body.
pub fn http_request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> String {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!(
        "{method} {path} HTTP/1.0\r\nHost: test\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Sends an `http_request` and reads the answer: status, headers (lower-case names) and the
/// body's bytes. An `/api` answer must match the OpenAPI description (`openapi.rs`).
pub async fn exchange(addr: SocketAddr, request: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head[9..12].parse().expect("status");
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    let body = response[split + 4..].to_vec();
    crate::openapi::check_exchange(request, status, &headers, &body);
    (status, headers, body)
}

/// The string `key` of each object in a JSON array (participants, audit entries, rows).
pub fn strings<'a>(array: &'a serde_json::Value, key: &str) -> Vec<&'a str> {
    let rows = array.as_array().expect("a JSON array");
    rows.iter()
        .map(|row| row[key].as_str().expect("a string"))
        .collect()
}

/// The `key` of each object in a JSON array, as JSON (decisions' items, audit actions).
pub fn fields<'a>(array: &'a serde_json::Value, key: &str) -> Vec<&'a serde_json::Value> {
    let rows = array.as_array().expect("a JSON array");
    rows.iter().map(|row| &row[key]).collect()
}

/// Adds a card to the board's `items` map, as the web client does (`web-client/README.md`).
pub async fn add_card(client: &mut Client, id: &str, text: &str, author: &str) {
    add_card_at(client, id, text, author, &[]).await;
}

/// [`add_card`] with more fields (`("lane", "lane-actions")`): where the card lies.
pub async fn add_card_at(
    client: &mut Client,
    id: &str,
    text: &str,
    author: &str,
    fields: &[(&str, &str)],
) {
    let items = client.doc.get_or_insert_map("items");
    let (id, text, author) = (id.to_owned(), text.to_owned(), author.to_owned());
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    client
        .edit(move |txn| {
            let card = items.insert(txn, id, MapPrelim::default());
            card.insert(txn, "type", "card");
            card.insert(txn, "text", TextPrelim::new(text));
            card.insert(txn, "author", author);
            for (key, value) in fields {
                card.insert(txn, key, value);
            }
        })
        .await;
}

/// Sets vote keys (`item|participant|n`) in one update, as the web client (or a modified one)
/// does.
pub async fn vote(client: &mut Client, keys: &[String]) {
    let votes = client.doc.get_or_insert_map("votes");
    client
        .edit(|txn| {
            for key in keys {
                votes.insert(txn, key.as_str(), 1.0);
            }
        })
        .await;
}

/// Adds a comment on `card` to the board's `items` map, as the web client does, and waits until
/// it is stored.
pub async fn add_comment(client: &mut Client, id: &str, card: &str, text: &str, author: &str) {
    let items = client.doc.get_or_insert_map("items");
    let (id, card, text, author) = (
        id.to_owned(),
        card.to_owned(),
        text.to_owned(),
        author.to_owned(),
    );
    client
        .edit(move |txn| {
            let comment = items.insert(txn, id, MapPrelim::default());
            comment.insert(txn, "type", "comment");
            comment.insert(txn, "parent", card);
            comment.insert(txn, "text", TextPrelim::new(text));
            comment.insert(txn, "author", author);
        })
        .await;
    client.wait_all_saved().await;
}

/// Appends `text` to a card's text.
pub async fn type_into(client: &mut Client, card: &str, text: &str) {
    let items = client.doc.get_or_insert_map("items");
    let (card, text) = (card.to_owned(), text.to_owned());
    client
        .edit(move |txn| {
            let Some(Out::YMap(item)) = items.get(txn, &card) else {
                panic!("no card")
            };
            let Some(Out::YText(t)) = item.get(txn, "text") else {
                panic!("no text")
            };
            let end = t.len(txn);
            t.insert(txn, end, &text);
        })
        .await;
}

/// A card's text as a client sees it.
pub fn card_text(client: &Client, id: &str) -> Option<String> {
    let items = client.doc.get_or_insert_map("items");
    let txn = client.doc.transact();
    let Some(Out::YMap(card)) = items.get(&txn, id) else {
        return None;
    };
    match card.get(&txn, "text") {
        Some(Out::YText(text)) => Some(text.get_string(&txn)),
        _ => None,
    }
}

/// `count` small updates, each inserting one character at the end of the text.
pub fn typing(count: usize) -> Vec<Bytes> {
    let doc = Doc::with_client_id(7);
    let text = doc.get_or_insert_text("text");
    (0..count)
        .map(|i| {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, i as u32, "k");
            Bytes::from(txn.encode_update_v1())
        })
        .collect()
}

/// Appends `count` updates of `typing` to `room`'s log in pages of `page`, the n-th stamped
/// `at_ms(n)`, as if another node had stored them: a long session's log, built without clients.
pub async fn append_typing<S: Storage + ?Sized>(
    storage: &S,
    room: &RoomId,
    count: usize,
    page: usize,
    at_ms: impl Fn(usize) -> u64,
) {
    let updates = typing(count);
    for (first, chunk) in updates.chunks(page).enumerate() {
        let records = chunk
            .iter()
            .enumerate()
            .map(|(i, update)| NewRecord {
                at_ms: at_ms(first * page + i),
                origin: Origin {
                    node: "elsewhere".into(),
                    connection: 1,
                    participant: None,
                },
                update: update.clone(),
            })
            .collect();
        storage.append(room, records).await.expect("append");
    }
}

/// A file of a downloaded zip (an export), as text.
pub fn zip_file(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
    use std::io::Read;
    let mut content = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the zip"))
        .read_to_string(&mut content)
        .unwrap();
    content
}

/// The length of a document's text.
pub fn text_len(doc: &Doc) -> usize {
    let text = doc.get_or_insert_text("text");
    let len = text.get_string(&doc.transact()).len();
    len
}

/// Now, in ms since the Unix epoch, as the server's times are.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Opens a raw WebSocket to a room.
pub async fn raw_socket(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connect")
        .0
}

/// Reads until the server closes the socket; returns the close code and reason.
pub async fn close_of(socket: &mut Socket) -> (u16, String) {
    let close = tokio::time::timeout(WAIT, async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(WsMessage::Close(Some(frame))) => {
                    return (u16::from(frame.code), frame.reason.to_string())
                }
                Ok(WsMessage::Close(None)) => return (u16::from(CloseCode::Status), String::new()),
                Ok(_) => continue,
                Err(e) => panic!("socket failed before a close frame: {e}"),
            }
        }
        panic!("socket ended without a close frame")
    });
    close.await.expect("no close frame in time")
}

/// Reads raw frames until one holds `needle`; whether an earlier one held `secret`.
pub async fn frames_until(socket: &mut Socket, needle: &str, secret: &str) -> bool {
    let read = async {
        let mut leaked = false;
        while let Some(Ok(message)) = socket.next().await {
            let bytes = match message {
                WsMessage::Binary(bytes) => bytes.to_vec(),
                WsMessage::Text(text) => text.as_bytes().to_vec(),
                _ => continue,
            };
            let holds = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
            if holds(needle) {
                return leaked;
            }
            leaked |= holds(secret);
        }
        panic!("socket ended before {needle:?}")
    };
    tokio::time::timeout(WAIT, read).await.expect("in time")
}

/// A Yjs peer: a yrs document kept in sync with a room, and the presence states it heard.
pub struct Client {
    pub socket: Socket,
    pub doc: Doc,
    text: TextRef,
    /// Awareness client id -> (clock, JSON state) as last received.
    pub presence: HashMap<u64, (u32, String)>,
    /// Update messages this client sent, and how many of them the server reported saved.
    pub sent_updates: u64,
    pub saved: u64,
    /// The newest session message (type 101) and permission-denied reason received.
    pub session: Option<serde_json::Value>,
    pub denied: Option<String>,
}

impl Client {
    /// `doc` (a fresh document, with the client id a test needs) holding what this client's
    /// document holds: for building updates on the board as this client sees it.
    pub fn copied_into(&self, doc: Doc) -> Doc {
        let state = self
            .doc
            .transact()
            .encode_state_as_update_v1(&Default::default());
        doc.transact_mut()
            .apply_update(yrs::Update::decode_v1(&state).unwrap())
            .unwrap();
        doc
    }

    /// Connects with a new document and completes the sync handshake.
    pub async fn connect(url: &str) -> Self {
        Self::connect_with(url, Doc::new()).await
    }

    /// Connects with an existing document (a client coming back online) and syncs.
    pub async fn connect_with(url: &str, doc: Doc) -> Self {
        let text = doc.get_or_insert_text("text");
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}{}=1", cocreate_server::COCREATE_PARAM);
        let mut client = Client {
            socket: raw_socket(&url).await,
            doc,
            text,
            presence: HashMap::new(),
            sent_updates: 0,
            saved: 0,
            session: None,
            denied: None,
        };
        let sv = client.doc.transact().state_vector();
        client
            .send(&Message::Sync(SyncMessage::SyncStep1(sv)))
            .await;
        let mut synced = false;
        client
            .read_until(|_, frame_had_step2| {
                synced |= frame_had_step2;
                synced
            })
            .await;
        client
    }

    pub async fn send(&mut self, message: &Message) {
        if let Message::Sync(SyncMessage::SyncStep2(_) | SyncMessage::Update(_)) = message {
            self.sent_updates += 1;
        }
        self.socket
            .send(WsMessage::Binary(message.encode_v1().into()))
            .await
            .expect("send");
    }

    pub fn text(&self) -> String {
        self.text.get_string(&self.doc.transact())
    }

    /// Inserts text locally and sends the update, as a Yjs provider does.
    pub async fn insert(&mut self, index: u32, chunk: &str) {
        let text = self.text.clone();
        self.edit(|txn| text.insert(txn, index, chunk)).await;
    }

    /// Deletes text locally and sends the update.
    pub async fn remove(&mut self, index: u32, len: u32) {
        let text = self.text.clone();
        self.edit(|txn| text.remove_range(txn, index, len)).await;
    }

    /// Runs a local transaction and sends what it changed.
    pub async fn edit(&mut self, change: impl FnOnce(&mut yrs::TransactionMut)) {
        let update = {
            let mut txn = self.doc.transact_mut();
            change(&mut txn);
            txn.encode_update_v1()
        };
        self.send(&Message::Sync(SyncMessage::Update(update))).await;
    }

    /// Processes incoming messages until the text satisfies `done`.
    pub async fn wait_text(&mut self, mut done: impl FnMut(&str) -> bool) -> String {
        self.read_until(|client, _| done(&client.text())).await;
        self.text()
    }

    /// Processes incoming messages until the server reports every sent update saved.
    pub async fn wait_all_saved(&mut self) {
        self.read_until(|client, _| client.saved == client.sent_updates)
            .await;
    }

    /// Processes one incoming frame.
    pub async fn read_one(&mut self) {
        let mut first = true;
        self.read_until(|_, _| !std::mem::take(&mut first)).await;
    }

    /// Processes incoming messages until the text of card `id` (`None`: no such card, or no
    /// text) satisfies `done`.
    pub async fn wait_card(&mut self, id: &str, mut done: impl FnMut(Option<&str>) -> bool) {
        self.read_until(|client, _| done(card_text(client, id).as_deref()))
            .await;
    }

    /// Processes incoming messages until the client satisfies `done`.
    pub async fn wait_for(&mut self, mut done: impl FnMut(&Client) -> bool) {
        self.read_until(|client, _| done(client)).await;
    }

    /// An item's field holding a string, as this client sees it.
    pub fn item_field(&self, item: &str, field: &str) -> Option<String> {
        let items = self.doc.get_or_insert_map("items");
        let txn = self.doc.transact();
        let Some(Out::YMap(map)) = items.get(&txn, item) else {
            return None;
        };
        match map.get(&txn, field)? {
            Out::Any(yrs::Any::String(value)) => Some(value.to_string()),
            _ => None,
        }
    }

    /// Processes incoming messages until the newest session message satisfies `done`.
    pub async fn wait_session(&mut self, mut done: impl FnMut(&serde_json::Value) -> bool) {
        self.read_until(|client, _| client.session.as_ref().is_some_and(&mut done))
            .await;
    }

    /// Processes incoming messages until the server said this connection is read-only.
    pub async fn wait_denied(&mut self) -> String {
        self.read_until(|client, _| client.denied.is_some()).await;
        self.denied.clone().unwrap_or_default()
    }

    /// Reads until the server closes the connection; returns the close code and reason.
    pub async fn wait_closed(mut self) -> (u16, String) {
        close_of(&mut self.socket).await
    }

    /// Processes incoming messages until the presence map satisfies `done`.
    pub async fn wait_presence(
        &mut self,
        mut done: impl FnMut(&HashMap<u64, (u32, String)>) -> bool,
    ) {
        self.read_until(|client, _| done(&client.presence)).await;
    }

    /// Reads and handles frames until `done(self, frame_had_step2)` holds (checked first, then
    /// after every frame). Fails the test after `WAIT`.
    async fn read_until(&mut self, mut done: impl FnMut(&Client, bool) -> bool) {
        if done(self, false) {
            return;
        }
        let reading = async {
            loop {
                let frame = match self.socket.next().await {
                    Some(Ok(WsMessage::Binary(frame))) => frame,
                    Some(Ok(WsMessage::Close(frame))) => {
                        panic!("server closed the connection: {frame:?}")
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => panic!("socket error: {e}"),
                    None => panic!("socket ended"),
                };
                let had_step2 = self.handle(&frame).await;
                if done(self, had_step2) {
                    return;
                }
            }
        };
        tokio::time::timeout(WAIT, reading)
            .await
            .expect("condition not reached in time");
    }

    /// Handles one frame as a y-websocket client does; says whether it held a sync step 2.
    async fn handle(&mut self, frame: &[u8]) -> bool {
        let mut had_step2 = false;
        for message in decode_frame(frame).expect("server sent a valid frame") {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let update = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.send(&Message::Sync(SyncMessage::SyncStep2(update)))
                        .await;
                }
                Message::Sync(SyncMessage::SyncStep2(update)) => {
                    had_step2 = true;
                    self.apply(&update);
                }
                Message::Sync(SyncMessage::Update(update)) => self.apply(&update),
                Message::Awareness(update) => {
                    for (client, entry) in update.clients {
                        self.presence
                            .insert(client.get(), (entry.clock, entry.json.to_string()));
                    }
                }
                Message::Custom(cocreate::MSG_SAVED, payload) => {
                    let saved = cocreate::decode_saved(&payload).expect("saved count");
                    assert!(saved >= self.saved, "saved count went backwards");
                    assert!(saved <= self.sent_updates, "more saved than sent");
                    self.saved = saved;
                }
                Message::Custom(cocreate::MSG_SESSION, payload) => {
                    let session = serde_json::from_slice(&payload).expect("session JSON");
                    self.session = Some(session);
                }
                Message::Auth(reason) => self.denied = reason,
                other => panic!("unexpected message from server: {other:?}"),
            }
        }
        had_step2
    }

    fn apply(&self, update: &[u8]) {
        let update = Update::decode_v1(update).expect("server sent a valid update");
        self.doc
            .transact_mut()
            .apply_update(update)
            .expect("applies");
    }

    /// Ends the connection at the TCP level and waits until the server has closed its side,
    /// which it does only after it has handled everything this connection sent and left the room.
    pub async fn hang_up(self) {
        let MaybeTlsStream::Plain(mut tcp) = self.socket.into_inner() else {
            unreachable!("tests use plain TCP")
        };
        tcp.shutdown().await.expect("shutdown");
        let mut rest = Vec::new();
        tokio::time::timeout(WAIT, tcp.read_to_end(&mut rest))
            .await
            .expect("server did not close the connection")
            .expect("read");
    }

    /// Drops the connection without a close handshake (a crashed tab, a lost network).
    pub fn vanish(self) -> Doc {
        drop(self.socket);
        self.doc
    }
}

/// A seeded xorshift generator: reproducible random tests without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// A generator seeded from the clock, and its seed, printed so a failure can be replayed.
    pub fn from_clock() -> (Self, u64) {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        println!("seed {seed}");
        (Rng::new(seed), seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The text of a document holding every given document's state.
pub fn merged_text<'a>(docs: impl Iterator<Item = &'a Doc>) -> String {
    use yrs::updates::decoder::Decode;
    use yrs::ReadTxn;
    let merged = Doc::new();
    let text = merged.get_or_insert_text("text");
    for doc in docs {
        let state = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        merged
            .transact_mut()
            .apply_update(yrs::Update::decode_v1(&state).unwrap())
            .unwrap();
    }
    let result = text.get_string(&merged.transact());
    result
}

/// The token of a created session's invite for `role` (moderator, citizen, observer, researcher).
pub fn invite(created: &serde_json::Value, role: &str) -> String {
    created["invites"][role]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}
