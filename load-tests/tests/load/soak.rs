//! Soak: workshop rooms opened, edited and left again and again for `SOAK_SECONDS` (CI: 120;
//! the documented manual run: 1800), sampling the server's memory after every round. Asserts
//! that every room converged and that rooms and connections are released (their gauges in
//! `/metrics` return to 0); on runs of `MEMORY_JUDGED_FROM` or longer, also that memory
//! stays flat once warm. Two minutes cannot tell the store's cache and the allocator filling
//! up from a leak; half an hour can.

use std::time::{Duration, Instant};

use crate::server::{options, Server};
use cocreate_load::procstat::Watched;
use cocreate_load::scenario::{Overrides, Scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Rounds before memory counts as warm (allocator pools, caches), at least; on long runs
/// the first third of the rounds.
const WARM_ROUNDS: usize = 3;
/// Runs this long are judged on their memory.
const MEMORY_JUDGED_FROM: Duration = Duration::from_secs(600);

/// The server's resident memory in KiB.
fn rss_kib(pid: u32) -> u64 {
    Watched::pid(pid).rss().expect("the server's /proc status") / 1024
}

/// One gauge from the server's `/metrics`.
async fn gauge(addr: &str, name: &str) -> f64 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut body = String::new();
    stream.read_to_string(&mut body).await.expect("read");
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_and_connections_are_released_and_memory_stays_flat() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    // A small store cache, full within the warm-up: what grows after it is not the cache.
    let server = Server::start(None, "127.0.0.1:0", &["--embedded-cache-mib", "4"]);
    let pid = server.child.id();
    let addr = server.addr.clone();
    let round = Overrides {
        duration: Some(5.0),
        rooms: Some(20),
        editors: Some(3),
        viewers: Some(3),
        edit_rate: Some(2.0),
        join_concurrency: Some(40),
        ..Overrides::default()
    };
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) || samples.len() <= WARM_ROUNDS {
        let result = Scenario::Workshops
            .run("cocreate", &round, &options(&server, false))
            .await;
        let run = &result.steps[0].result;
        assert!(
            result.converged,
            "round {}: diverged: {run:?}",
            samples.len()
        );
        assert_eq!(run.errors, 0, "round {}: {run:?}", samples.len());
        samples.push(rss_kib(pid));
    }
    // Everyone left: the gauges return to 0 (rooms unload once their last member is gone).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let open = gauge(&addr, "cocreate_connections_open").await;
        let rooms = gauge(&addr, "cocreate_rooms_loaded").await;
        if open == 0.0 && rooms == 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not released: {open} connections, {rooms} rooms"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let warm = samples[(samples.len() / 3).max(WARM_ROUNDS - 1)];
    let last = *samples.last().unwrap();
    eprintln!(
        "soak: {} rounds in {:?}; RSS (KiB) per round: {samples:?}",
        samples.len(),
        started.elapsed()
    );
    if Duration::from_secs(seconds) >= MEMORY_JUDGED_FROM {
        // Flat: what remains after warm-up is noise, not growth per room opened and closed.
        assert!(
            last <= warm + warm / 10 + 4 * 1024,
            "memory grew from {warm} KiB (warm) to {last} KiB: {samples:?}"
        );
    }
}
