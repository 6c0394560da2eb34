//! The operator's side of the binary: secrets read from files (`--admin-key-file`,
//! `--token-secret-file`) and `cocreate session create|list|show|close` against a data
//! directory and against Redis, with their output and exit codes.

use std::path::Path;
use std::process::Output;

use clap::Parser;
use cocreate_server::config::{Cli, Command, ServeConfig};
use cocreate_server::session::token::TokenKey;
use serde_json::{json, Value};

use crate::redis_server::{unique_prefix, url};
use crate::support::{open_config, Client, TestServer, ADMIN_KEY};

/// A token secret long enough for `--token-secret`.
const SECRET: &str = "a file-borne token secret of 32+ characters";

/// Runs `cocreate` with `args` (off the async runtime: it blocks until the process ends).
async fn cocreate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cocreate"));
    command.args(args).envs(env.iter().copied());
    tokio::task::spawn_blocking(move || command.output().expect("run cocreate"))
        .await
        .unwrap()
}

/// Runs `cocreate` and expects exit code 0: its stdout.
async fn succeeds(args: &[&str]) -> String {
    let output = cocreate(args, &[]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `cocreate` and expects exit code `code` with nothing on stdout: its stderr.
async fn fails(code: i32, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = cocreate(args, env).await;
    assert_eq!(output.status.code(), Some(code), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "{:?}", output.stdout);
    stderr(&output)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

fn serve_config(args: &[&str]) -> ServeConfig {
    let cli = Cli::try_parse_from(["cocreate", "serve"].iter().chain(args)).expect("parses");
    let Command::Serve(config) = cli.command else {
        unreachable!("parsed the serve command")
    };
    config
}

#[tokio::test]
async fn the_server_takes_its_admin_key_and_token_secret_from_files() {
    let dir = tempfile::tempdir().unwrap();
    // As `echo` and editors write them: with a trailing newline, which is not the secret's.
    let key_file = write(dir.path(), "admin-key", &format!("{ADMIN_KEY}\n"));
    let secret_file = write(dir.path(), "token-secret", &format!("{SECRET}\r\n"));
    let data = dir.path().join("data");
    let parsed = serve_config(&[
        "--admin-key-file",
        &key_file,
        "--token-secret-file",
        &secret_file,
    ]);
    let mut config = open_config(&data);
    config.admin_key = None;
    config.admin_key_file = parsed.admin_key_file;
    config.invites = parsed.invites;
    assert_eq!(config.configured_admin_key(), Some(ADMIN_KEY));
    let server = TestServer::start_with(config).await;
    // The file's key authorises creating sessions (`create_session` sends ADMIN_KEY)...
    let created = server
        .create_session(json!({"title": "Loket", "template": "canvas", "language": "nl"}))
        .await;
    // ...and the file's secret signs the tokens.
    let invite = created["invites"]["moderator"]["token"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let identity = TokenKey::new(SECRET.as_bytes())
        .verify(invite, now)
        .expect("signed with the file's secret");
    assert_eq!(identity.session, created["id"].as_str().unwrap());
    server.stop().await;
}

#[tokio::test]
async fn a_secret_file_and_its_plain_variant_together_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = write(dir.path(), "admin-key", "key\n");
    let secret_file = write(dir.path(), "token-secret", SECRET);
    let data = dir.path().to_str().unwrap();
    let flags = fails(
        2,
        &[
            "serve",
            "--data-dir",
            data,
            "--admin-key",
            "k",
            "--admin-key-file",
            &key_file,
        ],
        &[],
    )
    .await;
    assert!(
        flags.contains("--admin-key-file") && flags.contains("'--admin-key <"),
        "{flags}"
    );
    // The same from the environment, as containers are configured.
    let env = fails(
        2,
        &["serve", "--data-dir", data],
        &[
            ("COCREATE_TOKEN_SECRET", SECRET),
            ("COCREATE_TOKEN_SECRET_FILE", &secret_file),
        ],
    )
    .await;
    assert!(
        env.contains("--token-secret-file") && env.contains("'--token-secret <"),
        "{env}"
    );
}

#[tokio::test]
async fn a_missing_empty_or_short_secret_file_is_a_start_up_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let missing = dir.path().join("missing").to_str().unwrap().to_owned();
    let empty = write(dir.path(), "empty", "\n");
    let short = write(dir.path(), "short", "too short\n");
    for (flag, file, says) in [
        ("--admin-key-file", &missing, "cannot read"),
        ("--admin-key-file", &empty, "is empty"),
        ("--token-secret-file", &short, "at least 32 characters"),
    ] {
        let error = fails(2, &["serve", "--data-dir", data, flag, file], &[]).await;
        assert!(
            error.contains(flag) && error.contains(file.as_str()),
            "{error}"
        );
        assert!(error.contains(says), "{error}");
    }
}

/// `cocreate session create` on `store` (the flags naming a store): its JSON answer.
async fn create(store: &[&str], title: &str) -> Value {
    let args = [
        &[
            "session",
            "create",
            "--title",
            title,
            "--template",
            "journey-map",
        ],
        &[
            "--language",
            "fr",
            "--public-url",
            "https://cocreate.example.org/",
        ][..],
        store,
    ]
    .concat();
    serde_json::from_str(&succeeds(&args).await).expect("JSON on stdout")
}

/// `cocreate session list` on `store`: its lines, split at the tabs.
async fn list(store: &[&str]) -> Vec<Vec<String>> {
    let out = succeeds(&[&["session", "list"], store].concat()).await;
    out.lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn the_command_line_creates_lists_shows_and_closes_sessions_in_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let store = ["--data-dir", dir.path().to_str().unwrap()];
    let first = create(&store, "Attente au guichet").await;
    let second = create(&store, "Permis de bâtir").await;
    let id = first["id"].as_str().unwrap();
    assert_eq!(first["session"]["title"], "Attente au guichet");
    assert_eq!(first["session"]["template"], "journey-map");
    assert_eq!(first["session"]["state"], "open");
    assert_eq!(
        first["join_url"],
        format!(
            "https://cocreate.example.org/#code={}&lang=fr",
            first["join_code"].as_str().unwrap()
        )
    );
    for role in ["moderator", "citizen", "observer", "researcher"] {
        let url = first["invites"][role]["url"].as_str().unwrap();
        assert!(
            url.starts_with("https://cocreate.example.org/#invite="),
            "{url}"
        );
    }

    // One line per session, oldest first: id, state, created (RFC 3339), title.
    let lines = list(&store).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0][..2], [id.to_owned(), "open".to_owned()]);
    assert!(
        lines[0][2].ends_with('Z') && lines[0][2].contains('T'),
        "{lines:?}"
    );
    assert_eq!(lines[0][3], "Attente au guichet");
    assert_eq!(lines[1][0], second["id"].as_str().unwrap());
    assert_eq!(lines[1][3], "Permis de bâtir");
    let json: Value = serde_json::from_str(
        &succeeds(&[&["session", "list", "--json"], &store[..]].concat()).await,
    )
    .unwrap();
    assert_eq!(json[0], first["session"]);

    let shown: Value =
        serde_json::from_str(&succeeds(&[&["session", "show", id], &store[..]].concat()).await)
            .unwrap();
    assert_eq!(shown["join_code"], first["join_code"]);
    assert_eq!(
        shown["participants"].as_array().unwrap().len(),
        4,
        "{shown}"
    );

    assert_eq!(
        succeeds(&[&["session", "close", id], &store[..]].concat()).await,
        ""
    );
    let lines = list(&store).await;
    assert_eq!(lines[0][1], "closed");
    assert_eq!(lines[1][1], "open");

    for command in ["show", "close"] {
        let error = fails(
            1,
            &[&["session", command, "nosuchsession"], &store[..]].concat(),
            &[],
        )
        .await;
        assert!(error.contains("no session nosuchsession"), "{error}");
    }
    // An unknown template is a usage error (2), an unknown language a refused session (1).
    for (template, language, code, says) in [
        ("mural", "fr", 2, "journey-map"),
        ("canvas", "es", 1, "language must be one of"),
    ] {
        let create = ["session", "create", "--title", "t", "--template", template];
        let args = [&create[..], &["--language", language], &store[..]].concat();
        let error = fails(code, &args, &[]).await;
        assert!(error.contains(says), "{error}");
    }
    assert_eq!(list(&store).await.len(), 2);
}

#[tokio::test]
async fn a_session_made_on_the_command_line_is_served_as_one_made_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let created = create(&["--data-dir", data], "Loket").await;
    let server = TestServer::start(dir.path()).await;
    let code = created["join_code"].as_str().unwrap();
    server.join(code, "Ann").await;
    // The invites are signed with the store's secret, which the server uses too.
    let invite = created["invites"]["moderator"]["token"].as_str().unwrap();
    let body = json!({"invite": invite, "display_name": "Mod"});
    let (status, joined) = server.call("POST", "/api/join", None, Some(body)).await;
    assert_eq!(
        (status, &joined["role"]),
        (200, &json!("moderator")),
        "{joined}"
    );

    // While the server runs, it holds the data directory: the command line says so.
    let error = fails(1, &["session", "list", "--data-dir", data], &[]).await;
    assert!(error.contains("in use") && error.contains(data), "{error}");
    server.stop().await;
}

#[tokio::test]
async fn the_command_line_puts_a_session_in_a_process_with_its_cycle_phase() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = TestServer::start(dir.path()).await;
    let body = json!({"title": "Loket 2027", "description": "Waiting at the counter."});
    let (status, process) = server
        .call("POST", "/api/processes", Some(ADMIN_KEY), Some(body))
        .await;
    assert_eq!(status, 201, "{process}");
    let process = process["id"].as_str().unwrap().to_owned();
    server.stop().await;

    let create = |process: &str, phase: &str| {
        [
            "session",
            "create",
            "--title",
            "Intake",
            "--template",
            "canvas",
            "--language",
            "nl",
            "--process",
            process,
            "--cycle-phase",
            phase,
            "--data-dir",
            data,
        ]
        .map(str::to_owned)
    };
    let args = create(&process, "co-design");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let created: Value = serde_json::from_str(&succeeds(&args).await).unwrap();
    assert_eq!(
        (
            &created["session"]["process"],
            &created["session"]["cycle_phase"]
        ),
        (&json!(process), &json!("co-design"))
    );
    let unknown = create("nosuchprocess", "co-design");
    let unknown: Vec<&str> = unknown.iter().map(String::as_str).collect();
    let error = fails(1, &unknown, &[]).await;
    assert!(error.contains("no such process"), "{error}");
    let phase = create(&process, "brainstorm");
    let phase: Vec<&str> = phase.iter().map(String::as_str).collect();
    let error = fails(2, &phase, &[]).await;
    assert!(error.contains("co-design"), "{error}");

    let server = TestServer::start(dir.path()).await;
    let path = format!("/api/processes/{process}");
    let (status, shown) = server.call("GET", &path, Some(ADMIN_KEY), None).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(
        (
            &shown["sessions"][0]["id"],
            &shown["sessions"][0]["cycle_phase"]
        ),
        (&created["id"], &json!("co-design")),
        "{shown}"
    );
    server.stop().await;
}

#[tokio::test]
async fn on_redis_the_command_line_closes_a_session_people_are_in() {
    let prefix = unique_prefix();
    let redis = url();
    let store = [
        "--redis-url",
        redis.as_str(),
        "--redis-prefix",
        prefix.as_str(),
    ];
    let server = TestServer::fresh_with(|config| {
        config.open_rooms = false;
        config.store.redis_url = Some(redis.clone());
        config.store.redis_prefix = prefix.clone();
    })
    .await;
    let created = create(&store, "Loket").await;
    let id = created["id"].as_str().unwrap();
    let (token, _) = server
        .join(created["join_code"].as_str().unwrap(), "Ann")
        .await;
    let mut citizen = Client::connect(&format!("{}?token={token}", server.url(id))).await;
    citizen.wait_session(|m| m["you"]["can_edit"] == true).await;
    // A step under way ends with the session, also closed from the command line.
    let moderator = created["invites"]["moderator"]["token"].as_str();
    let agenda = json!({"steps": [{"id": "write", "title": "Write", "method": "brainwrite"}]});
    let path = format!("/api/sessions/{id}/agenda");
    let put = server.call("PUT", &path, moderator, Some(agenda)).await;
    assert_eq!(put.0, 200, "{}", put.1);
    let start = format!("{path}/steps/write/start");
    assert_eq!(server.call("POST", &start, moderator, None).await.0, 200);

    let lines = list(&store).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0][..2], [id.to_owned(), "open".to_owned()]);
    succeeds(&[&["session", "close", id], &store[..]].concat()).await;
    // The running server hears of it over the bus and tells the people in the room.
    citizen
        .wait_session(|m| m["event"] == "closed" && m["you"]["can_edit"] == false)
        .await;
    let told = citizen.session.as_ref().unwrap()["session"]["step"].clone();
    assert!(told["ended_at"].is_u64(), "{told}");
    assert_eq!(list(&store).await[0][1], "closed");
    let audit = format!("/api/sessions/{id}/audit");
    let (_, log) = server.call("GET", &audit, moderator, None).await;
    let ended: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "step-ended")
        .collect();
    assert_eq!(ended.len(), 1, "{log}");
    let entry = (&ended[0]["by"], &ended[0]["target"], &ended[0]["reason"]);
    assert_eq!(
        entry,
        (&json!("operator"), &json!("write"), &json!("closed"))
    );
    server.stop().await;
}
