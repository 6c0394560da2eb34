//! The evaluation questionnaire through the public surface: answered from a receipt, checked,
//! replaced by a second answer, summed up for officials and researchers in the session's
//! figures and exported without anything that names who answered; and the outcome figures
//! (how many contributions got a decision, how fast) beside them.

use serde_json::{json, Value};

use crate::board_session::process_of_two;
use crate::receipts::Workshop;
use crate::support::{TestServer, ADMIN_KEY};

async fn evaluate(server: &TestServer, receipt: &str, answers: Value) -> (u16, Value) {
    let path = format!("/api/receipts/{receipt}/evaluation");
    server
        .call("POST", &path, None, Some(json!({ "answers": answers })))
        .await
}

#[tokio::test]
async fn answers_are_checked_replaced_and_seen_only_as_figures_and_anonymous_rows() {
    let w = Workshop::start().await;
    let ann = w.join("Ann").await;
    let bob = w.join("Bob").await;
    let mut others = Vec::new();
    for name in ["Cas", "Dirk", "Els"] {
        others.push(w.join(name).await.receipt);
    }
    for bad in [
        json!({}),
        json!({"could_say": 6}),
        json!({"could_say": 0}),
        json!({"mood": 3}),
        json!({"comment": "   "}),
        json!({"comment": "x".repeat(2001)}),
    ] {
        let (status, body) = evaluate(&w.server, &ann.receipt, bad.clone()).await;
        assert_eq!(
            (status, &body["code"]),
            (400, &json!("invalid_request")),
            "{bad}: {body}"
        );
    }
    let first = json!({"could_say": 2, "listened_to": 3, "comment": "Te kort"});
    let (status, body) = evaluate(&w.server, &ann.receipt, first.clone()).await;
    assert_eq!((status, &body["replaced"]), (200, &json!(false)), "{body}");
    assert_eq!(body["evaluation"]["answers"], first);
    // A second answer replaces the first: one answer set per receipt.
    let second = json!({"could_say": 4, "listened_to": 5, "understand_next": 3,
                        "would_return": 5, "comment": "Toch goed"});
    let (status, body) = evaluate(&w.server, &ann.receipt, second.clone()).await;
    assert_eq!((status, &body["replaced"]), (200, &json!(true)), "{body}");
    w.close().await;
    // After close too (the questionnaire is offered when the session closes).
    let (status, _) = evaluate(
        &w.server,
        &bob.receipt,
        json!({"could_say": 2, "would_return": 1}),
    )
    .await;
    assert_eq!(status, 200);
    // The holder sees their own answers on the receipt.
    assert_eq!(
        w.receipt(&ann.receipt).await["evaluation"]["answers"],
        second
    );

    // Two answer sets: nothing of them is shown yet (k-anonymity, 5), nor exported.
    let withheld = &w.metrics(&w.moderator).await["evaluation"];
    assert_eq!(
        (
            &withheld["responses"],
            &withheld["withheld"],
            &withheld["comments"]
        ),
        (&json!(2), &json!(true), &json!(0)),
        "{withheld}"
    );
    assert_eq!(withheld["statements"]["could_say"]["answered"], 0);
    assert_eq!(w.export_file("evaluation.csv").await.lines().count(), 1);
    for receipt in &others {
        let (status, _) = evaluate(&w.server, receipt, json!({"could_say": 3})).await;
        assert_eq!(status, 200);
    }

    for token in [&w.moderator, &w.researcher] {
        let metrics = w.metrics(token).await;
        let figures = &metrics["evaluation"];
        assert_eq!(
            (
                &figures["responses"],
                &figures["comments"],
                &figures["withheld"]
            ),
            (&json!(5), &json!(1), &json!(false)),
            "{figures}"
        );
        assert_eq!(
            figures["statements"]["could_say"],
            json!({"answered": 5, "mean": 3.0, "distribution": [0, 1, 3, 1, 0]})
        );
        assert_eq!(figures["statements"]["understand_next"]["answered"], 1);
        assert!(
            !metrics.to_string().contains("Toch goed"),
            "comments only in the export"
        );
    }
    w.server
        .call_expect(
            (403, "forbidden"),
            "GET",
            &w.path("/metrics"),
            Some(&ann.token),
            None,
        )
        .await;

    let csv = w.export_file("evaluation.csv").await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "answered_on,could_say,listened_to,understand_next,would_return,comment"
    );
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[1].ends_with(",4,5,3,5,Toch goed"), "{csv}");
    assert!(lines[2].ends_with(",2,,,1,"), "{csv}");
    assert!(lines[5].ends_with(",3,,,,"), "{csv}");
    for who in [&ann.pid, &bob.pid, &ann.receipt, &bob.receipt] {
        assert!(!csv.contains(who.as_str()), "{csv}");
    }
    assert!(!csv.contains("Te kort"), "replaced answers are gone: {csv}");
    assert!(w.export_file("README.md").await.contains("evaluation.csv"));
    w.server.stop().await;
}

#[tokio::test]
async fn outcome_figures_count_decided_contributions_by_role() {
    let w = Workshop::start().await;
    let mut ann = w.join("Ann").await;
    let mut bob = w.join("Bob").await;
    ann.card("a1", "Formulier").await;
    ann.card("a2", "Loket").await;
    bob.card("b1", "Brief").await;
    ann.comment("c1", "b1", "Ja").await;
    w.decide("a1", "accepted", "Komt er").await;
    w.decide("a1", "done", "Gedaan").await;
    w.decide("b1", "not-taken-up", "Buiten onze bevoegdheid")
        .await;

    let metrics = w.metrics(&w.researcher).await;
    let outcomes = &metrics["outcomes"];
    assert_eq!(
        (&outcomes["contributions"], &outcomes["decided"]),
        (&json!(3), &json!(2)),
        "comments are not decided on: {outcomes}"
    );
    let citizens = &outcomes["by_role"]["citizen"];
    assert_eq!(citizens["contributions"], 3);
    assert!((outcomes["decided_share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert!(
        citizens["median_seconds_to_first_decision"]
            .as_f64()
            .unwrap()
            >= 0.0
    );

    let csv = w.export_file("outcomes.csv").await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(
        rows[1].starts_with(&format!("a1,card,{},citizen,", ann.pid)),
        "{csv}"
    );
    assert!(rows[1].contains(",done,"), "the current status: {csv}");
    assert!(
        rows[2].starts_with("a2,card,") && rows[2].ends_with(",,,"),
        "{csv}"
    );
    assert!(rows[3].contains(",not-taken-up,"), "{csv}");
    w.server.stop().await;
}

#[tokio::test]
async fn a_process_shows_the_evaluation_figures_over_its_sessions() {
    let (id, first, second) = process_of_two().await;
    // Five answer sets over the two sessions: enough to be shown (k-anonymity, 5).
    for (session, score) in [
        (&first, 5),
        (&first, 5),
        (&first, 5),
        (&second, 3),
        (&second, 3),
    ] {
        let body = json!({"code": session.code, "display_name": "Ann"});
        let (status, joined) = session
            .server
            .call("POST", "/api/join", None, Some(body))
            .await;
        assert_eq!(status, 200, "{joined}");
        let receipt = joined["receipt"].as_str().unwrap();
        // Only who was in the room evaluates: not before their board connected.
        let (status, body) =
            evaluate(&session.server, receipt, json!({"would_return": score})).await;
        assert_eq!(
            (status, &body["code"]),
            (403, &json!("forbidden")),
            "{body}"
        );
        let token = joined["token"].as_str().unwrap();
        let url = format!("{}?token={token}", session.server.url(&session.id));
        let _board = crate::support::Client::connect(&url).await;
        let (status, body) =
            evaluate(&session.server, receipt, json!({"would_return": score})).await;
        assert_eq!(status, 200, "{body}");
    }
    let path = format!("/api/processes/{id}");
    let (status, process) = first.server.call("GET", &path, Some(ADMIN_KEY), None).await;
    assert_eq!(status, 200, "{process}");
    let figures = &process["evaluation"];
    assert_eq!(figures["responses"], 5, "{process}");
    assert_eq!(
        figures["statements"]["would_return"]["mean"], 4.2,
        "{process}"
    );
    // A moderator of one session sees that session's answer sets only (3: withheld).
    let token = first.invite("moderator");
    let (status, process) = first.server.call("GET", &path, Some(&token), None).await;
    assert_eq!(status, 200, "{process}");
    let figures = &process["evaluation"];
    assert_eq!(
        (&figures["responses"], &figures["withheld"]),
        (&json!(3), &json!(true)),
        "{process}"
    );
}

#[tokio::test]
async fn only_citizens_who_were_in_the_room_evaluate() {
    let w = Workshop::start().await;
    let ann = w.join("Ann").await;
    let answers = json!({"could_say": 1});
    for (role, invite) in [
        ("observer", &w.observer_invite),
        ("moderator", &w.moderator_invite),
    ] {
        let body = json!({"invite": invite, "display_name": role});
        let (status, joined) = w.server.call("POST", "/api/join", None, Some(body)).await;
        assert_eq!(status, 200, "{joined}");
        let receipt = joined["receipt"].as_str().unwrap();
        let (status, body) = evaluate(&w.server, receipt, answers.clone()).await;
        assert_eq!(
            (status, &body["code"]),
            (403, &json!("forbidden")),
            "{role}: {body}"
        );
    }
    let (status, body) = evaluate(&w.server, &ann.receipt, answers).await;
    assert_eq!(status, 200, "{body}");
    w.server.stop().await;
}
