//! Processes through the API: creating one (admin key), sessions joining it with a cycle
//! phase, who may see it, its gathered published results, and its research view.

use serde_json::{json, Value};

use crate::board_session::{process_of_three_written, process_of_two, BoardSession};
use crate::carry::carried;
use crate::support::{zip_file, ADMIN_KEY};

#[tokio::test]
async fn creating_a_process_needs_the_admin_key_and_a_title() {
    let s = BoardSession::start(json!({})).await;
    let create = |token: Option<&'static str>, body: Value| {
        let server = s.server.clone();
        async move {
            server
                .call("POST", "/api/processes", token, Some(body))
                .await
        }
    };
    let (status, body) = create(None, json!({"title": "T", "description": "D"})).await;
    assert_eq!((status, &body["code"]), (401, &json!("invalid_admin_key")));
    let (status, body) = create(Some("wrong"), json!({"title": "T", "description": "D"})).await;
    assert_eq!((status, &body["code"]), (401, &json!("invalid_admin_key")));
    let (status, body) = create(Some(ADMIN_KEY), json!({"title": " ", "description": "D"})).await;
    assert_eq!((status, &body["code"]), (400, &json!("invalid_request")));
    let (status, body) = create(Some(ADMIN_KEY), json!({"title": "T", "colour": "red"})).await;
    assert_eq!((status, &body["code"]), (400, &json!("invalid_request")));
    let (status, body) = create(
        Some(ADMIN_KEY),
        json!({"title": " Mobility ", "description": "Why."}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            &body["title"],
            &body["description"],
            &body["organisation"],
            &body["sessions"]
        ),
        (&json!("Mobility"), &json!("Why."), &Value::Null, &json!([]))
    );
    assert!(body["id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn sessions_name_their_process_and_cycle_phase() {
    let (id, first, second) = process_of_two().await;
    let me = first.me("citizen").await;
    assert_eq!(
        (&me["session"]["process"], &me["session"]["cycle_phase"]),
        (&json!(id), &json!("need-analysis"))
    );
    let (status, process) = second
        .server
        .call(
            "GET",
            &format!("/api/processes/{id}"),
            Some(&second.invite("moderator")),
            None,
        )
        .await;
    assert_eq!(status, 200, "{process}");
    assert_eq!(process["organisation"], "City of Ghent");
    let sessions: Vec<(&Value, &Value, &Value)> = process["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (&s["id"], &s["cycle_phase"], &s["state"]))
        .collect();
    assert_eq!(
        sessions,
        [
            (&json!(first.id), &json!("need-analysis"), &json!("open")),
            (&json!(second.id), &json!("co-design"), &json!("open")),
        ]
    );
    let bad = |body: Value, expected: (u16, &'static str)| {
        let server = first.server.clone();
        async move {
            server
                .call_expect(
                    expected,
                    "POST",
                    "/api/sessions",
                    Some(ADMIN_KEY),
                    Some(body),
                )
                .await
        }
    };
    let session = json!({"title": "T", "template": "canvas", "language": "en"});
    let mut unknown = session.clone();
    unknown["process"] = json!("no-such-process");
    bad(unknown, (404, "process_not_found")).await;
    let mut phase = session.clone();
    phase["cycle_phase"] = json!("brainstorm");
    bad(phase, (400, "invalid_request")).await;
    // Neither is required.
    let plain = first.another(json!({})).await;
    let me = plain.me("citizen").await;
    assert_eq!(
        (&me["session"]["process"], &me["session"]["cycle_phase"]),
        (&Value::Null, &Value::Null)
    );
}

#[tokio::test]
async fn only_moderators_of_its_sessions_and_the_admin_key_see_a_process() {
    let (id, first, second) = process_of_two().await;
    let path = format!("/api/processes/{id}");
    let outsider = first.another(json!({}));
    let outsider = outsider.await;
    let expect = |token: Option<String>, expected: (u16, &'static str)| {
        let (server, path) = (first.server.clone(), path.clone());
        async move {
            server
                .call_expect(expected, "GET", &path, token.as_deref(), None)
                .await
        }
    };
    for role in ["citizen", "observer", "researcher"] {
        expect(Some(first.invite(role)), (403, "forbidden")).await;
    }
    expect(Some(outsider.invite("moderator")), (403, "forbidden")).await;
    expect(None, (401, "missing_token")).await;
    expect(Some("not.a.token".into()), (401, "invalid_token")).await;
    let (status, _) = first.server.call("GET", &path, Some(ADMIN_KEY), None).await;
    assert_eq!(status, 200);
    // After close, its moderators still follow the process.
    first.close().await;
    let (status, process) = first
        .server
        .call("GET", &path, Some(&first.invite("moderator")), None)
        .await;
    assert_eq!(
        (status, &process["sessions"][0]["state"]),
        (200, &json!("closed"))
    );
    second
        .server
        .call_expect(
            (404, "process_not_found"),
            "GET",
            "/api/processes/nope",
            Some(ADMIN_KEY),
            None,
        )
        .await;
}

#[tokio::test]
async fn a_process_shows_the_results_its_sessions_published() {
    let (id, first, second) = process_of_two().await;
    let path = format!("/api/processes/{id}/results");
    let (status, body) = first.server.get(&path).await;
    assert_eq!(
        (status, &body["code"]),
        (404, &json!("results_not_published"))
    );
    first
        .citizen_writes(
            "Cit",
            &[("card-1", "buses too rare"), ("card-2", "no benches")],
        )
        .await;
    second
        .citizen_writes("Cit", &[("card-9", "a bus app")])
        .await;
    first
        .decide("card-1", "accepted", "More buses from May.")
        .await;
    first.close().await;
    first.moderate("POST", "/publish", None, 200).await;
    let (status, results) = first.server.get(&path).await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["process"]["title"], "Mobility 2027");
    assert_eq!(
        results["counts"],
        json!({"contributions": 2, "decided": 1, "accepted": 1})
    );
    let sessions = results["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "only published sessions: {results}");
    assert_eq!(sessions[0]["session"]["cycle_phase"], "need-analysis");
    second.moderate("POST", "/publish", None, 200).await;
    let (_, results) = first.server.get(&path).await;
    assert_eq!(results["counts"]["contributions"], 3);
    let (status, body) = first.server.get("/api/processes/nope/results").await;
    assert_eq!(
        (status, &body["code"]),
        (404, &json!("results_not_published"))
    );
}

/// A process's research view: need analysis (Ann's two cards, one decided, both carried), co-design
/// (Bob's card; the copy of the decided card decided again) and a session not recorded for
/// research, which the view leaves out; as figures and as a dataset, for a
/// researcher or moderator of one of its sessions only.
#[tokio::test]
async fn a_process_is_studied_by_phase_with_what_was_carried_forward_and_decided() {
    let (id, first, second, unrecorded) = process_of_three_written().await;
    first
        .decide("card-1", "accepted", "More buses from May.")
        .await;
    first.close().await;
    let copies = carried(&first, &second, &["card-1", "card-2"]).await;
    second
        .decide(&copies[0], "planned", "In the 2028 plan.")
        .await;

    let metrics = format!("/api/processes/{id}/metrics");
    let (status, view) = second
        .server
        .call("GET", &metrics, Some(&second.invite("researcher")), None)
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["left_out"], json!([unrecorded.id]));
    let phases = view["phases"].as_array().unwrap();
    let phase = |name: &str| {
        phases
            .iter()
            .find(|p| p["cycle_phase"] == name)
            .unwrap()
            .clone()
    };
    let first_metrics = first.call_as("researcher", "GET", "/metrics", None).await.1;
    let need = phase("need-analysis");
    assert_eq!(
        (
            &need["sessions"],
            &need["participants"],
            &need["citizens"],
            &need["contributors"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1)),
        "{need}"
    );
    assert_eq!(need["contributions"], first_metrics["contributions"]);
    assert_eq!(need["citizen_share"], 1.0);
    assert_eq!(
        [
            &need["cards"],
            &need["decided"],
            &need["carried_forward"],
            &need["carried_forward_decided"]
        ],
        [&json!(2), &json!(1), &json!(2), &json!(1)]
    );
    let design = phase("co-design");
    assert_eq!(
        [
            &design["cards"],
            &design["carried_in"],
            &design["carried_forward"]
        ],
        [&json!(1), &json!(2), &json!(0)],
        "carried copies are the server's, not Bob's: {design}"
    );
    assert_eq!(phase("evaluation")["sessions"], 0);
    assert_eq!(phases.len(), 4, "the session without a phase is left out");
    let statuses: Vec<(Value, Value)> = view["carried"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["source_status"].clone(), c["status"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("accepted"), json!("planned")),
            (json!(null), json!(null))
        ]
    );

    // The dataset holds the same, documented.
    let export = format!("/api/processes/{id}/export");
    let (status, headers, body) = first
        .server
        .fetch(&export, &first.invite("moderator"))
        .await;
    assert_eq!(
        (status, headers["content-type"].as_str()),
        (200, "application/zip")
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let phases_csv = zip_file(&mut zip, "phases.csv");
    let need_row = format!(
        "need-analysis,1,1,1,1,{0},{0},2,1,0,2,1,1.000\r\n",
        need["contributions"]
    );
    assert!(phases_csv.contains(&need_row), "{phases_csv}");
    let carried_csv = zip_file(&mut zip, "carried.csv");
    assert!(carried_csv.contains(&format!(
        "{},need-analysis,card-1,{},co-design,{},",
        first.id, second.id, copies[0]
    )));
    assert!(
        carried_csv.contains(",accepted,planned\r\n"),
        "{carried_csv}"
    );
    assert_eq!(zip_file(&mut zip, "sessions.csv").lines().count(), 1 + 2);
    let readme = zip_file(&mut zip, "README.md");
    assert!(readme.contains("Mobility 2027") && readme.contains(&unrecorded.id));

    // Nobody else studies it: a citizen, the researcher of the session not recorded.
    for (session, role, code) in [
        (&first, "citizen", "forbidden"),
        (&unrecorded, "researcher", "not_recorded"),
    ] {
        for path in [&metrics, &export] {
            let token = session.invite(role);
            session
                .server
                .call_expect((403, code), "GET", path, Some(&token), None)
                .await;
        }
    }
}
