//! Sensemaking (issue 29): the quality of themes and similar cards on a labelled set
//! (`quality`), and the API: every endpoint and role, what is never input, runs in history and
//! export, 503 without the model. Needs the model: scripts/sense-model.sh fetches it.

mod quality;

use std::path::PathBuf;
use std::sync::OnceLock;

use cocreate_sense::Model;

/// Where the model is: $COCREATE_SENSE_MODEL, else target/sense-model at the repository root
/// (where scripts/sense-model.sh puts it). Fails, saying how to get it, when it is not there.
fn model_dir() -> PathBuf {
    let dir = std::env::var_os("COCREATE_SENSE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/sense-model"));
    assert!(
        dir.join("weights.npz").is_file() && dir.join("sp.model").is_file(),
        "no sense model in {}: run scripts/sense-model.sh (or set COCREATE_SENSE_MODEL to where \
         it is); the sensemaking tests need it",
        dir.display()
    );
    dir
}

/// The model, loaded once for the quality tests.
fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = model_dir();
        Model::load(&dir)
            .unwrap_or_else(|e| panic!("the sense model in {} does not load: {e}", dir.display()))
    })
}

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};
use yrs::{Map, MapPrelim, TextPrelim};

use crate::board_session::BoardSession;
use crate::support::{zip_file, Client, TestServer};

/// One idea in three languages, three times: what every theme test expects to see sorted.
const WAITING: [&str; 3] = [
    "De wachttijd aan het loket is veel te lang",
    "Le temps d'attente au guichet est beaucoup trop long",
    "The waiting time at the counter is far too long",
];
const PARKING: [&str; 3] = [
    "Er is nooit een vrije parkeerplaats in mijn straat",
    "Il n'y a jamais de place de parking libre dans ma rue",
    "In meiner Straße gibt es nie einen freien Parkplatz",
];
const BINS: [&str; 3] = [
    "De vuilnisbakken zijn deze week weer niet opgehaald",
    "Les poubelles n'ont encore pas été ramassées cette semaine",
    "The bins were not collected again this week",
];

/// A journey-map session (with `extra` fields) on a server of its own, with the model or
/// without.
async fn session(with_model: bool, extra: Value) -> BoardSession {
    let server = TestServer::fresh_with(|config| {
        config.open_rooms = false;
        config.sense_model = with_model.then(model_dir);
    })
    .await;
    let mut body = json!({"template": "journey-map"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    BoardSession::create_on(Arc::new(server), body).await
}

/// A card: its id, text, stage and lane kinds.
type Card<'a> = (&'a str, &'a str, &'a str, &'a str);

/// The nine cards of [`WAITING`] (stage wait), [`PARKING`] (apply) and [`BINS`] (receive), in
/// the pain points lane but for the bins (thoughts): `wait-0` … `bins-2`.
fn nine_cards() -> Vec<(String, &'static str, &'static str, &'static str)> {
    let ideas = [
        ("wait", WAITING, "wait", "pain-points"),
        ("park", PARKING, "apply", "pain-points"),
        ("bins", BINS, "receive", "thoughts"),
    ];
    ideas
        .iter()
        .flat_map(|(name, texts, stage, lane)| {
            texts
                .iter()
                .enumerate()
                .map(move |(i, text)| (format!("{name}-{i}"), *text, *stage, *lane))
        })
        .collect()
}

/// Writes `cards` as the web client does, with the token `token` of participant `pid`, saved
/// before this returns.
async fn write_cards(s: &BoardSession, token: &str, pid: &str, cards: &[Card<'_>]) {
    let url = format!("{}?token={token}", s.server.url(&s.id));
    let mut client = Client::connect(&url).await;
    let items = client.doc.get_or_insert_map("items");
    let now = cocreate_server::session::now_ms() as f64;
    for &(id, text, stage, lane) in cards {
        let (items, pid) = (items.clone(), pid.to_owned());
        let (id, text) = (id.to_owned(), text.to_owned());
        let (stage, lane) = (format!("stage-{stage}"), format!("lane-{lane}"));
        client
            .edit(move |txn| {
                let card = items.insert(txn, id, MapPrelim::default());
                card.insert(txn, "type", "card");
                card.insert(txn, "text", TextPrelim::new(text));
                card.insert(txn, "author", pid);
                card.insert(txn, "stage", stage);
                card.insert(txn, "lane", lane);
                card.insert(txn, "created_at", now);
            })
            .await;
    }
    client.wait_all_saved().await;
    client.hang_up().await;
}

/// A citizen `name` joins (with `consent` to research, if given): their token and id.
async fn citizen(s: &BoardSession, name: &str, consent: Option<bool>) -> (String, String) {
    let mut body = json!({"code": s.code, "display_name": name});
    if let Some(consent) = consent {
        body["research_consent"] = json!(consent);
    }
    let (status, joined) = s.server.call("POST", "/api/join", None, Some(body)).await;
    assert_eq!(status, 200, "{joined}");
    let field = |key: &str| joined[key].as_str().unwrap().to_owned();
    (field("token"), field("participant_id"))
}

/// A session holding [`nine_cards`], written by a citizen: the session, the citizen's token
/// and id.
async fn nine_card_session(extra: Value) -> (BoardSession, String, String) {
    let s = session(true, extra).await;
    let (token, pid) = citizen(&s, "Ann", None).await;
    let cards = nine_cards();
    let cards: Vec<Card> = cards
        .iter()
        .map(|(id, t, s, l)| (id.as_str(), *t, *s, *l))
        .collect();
    write_cards(&s, &token, &pid, &cards).await;
    (s, token, pid)
}

/// `POST …/assist/themes` with `role`'s invite, which must answer 200: the answer.
async fn themes_as(s: &BoardSession, role: &str, body: Value) -> Value {
    let (status, answer) = s.call_as(role, "POST", "/assist/themes", Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// The themes of an answer as sets of item ids, and its unthemed items.
fn partition(answer: &Value) -> (BTreeSet<BTreeSet<String>>, BTreeSet<String>) {
    let ids = |list: &Value| -> BTreeSet<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect()
    };
    let themes = answer["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| ids(&t["items"]))
        .collect();
    (themes, ids(&answer["unthemed"]))
}

/// The item ids `prefix-0` … `prefix-2`.
fn idea(prefix: &str) -> BTreeSet<String> {
    (0..3).map(|i| format!("{prefix}-{i}")).collect()
}

/// `POST …/assist/similar` with `token`: the items found, best first.
async fn similar_with(s: &BoardSession, token: &str, text: &str) -> Vec<String> {
    let body = json!({ "text": text });
    let path = s.path("/assist/similar");
    let (status, answer) = s.server.call("POST", &path, Some(token), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    let found = answer["similar"].as_array().unwrap();
    assert!(found.len() <= 5);
    found
        .iter()
        .map(|f| f["item"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn without_the_model_every_endpoint_answers_503() {
    let s = session(false, json!({})).await;
    for (role, method, rest, body) in [
        ("moderator", "POST", "/assist/themes", Some(json!({}))),
        (
            "citizen",
            "POST",
            "/assist/similar",
            Some(json!({"text": "te lang"})),
        ),
        ("moderator", "GET", "/assist/coverage", None),
        (
            "moderator",
            "POST",
            "/assist/runs/run_x/accept",
            Some(json!({"themes": [0]})),
        ),
    ] {
        s.refused_as((503, "assist_unavailable"), role, method, rest, body)
            .await;
    }
}

#[tokio::test]
async fn themes_gather_one_idea_across_languages_for_moderators_and_researchers() {
    let (s, citizen_token, _) = nine_card_session(json!({})).await;
    let answer = themes_as(&s, "moderator", json!({"themes": 3})).await;
    let (themes, unthemed) = partition(&answer);
    assert_eq!(
        themes,
        BTreeSet::from([idea("wait"), idea("park"), idea("bins")]),
        "{answer}"
    );
    assert!(unthemed.is_empty());
    assert_eq!(answer["model"]["name"], model().name());
    assert_eq!(answer["model"]["sha256"], model().sha256());
    for theme in answer["themes"].as_array().unwrap() {
        let central = theme["central"].as_str().unwrap();
        assert!(theme["items"].as_array().unwrap().contains(&json!(central)));
        let all = [WAITING, PARKING, BINS].concat();
        assert!(
            all.contains(&theme["quote"].as_str().unwrap()),
            "quoted word for word: {theme}"
        );
        assert!(!theme["label"].as_str().unwrap().is_empty(), "{theme}");
    }
    // Without a number, the distance finds the same three.
    let found = themes_as(&s, "researcher", json!({})).await;
    assert_eq!(partition(&found).0, themes, "{found}");
    // One stage, one lane.
    let waiting = themes_as(&s, "moderator", json!({"stage": "stage-wait"})).await;
    assert_eq!(partition(&waiting).0, BTreeSet::from([idea("wait")]));
    let thoughts = themes_as(&s, "moderator", json!({"lane": "lane-thoughts"})).await;
    assert_eq!(partition(&thoughts).0, BTreeSet::from([idea("bins")]));

    let path = s.path("/assist/themes");
    let server = &s.server;
    for (body, expected) in [
        (json!({"themes": 0}), (400, "invalid_request")),
        (json!({"themes": 51}), (400, "invalid_request")),
        (json!({"stage": "stage-nowhere"}), (400, "invalid_request")),
        (json!({"colour": "red"}), (400, "invalid_request")),
    ] {
        s.refused_as(expected, "moderator", "POST", "/assist/themes", Some(body))
            .await;
    }
    for role in ["citizen", "observer"] {
        s.refused_as(
            (403, "forbidden"),
            role,
            "POST",
            "/assist/themes",
            Some(json!({})),
        )
        .await;
    }
    server
        .call_expect(
            (403, "forbidden"),
            "POST",
            &path,
            Some(&citizen_token),
            Some(json!({})),
        )
        .await;

    // A researcher only on a session recorded for research.
    let unrecorded = s.another(json!({"research": {"recorded": false}})).await;
    unrecorded
        .refused_as(
            (403, "not_recorded"),
            "researcher",
            "POST",
            "/assist/themes",
            Some(json!({})),
        )
        .await;
    // An empty board: no themes.
    let empty = themes_as(&unrecorded, "moderator", json!({})).await;
    assert_eq!(
        (&empty["themes"], &empty["unthemed"]),
        (&json!([]), &json!([]))
    );
}

#[tokio::test]
async fn hidden_erased_and_unrevealed_cards_are_never_input() {
    let (s, ann, ann_id) = nine_card_session(json!({})).await;
    let (bob, bob_id) = citizen(&s, "Bob", None).await;
    let (carl, carl_id) = citizen(&s, "Carl", Some(false)).await;
    let erased = "Mijn buurman Jan Peeters parkeert altijd op het voetpad";
    let hidden = "Bel mij op 0470 12 34 56 over mijn parkeerkaart";
    let declined = "The bus to the town hall only runs once an hour";
    write_cards(&s, &bob, &bob_id, &[("bob-1", erased, "apply", "thoughts")]).await;
    write_cards(
        &s,
        &carl,
        &carl_id,
        &[("carl-1", declined, "wait", "thoughts")],
    )
    .await;
    write_cards(
        &s,
        &ann,
        &ann_id,
        &[("hidden-1", hidden, "apply", "thoughts")],
    )
    .await;
    s.moderate(
        "POST",
        "/items/hidden-1/hide",
        Some(json!({"reason": "personal data"})),
        200,
    )
    .await;
    let erase = Some(json!({"text": true}));
    s.moderate("POST", &format!("/participants/{bob_id}/erase"), erase, 200)
        .await;
    // A private step: what others write now are drafts until it is revealed.
    let agenda = json!({"steps": [{"id": "write", "title": "Write alone", "method": "brainwrite", "private": true}]});
    s.moderate("PUT", "/agenda", Some(agenda), 200).await;
    s.moderate("POST", "/agenda/steps/write/start", None, 200)
        .await;
    let draft = "Het containerpark is op zondag gesloten";
    let (dan, dan_id) = citizen(&s, "Dan", None).await;
    write_cards(
        &s,
        &dan,
        &dan_id,
        &[("draft-1", draft, "receive", "thoughts")],
    )
    .await;

    let read = |answer: &Value| -> BTreeSet<String> {
        let (themes, unthemed) = partition(answer);
        themes.into_iter().flatten().chain(unthemed).collect()
    };
    let nine: BTreeSet<String> = [idea("wait"), idea("park"), idea("bins")]
        .into_iter()
        .flatten()
        .collect();
    let with_carl: BTreeSet<String> = nine.iter().cloned().chain(["carl-1".to_owned()]).collect();
    assert_eq!(
        read(&themes_as(&s, "moderator", json!({})).await),
        with_carl
    );
    // The researcher's run leaves out Carl, who declined research.
    assert_eq!(read(&themes_as(&s, "researcher", json!({})).await), nine);
    // Similar cards never offer them either; a draft only to its writer.
    assert!(similar_with(&s, &ann, hidden).await.is_empty());
    assert!(similar_with(&s, &ann, erased).await.is_empty());
    assert!(similar_with(&s, &ann, draft).await.is_empty());
    assert_eq!(similar_with(&s, &dan, draft).await, ["draft-1"]);
    s.moderate("POST", "/agenda/reveal", None, 200).await;
    assert_eq!(similar_with(&s, &ann, draft).await, ["draft-1"]);
}

#[tokio::test]
async fn similar_cards_say_the_same_in_any_language() {
    let (s, ann, _) = nine_card_session(json!({})).await;
    let found = similar_with(&s, &ann, "Die Wartezeit am Schalter ist viel zu lang").await;
    assert_eq!(
        found.iter().cloned().collect::<BTreeSet<_>>(),
        idea("wait"),
        "{found:?}"
    );
    let (status, answer) = s
        .call_as(
            "moderator",
            "POST",
            "/assist/similar",
            Some(json!({"text": "Les poubelles ne sont pas vidées"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["similar"][0]["text"], json!(BINS[1]), "{answer}");
    let scores: Vec<f64> = answer["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    assert!(similar_with(&s, &ann, "Ik wil meer bomen in het park")
        .await
        .is_empty());

    let too_long = "lang ".repeat(201);
    for (text, expected) in [
        (too_long.as_str(), (400, "text_too_long")),
        ("   ", (400, "invalid_request")),
    ] {
        s.refused_as(
            expected,
            "citizen",
            "POST",
            "/assist/similar",
            Some(json!({"text": text})),
        )
        .await;
    }
    for role in ["researcher", "observer"] {
        let body = Some(json!({"text": "te lang"}));
        s.refused_as((403, "forbidden"), role, "POST", "/assist/similar", body)
            .await;
    }
}

#[tokio::test]
async fn coverage_counts_cards_and_themes_per_stage_and_lane() {
    let (s, ..) = nine_card_session(json!({})).await;
    let answer = s.moderate("GET", "/assist/coverage", None, 200).await;
    let cells = answer["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 5 * 6, "five stages × six lanes");
    let cell = |stage: &str, lane: &str| {
        cells
            .iter()
            .find(|c| c["stage"] == format!("stage-{stage}") && c["lane"] == format!("lane-{lane}"))
            .unwrap()
            .clone()
    };
    let wait = cell("wait", "pain-points");
    assert_eq!(
        (&wait["cards"], &wait["flag"]),
        (&json!(3), &Value::Null),
        "{wait}"
    );
    let theme = &answer["themes"][wait["themes"][0].as_u64().unwrap() as usize];
    assert_eq!(theme["items"].as_array().unwrap().len(), 3, "{theme}");
    assert_eq!(cell("aware", "pain-points")["flag"], "empty");
    assert_eq!(answer["unplaced"], 0);
    assert_eq!(answer["stages"][0]["id"], "stage-aware");
    for role in ["citizen", "researcher"] {
        s.refused_as((403, "forbidden"), role, "GET", "/assist/coverage", None)
            .await;
    }
}

#[tokio::test]
async fn accepted_themes_become_groups_in_one_edit_and_every_run_is_recorded() {
    let (s, ..) = nine_card_session(json!({})).await;
    let answer = themes_as(&s, "moderator", json!({"themes": 3})).await;
    let run = answer["run"].as_str().unwrap().to_owned();
    let accept = format!("/assist/runs/{run}/accept");
    for (body, expected) in [
        (json!({"themes": []}), (400, "invalid_request")),
        (json!({"themes": [3]}), (400, "invalid_request")),
        (json!({"themes": [0, 0]}), (400, "invalid_request")),
    ] {
        s.refused_as(expected, "moderator", "POST", &accept, Some(body))
            .await;
    }
    let body = Some(json!({"themes": [0]}));
    s.refused_as((403, "forbidden"), "citizen", "POST", &accept, body.clone())
        .await;
    s.refused_as(
        (404, "run_not_found"),
        "moderator",
        "POST",
        "/assist/runs/run_nope/accept",
        body.clone(),
    )
    .await;
    let accepted = s
        .moderate("POST", &accept, Some(json!({"themes": [0, 2]})), 200)
        .await;
    let groups = accepted["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    s.refused_as(
        (409, "already_accepted"),
        "moderator",
        "POST",
        &accept,
        body,
    )
    .await;

    // On the board: a group per theme, titled with its label, written by the moderator, its
    // cards in it.
    let (status, state) = s.call_as("researcher", "GET", "/state", None).await;
    assert_eq!(status, 200, "{state}");
    let board = &state["board"]["items"];
    let moderator = s.me("moderator").await["you"]["participant_id"].clone();
    for (group, theme) in groups.iter().zip([0, 2]) {
        let id = group["group"].as_str().unwrap();
        assert_eq!(id, format!("group_{run}_{theme}"));
        let item = &board[id];
        assert_eq!(
            (&item["type"], &item["text"]),
            (&json!("group"), &answer["themes"][theme]["label"]),
            "{item}"
        );
        assert_eq!(item["author"], moderator);
        for card in answer["themes"][theme]["items"].as_array().unwrap() {
            assert_eq!(board[card.as_str().unwrap()]["group"], json!(id));
        }
    }
    // In the history, and in the research export with what was accepted.
    let (status, _, body) = s
        .server
        .fetch(&s.path("/history"), &s.invite("researcher"))
        .await;
    assert_eq!(status, 200);
    let history = String::from_utf8(body).unwrap();
    for action in ["\"themes\"", "\"accept\""] {
        assert!(
            history
                .lines()
                .any(|l| l.contains("\"entity\":\"assist\"") && l.contains(action)),
            "{action}: {history}"
        );
    }
    let (status, _, zip) = s
        .server
        .fetch(&s.path("/export"), &s.invite("researcher"))
        .await;
    assert_eq!(status, 200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let runs = zip_file(&mut zip, "assist_runs.csv");
    let row = runs
        .lines()
        .find(|l| l.starts_with(&run))
        .unwrap_or_else(|| panic!("{run} in {runs}"));
    assert!(
        row.contains(model().sha256()) && row.contains("[0,2]") && row.contains("wait-0"),
        "{row}"
    );
    assert!(
        !runs.contains(WAITING[0]),
        "no card text in the records: {runs}"
    );
    assert!(zip_file(&mut zip, "README.md").contains("assist_runs.csv"));
}

#[tokio::test]
async fn each_endpoint_is_limited_per_participant() {
    let server = TestServer::fresh_with(|config| {
        config.open_rooms = false;
        config.sense_model = Some(model_dir());
        config.assist_requests_per_minute = 2;
    })
    .await;
    let s = BoardSession::create_on(Arc::new(server), json!({"template": "journey-map"})).await;
    for _ in 0..2 {
        themes_as(&s, "moderator", json!({})).await;
    }
    s.refused_as(
        (429, "too_many_requests"),
        "moderator",
        "POST",
        "/assist/themes",
        Some(json!({})),
    )
    .await;
    // Another endpoint and another participant have budgets of their own.
    s.moderate("GET", "/assist/coverage", None, 200).await;
    themes_as(&s, "researcher", json!({})).await;
}
