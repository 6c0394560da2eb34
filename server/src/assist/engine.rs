//! The sentence encoder as the server holds it: loaded once at start-up and shared by every
//! request; each run (embedding, then clustering or ranking) on a blocking thread, a few at a
//! time per node, never on the async runtime; the embeddings of texts seen lately kept, so
//! that a board is embedded once and not at every keystroke that asks for similar cards.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use cocreate_sense::{Embedding, LoadError, Model};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Runs computed at once on this node, at most: each keeps one core busy for up to about a
/// second (a 1,000-card board), so two leave the rooms' own tasks room on a small machine;
/// others wait their turn (the per-participant limits bound how many wait).
pub const MAX_CONCURRENT_RUNS: usize = 2;

/// Embeddings kept between runs (2 KiB each: 40 MiB at most), many boards' worth. When full,
/// the cache starts over: simpler than an LRU, and a board is re-embedded in about a second.
const CACHED_EMBEDDINGS: usize = 20_000;

/// The sha256 of a text (hex): how runs name their input without keeping it, and the cache's
/// key.
pub fn text_sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The loaded model, the places for runs and the cache of embeddings.
pub struct Assistant {
    model: Arc<Model>,
    /// [`MAX_CONCURRENT_RUNS`] places: a run holds one while it computes.
    places: Arc<Semaphore>,
    /// Embeddings by text (sha256 hex), shared by every run on this node.
    cache: Arc<Mutex<HashMap<String, Embedding>>>,
}

/// A run that did not finish: its blocking task panicked or the runtime is shutting down.
#[derive(Debug, thiserror::Error)]
#[error("the sensemaking run did not finish: {0}")]
pub struct RunFailed(String);

/// What a run computes with: the model, through the cache.
pub struct Embedder<'a> {
    model: &'a Model,
    cache: &'a Mutex<HashMap<String, Embedding>>,
}

impl Embedder<'_> {
    /// The embeddings of `texts`, in order: cached ones reused, the others computed (as one
    /// batch) and cached.
    pub fn embed(&self, texts: &[&str]) -> Vec<Embedding> {
        let keys: Vec<String> = texts.iter().map(|t| text_sha256(t)).collect();
        let mut found: Vec<Option<Embedding>> = {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            keys.iter().map(|k| cache.get(k).copied()).collect()
        };
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| found[i].is_none()).collect();
        if !missing.is_empty() {
            let batch: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let computed = self.model.embed(&batch);
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if cache.len() + computed.len() > CACHED_EMBEDDINGS {
                cache.clear();
            }
            for (&i, embedding) in missing.iter().zip(computed) {
                cache.insert(keys[i].clone(), embedding);
                found[i] = Some(embedding);
            }
        }
        found.into_iter().flatten().collect()
    }
}

impl Assistant {
    /// Loads the model from `dir`: it reads and checks 33 MB, so call it on a blocking thread.
    pub fn load(dir: &Path) -> Result<Assistant, LoadError> {
        Ok(Assistant {
            model: Arc::new(Model::load(dir)?),
            places: Arc::new(Semaphore::new(MAX_CONCURRENT_RUNS)),
            cache: Arc::default(),
        })
    }

    /// The assistant of a server started with `--sense-model dir`, or `None` (sensemaking
    /// off), said in the log either way: a missing or wrong model does not keep the server
    /// from serving.
    pub async fn start(dir: Option<&Path>) -> Option<Arc<Assistant>> {
        let Some(dir) = dir else {
            tracing::info!("sensemaking off: no --sense-model given");
            return None;
        };
        let path = dir.to_owned();
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || Assistant::load(&path)).await {
            Ok(Ok(assistant)) => {
                tracing::info!(dir = %dir.display(), model = assistant.model_name(),
                    ms = started.elapsed().as_millis() as u64, "sensemaking on: sentence encoder loaded");
                Some(Arc::new(assistant))
            }
            Ok(Err(e)) => {
                tracing::warn!(dir = %dir.display(), error = %e, "sensemaking off: the sentence encoder could not be loaded");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "sensemaking off: loading the sentence encoder failed");
                None
            }
        }
    }

    /// The model's name, for the record of every run.
    pub fn model_name(&self) -> &'static str {
        self.model.name()
    }

    /// The sha256 of the model's weights, for the record of every run.
    pub fn model_sha256(&self) -> &'static str {
        self.model.sha256()
    }

    /// Runs `work` on a blocking thread once a place is free, and returns what it computed.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Embedder) -> T + Send + 'static,
    ) -> Result<T, RunFailed> {
        let place = self
            .places
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| RunFailed(e.to_string()))?;
        let (model, cache) = (self.model.clone(), self.cache.clone());
        let done = tokio::task::spawn_blocking(move || {
            let _place = place;
            work(&Embedder {
                model: &model,
                cache: &cache,
            })
        })
        .await;
        done.map_err(|e| RunFailed(e.to_string()))
    }
}
