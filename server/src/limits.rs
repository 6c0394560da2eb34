//! Abuse limits: how many connections one address and one session may hold, how fast one
//! connection may send, how often one address may try join codes or (wrong) admin keys, how
//! many research exports run at once, how often one participant may ask for sensemaking. Each
//! limit is a flag (`config.rs`) or a named constant, is counted in `/metrics` (`cocreate_limited_total{limit}`), and is answered
//! with a close reason or an HTTP 429 that says which limit was hit.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::header::{HeaderName, HOST, ORIGIN};
use axum::http::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Which limit was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    ConnectionsPerIp,
    ConnectionsPerSession,
    MessageRate,
    ByteRate,
    AwarenessSize,
    DocumentSize,
    Participants,
    JoinAttempts,
    RequestSize,
    AdminKeyAttempts,
    Exports,
    PublicReads,
    Assist,
}

impl Limit {
    /// Every limit, in declaration order: a limit's counter is at its discriminant.
    pub const ALL: [Limit; 13] = [
        Limit::ConnectionsPerIp,
        Limit::ConnectionsPerSession,
        Limit::MessageRate,
        Limit::ByteRate,
        Limit::AwarenessSize,
        Limit::DocumentSize,
        Limit::Participants,
        Limit::JoinAttempts,
        Limit::RequestSize,
        Limit::AdminKeyAttempts,
        Limit::Exports,
        Limit::PublicReads,
        Limit::Assist,
    ];

    /// The `limit` label in `/metrics`.
    pub fn label(self) -> &'static str {
        match self {
            Limit::ConnectionsPerIp => "connections_per_ip",
            Limit::ConnectionsPerSession => "connections_per_session",
            Limit::MessageRate => "message_rate",
            Limit::ByteRate => "byte_rate",
            Limit::AwarenessSize => "awareness_size",
            Limit::DocumentSize => "document_size",
            Limit::Participants => "participants",
            Limit::JoinAttempts => "join_attempts",
            Limit::RequestSize => "request_size",
            Limit::AdminKeyAttempts => "admin_key_attempts",
            Limit::Exports => "exports",
            Limit::PublicReads => "public_reads",
            Limit::Assist => "assist",
        }
    }
}

/// Tokens that refill at a steady rate up to a capacity: allows bursts, bounds the average.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(capacity: f64, per_second: f64) -> Self {
        TokenBucket {
            capacity,
            per_second,
            tokens: capacity,
            last: Instant::now(),
        }
    }

    /// Whether the bucket has refilled completely: it is then no different from a new one.
    fn is_full(&mut self) -> bool {
        self.take(0.0);
        self.tokens >= self.capacity
    }

    /// Takes `n` tokens; returns how long the caller must wait for the bucket to be back in
    /// credit (zero when there were enough).
    pub fn take(&mut self, n: f64) -> Duration {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.last = now;
        self.tokens -= n;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_second)
        }
    }
}

/// Open connections by address and by room.
pub struct ConnectionLimits {
    per_ip: usize,
    per_room: usize,
    open: Mutex<(HashMap<IpAddr, usize>, HashMap<String, usize>)>,
}

/// Holds a connection's place in the counts; gives it back when dropped.
pub struct ConnectionPermit {
    limits: Arc<ConnectionLimits>,
    ip: IpAddr,
    room: String,
}

impl ConnectionLimits {
    pub fn new(per_ip: usize, per_room: usize) -> Arc<Self> {
        Arc::new(ConnectionLimits {
            per_ip,
            per_room,
            open: Mutex::default(),
        })
    }

    /// A place for one more connection from `ip` to `room`, or the limit that refuses it.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, room: &str) -> Result<ConnectionPermit, Limit> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (by_ip, by_room) = &mut *open;
        if by_ip.get(&ip).copied().unwrap_or(0) >= self.per_ip {
            return Err(Limit::ConnectionsPerIp);
        }
        if by_room.get(room).copied().unwrap_or(0) >= self.per_room {
            return Err(Limit::ConnectionsPerSession);
        }
        *by_ip.entry(ip).or_default() += 1;
        *by_room.entry(room.to_owned()).or_default() += 1;
        Ok(ConnectionPermit {
            limits: self.clone(),
            ip,
            room: room.to_owned(),
        })
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut open = self
            .limits
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (by_ip, by_room) = &mut *open;
        release(by_ip, &self.ip);
        release(by_room, &self.room);
    }
}

/// Counts one down, forgetting keys at zero so that the maps stay as small as what is open.
fn release<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: &K) {
    if let Some(count) = counts.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(key);
        }
    }
}

/// Attempts by a key (an address for join codes and admin keys, a participant for
/// sensemaking): a bucket per key, refilled per minute.
pub struct Attempts<K> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

/// Attempts by client address.
pub type AddressAttempts = Attempts<IpAddr>;

/// Addresses remembered before full buckets are forgotten (a full bucket is a fresh one).
const BUCKETS_KEPT: usize = 10_000;

/// Wrong admin keys one address may present per minute. Session creation is the key's only
/// use and a script's key is right: this only slows down guessing a weak configured key.
pub const ADMIN_KEY_ATTEMPTS_PER_MINUTE: u32 = 10;

impl<K: std::hash::Hash + Eq> Attempts<K> {
    pub fn new(per_minute: u32) -> Self {
        Attempts {
            per_minute,
            buckets: Mutex::default(),
        }
    }

    /// Counts an attempt by `key`; `Err(wait)` when it must wait that long.
    pub fn attempt(&self, key: K) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= BUCKETS_KEPT {
            buckets.retain(|_, bucket| !bucket.is_full());
        }
        let capacity = f64::from(self.per_minute);
        let bucket = buckets
            .entry(key)
            .or_insert_with(|| TokenBucket::new(capacity, capacity / 60.0));
        let wait = bucket.take(1.0);
        if wait.is_zero() {
            Ok(())
        } else {
            // The refused attempt does not count against them.
            bucket.tokens += 1.0;
            Err(wait)
        }
    }

    /// Gives back an attempt by `key` that turned out right: only wrong ones are limited.
    pub fn succeeded(&self, key: K) {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(&key) {
            bucket.tokens = (bucket.tokens + 1.0).min(bucket.capacity);
        }
    }
}

/// Research exports built at once on this node, at most. An export's zip is built whole in
/// memory and kept until it is sent: two bound that memory to about twice the largest
/// session's dataset, however many researchers ask at once.
pub const MAX_CONCURRENT_EXPORTS: usize = 2;

/// What a refused export is told to wait before asking again.
pub const EXPORT_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The places for exports running at once ([`MAX_CONCURRENT_EXPORTS`]).
pub struct ExportSlots(Arc<Semaphore>);

impl ExportSlots {
    fn new(slots: usize) -> Self {
        ExportSlots(Arc::new(Semaphore::new(slots)))
    }

    /// A place for one export, held until it is sent; `None` when all are taken.
    pub fn take(&self) -> Option<OwnedSemaphorePermit> {
        self.0.clone().try_acquire_owned().ok()
    }
}

/// The limits an operator sets (the `--max-*` flags and their kin), as `config` reads them.
/// Plain values, so that limits do not depend on how the command line is parsed.
#[derive(Clone, Debug)]
pub struct LimitSettings {
    /// `--max-connections-per-ip`.
    pub max_connections_per_ip: usize,
    /// `--max-connections-per-session`.
    pub max_connections_per_session: usize,
    /// `--join-attempts-per-minute`.
    pub join_attempts_per_minute: u32,
    /// `--public-reads-per-minute`.
    pub public_reads_per_minute: u32,
    /// `--assist-requests-per-minute`.
    pub assist_requests_per_minute: u32,
    /// `--max-messages-per-second`.
    pub max_messages_per_second: u32,
    /// `--max-bytes-per-second`.
    pub max_bytes_per_second: u64,
    /// `--max-message-bytes`: a burst always lets one largest message through.
    pub max_message_bytes: usize,
    /// `--max-awareness-bytes`.
    pub max_awareness_bytes: usize,
    /// `--max-participants`.
    pub max_participants: usize,
    /// `--allowed-origins`, as given.
    pub allowed_origins: Vec<String>,
    /// `--client-ip-header`, as given.
    pub client_ip_header: Option<String>,
}

/// The limits of one server, from its flags.
pub struct Guards {
    pub connections: Arc<ConnectionLimits>,
    pub joins: AddressAttempts,
    /// Reads without a token (receipts, published results) by address, in a budget of their
    /// own: a venue's shared address is not kept from joining by someone's receipt lookups.
    pub public_reads: AddressAttempts,
    /// Wrong admin keys by address ([`ADMIN_KEY_ATTEMPTS_PER_MINUTE`]).
    pub admin_keys: AddressAttempts,
    /// Sensemaking requests by endpoint and participant (`--assist-requests-per-minute`):
    /// each runs the sentence encoder, so one participant cannot keep a node's CPU busy.
    pub assist: Attempts<String>,
    pub exports: ExportSlots,
    pub messages_per_second: u32,
    pub bytes_per_second: u64,
    /// The byte bucket's capacity: ten seconds' worth, and at least one largest message.
    pub byte_burst: u64,
    pub max_awareness_bytes: usize,
    pub max_participants: usize,
    allowed_origins: Vec<String>,
    client_ip_header: Option<HeaderName>,
}

/// How long a connection may be slowed down at a stretch before it counts as a flood.
pub const MAX_THROTTLE: Duration = Duration::from_secs(5);

impl Guards {
    pub fn new(settings: &LimitSettings) -> Result<Self, String> {
        let client_ip_header = settings
            .client_ip_header
            .as_deref()
            .map(|name| {
                HeaderName::try_from(name)
                    .map_err(|_| format!("--client-ip-header: {name:?} is not a header name"))
            })
            .transpose()?;
        Ok(Guards {
            connections: ConnectionLimits::new(
                settings.max_connections_per_ip,
                settings.max_connections_per_session,
            ),
            joins: AddressAttempts::new(settings.join_attempts_per_minute),
            public_reads: AddressAttempts::new(settings.public_reads_per_minute),
            admin_keys: AddressAttempts::new(ADMIN_KEY_ATTEMPTS_PER_MINUTE),
            assist: Attempts::new(settings.assist_requests_per_minute),
            exports: ExportSlots::new(MAX_CONCURRENT_EXPORTS),
            messages_per_second: settings.max_messages_per_second,
            bytes_per_second: settings.max_bytes_per_second,
            byte_burst: (settings.max_bytes_per_second * 10).max(settings.max_message_bytes as u64),
            max_awareness_bytes: settings.max_awareness_bytes,
            max_participants: settings.max_participants,
            allowed_origins: settings
                .allowed_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            client_ip_header,
        })
    }

    /// The client's address: from `--client-ip-header` when set and parseable (the last entry
    /// of a list, the one our proxy added), else the socket's peer.
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let from_header = self.client_ip_header.as_ref().and_then(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse().ok()
        });
        from_header.unwrap_or(peer.ip())
    }

    /// Whether a browser page from the request's `Origin` may open a WebSocket: the server's
    /// own origin (same host as the `Host` header), one of `--allowed-origins`, or anything
    /// with `*`. Requests without an `Origin` (non-browser clients) pass: the check is there
    /// to stop other sites' pages from using a visitor's browser.
    pub fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
            return true;
        };
        if self.allowed_origins.iter().any(|o| o == "*" || o == origin) {
            return true;
        }
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin.split_once("://").map(|(_, rest)| rest);
        host.is_some() && origin_host == host
    }

    /// The per-connection buckets: messages, bytes.
    pub fn connection_buckets(&self) -> (TokenBucket, TokenBucket) {
        let messages = f64::from(self.messages_per_second);
        (
            TokenBucket::new(messages * 10.0, messages),
            TokenBucket::new(self.byte_burst as f64, self.bytes_per_second as f64),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_asks_to_wait_for_the_rate() {
        let mut bucket = TokenBucket::new(3.0, 1.0);
        for _ in 0..3 {
            assert_eq!(bucket.take(1.0), Duration::ZERO);
        }
        let wait = bucket.take(1.0);
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }

    #[test]
    fn connection_permits_count_per_address_and_room_and_are_given_back() {
        let limits = ConnectionLimits::new(2, 3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = limits.admit(a, "r").unwrap();
        let _second = limits.admit(a, "r").unwrap();
        assert_eq!(limits.admit(a, "r").err(), Some(Limit::ConnectionsPerIp));
        let _third = limits.admit(b, "r").unwrap();
        assert_eq!(
            limits.admit(b, "r").err(),
            Some(Limit::ConnectionsPerSession)
        );
        assert!(limits.admit(b, "other").is_ok());
        drop(first);
        assert!(limits.admit(a, "other").is_ok());
    }

    #[test]
    fn exports_take_a_place_until_they_are_sent() {
        let slots = ExportSlots::new(2);
        let first = slots.take().unwrap();
        let _second = slots.take().unwrap();
        assert!(slots.take().is_none());
        drop(first);
        assert!(slots.take().is_some());
    }

    #[test]
    fn join_attempts_are_limited_per_address() {
        let attempts = AddressAttempts::new(2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(attempts.attempt(a).is_ok() && attempts.attempt(a).is_ok());
        let wait = attempts.attempt(a).unwrap_err();
        assert!(wait > Duration::from_secs(25), "{wait:?}");
        assert!(attempts.attempt(b).is_ok());
        // A right attempt is given back.
        attempts.succeeded(b);
        assert!(attempts.attempt(b).is_ok() && attempts.attempt(b).is_ok());
        assert!(attempts.attempt(b).is_err());
    }
}
