//! A session as a REFI-QDA project (`.qdpx`: a zip of `project.qde` and `Sources/`), which
//! ATLAS.ti, NVivo, MAXQDA and other analysis programs open: the contributions as one
//! codable plain-text source in board reading order, each its own selection with its time;
//! participants as cases with variables; a codebook of stages, lanes, item kinds, decision
//! status and carried-from, every contribution coded with it; decisions and researchers'
//! memos as notes. The same disclosure rules as every research output apply
//! (`cocreate_board::Disclosure`): hidden items are left out, erased text stays erased,
//! people who declined research have no case and their contributions no author.
//!
//! Every GUID is derived from the session id and what it names, so exporting a session twice
//! gives the same GUIDs and a researcher's project can be updated with a newer export.

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
use crate::storage::Storage;
use cocreate_board::{board_json, DECLINED, ERASED_TEXT};

/// The item kinds that are contributions: what participants write (connectors and groups
/// only arrange them).
pub const CONTRIBUTION_KINDS: [&str; 3] = ["card", "note", "comment"];

/// The REFI-QDA project namespace (QDA-XML 1.0).
const NAMESPACE: &str = "urn:QDA-XML:project:1.0";

/// The research material of a session, gathered before writing.
pub struct QdpxInput<'a> {
    /// The session, its participants and the disclosure rules.
    pub records: &'a SessionRecords,
    /// The decisions on items, by item id: codes and notes.
    pub decisions: &'a HashMap<String, Decision>,
    /// Researchers' memos, in the order of the replay: notes.
    pub memos: &'a [Memo],
}

/// Writes the REFI-QDA project of a session into `out`.
pub async fn write_qdpx<W: Write + Seek>(
    storage: &dyn Storage,
    room: &RoomId,
    keyframe_spacing: u64,
    input: QdpxInput<'_>,
    out: W,
) -> Result<W, ExportError> {
    let records = input.records;
    let mut counter = Counter::new(60_000);
    let mut added: HashMap<String, u64> = HashMap::new();
    let walk = each_event(storage, room, keyframe_spacing, records, |event| {
        counter.add(event);
        if event.action == "added" && CONTRIBUTION_KINDS.contains(&event.entity.as_str()) {
            added.entry(event.target.clone()).or_insert(event.at);
        }
    })
    .await?;
    let board = board_json(walk.doc(), &records.disclosure);
    let contributions: HashMap<String, u64> = counter
        .finish()
        .by_participant
        .into_iter()
        .map(|figures| (figures.participant, figures.contributions))
        .collect();
    let project = Project::build(&board, &added, &contributions, &input);
    let (qde, text) = project.render();

    let mut zip = ZipWriter::new(out);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("project.qde", options)?;
    zip.write_all(qde.as_bytes())?;
    zip.start_file(format!("Sources/{}.txt", project.source), options)?;
    zip.write_all(text.as_bytes())?;
    Ok(zip.finish()?)
}

/// A GUID for `what` in `session`: the first 128 bits of SHA-256, marked as a name-based
/// UUID (version 8, RFC 9562), written 8-4-4-4-12.
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

/// One contribution in the source: where its text is and what it is coded with.
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

/// A code of the codebook: a group (not codable) with its codes.
struct CodeGroup {
    name: &'static str,
    description: &'static str,
    /// (key, name) of each code; its GUID is derived from the key.
    codes: Vec<(String, String)>,
}

/// A note: a decision or a memo.
struct Note {
    guid: String,
    name: String,
    text: String,
    at: u64,
}

/// The project as it will be written.
struct Project<'a> {
    input: &'a QdpxInput<'a>,
    session: String,
    user: String,
    source: String,
    text: String,
    selections: Vec<Selection>,
    codebook: Vec<CodeGroup>,
    notes: Vec<Note>,
    /// Notes on the whole source (memos not tied to a contribution).
    source_notes: Vec<String>,
    contributions: &'a HashMap<String, u64>,
    /// Contributions in the source by people who declined research.
    declined_contributions: usize,
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

impl<'a> Project<'a> {
    fn build(
        board: &Value,
        added: &HashMap<String, u64>,
        contributions: &'a HashMap<String, u64>,
        input: &'a QdpxInput<'a>,
    ) -> Self {
        let records = input.records;
        let session = records.session.id.clone();
        let disclosure = &records.disclosure;
        let stages = axis(board, "stages");
        let lanes = axis(board, "lanes");
        let empty = JsonMap::new();
        let items = board["items"].as_object().unwrap_or(&empty);
        let mut project = Project {
            input,
            user: guid(&session, "user"),
            source: guid(&session, "source"),
            session,
            text: String::new(),
            selections: Vec::new(),
            codebook: Vec::new(),
            notes: Vec::new(),
            source_notes: Vec::new(),
            contributions,
            declined_contributions: 0,
        };
        let mut carried_from = BTreeSet::new();
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
                project.declined_contributions += 1;
            }
            // A comment is about its parent's place on the board.
            let placed = match item["parent"].as_str().and_then(|p| items.get(p)) {
                Some(parent) if kind == "comment" => parent,
                _ => item,
            };
            let mut codes = vec![format!("kind:{kind}")];
            for (root, key) in [("stage", "stage"), ("lane", "lane")] {
                if let Some(axis_id) = placed[key].as_str() {
                    codes.push(format!("{root}:{axis_id}"));
                }
            }
            if kind != "comment" {
                let status = input
                    .decisions
                    .get(id)
                    .map_or(UNDECIDED, |d| d.status.as_str());
                codes.push(format!("decision:{status}"));
            }
            if let Some(source) = item["origin"]["session"].as_str() {
                carried_from.insert(source.to_owned());
                codes.push(format!("carried:{source}"));
            }
            let at = added
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
            if !project.text.is_empty() {
                project.text.push('\n');
            }
            project.text.push_str(&heading);
            let start = project.text.chars().count();
            project.text.push_str(&text);
            let end = project.text.chars().count();
            project.text.push('\n');
            project.selections.push(Selection {
                item: id.clone(),
                kind,
                author,
                at,
                start,
                end,
                codes,
                notes: Vec::new(),
            });
        }
        project.codebook = vec![
            CodeGroup {
                name: "Stage",
                description: "The stage (column) of the board a contribution is in; a comment is coded with its card's.",
                codes: stages.iter().map(|(id, name)| (format!("stage:{id}"), name.clone())).collect(),
            },
            CodeGroup {
                name: "Lane",
                description: "The lane (row) of the board a contribution is in; a comment is coded with its card's.",
                codes: lanes.iter().map(|(id, name)| (format!("lane:{id}"), name.clone())).collect(),
            },
            CodeGroup {
                name: "Item kind",
                description: "What a contribution is: a card (journey map, blueprint), a note (canvas) or a comment.",
                codes: CONTRIBUTION_KINDS.iter().map(|k| (format!("kind:{k}"), (*k).to_owned())).collect(),
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
                codes: carried_from.iter().map(|s| (format!("carried:{s}"), s.clone())).collect(),
            },
        ];
        project.attach_notes();
        project
    }

    /// Decisions as notes on the contributions they concern, memos on theirs or the source.
    fn attach_notes(&mut self) {
        let disclosure = &self.input.records.disclosure;
        let position: HashMap<String, usize> = self
            .selections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.item.clone(), i))
            .collect();
        let mut decisions: Vec<&Decision> = self.input.decisions.values().collect();
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
            let guid = guid(&self.session, &format!("decision:{}", decision.item));
            self.selections[i].notes.push(guid.clone());
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
        for memo in self.input.memos {
            let guid = guid(&self.session, &format!("memo:{}", memo.id));
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
                Some(&i) => self.selections[i].notes.push(guid.clone()),
                None => self.source_notes.push(guid.clone()),
            }
            self.notes.push(Note {
                guid,
                name: format!("Memo at {at}"),
                text,
                at: memo.created_at,
            });
        }
    }

    /// `project.qde` and the source's text.
    fn render(&self) -> (String, String) {
        let records = self.input.records;
        let session = &records.session;
        let disclosure = &records.disclosure;
        let g = |what: &str| guid(&self.session, what);
        let user = &self.user;
        let now = rfc3339(now_ms());
        let mut x = String::new();
        let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            x,
            r#"<Project xmlns="{NAMESPACE}" name="{}" origin="cocreate {}" creatingUserGUID="{user}" creationDateTime="{now}">"#,
            escape(&session.title),
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

        const VARIABLES: [(&str, &str, &str); 5] = [
            ("role", "Text", "The participant's role in the session."),
            ("language", "Text", "The language of their interface."),
            ("joined at", "DateTime", "When they joined the session."),
            ("contributions", "Integer", "Cards, notes and comments they added, and edits to them (as participants.csv counts)."),
            ("consent", "Text", "Their answer to the research question: yes, or not asked."),
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

        let cases: Vec<_> = records
            .participants
            .iter()
            .filter(|p| disclosure.individual(&p.id))
            .collect();
        if !cases.is_empty() {
            x.push_str("<Cases>\n");
            for p in cases {
                let name = disclosure.name(&p.id);
                let label = if name.is_empty() {
                    p.id.clone()
                } else {
                    format!("{name} ({})", p.id)
                };
                let _ = writeln!(
                    x,
                    r#"<Case guid="{}" name="{}"><Description>{}</Description>"#,
                    g(&format!("case:{}", p.id)),
                    escape(&label),
                    escape(&format!("Participant {} ({})", p.id, p.role.as_str()))
                );
                let consent = match p.research_consent {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "not asked",
                };
                let count = self.contributions.get(&p.id).copied().unwrap_or(0);
                let values: [(&str, &str, String); 5] = [
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
                for selection in self.selections.iter().filter(|s| s.author == p.id) {
                    let _ = writeln!(
                        x,
                        r#"<SelectionRef targetGUID="{}"/>"#,
                        g(&format!("selection:{}", selection.item))
                    );
                }
                x.push_str("</Case>\n");
            }
            x.push_str("</Cases>\n");
        }

        x.push_str("<Sources>\n");
        let _ = writeln!(
            x,
            r#"<TextSource guid="{}" name="{}" plainTextPath="internal://{}.txt" creatingUser="{user}" creationDateTime="{}">"#,
            self.source,
            escape(&session.title),
            self.source,
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
        for s in &self.selections {
            let created =
                s.at.map(|at| format!(r#" creationDateTime="{}""#, rfc3339(at)))
                    .unwrap_or_default();
            let _ = writeln!(
                x,
                r#"<PlainTextSelection guid="{}" name="{}" startPosition="{}" endPosition="{}" creatingUser="{user}"{created}>"#,
                g(&format!("selection:{}", s.item)),
                escape(&format!("{} {}", s.kind, s.item)),
                s.start,
                s.end,
            );
            for code in &s.codes {
                let _ = writeln!(
                    x,
                    r#"<Coding guid="{}" creatingUser="{user}"><CodeRef targetGUID="{}"/></Coding>"#,
                    g(&format!("coding:{}:{code}", s.item)),
                    g(&format!("code:{code}"))
                );
            }
            for note in &s.notes {
                let _ = writeln!(x, r#"<NoteRef targetGUID="{note}"/>"#);
            }
            x.push_str("</PlainTextSelection>\n");
        }
        for note in &self.source_notes {
            let _ = writeln!(x, r#"<NoteRef targetGUID="{note}"/>"#);
        }
        x.push_str("</TextSource>\n</Sources>\n");

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
        let declined = records
            .participants
            .iter()
            .filter(|p| !disclosure.individual(&p.id))
            .count();
        let _ = writeln!(
            x,
            "<Description>{}</Description>",
            escape(&format!(
                "Session {} ({}), exported from cocreate. Participants appear by pseudonym{}. \
                 {declined} participant(s) who declined research appear only in aggregate: \
                 their {} contribution(s) are in the source without an author or case. \
                 Hidden items are left out; erased text reads {ERASED_TEXT}.",
                session.id,
                session.title,
                if disclosure.keeps_names() {
                    ", with their display name where the session keeps names and they consented"
                } else {
                    ""
                },
                self.declined_contributions,
            ))
        );
        x.push_str("</Project>\n");
        (x, self.text.clone())
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
