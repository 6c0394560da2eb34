//! The server's clock: every time the server stamps (log records, sessions, audit) and every
//! token expiry check reads [`now_ms`]. Tests of "months later" (an expired token, a receipt
//! that still works) move it with the hidden `--clock-offset-hours` start flag instead of
//! waiting; production never sets it. One clock per process: the offset is process-wide.

use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds added to the system clock (`--clock-offset-hours`); 0 unless a test moved it.
/// Read with one relaxed load on every call: the hot path pays nothing more.
static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// Moves this process's clock `hours` ahead of the system's (behind, if negative).
pub fn set_offset_hours(hours: i64) {
    OFFSET_MS.store(hours.saturating_mul(3_600_000), Ordering::Relaxed);
}

/// Milliseconds since the Unix epoch (log records, sessions, audit).
pub fn now_ms() -> u64 {
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    system.saturating_add_signed(OFFSET_MS.load(Ordering::Relaxed))
}

/// Seconds since the Unix epoch (token times).
pub fn now_secs() -> u64 {
    now_ms() / 1000
}
