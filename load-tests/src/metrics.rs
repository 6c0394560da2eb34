//! What a run measures: when each update was sent (so receivers can time it), live counters
//! for the progress line, and the latency histograms each participant fills and the run merges.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency a histogram records, in microseconds (longer ones are clamped to it): a
/// minute is far past every target and keeps the histograms small.
const MAX_MICROS: u64 = 60_000_000;

/// A histogram of durations in microseconds, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("static histogram bounds are valid")
}

/// Records a duration, clamped to the histogram's range.
pub fn record(histogram: &mut Histogram<u64>, elapsed: Duration) {
    let micros = (elapsed.as_micros() as u64).clamp(1, MAX_MICROS);
    histogram.saturating_record(micros);
}

/// When each participant's updates were sent, by the clock each one ended at: a receiver
/// that has integrated a sender's clock up to `c` has received every update ending at or
/// before `c`. Works however a server batches or merges updates, because it reads the
/// receiver's document, not the messages.
pub struct SentLog {
    /// Client id → index in `senders`; fixed before the run starts.
    index: HashMap<u64, usize>,
    senders: Vec<Mutex<Vec<(u32, Instant)>>>,
}

impl SentLog {
    /// A log for the given (editing) client ids.
    pub fn new(clients: impl IntoIterator<Item = u64>) -> Self {
        let index: HashMap<u64, usize> = clients
            .into_iter()
            .enumerate()
            .map(|(i, c)| (c, i))
            .collect();
        let senders = (0..index.len()).map(|_| Mutex::new(Vec::new())).collect();
        SentLog { index, senders }
    }

    /// Notes that `client` sent an update ending at `clock` just now.
    pub fn sent(&self, client: u64, clock: u32, at: Instant) {
        if let Some(&i) = self.index.get(&client) {
            lock(&self.senders[i]).push((clock, at));
        }
    }

    /// Calls `delivered` with the send time of each update of `client` that ends after
    /// `from` and at or before `to`.
    pub fn between(&self, client: u64, from: u32, to: u32, mut delivered: impl FnMut(Instant)) {
        let Some(&i) = self.index.get(&client) else {
            return;
        };
        let log = lock(&self.senders[i]);
        let start = log.partition_point(|(clock, _)| *clock <= from);
        for (clock, at) in &log[start..] {
            if *clock > to {
                break;
            }
            delivered(*at);
        }
    }

    /// Whether `client` is one of the senders this log times.
    pub fn is_sender(&self, client: u64) -> bool {
        self.index.contains_key(&client)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking participant cannot leave the log half-written (a push is atomic to readers).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the server said it stored (cocreate's saved messages), per participant: the
/// updates acknowledged and the clock the last of them ends at. A fault test checks that
/// storage holds at least this after a crash: an acknowledged update may never be lost.
#[derive(Default)]
pub struct AckLog {
    clients: Mutex<HashMap<u64, Acknowledged>>,
}

/// One participant's acknowledged updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Acknowledged {
    pub room: usize,
    /// Update and sync step 2 messages the server reported stored, over every connection.
    pub updates: u64,
    /// The participant's own clock at the end of the newest of them.
    pub clock: u32,
}

impl AckLog {
    /// Notes that `client` now has `acknowledged` stored.
    pub fn record(&self, client: u64, acknowledged: Acknowledged) {
        lock(&self.clients).insert(client, acknowledged);
    }

    /// Every participant's acknowledged updates so far, by client id.
    pub fn snapshot(&self) -> HashMap<u64, Acknowledged> {
        lock(&self.clients).clone()
    }
}

/// Counters shared by every participant, read by the progress line and the report.
#[derive(Default)]
pub struct Counters {
    pub connected: AtomicU64,
    pub synced: AtomicU64,
    pub updates_sent: AtomicU64,
    /// (update, receiver) pairs: one update reaching 7 others counts 7.
    pub updates_delivered: AtomicU64,
    pub awareness_sent: AtomicU64,
    pub awareness_received: AtomicU64,
    pub errors: AtomicU64,
    pub disconnects: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_finds_updates_by_their_end_clock() {
        let log = SentLog::new([10, 20]);
        let t0 = Instant::now();
        for (i, clock) in [3, 5, 9].into_iter().enumerate() {
            log.sent(10, clock, t0 + Duration::from_millis(i as u64));
        }
        let mut got = Vec::new();
        log.between(10, 3, 9, |at| got.push(at.duration_since(t0).as_millis()));
        assert_eq!(got, vec![1, 2]);
        got.clear();
        log.between(10, 0, 4, |at| got.push(at.duration_since(t0).as_millis()));
        assert_eq!(got, vec![0]);
        assert!(!log.is_sender(30));
    }
}
