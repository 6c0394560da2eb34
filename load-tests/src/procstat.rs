//! CPU time and memory of processes, read from `/proc`: the server under test (and its Redis)
//! and the generator itself, which competes with the server for the same 2 cores.

use std::time::{Duration, Instant};

/// Clock ticks per second of `/proc/*/stat`'s utime and stime. Linux has reported 100 on
/// every architecture since 2.6 (USER_HZ), whatever the kernel's internal HZ.
const TICKS_PER_SECOND: f64 = 100.0;

/// A process to watch: `self` for the generator, or a pid.
#[derive(Clone, Debug)]
pub struct Watched {
    path: String,
}

impl Watched {
    pub fn pid(pid: u32) -> Self {
        Watched {
            path: format!("/proc/{pid}"),
        }
    }

    pub fn this_process() -> Self {
        Watched {
            path: "/proc/self".into(),
        }
    }

    /// User + system CPU time so far; `None` once the process is gone.
    fn cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("{}/stat", self.path)).ok()?;
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ')'.
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND))
    }

    /// Resident memory now, in bytes; `None` once the process is gone.
    pub fn rss(&self) -> Option<u64> {
        status_kib(&self.path, "VmRSS:").map(|kib| kib * 1024)
    }
}

fn status_kib(path: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("{path}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// CPU and memory of a group of processes over a measurement window.
pub struct Usage {
    processes: Vec<Watched>,
    started: Instant,
    cpu_at_start: Duration,
    peak_rss: u64,
}

/// What a window measured.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct UsageReport {
    /// CPU time over wall time: 1.0 is one core fully busy.
    pub cores: f64,
    /// Highest sum of resident memory seen by `sample`, in MiB.
    pub peak_rss_mib: f64,
}

impl Usage {
    /// Starts a window now.
    pub fn start(processes: Vec<Watched>) -> Self {
        let mut usage = Usage {
            cpu_at_start: Duration::ZERO,
            processes,
            started: Instant::now(),
            peak_rss: 0,
        };
        usage.cpu_at_start = usage.cpu();
        usage.sample();
        usage
    }

    fn cpu(&self) -> Duration {
        self.processes.iter().filter_map(Watched::cpu).sum()
    }

    /// Reads memory now; called by the progress ticker, so the peak is within its period.
    pub fn sample(&mut self) {
        let rss: u64 = self.processes.iter().filter_map(Watched::rss).sum();
        self.peak_rss = self.peak_rss.max(rss);
    }

    /// The window so far.
    pub fn report(&mut self) -> UsageReport {
        self.sample();
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        UsageReport {
            cores: self.cpu().saturating_sub(self.cpu_at_start).as_secs_f64() / wall,
            peak_rss_mib: self.peak_rss as f64 / (1024.0 * 1024.0),
        }
    }

    /// Whether any process is being watched.
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = Watched::this_process();
        assert!(me.rss().unwrap() > 0);
        let mut usage = Usage::start(vec![me]);
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(50) {
            x = x.wrapping_add(1);
        }
        assert!(x > 0);
        let report = usage.report();
        assert!(report.peak_rss_mib > 0.0);
        assert!(report.cores >= 0.0);
        assert!(!usage.is_empty());
    }
}
