//! The OpenAPI description (`server/src/api/openapi.json`) held to the truth. Every answer a
//! test gets from an `/api` path through `support::exchange` (so `call`, `get`, `fetch` and
//! the session helpers too) is checked by [`check_exchange`]: its path and method described,
//! its status declared for them, its content type and body matching the declared schema (an
//! undeclared field fails: the description's objects are closed), and a request the server
//! accepted matching the declared request body. The tests here check the description itself
//! and that it names every route.

use std::collections::HashMap;
use std::sync::LazyLock;

use cocreate_board::Template;
use cocreate_server::outcome::{DecisionStatus, UNDECIDED};
use cocreate_server::session::{Role, LANGUAGES};
use serde::Serialize;
use serde_json::Value;

use crate::schema::{resolve, unknown_keywords, validate};
use crate::support::{exchange, TestServer};

/// The description as the repository keeps it.
const DESCRIPTION_TEXT: &str = include_str!("../../src/api/openapi.json");

static DESCRIPTION: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(DESCRIPTION_TEXT).expect("openapi.json is JSON"));

/// The HTTP methods an operation can have, as OpenAPI names them.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Checks one exchange with the server (`request` as sent, the answer as read) against the
/// description; panics with what does not match. Paths outside `/api/` are not described.
pub fn check_exchange(request: &str, status: u16, headers: &HashMap<String, String>, body: &[u8]) {
    let mut line = request.split_whitespace();
    let (Some(method), Some(target)) = (line.next(), line.next()) else {
        return;
    };
    let path = target.split('?').next().unwrap_or_default();
    if !path.starts_with("/api/") {
        return;
    }
    let answer = String::from_utf8_lossy(body);
    let context = format!("{method} {target} answered {status} {answer:.600}");
    let Some((template, operations)) = described_path(path) else {
        // Not an endpoint: the fallback's JSON 404.
        let code = serde_json::from_slice::<Value>(body)
            .ok()
            .map(|b| b["code"].clone());
        assert_eq!(
            (status, code),
            (404, Some("not_found".into())),
            "{context}: an /api path that openapi.json does not describe"
        );
        return;
    };
    let Some(operation) = operations.get(method.to_lowercase()) else {
        assert_eq!(
            status, 405,
            "{context}: a method openapi.json does not describe for {template}"
        );
        return;
    };
    if (200..300).contains(&status) {
        check_request(operation, request, &context);
    }
    let Some(response) = operation["responses"].get(status.to_string()) else {
        panic!("{context}: openapi.json does not declare {status} for {method} {template}");
    };
    let response = follow(response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(body.is_empty(), "{context}: openapi.json declares no body");
        return;
    };
    let content_type = headers
        .get("content-type")
        .map_or("", |t| t.split(';').next().unwrap_or_default().trim());
    let Some(media) = content.get(content_type) else {
        let declared: Vec<&String> = content.keys().collect();
        panic!("{context}: content type {content_type:?}, openapi.json declares {declared:?}");
    };
    let Some(schema) = media.get("schema") else {
        return; // a file (the export's zip): any bytes
    };
    let bodies: Vec<&[u8]> = match content_type {
        "application/x-ndjson" => body
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .collect(),
        _ => vec![body],
    };
    for body in bodies {
        conforms(schema, body, &context, "the body");
    }
}

/// Panics unless `json` is JSON that `schema` accepts; `what` names it in the message.
fn conforms(schema: &Value, json: &[u8], context: &str, what: &str) {
    let value: Value = serde_json::from_slice(json)
        .unwrap_or_else(|e| panic!("{context}: {what} is not JSON: {e}"));
    let errors = validate(&DESCRIPTION, schema, &value);
    assert!(
        errors.is_empty(),
        "{context}: {what} does not match openapi.json:\n{}",
        errors.join("\n")
    );
}

/// The described path `path` is an instance of, and its operations: literal segments must be
/// equal, `{name}` takes any one segment; the template with the most literal segments wins.
fn described_path(path: &str) -> Option<(&'static str, &'static Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = DESCRIPTION["paths"].as_object().expect("paths");
    paths
        .iter()
        .filter_map(|(template, operations)| {
            let parts: Vec<&str> = template.split('/').collect();
            let literal = |part: &str| !part.starts_with('{');
            let matches = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    if literal(part) {
                        part == segment
                    } else {
                        !segment.is_empty()
                    }
                });
            let literals = parts.iter().filter(|part| literal(part)).count();
            matches.then_some((literals, template.as_str(), operations))
        })
        .max_by_key(|(literals, ..)| *literals)
        .map(|(_, template, operations)| (template, operations))
}

/// A request body the server accepted matches the operation's declared one.
fn check_request(operation: &Value, request: &str, context: &str) {
    let Some(schema) = operation.pointer("/requestBody/content/application~1json/schema") else {
        return;
    };
    let body = request.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    conforms(
        schema,
        body.as_bytes(),
        context,
        "the request body it accepted",
    );
}

/// A response, or the shared one its `$ref` names.
fn follow(response: &Value) -> &Value {
    match response.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(&DESCRIPTION, reference).expect("a described response"),
        None => response,
    }
}

/// Every place in `value` that holds a schema: components' schemas, and the `schema` of every
/// parameter and content.
fn schemas<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                let at = format!("{at}/{key}");
                let component =
                    at.starts_with("#/components/schemas/") && at.matches('/').count() == 3;
                if key == "schema" || component {
                    found.push((at, inner));
                } else {
                    schemas(inner, at, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                schemas(inner, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn the_description_uses_only_what_the_validator_checks() {
    let mut found = Vec::new();
    schemas(&DESCRIPTION, "#".into(), &mut found);
    assert!(found.len() > 40, "{} schemas found", found.len());
    let unknown: Vec<String> = found
        .iter()
        .flat_map(|(at, schema)| unknown_keywords(schema, at))
        .collect();
    assert!(
        unknown.is_empty(),
        "keywords the test validator does not check: {unknown:?}"
    );

    let dangling: Vec<&str> = DESCRIPTION_TEXT
        .split("\"$ref\": \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|reference| resolve(&DESCRIPTION, reference).is_none())
        .collect();
    assert!(dangling.is_empty(), "$refs to nothing: {dangling:?}");
    assert_eq!(DESCRIPTION["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_description_is_served_with_the_server_version_and_revalidated() {
    let server = TestServer::fresh().await;
    let (status, headers, body) = server.fetch("/api/openapi.json", "").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-cache");
    let mut served: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(served["info"]["version"], env!("CARGO_PKG_VERSION"));
    served["info"]["version"] = DESCRIPTION["info"]["version"].clone();
    assert_eq!(served, *DESCRIPTION);

    let etag = &headers["etag"];
    let revalidate = |tag: &str| {
        format!("GET /api/openapi.json HTTP/1.0\r\nHost: test\r\nIf-None-Match: {tag}\r\n\r\n")
    };
    let (status, _, body) = exchange(server.addr, &revalidate(etag)).await;
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, _) = exchange(server.addr, &revalidate("\"stale\"")).await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// Every described operation is served (whatever the answer, it is an endpoint's: not the
/// fallback's 404 nor 405), and every other method of a described path is 405. Together with
/// the unit test that the router's paths are the described ones (`api::tests`), the router
/// serves exactly what is described.
#[tokio::test]
async fn the_router_serves_exactly_the_described_operations() {
    let server = TestServer::fresh().await;
    let paths = DESCRIPTION["paths"].as_object().expect("paths");
    for (template, operations) in paths {
        let path: String = template
            .split('/')
            .map(|part| if part.starts_with('{') { "s_x" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in METHODS {
            let request = crate::support::http_request(&method.to_uppercase(), &path, None, None);
            let (status, _, body) = exchange(server.addr, &request).await;
            let fallback =
                status == 404 && String::from_utf8_lossy(&body).contains("\"not_found\"");
            let served = status != 405 && !fallback;
            let described = operations.get(method).is_some();
            assert_eq!(served, described, "{method} {template}: {status}");
        }
    }
    server.stop().await;
}

#[test]
#[should_panic(expected = "/you/secret: a field the description does not declare")]
fn an_undeclared_field_in_an_answer_fails() {
    let answer = serde_json::json!({
        "session": {
            "id": "s_1", "title": "t", "template": "canvas", "language": "en", "state": "open",
            "phase": "", "timer_ends_at": null, "votes_per_participant": 5, "created_at": 1,
            "research": {"recorded": true, "consent_required": false, "keep_names": false}
        },
        "you": {"participant_id": "p_1", "display_name": "A", "role": "citizen",
                "can_edit": true, "secret": "x"}
    });
    let headers = HashMap::from([("content-type".into(), "application/json".into())]);
    let request = "GET /api/me HTTP/1.0\r\n\r\n";
    check_exchange(request, 200, &headers, answer.to_string().as_bytes());
}

#[test]
#[should_panic(expected = "openapi.json does not declare 418 for GET /api/me")]
fn an_undeclared_status_fails() {
    check_exchange("GET /api/me HTTP/1.0\r\n\r\n", 418, &HashMap::new(), b"");
}

/// A query the server cannot read is a JSON error like every other, as described.
#[tokio::test]
async fn a_malformed_query_is_a_described_error() {
    let server = TestServer::fresh().await;
    let created = server
        .create_session(serde_json::json!({"title": "q", "template": "canvas", "language": "en"}))
        .await;
    let (id, researcher) = (&created["id"], &created["invites"]["researcher"]["token"]);
    for query in ["metrics?bucket_seconds=soon", "export?interval_seconds=-1"] {
        let path = format!("/api/sessions/{}/{query}", id.as_str().unwrap());
        let expected = (400, "invalid_request");
        server
            .call_expect(expected, "GET", &path, researcher.as_str(), None)
            .await;
    }
    server.stop().await;
}

/// The names the Rust values serialize to, in order: what the API writes.
fn names<T: Serialize>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .map(|value| match serde_json::to_value(value) {
            Ok(Value::String(name)) => name,
            other => panic!("not serialized as a name: {other:?}"),
        })
        .collect()
}

/// Every `enum` of the description that lists any of `names`, with where it stands.
fn enums_listing(
    value: &Value,
    names: &[String],
    at: &str,
    found: &mut Vec<(String, Vec<String>)>,
) {
    match value {
        Value::Object(members) => {
            if let Some(Value::Array(listed)) = members.get("enum") {
                let listed: Vec<String> = listed
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if listed.iter().any(|name| names.contains(name)) {
                    found.push((at.to_owned(), listed));
                }
            }
            for (key, member) in members {
                enums_listing(member, names, &format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                enums_listing(item, names, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// The decision statuses are spelled once, by the Rust enum: every enum of the description
/// that names one lists them all, in the enum's order (the results' groups add the group of
/// undecided cards after them), as the server writes them.
#[test]
fn the_decision_statuses_are_the_rust_enums() {
    let statuses = names(&DecisionStatus::ALL);
    let written: Vec<&str> = DecisionStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        statuses, written,
        "DecisionStatus::as_str and serde disagree"
    );
    let mut found = Vec::new();
    enums_listing(&DESCRIPTION, &statuses, "", &mut found);
    assert!(
        found
            .iter()
            .any(|(at, _)| at == "/components/schemas/DecisionStatus"),
        "no DecisionStatus schema in openapi.json: {found:?}"
    );
    let grouped = [statuses.clone(), vec![UNDECIDED.to_owned()]].concat();
    for (at, listed) in found {
        assert!(
            listed == statuses || listed == grouped,
            "openapi.json {at} lists {listed:?}; the Rust enum is {statuses:?}"
        );
    }
}

/// Roles, templates and languages are spelled by their Rust definitions too.
#[test]
fn roles_templates_and_languages_are_the_rust_ones() {
    let schemas = &DESCRIPTION["components"]["schemas"];
    let listed = |name: &str| -> Vec<String> {
        serde_json::from_value(schemas[name]["enum"].clone())
            .unwrap_or_else(|e| panic!("openapi.json has no enum schema {name}: {e}"))
    };
    assert_eq!(listed("Role"), names(&Role::ALL));
    assert_eq!(listed("Template"), names(&Template::ALL));
    assert_eq!(listed("Language"), names(&LANGUAGES));
}
