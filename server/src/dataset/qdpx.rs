//! A session, or a process's sessions together, as a REFI-QDA project (`.qdpx`: a zip of
//! `project.qde` and `Sources/`), which ATLAS.ti, NVivo, MAXQDA and other analysis programs
//! open: each session's contributions as one codable plain-text source in board reading
//! order, each its own selection with its time; participants as cases with variables; a
//! codebook of stages, lanes, item kinds, decision status and carried-from, every
//! contribution coded with it; decisions and researchers' memos as notes. The same
//! disclosure rules as every research output apply (`cocreate_board::Disclosure`): hidden
//! items are left out, erased text stays erased, people who declined research have no case
//! and their contributions no author.
//!
//! Every GUID is derived from the session (or, for what sessions share, the project's scope)
//! and what it names, so exporting twice gives the same GUIDs and a researcher's project can
//! be updated with a newer export.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{Seek, Write};

use serde_json::{Map as JsonMap, Value};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

use super::ExportError;
use crate::format::rfc3339;
use crate::history::memos::Memo;
use crate::history::participation::Counter;
use crate::history::{each_event, SessionRecords};
use crate::outcome::{Decision, DecisionStatus, UNDECIDED};
use crate::room_id::RoomId;
use crate::session::now_ms;
use crate::storage::{Storage, StorageError};
use cocreate_board::{board_json, DECLINED, ERASED_TEXT};

/// The item kinds that are contributions: what participants write (connectors and groups
/// only arrange them).
pub const CONTRIBUTION_KINDS: [&str; 3] = ["card", "note", "comment"];

/// The REFI-QDA project namespace (QDA-XML 1.0).
const NAMESPACE: &str = "urn:QDA-XML:project:1.0";

/// The research material of one session, gathered before writing: its records and
/// decisions, its memos, and from a walk of its history the final board under the disclosure
/// rules, when each contribution was added, and each participant's contribution count.
pub struct SessionMaterial {
    /// The session, its participants and the disclosure rules.
    pub records: SessionRecords,
    /// The decisions on items, by item id: codes and notes.
    pub decisions: HashMap<String, Decision>,
    /// Researchers' memos, in the order of the replay: notes.
    pub memos: Vec<Memo>,
    board: Value,
    added: HashMap<String, u64>,
    contributions: HashMap<String, u64>,
}

impl SessionMaterial {
    /// Walks the session's history for what the project needs of it.
    pub async fn gather(
        storage: &dyn Storage,
        room: &RoomId,
        keyframe_spacing: u64,
        records: SessionRecords,
        decisions: HashMap<String, Decision>,
        memos: Vec<Memo>,
    ) -> Result<Self, StorageError> {
        let mut counter = Counter::new(60_000);
        let mut added: HashMap<String, u64> = HashMap::new();
        let walk = each_event(storage, room, keyframe_spacing, &records, |event| {
            counter.add(event);
            if event.action == "added" && CONTRIBUTION_KINDS.contains(&event.entity.as_str()) {
                added.entry(event.target.clone()).or_insert(event.at);
            }
        })
        .await?;
        let board = board_json(walk.doc(), &records.disclosure);
        drop(walk);
        let contributions = counter
            .finish()
            .by_participant
            .into_iter()
            .map(|figures| (figures.participant, figures.contributions))
            .collect();
        Ok(SessionMaterial {
            records,
            decisions,
            memos,
            board,
            added,
            contributions,
        })
    }
}

/// What a project is of: a session, or a process (its sessions together).
pub struct ProjectScope {
    /// The session or process id, from which the shared GUIDs (codes, variables, the user)
    /// are derived.
    pub id: String,
    /// The project's name in the analysis program.
    pub name: String,
    /// What it is, for the project's description.
    pub what: String,
}

/// Writes a REFI-QDA project of `sessions` (one source each, in the given order) into `out`.
pub fn write_qdpx<W: Write + Seek>(
    scope: &ProjectScope,
    sessions: &[SessionMaterial],
    out: W,
) -> Result<W, ExportError> {
    let project = Project::build(scope, sessions);
    let qde = project.render();
    let mut zip = ZipWriter::new(out);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("project.qde", options)?;
    zip.write_all(qde.as_bytes())?;
    for source in &project.sources {
        zip.start_file(format!("Sources/{}.txt", source.guid), options)?;
        zip.write_all(source.text.as_bytes())?;
    }
    Ok(zip.finish()?)
}

/// A GUID for `what` in `session` (or a project's scope): the first 128 bits of SHA-256,
/// marked as a name-based UUID (version 8, RFC 9562), written 8-4-4-4-12.
pub fn guid(session: &str, what: &str) -> String {
    let digest = Sha256::digest(format!("cocreate\n{session}\n{what}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Text as XML character data or an attribute value: markup escaped, and characters XML 1.0
/// cannot hold replaced (see [`xml_safe`]).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in xml_safe(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept as written in attributes, where a parser would turn them into spaces.
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// A text with line breaks as `\n` and every character XML 1.0 does not allow (other control
/// characters, U+FFFE, U+FFFF) replaced by U+FFFD, so that the source file and the project
/// count the same characters.
fn xml_safe(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\r' => '\n',
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Stages or lanes in their order (`order`, then id): (id, name).
fn axis(board: &Value, root: &str) -> Vec<(String, String)> {
    let empty = JsonMap::new();
    let map = board[root].as_object().unwrap_or(&empty);
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| {
        let order = |v: &Value| v["order"].as_str().unwrap_or_default().to_owned();
        (order(a.1), a.0).cmp(&(order(b.1), b.0))
    });
    entries
        .into_iter()
        .map(|(id, v)| {
            let title = v["title"].as_str().unwrap_or_default();
            let name = if title.is_empty() {
                v["kind"].as_str().unwrap_or(id).to_owned()
            } else {
                title.to_owned()
            };
            (id.clone(), name)
        })
        .collect()
}

/// A number field of an item (0 when absent: an older client may not have written it).
fn number(item: &Value, key: &str) -> f64 {
    item[key].as_f64().unwrap_or(0.0)
}

/// The items that are contributions, in board reading order: cards by stage, lane and
/// position in their cell; canvas notes by rows of 40 px then left to right (as the web
/// client reads them); each followed by its comments in the order they were written;
/// comments on items not in the export last.
fn reading_order<'b>(
    items: &'b JsonMap<String, Value>,
    stages: &[(String, String)],
    lanes: &[(String, String)],
) -> Vec<(&'b String, &'b Value)> {
    let index = |axis: &[(String, String)], id: Option<&str>| {
        id.and_then(|id| axis.iter().position(|(a, _)| a == id))
            .unwrap_or(usize::MAX)
    };
    let kind = |v: &Value| v["type"].as_str().unwrap_or_default().to_owned();
    let mut cards: Vec<_> = items.iter().filter(|(_, v)| kind(v) == "card").collect();
    cards.sort_by(|a, b| {
        let key = |(id, v): &(&String, &Value)| {
            (
                index(stages, v["stage"].as_str()),
                index(lanes, v["lane"].as_str()),
                v["order"].as_str().unwrap_or_default().to_owned(),
                (*id).clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    let mut notes: Vec<_> = items.iter().filter(|(_, v)| kind(v) == "note").collect();
    notes.sort_by(|a, b| {
        let row = |v: &Value| (number(v, "y") / 40.0).floor();
        row(a.1)
            .total_cmp(&row(b.1))
            .then(number(a.1, "x").total_cmp(&number(b.1, "x")))
            .then(a.0.cmp(b.0))
    });
    let mut comments: Vec<_> = items.iter().filter(|(_, v)| kind(v) == "comment").collect();
    comments.sort_by(|a, b| {
        let at = |v: &Value| v["created_at"].as_f64().unwrap_or(0.0);
        at(a.1).total_cmp(&at(b.1)).then(a.0.cmp(b.0))
    });
    let mut ordered = Vec::new();
    let mut placed = BTreeSet::new();
    for parent in cards.into_iter().chain(notes) {
        ordered.push(parent);
        for comment in &comments {
            if comment.1["parent"].as_str() == Some(parent.0.as_str()) {
                ordered.push(*comment);
                placed.insert(comment.0);
            }
        }
    }
    ordered.extend(comments.iter().filter(|c| !placed.contains(c.0)).copied());
    ordered
}

/// One contribution in a source: where its text is and what it is coded with.
struct Selection {
    item: String,
    kind: String,
    author: String,
    at: Option<u64>,
    start: usize,
    end: usize,
    codes: Vec<String>,
    notes: Vec<String>,
}

/// A code group of the codebook (not codable) with its codes: (key, name) each, the GUID
/// derived from the key.
struct CodeGroup {
    name: &'static str,
    description: &'static str,
    codes: Vec<(String, String)>,
}

impl CodeGroup {
    /// Adds a code unless one with its key is there (sessions of a process share them).
    fn add(&mut self, key: String, name: &str) {
        if !self.codes.iter().any(|(k, _)| *k == key) {
            self.codes.push((key, name.to_owned()));
        }
    }
}

/// A note: a decision or a memo.
struct Note {
    guid: String,
    name: String,
    text: String,
    at: u64,
}

/// One session's plain-text source.
struct Source<'a> {
    material: &'a SessionMaterial,
    guid: String,
    text: String,
    selections: Vec<Selection>,
    /// Notes on the whole source (memos not tied to a contribution).
    notes: Vec<String>,
    /// Contributions in the source by people who declined research.
    declined_contributions: usize,
}

/// The project as it will be written.
struct Project<'a> {
    scope: &'a ProjectScope,
    user: String,
    sources: Vec<Source<'a>>,
    /// Stage, lane, item kind, decision status, carried from.
    codebook: [CodeGroup; 5],
    notes: Vec<Note>,
}

/// The codebook's groups a session adds codes to (by position in [`Project::codebook`]).
const STAGES: usize = 0;
const LANES: usize = 1;
const CARRIED: usize = 4;

impl<'a> Project<'a> {
    fn build(scope: &'a ProjectScope, sessions: &'a [SessionMaterial]) -> Self {
        let mut project = Project {
            scope,
            user: guid(&scope.id, "user"),
            sources: Vec::new(),
            codebook: [
                CodeGroup {
                    name: "Stage",
                    description: "The stage (column) of the board a contribution is in; a comment is coded with its card's.",
                    codes: Vec::new(),
                },
                CodeGroup {
                    name: "Lane",
                    description: "The lane (row) of the board a contribution is in; a comment is coded with its card's.",
                    codes: Vec::new(),
                },
                CodeGroup {
                    name: "Item kind",
                    description: "What a contribution is: a card (journey map, blueprint), a note (canvas) or a comment.",
                    codes: CONTRIBUTION_KINDS
                        .iter()
                        .map(|k| (format!("kind:{k}"), (*k).to_owned()))
                        .collect(),
                },
                CodeGroup {
                    name: "Decision status",
                    description: "What the organisation decided on a card or note after the session (undecided: no decision yet).",
                    codes: DecisionStatus::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .chain([UNDECIDED])
                        .map(|s| (format!("decision:{s}"), s.to_owned()))
                        .collect(),
                },
                CodeGroup {
                    name: "Carried from",
                    description: "The earlier session of the process a card was carried from.",
                    codes: Vec::new(),
                },
            ],
            notes: Vec::new(),
        };
        for material in sessions {
            let source = project.source(material);
            project.sources.push(source);
        }
        project
    }

    /// A session's source, adding its stages, lanes and origins to the codebook and its
    /// decisions and memos to the notes.
    fn source(&mut self, material: &'a SessionMaterial) -> Source<'a> {
        let records = &material.records;
        let session = &records.session.id;
        let disclosure = &records.disclosure;
        let board = &material.board;
        let stages = axis(board, "stages");
        let lanes = axis(board, "lanes");
        for (group, axis) in [(STAGES, &stages), (LANES, &lanes)] {
            let prefix = if group == STAGES { "stage" } else { "lane" };
            for (id, name) in axis {
                self.codebook[group].add(format!("{prefix}:{id}"), name);
            }
        }
        let empty = JsonMap::new();
        let items = board["items"].as_object().unwrap_or(&empty);
        let mut source = Source {
            material,
            guid: guid(session, "source"),
            text: String::new(),
            selections: Vec::new(),
            notes: Vec::new(),
            declined_contributions: 0,
        };
        let mut length = 0;
        for (id, item) in reading_order(items, &stages, &lanes) {
            if disclosure.hidden.contains(id) {
                continue;
            }
            let text = xml_safe(item["text"].as_str().unwrap_or_default().trim());
            if text.is_empty() || text == ERASED_TEXT {
                continue;
            }
            let kind = item["type"].as_str().unwrap_or_default().to_owned();
            let author = item["author"].as_str().unwrap_or_default().to_owned();
            if author == DECLINED {
                source.declined_contributions += 1;
            }
            // A comment is about its parent's place on the board.
            let placed = match item["parent"].as_str().and_then(|p| items.get(p)) {
                Some(parent) if kind == "comment" => parent,
                _ => item,
            };
            let mut codes = vec![format!("kind:{kind}")];
            for key in ["stage", "lane"] {
                if let Some(axis_id) = placed[key].as_str() {
                    codes.push(format!("{key}:{axis_id}"));
                }
            }
            if kind != "comment" {
                let status = material
                    .decisions
                    .get(id)
                    .map_or(UNDECIDED, |d| d.status.as_str());
                codes.push(format!("decision:{status}"));
            }
            if let Some(from) = item["origin"]["session"].as_str() {
                self.codebook[CARRIED].add(format!("carried:{from}"), from);
                codes.push(format!("carried:{from}"));
            }
            let at = material
                .added
                .get(id)
                .copied()
                .or_else(|| item["created_at"].as_u64());
            let who = match item["author_name"].as_str() {
                Some(name) if !name.is_empty() => format!("{name} ({author})"),
                _ if author.is_empty() => "?".to_owned(),
                _ => author.clone(),
            };
            let heading = match at {
                Some(at) => format!("[{kind} · {who} · {}]\n", rfc3339(at)),
                None => format!("[{kind} · {who}]\n"),
            };
            if !source.text.is_empty() {
                source.text.push('\n');
                length += 1;
            }
            source.text.push_str(&heading);
            length += heading.chars().count();
            let start = length;
            source.text.push_str(&text);
            length += text.chars().count();
            source.text.push('\n');
            source.selections.push(Selection {
                item: id.clone(),
                kind,
                author,
                at,
                start,
                end: length,
                codes,
                notes: Vec::new(),
            });
            length += 1;
        }
        self.attach_notes(&mut source);
        source
    }

    /// Decisions as notes on the contributions they concern, memos on theirs or the source.
    fn attach_notes(&mut self, source: &mut Source) {
        let material = source.material;
        let session = &material.records.session.id;
        let disclosure = &material.records.disclosure;
        let position: HashMap<String, usize> = source
            .selections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.item.clone(), i))
            .collect();
        let mut decisions: Vec<&Decision> = material.decisions.values().collect();
        decisions.sort_by(|a, b| a.item.cmp(&b.item));
        for decision in decisions {
            let Some(&i) = position.get(&decision.item) else {
                continue; // hidden, erased or gone: not in the export
            };
            let mut text = format!("Decision: {}", decision.status.as_str());
            if !decision.explanation.is_empty() {
                let _ = write!(text, "\n\n{}", decision.explanation);
            }
            let _ = write!(
                text,
                "\n\nDecided at {} by {}.",
                rfc3339(decision.decided_at),
                disclosure.pseudonym(&decision.by)
            );
            let guid = guid(session, &format!("decision:{}", decision.item));
            source.selections[i].notes.push(guid.clone());
            self.notes.push(Note {
                guid,
                name: format!(
                    "Decision on {}: {}",
                    decision.item,
                    decision.status.as_str()
                ),
                text,
                at: decision.decided_at,
            });
        }
        for memo in &material.memos {
            let guid = guid(session, &format!("memo:{}", memo.id));
            let at = rfc3339(memo.at);
            let mut text = format!("Memo at {at}");
            if let Some(item) = &memo.item {
                let _ = write!(text, " on {item}");
            }
            let _ = write!(
                text,
                " by {}:\n\n{}",
                disclosure.pseudonym(&memo.by),
                memo.text
            );
            match memo.item.as_ref().and_then(|item| position.get(item)) {
                Some(&i) => source.selections[i].notes.push(guid.clone()),
                None => source.notes.push(guid.clone()),
            }
            self.notes.push(Note {
                guid,
                name: format!("Memo at {at}"),
                text,
                at: memo.created_at,
            });
        }
    }

    /// `project.qde`.
    fn render(&self) -> String {
        let g = |what: &str| guid(&self.scope.id, what);
        let user = &self.user;
        let now = rfc3339(now_ms());
        let mut x = String::new();
        let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            x,
            r#"<Project xmlns="{NAMESPACE}" name="{}" origin="cocreate {}" creatingUserGUID="{user}" creationDateTime="{now}">"#,
            escape(&self.scope.name),
            env!("CARGO_PKG_VERSION"),
        );
        let _ = writeln!(
            x,
            r#"<Users><User guid="{user}" name="cocreate" id="cocreate"/></Users>"#
        );

        x.push_str("<CodeBook><Codes>\n");
        for group in &self.codebook {
            let _ = writeln!(
                x,
                r#"<Code guid="{}" name="{}" isCodable="false"><Description>{}</Description>"#,
                g(&format!("group:{}", group.name)),
                escape(group.name),
                escape(group.description)
            );
            for (key, name) in &group.codes {
                let _ = writeln!(
                    x,
                    r#"<Code guid="{}" name="{}" isCodable="true"/>"#,
                    g(&format!("code:{key}")),
                    escape(name)
                );
            }
            x.push_str("</Code>\n");
        }
        x.push_str("</Codes></CodeBook>\n");

        const VARIABLES: [(&str, &str, &str); 6] = [
            ("session", "Text", "The session they took part in."),
            ("role", "Text", "The participant's role in the session."),
            ("language", "Text", "The language of their interface."),
            ("joined at", "DateTime", "When they joined the session."),
            ("contributions", "Integer", "Cards, notes and comments they added, and edits to them (as participants.csv counts)."),
            ("consent", "Text", "Their answer to the research question: yes, no, or not asked."),
        ];
        x.push_str("<Variables>\n");
        for (name, kind, description) in VARIABLES {
            let _ = writeln!(
                x,
                r#"<Variable guid="{}" name="{name}" typeOfVariable="{kind}"><Description>{}</Description></Variable>"#,
                g(&format!("variable:{name}")),
                escape(description)
            );
        }
        x.push_str("</Variables>\n");

        let mut cases = String::new();
        for source in &self.sources {
            self.render_cases(source, &mut cases);
        }
        if !cases.is_empty() {
            let _ = write!(x, "<Cases>\n{cases}</Cases>\n");
        }

        x.push_str("<Sources>\n");
        for source in &self.sources {
            self.render_source(source, &mut x);
        }
        x.push_str("</Sources>\n");

        if !self.notes.is_empty() {
            x.push_str("<Notes>\n");
            for note in &self.notes {
                let _ = writeln!(
                    x,
                    r#"<Note guid="{}" name="{}" creatingUser="{user}" creationDateTime="{}"><PlainTextContent>{}</PlainTextContent></Note>"#,
                    note.guid,
                    escape(&note.name),
                    rfc3339(note.at),
                    escape(&note.text)
                );
            }
            x.push_str("</Notes>\n");
        }
        let _ = writeln!(
            x,
            "<Description>{}</Description>",
            escape(&self.description())
        );
        x.push_str("</Project>\n");
        x
    }

    /// The participants of a source's session who appear individually.
    fn render_cases(&self, source: &Source, x: &mut String) {
        let records = &source.material.records;
        let disclosure = &records.disclosure;
        let g = |what: &str| guid(&self.scope.id, what);
        let session = &records.session;
        for p in records
            .participants
            .iter()
            .filter(|p| disclosure.individual(&p.id))
        {
            let name = disclosure.name(&p.id);
            let label = if name.is_empty() {
                p.id.clone()
            } else {
                format!("{name} ({})", p.id)
            };
            let _ = writeln!(
                x,
                r#"<Case guid="{}" name="{}"><Description>{}</Description>"#,
                guid(&session.id, &format!("case:{}", p.id)),
                escape(&label),
                escape(&format!(
                    "Participant {} ({}) of session {} ({})",
                    p.id,
                    p.role.as_str(),
                    session.id,
                    session.title
                ))
            );
            let consent = match p.research_consent {
                Some(true) => "yes",
                Some(false) => "no",
                None => "not asked",
            };
            let count = source
                .material
                .contributions
                .get(&p.id)
                .copied()
                .unwrap_or(0);
            let values: [(&str, &str, String); 6] = [
                ("session", "TextValue", session.title.clone()),
                ("role", "TextValue", p.role.as_str().to_owned()),
                ("language", "TextValue", p.language.clone()),
                ("joined at", "DateTimeValue", rfc3339(p.joined_at)),
                ("contributions", "IntegerValue", count.to_string()),
                ("consent", "TextValue", consent.to_owned()),
            ];
            for (variable, element, value) in values {
                let _ = writeln!(
                    x,
                    r#"<VariableValue><VariableRef targetGUID="{}"/><{element}>{}</{element}></VariableValue>"#,
                    g(&format!("variable:{variable}")),
                    escape(&value)
                );
            }
            for selection in source.selections.iter().filter(|s| s.author == p.id) {
                let _ = writeln!(
                    x,
                    r#"<SelectionRef targetGUID="{}"/>"#,
                    guid(&session.id, &format!("selection:{}", selection.item))
                );
            }
            x.push_str("</Case>\n");
        }
    }

    fn render_source(&self, source: &Source, x: &mut String) {
        let session = &source.material.records.session;
        let user = &self.user;
        let code = |key: &str| guid(&self.scope.id, &format!("code:{key}"));
        let own = |what: &str| guid(&session.id, what);
        let _ = writeln!(
            x,
            r#"<TextSource guid="{}" name="{}" plainTextPath="internal://{}.txt" creatingUser="{user}" creationDateTime="{}">"#,
            source.guid,
            escape(&session.title),
            source.guid,
            rfc3339(session.created_at),
        );
        let _ = writeln!(
            x,
            "<Description>{}</Description>",
            escape(&format!(
                "The contributions of session {} in board reading order, each a selection coded with its place on the board, its kind and its decision.",
                session.id
            ))
        );
        for s in &source.selections {
            let created =
                s.at.map(|at| format!(r#" creationDateTime="{}""#, rfc3339(at)))
                    .unwrap_or_default();
            let _ = writeln!(
                x,
                r#"<PlainTextSelection guid="{}" name="{}" startPosition="{}" endPosition="{}" creatingUser="{user}"{created}>"#,
                own(&format!("selection:{}", s.item)),
                escape(&format!("{} {}", s.kind, s.item)),
                s.start,
                s.end,
            );
            for key in &s.codes {
                let _ = writeln!(
                    x,
                    r#"<Coding guid="{}" creatingUser="{user}"><CodeRef targetGUID="{}"/></Coding>"#,
                    own(&format!("coding:{}:{key}", s.item)),
                    code(key)
                );
            }
            for note in &s.notes {
                let _ = writeln!(x, r#"<NoteRef targetGUID="{note}"/>"#);
            }
            x.push_str("</PlainTextSelection>\n");
        }
        for note in &source.notes {
            let _ = writeln!(x, r#"<NoteRef targetGUID="{note}"/>"#);
        }
        x.push_str("</TextSource>\n");
    }

    /// The project's description: what it is and how the disclosure rules shaped it.
    fn description(&self) -> String {
        let declined: usize = self
            .sources
            .iter()
            .map(|s| {
                let records = &s.material.records;
                records
                    .participants
                    .iter()
                    .filter(|p| !records.disclosure.individual(&p.id))
                    .count()
            })
            .sum();
        let declined_contributions: usize =
            self.sources.iter().map(|s| s.declined_contributions).sum();
        let names = self
            .sources
            .iter()
            .any(|s| s.material.records.disclosure.keeps_names());
        format!(
            "{}, exported from cocreate. Participants appear by pseudonym{}. \
             {declined} participant(s) who declined research appear only in aggregate: \
             their {declined_contributions} contribution(s) are in the sources without an \
             author or case. Hidden items are left out; erased text reads {ERASED_TEXT}.",
            self.scope.what,
            if names {
                ", with their display name where the session keeps names and they consented"
            } else {
                ""
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn guids_are_stable_uuids_per_session_and_name() {
        let a = guid("s1", "selection:c1");
        assert_eq!(a, guid("s1", "selection:c1"));
        assert_ne!(a, guid("s2", "selection:c1"));
        assert_ne!(a, guid("s1", "selection:c2"));
        let parts: Vec<&str> = a.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('8'), "version 8: {a}");
        assert!(
            matches!(&parts[3][..1], "8" | "9" | "a" | "b"),
            "variant: {a}"
        );
    }

    #[test]
    fn text_is_escaped_and_what_xml_cannot_hold_is_replaced() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("x\ny"), "x&#10;y");
        assert_eq!(
            xml_safe("a\r\nb\rc\u{7}d\u{ffff}"),
            "a\nb\nc\u{fffd}d\u{fffd}"
        );
    }

    #[test]
    fn contributions_are_read_by_stage_lane_and_position_with_comments_after_their_item() {
        let board = json!({
            "stages": {"s2": {"kind": "apply", "title": "", "order": "a1"},
                       "s1": {"kind": "aware", "title": "Finding out", "order": "a0"}},
            "lanes": {"l1": {"kind": "actions", "title": "", "order": "a0"},
                      "l2": {"kind": "thoughts", "title": "", "order": "a1"}},
            "items": {
                "c3": {"type": "card", "stage": "s2", "lane": "l1", "order": "a0"},
                "c2": {"type": "card", "stage": "s1", "lane": "l2", "order": "a0"},
                "c1b": {"type": "card", "stage": "s1", "lane": "l1", "order": "a1"},
                "c1a": {"type": "card", "stage": "s1", "lane": "l1", "order": "a0"},
                "k2": {"type": "comment", "parent": "c1a", "created_at": 2},
                "k1": {"type": "comment", "parent": "c1a", "created_at": 1},
                "k0": {"type": "comment", "parent": "gone", "created_at": 0},
                "n2": {"type": "note", "x": 0, "y": 100},
                "n1": {"type": "note", "x": 300, "y": 10},
                "n0": {"type": "note", "x": 20, "y": 30},
                "g": {"type": "group"}
            }
        });
        let stages = axis(&board, "stages");
        assert_eq!(stages[0], ("s1".to_owned(), "Finding out".to_owned()));
        assert_eq!(stages[1], ("s2".to_owned(), "apply".to_owned()));
        let lanes = axis(&board, "lanes");
        let items = board["items"].as_object().unwrap();
        let order: Vec<&str> = reading_order(items, &stages, &lanes)
            .into_iter()
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(
            order,
            ["c1a", "k1", "k2", "c1b", "c2", "c3", "n0", "n1", "n2", "k0"]
        );
    }
}
