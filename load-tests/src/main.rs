//! `cocreate-load run SCENARIO --url ...` runs a scenario against a server and writes its
//! results; `cocreate-load table FILES...` prints the comparison of saved results.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use cocreate_load::participant::Target;
use cocreate_load::run::Options;
use cocreate_load::scenario::{Overrides, Scenario};
use cocreate_load::wire::Protocol;
use cocreate_load::{history_costs, report};

#[derive(Parser)]
#[command(about = "Load generator for cocreate and the y-websocket servers it is compared with")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario against a running server.
    Run(Box<RunArgs>),
    /// Print the comparison table of saved results (JSON files written by `run`).
    Table {
        /// The server the ratios are taken for.
        #[arg(long, default_value = "cocreate-embedded")]
        reference: String,
        files: Vec<PathBuf>,
    },
    /// Time a session's reads (receipt, results, decision, first sync, cold load) as its
    /// history grows, for each server binary given (started here on loopback), side by side.
    HistoryCosts {
        /// `NAME=PATH` of a cocreate binary; give two to compare a baseline and a candidate.
        #[arg(long = "server", required = true)]
        servers: Vec<String>,
        /// Updates in the sessions measured.
        #[arg(long, value_delimiter = ',', default_values_t = [100, 20_000, 100_000])]
        sizes: Vec<usize>,
        /// Receipts asked for at once after the biggest session closes (0: none).
        #[arg(long, default_value_t = 200)]
        receipts: usize,
        /// Write the table here as Markdown (it is also printed).
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    scenario: Scenario,
    /// WebSocket URL of a room, with `{room}` where the room name goes
    /// (cocreate: ws://127.0.0.1:8080/ws/{room}).
    #[arg(long)]
    url: String,
    #[arg(long, value_enum, default_value = "y-websocket")]
    protocol: Protocol,
    /// The server's name in the results.
    #[arg(long, default_value = "server")]
    server: String,
    /// Processes whose CPU and memory count as the server's (e.g. cocreate and its Redis).
    #[arg(long = "server-pid", value_delimiter = ',')]
    server_pids: Vec<u32>,
    /// Create each room with `POST {"docId": ROOM}` here first (y-sweet: http://HOST:PORT/doc/new).
    #[arg(long)]
    create_url: Option<String>,
    /// Seconds a participant may take to catch up once edits stop.
    #[arg(long, default_value_t = 60.0)]
    drain_timeout: f64,
    /// Write the full results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the results table here as Markdown (it is also printed).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// No progress lines.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    overrides: Overrides,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Run(args) => run(*args),
        Command::Table { reference, files } => table(&reference, &files),
        Command::HistoryCosts {
            servers,
            sizes,
            receipts,
            markdown,
        } => history_costs(&servers, &sizes, receipts, markdown),
    }
}

fn run(args: RunArgs) -> ExitCode {
    let options = Options {
        target: Target {
            url: args.url,
            protocol: args.protocol,
        },
        server_pids: args.server_pids,
        drain_timeout: Duration::from_secs_f64(args.drain_timeout),
        progress: !args.quiet,
        diverge_one: false,
        create_url: args.create_url,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(args.scenario.run(&args.server, &args.overrides, &options));
    let table = report::steps_table(&result);
    println!("{table}\n{}: {}", args.server, result.headline);
    let written = args
        .json
        .map(|path| {
            std::fs::write(
                &path,
                serde_json::to_vec_pretty(&result).unwrap_or_default(),
            )
            .map_err(|e| (path, e))
        })
        .transpose()
        .and_then(|_| {
            args.markdown
                .map(|path| std::fs::write(&path, &table).map_err(|e| (path, e)))
                .transpose()
        });
    if let Err((path, e)) = written {
        eprintln!("cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if !result.converged {
        eprintln!("FAILED: the replicas did not converge (see the table)");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn table(reference: &str, files: &[PathBuf]) -> ExitCode {
    let mut saved = Vec::new();
    for path in files {
        match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(result) => saved.push(result),
            Err(e) => {
                eprintln!("cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    print!("{}", report::comparison_table(&saved, reference));
    ExitCode::SUCCESS
}

fn history_costs(
    servers: &[String],
    sizes: &[usize],
    receipts: usize,
    markdown: Option<PathBuf>,
) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut all = Vec::new();
    for server in servers {
        let (name, bin) = server.split_once('=').unwrap_or((server, server));
        match runtime.block_on(history_costs::measure(name, bin.as_ref(), sizes, receipts)) {
            Ok(figures) => all.push(figures),
            Err(e) => {
                eprintln!("{name}: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    let table = history_costs::table(&all);
    println!("{table}");
    if let Some(path) = markdown {
        if let Err(e) = std::fs::write(&path, table) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
