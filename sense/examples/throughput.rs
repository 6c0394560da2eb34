//! How fast the encoder is on this machine, on one core: model load time, memory the model
//! adds, and cards embedded per second (the fixture's 320 sticky notes in four languages,
//! embedded as one list, again and again for a few seconds).
//!
//! cargo run --release -p cocreate-sense --example throughput [MODEL_DIR]
//!
//! MODEL_DIR defaults to $COCREATE_SENSE_MODEL, then target/sense-model.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cocreate_sense::Model;

/// How long to keep embedding for the cards/s figure.
const MEASURE_FOR: Duration = Duration::from_secs(5);
/// The fixture's first texts are the cards (80 per language); the edge cases follow.
const CARDS: usize = 320;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("COCREATE_SENSE_MODEL"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/sense-model"));
    let json = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference.json"),
    )?;
    let fixture: serde_json::Value = serde_json::from_str(&json)?;
    let cards: Vec<String> = fixture["texts"]
        .as_array()
        .ok_or("fixture without texts")?
        .iter()
        .take(CARDS)
        .filter_map(|case| case["text"].as_str().map(str::to_owned))
        .collect();
    let cards: Vec<&str> = cards.iter().map(String::as_str).collect();

    let rss_before = memory_kib("VmRSS");
    let start = Instant::now();
    let model = Model::load(&dir)?;
    let load = start.elapsed();
    let rss_loaded = memory_kib("VmRSS");

    let tokens: usize = cards
        .iter()
        .map(|card| model.tokenize(card).len() + 2)
        .sum();
    let start = Instant::now();
    let mut embedded = 0;
    while start.elapsed() < MEASURE_FOR {
        embedded += model.embed(&cards).len();
    }
    let elapsed = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let one_by_one = cards
        .iter()
        .map(|card| model.embed(&[card]).len())
        .sum::<usize>();
    let one_by_one_rate = one_by_one as f64 / start.elapsed().as_secs_f64();

    println!(
        "model load:            {:.0} ms",
        load.as_secs_f64() * 1000.0
    );
    if let (Some(before), Some(loaded), Some(peak)) = (rss_before, rss_loaded, memory_kib("VmHWM"))
    {
        println!(
            "memory added by load:  {:.1} MB (resident; peak of the process {:.1} MB)",
            (loaded - before) as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
    println!(
        "cards:                 {} ({:.1} tokens each with <s> and </s>)",
        cards.len(),
        tokens as f64 / cards.len() as f64
    );
    println!(
        "embedded as one list:  {:.0} cards/s on one core",
        embedded as f64 / elapsed
    );
    println!("embedded one by one:   {one_by_one_rate:.0} cards/s on one core");
    Ok(())
}

/// A memory figure of this process from /proc/self/status, in KiB (Linux only).
fn memory_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
