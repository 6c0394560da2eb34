//! How the server waits between attempts at storage or Redis that failed: a room's appends,
//! the reading of its log and the bus subscription all back off alike.

use std::time::Duration;

/// First wait before retrying; doubled on every failure up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// Longest wait between retries while storage is down.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// The wait before the next retry: short after a success, doubling while failures go on.
#[derive(Debug)]
pub(crate) struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Backoff(RETRY_FIRST)
    }
}

impl Backoff {
    /// Storage answered: the next failure waits the shortest time again.
    pub(crate) fn reset(&mut self) {
        self.0 = RETRY_FIRST;
    }

    /// Another failure: returns how long to wait now, and doubles the next wait.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let wait = self.0;
        self.0 = (self.0 * 2).min(RETRY_MAX);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_maximum_and_reset_on_success() {
        let mut backoff = Backoff::default();
        let waits: Vec<_> = (0..8).map(|_| backoff.next_wait().as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.next_wait(), RETRY_FIRST);
    }
}
