//! The `cocreate` binary: parse configuration, set up logging, bind, serve until SIGTERM or Ctrl-C.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use cocreate_server::config::{Cli, Command, LogFormat};
use tokio_util::sync::CancellationToken;

use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Serve(config) => {
            let node = config.node_id();
            init_tracing(config.log_format, &node);
            run(config, node).await
        }
        Command::Export(args) => {
            init_stderr_tracing();
            cocreate_server::cli::research::export(args).await
        }
        Command::Replay(args) => {
            init_stderr_tracing();
            cocreate_server::cli::research::replay(args).await
        }
        Command::Session(command) => {
            init_stderr_tracing();
            cocreate_server::cli::sessions::run(command).await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: cocreate_server::config::ServeConfig, node: String) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("could not listen on {}", config.listen))?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    cocreate_server::serve_as(listener, config, shutdown, node).await?;
    Ok(())
}

/// Log level from `RUST_LOG` (default `info`); text or JSON lines on stdout. JSON lines carry
/// the node id, so that logs collected from several nodes can be told apart and joined with
/// the update log's records.
fn init_tracing(format: LogFormat, node: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => {
            let json = tracing_subscriber::fmt::format().json();
            builder.event_format(WithNode::new(json, node)).init()
        }
    }
}

/// A JSON event format with `"node"` as the first field of every line.
struct WithNode<F> {
    inner: F,
    /// The node id as a JSON string, quotes included.
    node: String,
}

impl<F> WithNode<F> {
    fn new(inner: F, node: &str) -> Self {
        let node = serde_json::Value::from(node).to_string();
        WithNode { inner, node }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithNode<F>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{\"node\":{},{rest}", self.node),
            None => writer.write_str(&line),
        }
    }
}

/// Warnings and errors on stderr, for the commands whose output is on stdout.
fn init_stderr_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("signal received");
    shutdown.cancel();
}
