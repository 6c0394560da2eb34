//! The agenda's steps in the research outputs (issue 27, part 7): `steps.csv` and
//! `contributions_by_step.csv` in the dataset, and the step current at any instant of the replay
//! (`state?at=`), all read from the session's audit log, so they hold after a restart.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::board_session::BoardSession;
use crate::support::{add_card, add_comment, now_ms, session_server, vote, zip_file, Client};

/// A private brainwriting step, a discussion and a secret vote whose zone rules open votes.
fn agenda() -> Value {
    json!({"steps": [
        {"id": "write", "title": "Write alone", "method": "brainwrite", "minutes": 5,
         "private": true},
        {"id": "discuss", "title": "Discuss", "method": "discuss"},
        {"id": "vote", "title": "Dot-vote", "method": "vote", "votes": 3, "secret": true,
         "zones": {"votes": {"citizen": "edit"}}},
    ]})
}

/// An instant between two actions: after everything so far, before anything next.
async fn instant() -> u64 {
    let now = now_ms();
    // Audit times are in milliseconds: the next action is recorded in a later one.
    tokio::time::sleep(Duration::from_millis(3)).await;
    now
}

/// The step the replay shows at `at` (a position: ms since the epoch, or none for now).
async fn step_at(s: &BoardSession, at: Option<u64>) -> Value {
    let query = at.map(|at| format!("?at={at}")).unwrap_or_default();
    let (status, state) = s
        .call_as("researcher", "GET", &format!("/state{query}"), None)
        .await;
    assert_eq!(status, 200, "{state}");
    state["step"].clone()
}

/// A CSV file's rows (after its header) as fields; none of these files quotes a comma.
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

/// A workshop: Ann writes a card before any step, two drafts in the private step (revealed after
/// the moderator ended it), a comment in the discussion and a vote in the secret vote (revealed
/// while it is under way), which closing the session ends. The dataset and the replay tell each step, also after a restart.
#[tokio::test]
async fn each_step_is_in_the_export_and_the_replay_at_any_instant() {
    let dir = tempfile::tempdir().unwrap();
    let server = session_server(dir.path()).await;
    let s = BoardSession::create_on(Arc::new(server), json!({})).await;
    let (token, ann) = s.server.join(&s.code, "Ann").await;
    let room_url = |room: &str| format!("{}?token={token}", s.server.url(room));
    let mut board = Client::connect(&room_url(&s.id)).await;
    add_card(&mut board, "early", "before any step", &ann).await;
    board.wait_all_saved().await;
    let before = instant().await;

    s.moderate("PUT", "/agenda", Some(agenda()), 200).await;
    s.moderate("POST", "/agenda/steps/write/start", None, 200)
        .await;
    let mut drafts = Client::connect(&room_url(&format!("{}:drafts:{ann}", s.id))).await;
    add_card(&mut drafts, "d-1", "first draft", &ann).await;
    add_card(&mut drafts, "d-2", "second draft", &ann).await;
    drafts.wait_all_saved().await;
    let writing = instant().await;
    s.moderate("POST", "/agenda/end", None, 200).await;
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    let revealed = instant().await;

    s.moderate("POST", "/agenda/steps/discuss/start", None, 200)
        .await;
    add_comment(&mut board, "c-1", "early", "a comment", &ann).await;
    s.moderate("POST", "/agenda/steps/vote/start", None, 200)
        .await;
    // A secret vote is cast apart, in the draft room, and counted at the reveal.
    vote(&mut drafts, &[format!("early|{ann}|0")]).await;
    drafts.wait_all_saved().await;
    let voting = instant().await;
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    s.close().await;
    board.hang_up().await;
    drafts.hang_up().await;

    // The replay: the step current at each instant, as the session showed it then.
    assert_eq!(step_at(&s, Some(before)).await, Value::Null);
    let step = step_at(&s, Some(writing)).await;
    assert_eq!(
        (
            &step["id"],
            &step["method"],
            &step["private"],
            &step["revealed"]
        ),
        (
            &json!("write"),
            &json!("brainwrite"),
            &json!(true),
            &json!(false)
        ),
        "{step}"
    );
    let started_at = step["started_at"].as_u64().unwrap();
    assert_eq!(step["ends_at"], started_at + 5 * 60_000);
    assert!(step["ended_at"].is_null(), "{step}");
    let step = step_at(&s, Some(revealed)).await;
    assert_eq!(
        (&step["id"], &step["revealed"], &step["end_reason"]),
        (&json!("write"), &json!(true), &json!("moderator")),
        "an ended step stays current until the next starts: {step}"
    );
    let step = step_at(&s, Some(voting)).await;
    assert_eq!(
        (&step["id"], &step["secret"]),
        (&json!("vote"), &json!(true))
    );
    assert!(step["ended_at"].is_null(), "{step}");
    let step = step_at(&s, None).await;
    assert_eq!(
        (&step["id"], &step["end_reason"]),
        (&json!("vote"), &json!("closed"))
    );

    // The same after a restart: nothing but the audit log tells it.
    let created = s.created();
    Arc::try_unwrap(s.server)
        .ok()
        .expect("one owner")
        .stop()
        .await;
    let s = BoardSession::reopen(Arc::new(session_server(dir.path()).await), &created);
    assert_eq!(step_at(&s, Some(revealed)).await["revealed"], true);

    let path = s.path("/export");
    let (status, _, body) = s.server.fetch(&path, &s.invite("researcher")).await;
    assert_eq!(status, 200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let steps = rows(&zip_file(&mut zip, "steps.csv"));
    let columns = |row: &Vec<String>, at: &[usize]| -> Vec<String> {
        at.iter().map(|i| row[*i].clone()).collect()
    };
    // step, title, method, private, anonymous, secret, votes, end_reason, zones
    let settings: Vec<Vec<String>> = steps
        .iter()
        .map(|row| columns(row, &[0, 1, 2, 3, 4, 5, 6, 10, 12]))
        .collect();
    let expected = [
        "write,Write alone,brainwrite,true,false,false,,moderator,{}",
        "discuss,Discuss,discuss,false,false,false,,next step,{}",
        r#"vote,Dot-vote,vote,false,false,true,3,closed,"{""votes"":{""citizen"":""edit""}}""#,
    ];
    let expected: Vec<Vec<String>> = expected
        .iter()
        .map(|row| row.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(settings, expected);
    let (write, discuss) = (&steps[0], &steps[1]);
    assert!(!write[8].is_empty() && !write[9].is_empty() && !write[11].is_empty());
    assert!(
        discuss[8].is_empty() && discuss[11].is_empty(),
        "{discuss:?}"
    );

    // Ann's contributions, each in its step: the drafts in the step revealed (after its end).
    let by_step = rows(&zip_file(&mut zip, "contributions_by_step.csv"));
    let counted: Vec<Vec<String>> = by_step
        .iter()
        .map(|row| columns(row, &[0, 2, 3, 4, 5, 6, 7]))
        .collect();
    let expected = [
        ["", &ann, "citizen", "1", "0", "0", "0"],
        ["write", &ann, "citizen", "2", "0", "0", "0"],
        ["discuss", &ann, "citizen", "0", "0", "1", "0"],
        ["vote", &ann, "citizen", "0", "0", "0", "1"],
    ];
    let expected: Vec<Vec<String>> = expected
        .iter()
        .map(|row| row.iter().map(|f| f.to_string()).collect())
        .collect();
    assert_eq!(counted, expected);
    assert_eq!(by_step[1][1], write[7], "a run is named by its start");
    assert!(zip_file(&mut zip, "README.md").contains("### steps.csv"));
}
