//! The REFI-QDA export (`GET /api/sessions/{id}/export.qdpx`, issue 31): a session built by
//! typing, commenting, voting, hiding, erasing, declining consent, deciding and writing memos
//! is exported; `project.qde` is valid against the official REFI-QDA schema, and read back:
//! every visible contribution is one selection with its codes, in board reading order, and
//! nothing hidden, erased or declined is in the project.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::{json, Value};
use yrs::{Map, MapPrelim, TextPrelim};

use crate::board_session::{process_of_three_written, BoardSession};
use crate::support::{now_ms, type_into, Client, TestServer};

/// A journey map recorded for research with consent asked and names kept.
struct Journey {
    server: TestServer,
    id: String,
    moderator: String,
    researcher: String,
    observer: String,
    code: String,
}

/// Someone who joined by code, connected.
struct Person {
    pid: String,
    token: String,
    client: Client,
}

impl Journey {
    async fn start() -> Self {
        let server = TestServer::fresh_with(|config| config.open_rooms = false).await;
        let research = json!({"recorded": true, "consent_required": true, "keep_names": true});
        let created = server
            .create_session(json!({"title": "Parking <permits> & \"fees\"", "template": "journey-map", "language": "en", "research": research}))
            .await;
        let invite = |role: &str| crate::support::invite(&created, role);
        Journey {
            id: created["id"].as_str().unwrap().to_owned(),
            code: created["join_code"].as_str().unwrap().to_owned(),
            moderator: invite("moderator"),
            researcher: invite("researcher"),
            observer: invite("observer"),
            server,
        }
    }

    async fn join(&self, name: &str, consent: bool) -> Person {
        self.join_with(
            json!({"code": self.code, "display_name": name, "research_consent": consent}),
        )
        .await
    }

    /// An official who joins through the moderator's invite: they may write into others'
    /// cards (citizens may not: zone rules).
    async fn join_official(&self, name: &str) -> Person {
        self.join_with(
            json!({"invite": self.moderator, "display_name": name, "research_consent": true}),
        )
        .await
    }

    async fn join_with(&self, body: Value) -> Person {
        let (status, joined) = self
            .server
            .call("POST", "/api/join", None, Some(body))
            .await;
        assert_eq!(status, 200, "{joined}");
        let token = joined["token"].as_str().unwrap();
        let url = format!("{}?token={token}", self.server.url(&self.id));
        Person {
            pid: joined["participant_id"].as_str().unwrap().to_owned(),
            token: token.to_owned(),
            client: Client::connect(&url).await,
        }
    }

    /// A call under the session that must answer `expected`.
    async fn call(
        &self,
        method: &str,
        rest: &str,
        token: &str,
        body: Value,
        expected: u16,
    ) -> Value {
        let path = format!("/api/sessions/{}{rest}", self.id);
        let (status, answer) = self
            .server
            .call(method, &path, Some(token), Some(body))
            .await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
        answer
    }

    /// `project.qde` and the source's text of the session's REFI-QDA export.
    async fn export(&self) -> (String, String) {
        let path = format!("/api/sessions/{}/export.qdpx", self.id);
        let (status, headers, body) = self.server.fetch(&path, &self.researcher).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(headers["content-type"], "application/zip");
        assert!(headers["content-disposition"].ends_with(".qdpx\""));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a zip");
        let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let mut read = |name: &str| crate::support::zip_file(&mut zip, name);
        let qde = read("project.qde");
        let source = names
            .iter()
            .find(|n| n.starts_with("Sources/"))
            .expect("a source");
        let guid = attribute(qde.split("<TextSource ").nth(1).unwrap(), "guid");
        assert_eq!(source, &format!("Sources/{guid}.txt"));
        let text = read(source);
        (qde, text)
    }
}

impl Person {
    /// A card in a cell of the journey map, stored.
    async fn card(&mut self, id: &str, stage: &str, lane: &str, text: &str) {
        let items = self.client.doc.get_or_insert_map("items");
        let (id, stage, lane, text, pid) = (
            id.to_owned(),
            format!("stage-{stage}"),
            format!("lane-{lane}"),
            text.to_owned(),
            self.pid.clone(),
        );
        self.client
            .edit(move |txn| {
                let card = items.insert(txn, id, MapPrelim::default());
                card.insert(txn, "type", "card");
                card.insert(txn, "stage", stage);
                card.insert(txn, "lane", lane);
                card.insert(txn, "order", "a0");
                card.insert(txn, "text", TextPrelim::new(text));
                card.insert(txn, "author", pid);
            })
            .await;
        self.client.wait_all_saved().await;
    }

    async fn comment(&mut self, id: &str, parent: &str, text: &str) {
        crate::support::add_comment(&mut self.client, id, parent, text, &self.pid).await;
    }

    async fn vote(&mut self, card: &str) {
        let votes = self.client.doc.get_or_insert_map("votes");
        let key = format!("{card}|{}|0", self.pid);
        self.client
            .edit(move |txn| {
                votes.insert(txn, key, 1_700_000_000_000.0);
            })
            .await;
        self.client.wait_all_saved().await;
    }

    async fn type_into(&mut self, card: &str, text: &str) {
        self.client.wait_card(card, |t| t.is_some()).await;
        type_into(&mut self.client, card, text).await;
        self.client.wait_all_saved().await;
    }
}

/// A REFI-QDA export as `token` downloads it: `project.qde`, and each source's
/// `<TextSource>` element with its text, in the project's order.
async fn download(server: &TestServer, path: &str, token: &str) -> (String, Vec<(String, String)>) {
    let (status, headers, body) = server.fetch(path, token).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "application/zip");
    assert!(headers["content-disposition"].ends_with(".qdpx\""));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a zip");
    let mut read = |name: &str| crate::support::zip_file(&mut zip, name);
    let qde = read("project.qde");
    let sources = elements(&qde, "TextSource")
        .into_iter()
        .map(|part| {
            let text = read(&format!("Sources/{}.txt", attribute(part, "guid")));
            (part.to_owned(), text)
        })
        .collect::<Vec<_>>();
    assert_eq!(
        zip.len(),
        1 + sources.len(),
        "project.qde and the sources only"
    );
    schema_valid(&qde);
    (qde, sources)
}

/// The value of `name="…"` in the start of `xml`.
fn attribute(xml: &str, name: &str) -> String {
    let tag = xml.split('>').next().unwrap_or_default();
    tag.split(&format!(" {name}=\""))
        .nth(1)
        .or_else(|| tag.strip_prefix(&format!("{name}=\"")))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// Each `<tag …>…</tag>` (or `<tag …/>`) element of `xml`.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    xml.split(&format!("<{tag} "))
        .skip(1)
        .map(|part| {
            let end = format!("</{tag}>");
            part.split(end.as_str()).next().unwrap_or(part)
        })
        .collect()
}

/// A contribution as the project has it: its selection's text, code names and notes' texts.
#[derive(Debug)]
struct Contribution {
    item: String,
    text: String,
    codes: BTreeSet<String>,
    notes: Vec<String>,
}

fn contributions(qde: &str, source: &str) -> Vec<Contribution> {
    contributions_in(qde, qde, source)
}

/// The contributions of one source (`part`, its `<TextSource>` element) of a project.
fn contributions_in(qde: &str, part: &str, source: &str) -> Vec<Contribution> {
    let codes: HashMap<String, String> = elements(qde, "Code")
        .into_iter()
        .map(|c| (attribute(c, "guid"), attribute(c, "name")))
        .collect();
    let notes: HashMap<String, String> = elements(qde, "Note")
        .into_iter()
        .map(|n| {
            let text = n.split("<PlainTextContent>").nth(1).unwrap_or_default();
            let text = text.split("</PlainTextContent>").next().unwrap_or_default();
            (attribute(n, "guid"), text.to_owned())
        })
        .collect();
    let chars: Vec<char> = source.chars().collect();
    elements(part, "PlainTextSelection")
        .into_iter()
        .map(|s| {
            let start: usize = attribute(s, "startPosition").parse().unwrap();
            let end: usize = attribute(s, "endPosition").parse().unwrap();
            let targets = |tag: &str| -> Vec<String> {
                elements(s, tag)
                    .iter()
                    .map(|r| attribute(r, "targetGUID"))
                    .collect()
            };
            Contribution {
                item: attribute(s, "name").split(' ').nth(1).unwrap().to_owned(),
                text: chars[start..end].iter().collect(),
                codes: targets("CodeRef")
                    .iter()
                    .map(|g| codes[g].clone())
                    .collect(),
                notes: targets("NoteRef")
                    .iter()
                    .map(|g| notes[g].clone())
                    .collect(),
            }
        })
        .collect()
}

/// Validates `qde` against the official REFI-QDA project schema (scripts/refi-qda-schema.sh
/// fetches it by pinned version and checksum). `false` when the registry is unreachable.
fn schema_valid(qde: &str) -> bool {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let cache = concat!(env!("CARGO_TARGET_TMPDIR"), "/refi-qda");
    let fetched = Command::new("bash")
        .arg(format!("{root}/scripts/refi-qda-schema.sh"))
        .arg(cache)
        .output()
        .expect("bash runs");
    if fetched.status.code() == Some(3) {
        eprintln!(
            "SKIPPED the REFI-QDA schema check: the Python registry is unreachable ({})",
            String::from_utf8_lossy(&fetched.stderr).trim()
        );
        return false;
    }
    assert!(
        fetched.status.success(),
        "refi-qda-schema.sh: {}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    let schema = String::from_utf8(fetched.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("project.qde");
    std::fs::write(&file, qde).unwrap();
    let checked = Command::new("xmllint")
        .args(["--noout", "--schema", schema.trim()])
        .arg(&file)
        .output()
        .expect("xmllint (Debian: libxml2-utils; scripts/install-test-deps.sh installs it)");
    assert!(
        checked.status.success(),
        "project.qde is not valid REFI-QDA: {}\n{qde}",
        String::from_utf8_lossy(&checked.stderr)
    );
    true
}

#[tokio::test]
async fn a_session_exports_as_a_valid_refi_qda_project_with_only_what_may_be_shown() {
    let j = Journey::start().await;
    let mut ann = j.join("Annabel", true).await;
    let mut bob = j.join("Bartholomew", true).await;
    let mut cy = j.join_official("Cyrielle").await;
    let mut dee = j.join("Deirdre", false).await;
    ann.card("a1", "aware", "pain-points", "Forms are too long")
        .await;
    ann.type_into("a1", " and confusing.").await;
    bob.card("b1", "apply", "actions", "Nobody answers the phone.")
        .await;
    bob.comment("k1", "a1", "Same for me & my <neighbours>")
        .await;
    ann.vote("b1").await;
    dee.card("d1", "aware", "thoughts", "Queue at the counter")
        .await;
    bob.card("h1", "wait", "thoughts", "Call me on 0612345678")
        .await;
    cy.card("c1", "receive", "actions", "Cyrielle's private words")
        .await;
    cy.type_into("b1", " Cy was here.").await;
    j.call(
        "POST",
        "/items/h1/hide",
        &j.moderator,
        json!({"reason": "personal data"}),
        200,
    )
    .await;
    let erase = format!("/participants/{}/erase", cy.pid);
    j.call("POST", &erase, &j.moderator, json!({"text": true}), 200)
        .await;
    let decide =
        |status: &str, explanation: &str| json!({"status": status, "explanation": explanation});
    j.call(
        "PUT",
        "/items/a1/decision",
        &j.moderator,
        decide("accepted", "We shorten the forms."),
        200,
    )
    .await;
    j.call(
        "PUT",
        "/items/b1/decision",
        &j.moderator,
        decide("not-taken-up", ""),
        200,
    )
    .await;
    j.call(
        "PUT",
        "/items/h1/decision",
        &j.moderator,
        decide("done", "Secret follow-up"),
        200,
    )
    .await;
    let memo = json!({"at": now_ms(), "text": "Here the forms come up again.", "item": "a1"});
    j.call("POST", "/memos", &j.researcher, memo, 201).await;
    let memo = json!({"at": now_ms(), "text": "The room went quiet."});
    j.call("POST", "/memos", &j.moderator, memo, 201).await;

    let (qde, source) = j.export().await;
    // COCREATE_QDE_DUMP=/tmp/x keeps the project (x.qde, x.txt) for a look in an analysis program.
    if let Ok(path) = std::env::var("COCREATE_QDE_DUMP") {
        std::fs::write(format!("{path}.qde"), &qde).unwrap();
        std::fs::write(format!("{path}.txt"), &source).unwrap();
    }
    let found = contributions(&qde, &source);
    let items: Vec<&str> = found.iter().map(|c| c.item.as_str()).collect();
    // Reading order: stage, then lane (thoughts before pain-points), a card's comments after it.
    assert_eq!(items, ["d1", "a1", "k1", "b1"], "{found:#?}");
    let by_item: HashMap<&str, &Contribution> =
        found.iter().map(|c| (c.item.as_str(), c)).collect();
    let expect = |item: &str, text: &str, codes: &[&str]| {
        let c = by_item[item];
        assert_eq!(c.text, text, "{item}");
        let codes: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(c.codes, codes, "{item}");
    };
    expect(
        "d1",
        "Queue at the counter",
        &["card", "aware", "thoughts", "undecided"],
    );
    expect(
        "a1",
        "Forms are too long and confusing.",
        &["card", "aware", "pain-points", "accepted"],
    );
    expect(
        "k1",
        "Same for me & my <neighbours>",
        &["comment", "aware", "pain-points"],
    );
    expect(
        "b1",
        "Nobody answers the phone.[erased]",
        &["card", "apply", "actions", "not-taken-up"],
    );
    let a1 = by_item["a1"];
    assert_eq!(a1.notes.len(), 2, "{:?}", a1.notes);
    assert!(a1.notes.iter().any(|n| n.contains("We shorten the forms.")));
    assert!(a1
        .notes
        .iter()
        .any(|n| n.contains("Here the forms come up again.")));
    assert!(by_item["b1"]
        .notes
        .iter()
        .any(|n| n.contains("not-taken-up")));
    assert!(qde.contains("The room went quiet."), "a memo on the moment");

    // Cases: the people who consented, by name (the session keeps names); none for Deirdre.
    let cases = elements(&qde, "Case");
    let names: BTreeSet<String> = cases.iter().map(|c| attribute(c, "name")).collect();
    assert!(
        names.contains(&format!("Annabel ({})", ann.pid)),
        "{names:?}"
    );
    assert!(
        names.contains(&format!("Bartholomew ({})", bob.pid)),
        "{names:?}"
    );
    assert!(
        names.contains(&cy.pid),
        "erased: a pseudonym, no name: {names:?}"
    );
    let ann_case = cases
        .iter()
        .find(|c| attribute(c, "name").contains("Annabel"))
        .unwrap();
    assert!(ann_case.contains("<TextValue>citizen</TextValue>"));
    assert!(ann_case.contains("<TextValue>yes</TextValue>"));
    assert_eq!(
        ann_case.matches("<SelectionRef ").count(),
        1,
        "a1: {ann_case}"
    );

    let everything = format!("{qde}{source}");
    for absent in [
        "0612345678",
        "Secret follow-up",
        "Cyrielle",
        "Cy was here",
        "Deirdre",
        dee.pid.as_str(),
    ] {
        assert!(!everything.contains(absent), "{absent} is in the export");
    }

    // The same GUIDs when exported again.
    let guids = |qde: &str| -> BTreeSet<String> {
        qde.split(" guid=\"")
            .skip(1)
            .map(|g| g[..36].to_owned())
            .collect()
    };
    let (again, _) = j.export().await;
    assert_eq!(guids(&qde), guids(&again));
}

#[tokio::test]
async fn only_researchers_and_moderators_export_the_project() {
    let j = Journey::start().await;
    let citizen = j.join("Annabel", true).await;
    let path = format!("/api/sessions/{}/export.qdpx", j.id);
    for token in [&j.moderator, &j.researcher] {
        let (status, _, _) = j.server.fetch(&path, token).await;
        assert_eq!(status, 200);
    }
    for token in [&citizen.token, &j.observer] {
        let server = &j.server;
        server
            .call_expect((403, "forbidden"), "GET", &path, Some(token), None)
            .await;
    }
    j.server
        .call_expect((401, "missing_token"), "GET", &path, None, None)
        .await;
}

#[tokio::test]
async fn a_process_exports_its_recorded_sessions_together_with_carried_cards_coded() {
    let (process, first, second, unrecorded) = process_of_three_written().await;
    first
        .decide("card-2", "planned", "Benches in spring.")
        .await;
    first.close().await;
    let carry = json!({"to": second.id, "items": ["card-1"]});
    let carried = first.moderate("POST", "/carry", Some(carry), 200).await;
    let carried = carried["carried"][0]["item"].as_str().unwrap().to_owned();

    let path = format!("/api/processes/{process}/export.qdpx");
    let (qde, sources) = download(&first.server, &path, &first.invite("researcher")).await;
    assert_eq!(sources.len(), 2, "the recorded sessions");
    let left_out = format!(
        "sessions not recorded for research are left out: {}",
        unrecorded.id
    );
    assert!(qde.contains(&left_out), "named as left out");
    let [(one, one_text), (two, two_text)] = [&sources[0], &sources[1]];
    let one: Vec<(String, String)> = contributions_in(&qde, one, one_text)
        .into_iter()
        .map(|c| (c.item, c.text))
        .collect();
    assert_eq!(
        one,
        [
            ("card-1".to_owned(), "buses too rare".to_owned()),
            ("card-2".to_owned(), "no benches".to_owned())
        ]
    );
    let two = contributions_in(&qde, two, two_text);
    let moved = two
        .iter()
        .find(|c| c.item == carried)
        .expect("the carried card");
    assert!(
        moved.codes.contains(&first.id),
        "coded as carried from the first: {moved:?}"
    );
    assert_eq!(two.iter().filter(|c| c.text == "buses too rare").count(), 1);
    assert!(qde.contains("Benches in spring."), "the decision's note");
    let everything = format!("{qde}{one_text}{two_text}");
    assert!(!everything.contains("words nobody may study"));
    assert!(!everything.contains("Zebulon"));

    // A moderator of the unrecorded session gets theirs too; its researcher nothing.
    let (_, sources) = download(&first.server, &path, &unrecorded.invite("moderator")).await;
    assert_eq!(sources.len(), 3);
    assert!(sources
        .iter()
        .any(|(_, text)| text.contains("words nobody may study")));
    let server = &first.server;
    let researcher = unrecorded.invite("researcher");
    server
        .call_expect((403, "not_recorded"), "GET", &path, Some(&researcher), None)
        .await;
    for role in ["citizen", "observer"] {
        let token = first.invite(role);
        server
            .call_expect((403, "forbidden"), "GET", &path, Some(&token), None)
            .await;
    }
    let outsider = BoardSession::create_on(first.server.clone(), json!({})).await;
    let token = outsider.invite("moderator");
    server
        .call_expect((403, "forbidden"), "GET", &path, Some(&token), None)
        .await;
    server
        .call_expect((401, "missing_token"), "GET", &path, None, None)
        .await;
    let nowhere = "/api/processes/nosuchprocess/export.qdpx";
    server
        .call_expect(
            (404, "process_not_found"),
            "GET",
            nowhere,
            Some(&first.invite("researcher")),
            None,
        )
        .await;
}
