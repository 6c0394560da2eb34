//! A JSON Schema validator of the subset `openapi.json` uses, for holding the server's answers
//! to its description. Not a crate: the `jsonschema` crate, even without default features,
//! adds about thirty crates (regex engines, big numbers, IDNA) to build on a shared two-core
//! machine, for keywords the description does not use. The subset is small and strict: a
//! keyword it does not know is an error ([`unknown_keywords`]), never silently ignored, so the
//! description cannot say more than the tests check.

use serde_json::Value;

/// Keywords that constrain a value, each checked by [`validate`].
const ASSERTIONS: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "allOf",
    "minimum",
    "maximum",
];

/// Keywords for readers only (JSON Schema calls them annotations).
const ANNOTATIONS: &[&str] = &["description", "format", "examples"];

/// Where `value` does not match `schema` (`$ref`s resolved in `root`), one line per mismatch
/// with its JSON pointer; empty when it matches.
pub fn validate(root: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, schema, value, "", &mut errors);
    errors
}

fn check(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return mismatch(errors, at, format!("the schema is not an object: {schema}"));
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        match resolve(root, reference) {
            Some(target) => check(root, target, value, at, errors),
            None => mismatch(errors, at, format!("unresolved $ref {reference}")),
        }
        return;
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if !allowed.iter().any(|t| is_type(value, t)) {
            return mismatch(
                errors,
                at,
                format!("expected {}, got {value}", allowed.join(" or ")),
            );
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            let why = format!("{value} is not one of {}", Value::from(options.clone()));
            mismatch(errors, at, why);
        }
    }
    if let Some(number) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if number < min {
                mismatch(errors, at, format!("{number} is under the minimum {min}"));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if number > max {
                mismatch(errors, at, format!("{number} is over the maximum {max}"));
            }
        }
    }
    for sub in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check(root, sub, value, at, errors);
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let failures: Vec<Vec<String>> = options
            .iter()
            .map(|option| {
                let mut failed = Vec::new();
                check(root, option, value, at, &mut failed);
                failed
            })
            .collect();
        if failures.iter().all(|f| !f.is_empty()) {
            let why: Vec<String> = failures.into_iter().map(|f| f.join(", ")).collect();
            mismatch(
                errors,
                at,
                format!("matches none of anyOf: {}", why.join(" | ")),
            );
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{at}/{i}"), errors);
        }
    }
    if let Some(object) = value.as_object() {
        check_object(root, schema, object, at, errors);
    }
}

/// `properties`, `required` and `additionalProperties` of an object value.
fn check_object(
    root: &Value,
    schema: &serde_json::Map<String, Value>,
    object: &serde_json::Map<String, Value>,
    at: &str,
    errors: &mut Vec<String>,
) {
    let properties = schema.get("properties").and_then(Value::as_object);
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = name.as_str().unwrap_or_default();
        if !object.contains_key(name) {
            mismatch(errors, at, format!("missing required field {name:?}"));
        }
    }
    for (name, field) in object {
        let at = format!("{at}/{name}");
        match (
            properties.and_then(|p| p.get(name)),
            schema.get("additionalProperties"),
        ) {
            (Some(property), _) => check(root, property, field, &at, errors),
            (None, Some(Value::Bool(false))) => mismatch(
                errors,
                &at,
                "a field the description does not declare".into(),
            ),
            (None, Some(extra @ Value::Object(_))) => check(root, extra, field, &at, errors),
            (None, _) => {}
        }
    }
}

/// Records why the value at JSON pointer `at` does not match.
fn mismatch(errors: &mut Vec<String>, at: &str, why: String) {
    let at = if at.is_empty() { "(the body)" } else { at };
    errors.push(format!("{at}: {why}"));
}

/// Whether `value` is of JSON Schema type `name`.
fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        _ => false,
    }
}

/// The schema a local `$ref` (`#/components/schemas/Session`) points at.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

/// Keywords in `schema` (and the schemas inside it) that [`validate`] does not know, with
/// where they are.
pub fn unknown_keywords(schema: &Value, at: &str) -> Vec<String> {
    let Some(object) = schema.as_object() else {
        return vec![format!("{at}: not a schema object")];
    };
    let mut unknown = Vec::new();
    for (keyword, sub) in object {
        let at = format!("{at}/{keyword}");
        match keyword.as_str() {
            "properties" => {
                for (name, property) in sub.as_object().into_iter().flatten() {
                    unknown.extend(unknown_keywords(property, &format!("{at}/{name}")));
                }
            }
            "items" => unknown.extend(unknown_keywords(sub, &at)),
            "additionalProperties" if sub.is_object() => unknown.extend(unknown_keywords(sub, &at)),
            "anyOf" | "allOf" => {
                for (i, option) in sub.as_array().into_iter().flatten().enumerate() {
                    unknown.extend(unknown_keywords(option, &format!("{at}/{i}")));
                }
            }
            known if ASSERTIONS.contains(&known) || ANNOTATIONS.contains(&known) => {}
            _ => unknown.push(at),
        }
    }
    unknown
}

mod tests {
    use serde_json::json;

    use super::{unknown_keywords, validate};

    fn root() -> serde_json::Value {
        json!({"components": {"schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "count": {"type": "integer", "minimum": 0, "maximum": 9},
                    "kind": {"anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "null"}]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "by": {"type": "object", "additionalProperties": {"type": "integer"}}
                },
                "required": ["name"],
                "additionalProperties": false
            }
        }}})
    }

    fn errors(value: serde_json::Value) -> Vec<String> {
        let root = root();
        validate(
            &root,
            &json!({"$ref": "#/components/schemas/Thing"}),
            &value,
        )
    }

    #[test]
    fn a_matching_value_passes() {
        let value = json!({"name": "x", "count": 3, "kind": null, "tags": ["t"], "by": {"a": 1}});
        assert_eq!(errors(value), Vec::<String>::new());
        assert_eq!(
            errors(json!({"name": "x", "kind": "b"})),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_mismatch_is_reported_where_it_is() {
        let mut found = errors(json!({
            "count": 1.5, "kind": "c", "tags": [1], "by": {"a": "1"}, "extra": true
        }));
        found.sort();
        let expected = [
            "(the body): missing required field \"name\"",
            "/by/a: expected integer, got \"1\"",
            "/count: expected integer, got 1.5",
            "/extra: a field the description does not declare",
            "/kind: matches none of anyOf: /kind: \"c\" is not one of [\"a\",\"b\"] \
             | /kind: expected null, got \"c\"",
            "/tags/0: expected string, got 1",
        ];
        assert_eq!(found, expected);
        assert_eq!(
            errors(json!({"name": "x", "count": 10})),
            ["/count: 10 is over the maximum 9"]
        );
        assert_eq!(errors(json!([])), ["(the body): expected object, got []"]);
    }

    #[test]
    fn a_keyword_the_validator_does_not_check_is_named() {
        let schema = json!({"type": "object", "properties": {
            "name": {"type": "string", "pattern": "^p_", "description": "read only"}
        }, "unevaluatedProperties": false});
        assert_eq!(
            unknown_keywords(&schema, "#"),
            ["#/properties/name/pattern", "#/unevaluatedProperties"]
        );
        assert!(unknown_keywords(&root()["components"]["schemas"]["Thing"], "#").is_empty());
    }
}
