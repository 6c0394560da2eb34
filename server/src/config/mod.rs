//! Command line and environment configuration: every flag is also a `COCREATE_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod secret;
mod sessions;

pub use self::secret::SecretFile;
pub use self::sessions::{CreateArgs, SessionCommand};
use crate::limits::LimitSettings;
use crate::storage::{
    InvalidRedisPrefix, RedisOptions, RedisStorage, RedisTlsFiles, DEFAULT_EMBEDDED_CACHE_MIB,
};

/// Default for `--max-message-bytes`: room for a large offline session's sync step 2, small
/// enough that one client cannot make the server buffer an unbounded message.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Default for `--checkpoint-every-records`: also the spacing of history keyframes.
pub const DEFAULT_CHECKPOINT_EVERY_RECORDS: u64 = 1000;

/// Default for `--redis-prefix`: the product's name, so that its keys are recognisable in a
/// Redis shared with other applications.
pub const DEFAULT_REDIS_PREFIX: &str = "cocreate";

/// cocreate: real-time co-design of journey maps, service blueprints and canvases.
#[derive(Debug, Parser)]
#[command(name = "cocreate", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size difference between the commands costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve rooms over WebSocket (y-websocket protocol) and the HTTP API.
    Serve(ServeConfig),
    /// Write a session's research dataset (zip) from the store, without a running server.
    Export(ExportArgs),
    /// Print a session's board as it was at a moment (JSON), from the store.
    Replay(ReplayArgs),
    /// Create, list, show and close sessions in the store, without a running server.
    #[command(subcommand)]
    Session(SessionCommand),
}

/// Settings of `cocreate export`.
#[derive(Clone, Debug, Args)]
pub struct ExportArgs {
    /// The session's id.
    #[arg(long)]
    pub session: String,
    /// The zip file to write (replaced if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// Seconds between the boards of `board-at-intervals.jsonl`.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub interval_seconds: u64,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Settings of `cocreate replay`.
#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// The session's id.
    #[arg(long)]
    pub session: String,
    /// When: a sequence number, milliseconds since the epoch, or an RFC 3339 time
    /// (`2026-11-23T10:00:00Z`). Default: the end.
    #[arg(long)]
    pub at: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where rooms and sessions are stored: the embedded store in a directory, or Redis.
#[derive(Clone, Debug, Args)]
pub struct StoreArgs {
    /// Directory of the embedded store (created if missing).
    #[arg(long, env = "COCREATE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Store rooms in Redis instead of the embedded store, so that several nodes can share
    /// them: redis://[:password@]host:port/db, rediss://… (TLS, the certificate verified) or
    /// redis+unix:///path. Several comma-separated nodes select Redis Cluster (the other nodes
    /// are discovered).
    #[arg(long, env = "COCREATE_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Find the master through Redis Sentinel: the master's name as the sentinels monitor it.
    /// --redis-url then lists the sentinels (redis://host:26379,redis://host2:26379), and
    /// cocreate follows the master they name across failovers.
    #[arg(long, env = "COCREATE_REDIS_SENTINEL_MASTER")]
    pub redis_sentinel_master: Option<String>,

    /// PEM file of the certificate authority that signed the Redis server's certificate (a
    /// private CA); then trusted instead of the system's roots. Needs a rediss:// URL.
    #[arg(long, env = "COCREATE_REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,

    /// PEM certificate (chain) to present to a Redis that requires client certificates
    /// (mutual TLS), with --redis-client-key-file.
    #[arg(
        long,
        env = "COCREATE_REDIS_CLIENT_CERT_FILE",
        requires = "redis_client_key_file"
    )]
    pub redis_client_cert_file: Option<PathBuf>,

    /// PEM private key of --redis-client-cert-file.
    #[arg(
        long,
        env = "COCREATE_REDIS_CLIENT_KEY_FILE",
        requires = "redis_client_cert_file"
    )]
    pub redis_client_key_file: Option<PathBuf>,

    /// Start of every Redis key, so that several deployments can share one Redis. No braces
    /// (they would change the keys' cluster slot) and no whitespace.
    #[arg(long, env = "COCREATE_REDIS_PREFIX", default_value = DEFAULT_REDIS_PREFIX,
          value_parser = redis_prefix)]
    pub redis_prefix: String,

    /// Memory the embedded store may use to cache its file, in MiB. Resident memory grows
    /// up to about this much as the data directory grows, then stays there.
    #[arg(long, env = "COCREATE_EMBEDDED_CACHE_MIB", default_value_t = DEFAULT_EMBEDDED_CACHE_MIB,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub embedded_cache_mib: u64,
}

/// Settings of `cocreate serve`.
#[derive(Clone, Debug, Args)]
pub struct ServeConfig {
    /// Address and port to listen on (port 0 picks a free port; the log says which).
    #[arg(long, env = "COCREATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Largest WebSocket message accepted, in bytes; larger ones close the connection with 1009.
    #[arg(long, env = "COCREATE_MAX_MESSAGE_BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..))]
    pub max_message_bytes: usize,

    /// Write a room's checkpoint after this many log records since the last one (a load then
    /// replays at most about this many).
    #[arg(long, env = "COCREATE_CHECKPOINT_EVERY_RECORDS", default_value_t = DEFAULT_CHECKPOINT_EVERY_RECORDS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every_records: u64,

    /// Write a room's checkpoint after this many bytes of log since the last one.
    #[arg(long, env = "COCREATE_CHECKPOINT_EVERY_BYTES", default_value_t = 4 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every_bytes: u64,

    /// This node's name in logs and in the update log's records; by default the host name and
    /// process id. The start time is appended, so that restarts and twins stay distinct.
    #[arg(long, env = "COCREATE_NODE_ID")]
    pub node_id: Option<String>,

    /// Key that authorises creating sessions (`Authorization: Bearer <key>` on
    /// `POST /api/sessions`). Without it, one is generated on first start and kept in
    /// `<data-dir>/admin-key`.
    #[arg(long, env = "COCREATE_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,

    /// File holding the admin key (a Docker or Kubernetes secret), instead of --admin-key.
    #[arg(long, env = "COCREATE_ADMIN_KEY_FILE", value_name = "PATH", conflicts_with = "admin_key",
          value_parser = SecretFile::read)]
    pub admin_key_file: Option<SecretFile>,

    #[command(flatten)]
    pub invites: InviteArgs,

    /// Serve rooms that are not sessions to anyone, without a token. For development and
    /// interop testing only: anyone can then read and write any such room.
    #[arg(long, env = "COCREATE_OPEN_ROOMS")]
    pub open_rooms: bool,

    /// Runs the server's clock this many hours ahead (behind, if negative) of the system's:
    /// for tests of "months later" (tokens expired, receipts still working), never for
    /// production. Hidden from --help; process-wide.
    #[arg(
        long,
        env = "COCREATE_CLOCK_OFFSET_HOURS",
        default_value_t = 0,
        hide = true,
        allow_negative_numbers = true
    )]
    pub clock_offset_hours: i64,

    /// Reports (from different reporters: identities from one invite count once) after which
    /// an item is hidden until a moderator reviews it.
    #[arg(long, env = "COCREATE_AUTO_HIDE_REPORTS", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub auto_hide_reports: u64,

    /// Directory of the built web client, served at `/`.
    #[arg(long, env = "COCREATE_WEB_DIR", default_value = "web-client/dist")]
    pub web_dir: PathBuf,

    /// Most WebSocket connections one client address may hold (a city hall's wifi puts many
    /// citizens behind one address: keep this generous). Beyond it: HTTP 429.
    #[arg(long, env = "COCREATE_MAX_CONNECTIONS_PER_IP", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_ip: u64,

    /// Most WebSocket connections to one room on this node. Beyond it: HTTP 429.
    #[arg(long, env = "COCREATE_MAX_CONNECTIONS_PER_SESSION", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_session: u64,

    /// Messages per second one connection may send on average (bursts of ten seconds' worth
    /// pass); faster senders are slowed down, and closed with 1008 if they keep it up.
    #[arg(long, env = "COCREATE_MAX_MESSAGES_PER_SECOND", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_messages_per_second: u32,

    /// Bytes per second one connection may send on average (bursts of ten seconds' worth, and
    /// always one message of --max-message-bytes, pass); as for messages.
    #[arg(long, env = "COCREATE_MAX_BYTES_PER_SECOND", default_value_t = 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_bytes_per_second: u64,

    /// Largest presence (awareness) state of one client, in bytes of JSON; larger: 1009.
    #[arg(long, env = "COCREATE_MAX_AWARENESS_BYTES", default_value_t = 16 * 1024,
          value_parser = clap::value_parser!(u64).range(256..))]
    pub max_awareness_bytes: u64,

    /// Largest board document, in bytes (measured as its encoded state plus what was added
    /// since). An update beyond it is refused and its sender closed with 1009.
    #[arg(long, env = "COCREATE_MAX_DOCUMENT_BYTES", default_value_t = 64 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_document_bytes: u64,

    /// Most participants a session admits (joins beyond it: 409 `session_full`).
    #[arg(long, env = "COCREATE_MAX_PARTICIPANTS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_participants: u64,

    /// Join attempts (`POST /api/join`) per minute from one client address, so that join
    /// codes cannot be guessed by trying; beyond it: 429 with Retry-After.
    #[arg(long, env = "COCREATE_JOIN_ATTEMPTS_PER_MINUTE", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub join_attempts_per_minute: u32,

    /// Reads without a token (`GET /api/receipts/…`, `POST …/evaluation`, `GET /api/results/…`,
    /// `GET /api/processes/…/results`) per minute from one client address, in a budget of their
    /// own (joins keep theirs); beyond it: 429 `too_many_attempts` with Retry-After.
    #[arg(long, env = "COCREATE_PUBLIC_READS_PER_MINUTE", default_value_t = 120,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub public_reads_per_minute: u32,

    /// Directory holding the sentence encoder (`weights.npz`, `sp.model`; fetched by
    /// scripts/sense-model.sh) for sensemaking: themes, similar cards, coverage. Without it
    /// (the default) sensemaking is off and its endpoints answer 503 `assist_unavailable`.
    #[arg(long, env = "COCREATE_SENSE_MODEL", value_name = "DIR")]
    pub sense_model: Option<PathBuf>,

    /// The TrueType font the printable paper kit (`GET /api/sessions/{id}/kit.pdf`) embeds: DejaVu
    /// Sans from the distribution's `fonts-dejavu-core` by default. Missing: the kit is off
    /// (503 `kit_unavailable`) and the log says so.
    #[arg(
        long,
        env = "COCREATE_KIT_FONT",
        value_name = "FILE",
        default_value = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    )]
    pub kit_font: PathBuf,

    /// Sensemaking requests (`/api/sessions/{id}/assist/…`) per minute one participant may make
    /// to each endpoint (each runs the sentence encoder); beyond it: 429 `too_many_requests`
    /// with Retry-After.
    #[arg(long, env = "COCREATE_ASSIST_REQUESTS_PER_MINUTE", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub assist_requests_per_minute: u32,

    /// Largest HTTP API request body, in bytes; larger: 413 `request_too_large`.
    #[arg(long, env = "COCREATE_MAX_REQUEST_BYTES", default_value_t = 64 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_request_bytes: u64,

    /// Origins (scheme://host[:port], comma-separated) whose pages may open WebSockets, besides
    /// the server's own; `*` allows any. Connections without an Origin header (non-browser
    /// clients) are not affected.
    #[arg(long, env = "COCREATE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Header that carries the client's address when a reverse proxy is in front (e.g.
    /// `X-Real-IP`, or `X-Forwarded-For`, whose last entry is used). Set it only behind a proxy
    /// that overwrites that header; otherwise clients could pick their own address.
    #[arg(long, env = "COCREATE_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// Log output: human-readable text or one JSON object per line.
    #[arg(long, env = "COCREATE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Validates `--redis-prefix` when the command line is parsed, not at first use.
fn redis_prefix(value: &str) -> Result<String, InvalidRedisPrefix> {
    RedisStorage::check_prefix(value).map(|()| value.to_owned())
}

/// A token secret shorter than 32 characters could be guessed offline from one token.
fn token_secret(value: &str) -> Result<String, String> {
    if value.len() >= 32 {
        Ok(value.to_owned())
    } else {
        Err("the token secret must be at least 32 characters".into())
    }
}

/// What invitations are made of: the secret that signs their tokens, how long those last, and
/// the address their links point at. The server and `cocreate session create` both make them.
#[derive(Clone, Debug, Args)]
pub struct InviteArgs {
    /// Secret that signs session tokens (at least 32 characters). Without it, one is generated
    /// on first start and kept in the store, so that every node of a shared store uses it.
    #[arg(long, env = "COCREATE_TOKEN_SECRET", hide_env_values = true,
          value_parser = token_secret)]
    pub token_secret: Option<String>,

    /// File holding the token secret (a Docker or Kubernetes secret), instead of --token-secret.
    #[arg(long, env = "COCREATE_TOKEN_SECRET_FILE", value_name = "PATH",
          conflicts_with = "token_secret", value_parser = token_secret_file)]
    pub token_secret_file: Option<SecretFile>,

    /// How long session tokens (invites and personal ones) stay valid, in hours.
    #[arg(long, env = "COCREATE_TOKEN_TTL_HOURS", default_value_t = 168,
          value_parser = clap::value_parser!(u64).range(1..=24 * 366))]
    pub token_ttl_hours: u64,

    /// The address people reach cocreate at (e.g. https://cocreate.example.org), for the
    /// links in invitations. Without it, links use the address the request was sent to.
    #[arg(long, env = "COCREATE_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl InviteArgs {
    /// `--token-ttl-hours`.
    pub fn token_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.token_ttl_hours * 3600)
    }

    /// `--token-secret`, or what `--token-secret-file` holds; `None`: the store's own.
    pub fn configured_secret(&self) -> Option<&str> {
        let from_file = self.token_secret_file.as_ref().map(SecretFile::secret);
        self.token_secret.as_deref().or(from_file)
    }
}

/// `--token-secret-file`: read, then held to the same length as `--token-secret`.
fn token_secret_file(path: &str) -> Result<SecretFile, String> {
    let file = SecretFile::read(path)?;
    token_secret(file.secret()).map_err(|e| format!("{e} (in {path})"))?;
    Ok(file)
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl StoreArgs {
    /// How to reach Redis beyond --redis-url: TLS files, Sentinel.
    pub fn redis_options(&self) -> RedisOptions {
        RedisOptions {
            tls: RedisTlsFiles {
                ca: self.redis_ca_file.clone(),
                client_cert: self.redis_client_cert_file.clone(),
                client_key: self.redis_client_key_file.clone(),
            },
            sentinel_master: self.redis_sentinel_master.clone(),
        }
    }
}

impl ServeConfig {
    /// `--admin-key`, or what `--admin-key-file` holds; `None`: the generated one.
    pub fn configured_admin_key(&self) -> Option<&str> {
        let from_file = self.admin_key_file.as_ref().map(SecretFile::secret);
        self.admin_key.as_deref().or(from_file)
    }

    /// This process's node id: the configured name (or the host name and process id) with
    /// the start time appended, so that two processes never share one, even when an operator
    /// gives two nodes the same `--node-id`: rooms tell their own records apart by it.
    pub fn node_id(&self) -> String {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = self.node_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
            format!("{}-{}", host.trim(), std::process::id())
        });
        format!("{name}-{started:x}")
    }

    /// The limits this configuration sets.
    pub fn limit_settings(&self) -> LimitSettings {
        LimitSettings {
            max_connections_per_ip: self.max_connections_per_ip as usize,
            max_connections_per_session: self.max_connections_per_session as usize,
            join_attempts_per_minute: self.join_attempts_per_minute,
            public_reads_per_minute: self.public_reads_per_minute,
            assist_requests_per_minute: self.assist_requests_per_minute,
            max_messages_per_second: self.max_messages_per_second,
            max_bytes_per_second: self.max_bytes_per_second,
            max_message_bytes: self.max_message_bytes,
            max_awareness_bytes: self.max_awareness_bytes as usize,
            max_participants: self.max_participants as usize,
            allowed_origins: self.allowed_origins.clone(),
            client_ip_header: self.client_ip_header.clone(),
        }
    }

    /// The defaults with another data directory: what tests and embedders start from.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let Command::Serve(mut serve) = Cli::parse_from(["cocreate", "serve"]).command else {
            unreachable!("parsed the serve command");
        };
        serve.store.data_dir = data_dir.into();
        serve
    }
}
