//! The golden board documents (`golden/<template>/`), one Yjs update and its expected JSON
//! each, which the web client's unit tests (`web-client/test/golden.test.ts`) load too:
//! the server's seed, the client's seed and a board the client wrote, per template, at schema
//! [`SCHEMA_VERSION`], and the schema-1 seed servers wrote before (stored sessions hold it).
//! Rust and TypeScript read each the same way, and the two seeds are the same board. `COCREATE_BLESS=1 cargo test -p cocreate-board --test golden` rewrites the
//! server's side; the client's side is written by the web client (golden/README.md).

use std::path::PathBuf;

use cocreate_board::schema::{ITEMS, ITEM_TYPES, ROOTS};
use cocreate_board::{
    apply_bytes, board_json, seed_by, Disclosure, ObservedDoc, Template, SCHEMA_VERSION,
};
use serde_json::Value;
use yrs::{Doc, OffsetKind, Options};

/// The server's client id in the golden seeds (random in production).
const SERVER: u64 = 1_000_000;

fn golden(template: Template, name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "golden", template.name(), name]
        .iter()
        .collect()
}

fn read(template: Template, name: &str) -> Vec<u8> {
    let path = golden(template, name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected_json(template: Template, name: &str) -> Value {
    let text = read(template, &format!("{name}.json"));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{template:?} {name}.json: {e}"))
}

/// A golden update applied as the server applies any update from the network.
fn board(template: Template, name: &str) -> Doc {
    let doc = Doc::new();
    apply_bytes(&doc, &read(template, &format!("{name}.bin")))
        .unwrap_or_else(|e| panic!("{template:?} {name}.bin does not apply: {e}"));
    doc
}

/// The board as the server reads it, with nothing beyond pseudonyms to disclose.
fn json_of(doc: &Doc) -> Value {
    board_json(doc, &Disclosure::default())
}

/// Numbers as floats: JavaScript writes `2` where yrs reads back `2.0`, and they are one number.
fn numbers_as_floats(value: Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(values) => Value::Array(values.into_iter().map(numbers_as_floats).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, numbers_as_floats(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Whether the golden update `name` exists and reads as `json`.
fn golden_reads_as(template: Template, name: &str, json: &Value) -> bool {
    let Ok(update) = std::fs::read(golden(template, &format!("{name}.bin"))) else {
        return false;
    };
    let doc = Doc::new();
    apply_bytes(&doc, &update).is_ok() && json_of(&doc) == *json
}

fn assert_reads_as(doc: &Doc, template: Template, name: &str) {
    assert_eq!(
        numbers_as_floats(json_of(doc)),
        numbers_as_floats(expected_json(template, name)),
        "{template:?} {name}: the board does not read as its golden JSON"
    );
}

#[test]
fn the_server_seed_reads_as_its_golden_json() {
    let bless = std::env::var_os("COCREATE_BLESS").is_some_and(|v| v == "1");
    for template in Template::ALL {
        let writer = Doc::with_options(Options {
            client_id: yrs::ClientID::new(SERVER),
            offset_kind: OffsetKind::Utf16,
            ..Options::default()
        });
        let update = seed_by(writer, template);
        let fresh = Doc::new();
        apply_bytes(&fresh, &update).unwrap();
        // The seed's bytes vary with map order from run to run: rewritten only when its board does.
        if bless && !golden_reads_as(template, "server-seed", &json_of(&fresh)) {
            let json = serde_json::to_string_pretty(&json_of(&fresh)).unwrap() + "\n";
            std::fs::create_dir_all(golden(template, "")).unwrap();
            std::fs::write(golden(template, "server-seed.bin"), &update).unwrap();
            std::fs::write(golden(template, "server-seed.json"), json).unwrap();
        }
        assert_reads_as(&fresh, template, "server-seed");
        assert_reads_as(&board(template, "server-seed"), template, "server-seed");
        let json = expected_json(template, "server-seed");
        assert_eq!(json["meta"]["schema"], SCHEMA_VERSION, "{template:?}");
        assert_eq!(json["meta"]["template"], template.name());
    }
}

#[test]
fn the_client_seeds_the_board_the_server_seeds() {
    for template in Template::ALL {
        assert_reads_as(&board(template, "client-seed"), template, "client-seed");
        assert_eq!(
            numbers_as_floats(expected_json(template, "client-seed")),
            numbers_as_floats(expected_json(template, "server-seed")),
            "{template:?}: the client's seed and the server's differ"
        );
    }
}

#[test]
fn boards_the_client_writes_read_as_the_client_reads_them() {
    for template in Template::ALL {
        let doc = board(template, "client-board");
        assert_reads_as(&doc, template, "client-board");
        let json = json_of(&doc);
        let roots: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = ROOTS.to_vec();
        expected.sort_unstable();
        assert_eq!(roots, expected, "{template:?}: the board's roots");
        let items = json[ITEMS].as_object().unwrap();
        assert!(!items.is_empty(), "{template:?}: the client wrote items");

        // Every item is of a kind the schema knows, and the change events name that kind.
        let observed = ObservedDoc::new(Doc::new());
        apply_bytes(observed.doc(), &read(template, "client-board.bin")).unwrap();
        let changes = observed.take();
        for (id, item) in items {
            let kind = item["type"].as_str().unwrap_or_default();
            assert!(ITEM_TYPES.contains(&kind), "{template:?} {id}: {kind}");
            assert!(
                changes
                    .iter()
                    .any(|c| c.target == *id && c.entity == kind && c.action == "added"),
                "{template:?}: no `{kind} added` event for {id} in {changes:?}"
            );
        }
    }
}

#[test]
fn schema_1_boards_servers_seeded_before_still_read() {
    for template in Template::ALL {
        let name = "server-seed-schema-1";
        assert_reads_as(&board(template, name), template, name);
        let mut old = expected_json(template, name);
        assert_eq!(old["meta"]["schema"], 1, "{template:?}");
        // The schema-2 seed differs in its version only (1 → 2 changed no data).
        old["meta"]["schema"] = SCHEMA_VERSION.into();
        assert_eq!(
            numbers_as_floats(old),
            numbers_as_floats(expected_json(template, "server-seed"))
        );
    }
}
