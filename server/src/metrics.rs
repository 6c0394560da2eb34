//! Prometheus metrics (`GET /metrics`): what an operator watches to know whether a node is
//! healthy and how loaded it is. Plain atomics, rendered in the text exposition format; one
//! `Metrics` per server, shared by its connections and rooms.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cocreate_protocol::close;

use crate::limits::Limit;

/// The metrics of one server.
pub type SharedMetrics = Arc<Metrics>;

/// Why the server closed a connection on its input, for `cocreate_rejected_total{reason}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Truncated or malformed frames (1002).
    Malformed,
    /// Text frames, unknown message types (1003).
    Unsupported,
    /// Updates or awareness states that do not decode or apply (1007).
    InvalidUpdate,
    /// Bad or missing tokens, kicked participants, invalid room names (1008).
    Policy,
    /// Messages over `--max-message-bytes` (1009).
    TooBig,
    /// Slow consumers and full pending buffers (1013).
    Overloaded,
    /// The room failed (1011).
    Internal,
}

impl Rejection {
    /// Every reason, in declaration order: a reason's counter is at its discriminant.
    const ALL: [Rejection; 7] = [
        Rejection::Malformed,
        Rejection::Unsupported,
        Rejection::InvalidUpdate,
        Rejection::Policy,
        Rejection::TooBig,
        Rejection::Overloaded,
        Rejection::Internal,
    ];

    fn label(self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::Unsupported => "unsupported",
            Rejection::InvalidUpdate => "invalid_update",
            Rejection::Policy => "policy",
            Rejection::TooBig => "too_big",
            Rejection::Overloaded => "overloaded",
            Rejection::Internal => "internal",
        }
    }

    /// The rejection a close code stands for; `None` for normal closes (1000, 1001).
    pub fn of_close_code(code: u16) -> Option<Self> {
        match code {
            close::PROTOCOL_ERROR => Some(Rejection::Malformed),
            close::UNSUPPORTED_DATA => Some(Rejection::Unsupported),
            close::INVALID_PAYLOAD => Some(Rejection::InvalidUpdate),
            close::POLICY_VIOLATION => Some(Rejection::Policy),
            close::MESSAGE_TOO_BIG => Some(Rejection::TooBig),
            close::TRY_AGAIN_LATER => Some(Rejection::Overloaded),
            close::INTERNAL_ERROR => Some(Rejection::Internal),
            _ => None,
        }
    }
}

/// Upper bounds of the latency histograms' buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative), the last one for +Inf.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let bound = BUCKETS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// Every metric of a server.
#[derive(Default)]
pub struct Metrics {
    pub connections_open: AtomicI64,
    pub connections_total: AtomicU64,
    pub updates_received: AtomicU64,
    pub update_bytes_received: AtomicU64,
    pub messages_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    /// From accepting an update to queueing it for the room's other members (includes the
    /// durable append, which comes first).
    pub fanout_latency: Histogram,
    pub append_latency: Histogram,
    pub append_errors: AtomicU64,
    /// Bytes of updates received but not yet durable, over all rooms.
    pub pending_bytes: AtomicI64,
    /// Stored log records that rooms skipped when loading: forged, undecodable, or leaving the
    /// document unable to be encoded (a room hit by such an update before it was refused).
    pub records_skipped: AtomicU64,
    rejected: [AtomicU64; Rejection::ALL.len()],
    limited: [AtomicU64; Limit::ALL.len()],
}

impl Metrics {
    /// Counts a connection closed for its input.
    pub fn rejected(&self, rejection: Rejection) {
        self.rejected[rejection as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a limit reached (a refusal, or a connection slowed down).
    pub fn limited(&self, limit: Limit) {
        self.limited[limit as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format of every metric, with the node's loaded `rooms` and the
    /// store's `redis_reconnects` read at the moment of the scrape.
    pub fn render(&self, rooms: usize, redis_reconnects: u64) -> String {
        let mut out = String::new();
        let load = |value: &AtomicU64| value.load(Ordering::Relaxed).to_string();
        let open = self.connections_open.load(Ordering::Relaxed).to_string();
        let pending = self.pending_bytes.load(Ordering::Relaxed).to_string();
        // One metric a line: name, type, help, value.
        #[rustfmt::skip]
        let samples = [
            ("cocreate_connections_open", "gauge", "WebSocket connections open now.", open),
            ("cocreate_connections_total", "counter", "WebSocket connections accepted.", load(&self.connections_total)),
            ("cocreate_rooms_loaded", "gauge", "Rooms loaded in memory.", rooms.to_string()),
            ("cocreate_updates_received_total", "counter", "Yjs updates received (sync step 2 and update messages).", load(&self.updates_received)),
            ("cocreate_update_bytes_received_total", "counter", "Bytes of the Yjs updates received.", load(&self.update_bytes_received)),
            ("cocreate_messages_sent_total", "counter", "WebSocket messages sent.", load(&self.messages_sent)),
            ("cocreate_bytes_sent_total", "counter", "Bytes of the WebSocket messages sent.", load(&self.bytes_sent)),
            ("cocreate_storage_append_errors_total", "counter", "Appends to the update log that failed (and were retried).", load(&self.append_errors)),
            ("cocreate_pending_bytes", "gauge", "Bytes of received updates not yet durable.", pending),
            ("cocreate_redis_reconnects_total", "counter", "Redis connections reopened after a failure.", redis_reconnects.to_string()),
            ("cocreate_records_skipped_total", "counter", "Stored log records skipped when rooms loaded: forged, undecodable, or leaving the document unencodable.", load(&self.records_skipped)),
        ];
        for (name, kind, help, value) in samples {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        self.fanout_latency.render(
            &mut out,
            "cocreate_fanout_latency_seconds",
            "From accepting an update to sending it to the room's other members.",
        );
        self.append_latency.render(
            &mut out,
            "cocreate_storage_append_seconds",
            "Time an append to the update log took.",
        );
        labeled(
            &mut out,
            ("cocreate_rejected_total", "reason"),
            "Connections closed for their input, by reason.",
            Rejection::ALL.iter().map(|r| r.label()).zip(&self.rejected),
        );
        labeled(
            &mut out,
            ("cocreate_limited_total", "limit"),
            "Limits reached: refusals, and connections slowed down.",
            Limit::ALL.iter().map(|l| l.label()).zip(&self.limited),
        );
        out
    }
}

/// A counter with one label: one sample per label value.
fn labeled<'a>(
    out: &mut String,
    (name, label): (&str, &str),
    help: &str,
    samples: impl Iterator<Item = (&'static str, &'a AtomicU64)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (value, count) in samples {
        let count = count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_and_limit_counts_under_its_own_label() {
        for (i, rejection) in Rejection::ALL.iter().enumerate() {
            assert_eq!(*rejection as usize, i, "{}", rejection.label());
        }
        for (i, limit) in Limit::ALL.iter().enumerate() {
            assert_eq!(*limit as usize, i, "{}", limit.label());
        }
        let metrics = Metrics::default();
        metrics.rejected(Rejection::TooBig);
        metrics.limited(Limit::JoinAttempts);
        let text = metrics.render(0, 0);
        assert!(
            text.contains("cocreate_rejected_total{reason=\"too_big\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("cocreate_limited_total{limit=\"join_attempts\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("cocreate_rejected_total{reason=\"policy\"} 0\n"),
            "{text}"
        );
    }
}
