//! Documents that do not import: each error names the place with a JSON pointer.

mod common;

use serde_json::{Value, json};
use tollgate_interchange::{ImportError, import_openapi};

fn refused(document: &str) -> ImportError {
    match import_openapi(document) {
        Ok(api) => panic!("imported {} operations", api.operations.len()),
        Err(e) => e,
    }
}

fn swagger(paths: Value) -> String {
    json!({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": paths}).to_string()
}

fn get() -> Value {
    json!({"responses": {"200": {"description": "ok"}}})
}

#[test]
fn malformed_json() {
    let e = refused("{\"swagger\": \"2.0\",\n  \"info\": }");
    assert_eq!(e.pointer, "");
    assert!(
        e.message.starts_with("the document is not valid JSON"),
        "{}",
        e.message
    );
    assert!(e.message.contains("line 2 column 11"), "{}", e.message);
    assert_eq!(e.to_string(), format!("at : {}", e.message));
    assert_eq!(
        refused("[1, 2]").message,
        "the document must be a JSON object"
    );
}

#[test]
fn unknown_versions() {
    let e = refused(r#"{"swagger": "1.2", "info": {"title": "t"}, "paths": {}}"#);
    assert_eq!(e.pointer, "/swagger");
    assert!(
        e.message.contains(r#"found "swagger": "1.2""#),
        "{}",
        e.message
    );
    let e = refused(r#"{"swagger": 2.0, "paths": {}}"#);
    assert_eq!(e.pointer, "/swagger");
    assert!(
        e.message.contains(r#"found "swagger": 2.0"#),
        "{}",
        e.message
    );
    let e = refused(r#"{"openapi": "4.0.0", "paths": {}}"#);
    assert_eq!(e.pointer, "/openapi");
    assert!(
        e.message.contains(r#"found "openapi": "4.0.0""#),
        "{}",
        e.message
    );
    let e = refused(r#"{"openapi": "3.10", "paths": {}}"#);
    assert_eq!(e.pointer, "/openapi");
    let e = refused(r#"{"info": {"title": "t"}, "paths": {}}"#);
    assert_eq!(e.pointer, "");
    assert!(e.message.contains("neither"), "{}", e.message);
}

#[test]
fn missing_or_malformed_top_level_fields() {
    let e = refused(r#"{"swagger": "2.0", "paths": {}}"#);
    assert_eq!(e.pointer, "/info");
    let e = refused(r#"{"swagger": "2.0", "info": {"title": ""}, "paths": {}}"#);
    assert_eq!(e.pointer, "/info/title");
    let e = refused(r#"{"swagger": "2.0", "info": {"title": "t"}, "paths": []}"#);
    assert_eq!(
        (e.pointer.as_str(), e.message.as_str()),
        ("/paths", "paths must be an object")
    );
    let e = refused(r#"{"openapi": "3.0.3", "info": {"title": "t"}}"#);
    assert_eq!(e.pointer, "/paths");
    let webhooks_only = r#"{"openapi": "3.1.0", "info": {"title": "t"}, "webhooks": {}}"#;
    assert!(import_openapi(webhooks_only).unwrap().operations.is_empty());
}

#[test]
fn unbalanced_template() {
    let e = refused(&swagger(json!({"/a/{b": {"get": get()}})));
    assert_eq!(e.pointer, "/paths/~1a~1{b");
    assert!(e.message.contains("unbalanced '{'"), "{}", e.message);
    let e = refused(&swagger(json!({"/a?x={y}": {"get": get()}})));
    assert_eq!(e.pointer, "/paths/~1a?x={y}");
    assert!(e.message.contains("must not contain '?'"), "{}", e.message);
}

#[test]
fn duplicate_method_and_template() {
    let e = refused(&swagger(json!({
        "/a/{x}": {"get": get()},
        "/a/{y}": {"post": get(), "get": get()},
    })));
    assert_eq!(e.pointer, "/paths/~1a~1{y}/get");
    assert_eq!(
        e.message,
        "GET /a/{y} matches the same requests as GET /a/{x}"
    );
    let e = refused(&swagger(
        json!({"/Pets": {"get": get()}, "/pets": {"get": get()}}),
    ));
    assert_eq!(e.pointer, "/paths/~1pets/get");
}

#[test]
fn cyclic_and_deep_refs() {
    let mut doc: Value = serde_json::from_str(&swagger(json!({
        "/a": {"get": {"parameters": [{"$ref": "#/parameters/a"}], "responses": {}}},
    })))
    .unwrap();
    doc["parameters"] = json!({"a": {"$ref": "#/parameters/b"}, "b": {"$ref": "#/parameters/a"}});
    let e = refused(&doc.to_string());
    assert_eq!(e.pointer, "/paths/~1a/get/parameters/0");
    assert_eq!(
        e.message,
        "cyclic $ref: #/parameters/a -> #/parameters/b -> #/parameters/a"
    );
    let chain: serde_json::Map<String, Value> = (0..40)
        .map(|i| {
            (
                format!("p{i}"),
                json!({"$ref": format!("#/parameters/p{}", i + 1)}),
            )
        })
        .collect();
    doc["parameters"] = Value::Object(chain);
    doc["paths"]["/a"]["get"]["parameters"] = json!([{"$ref": "#/parameters/p0"}]);
    let e = refused(&doc.to_string());
    assert_eq!(e.pointer, "/paths/~1a/get/parameters/0");
    assert_eq!(e.message, "$ref chain longer than 32 references");
    doc["paths"]["/a"]["get"]["parameters"] = json!([{"$ref": "#/parameters/nope"}]);
    assert!(
        refused(&doc.to_string())
            .message
            .contains("points at nothing")
    );
    let self_ref = json!({"openapi": "3.0.0", "info": {"title": "t"},
        "paths": {"/a": {"$ref": "#/paths/~1a"}}});
    let e = refused(&self_ref.to_string());
    assert_eq!(e.pointer, "/paths/~1a");
    assert!(e.message.starts_with("cyclic $ref"), "{}", e.message);
}

#[test]
fn malformed_parameters_and_responses() {
    let with = |op: Value| refused(&swagger(json!({"/a/{id}": {"get": op}})));
    let e = with(json!({"parameters": [{"in": "query"}]}));
    assert_eq!(e.pointer, "/paths/~1a~1{id}/get/parameters/0");
    assert!(e.message.contains("name"), "{}", e.message);
    let e = with(json!({"parameters": [{"name": "q", "in": "cookie"}]}));
    assert_eq!(e.pointer, "/paths/~1a~1{id}/get/parameters/0/in");
    let e = with(json!({"parameters": {}}));
    assert_eq!(e.pointer, "/paths/~1a~1{id}/get/parameters");
    let e = with(json!({"responses": []}));
    assert_eq!(e.pointer, "/paths/~1a~1{id}/get/responses");
    let e = with(json!({"responses": {"200": "ok"}}));
    assert_eq!(e.pointer, "/paths/~1a~1{id}/get/responses/200");
    let e = with(json!({"consumes": "application/json"}));
    assert_eq!(e.pointer, "/paths/~1a~1{id}/get/consumes");
    let e = refused(&swagger(json!({"/a": {"get": "x"}})));
    assert_eq!(
        (e.pointer.as_str(), e.message.as_str()),
        ("/paths/~1a/get", "an operation must be an object")
    );
    let e = refused(&swagger(json!({"/a": 5})));
    assert_eq!(e.pointer, "/paths/~1a");
}

/// Replaces every value of every fixture, one at a time, with values of other kinds, and cuts
/// every fixture short at many places: import must answer, never panic.
#[test]
fn never_panics_on_mangled_documents() {
    let replacements = [
        json!(null),
        json!(7),
        json!("x{"),
        json!([]),
        json!({}),
        json!([{}]),
        json!({"$ref": "#"}),
        json!({"$ref": "#/paths"}),
        json!({"$ref": 3}),
    ];
    let mut imported = 0;
    for name in common::FIXTURES {
        let text = common::fixture(name);
        let doc: Value = serde_json::from_str(&text).unwrap();
        let mut pointers = Vec::new();
        collect_pointers(&doc, String::new(), &mut pointers);
        for pointer in &pointers {
            for replacement in &replacements {
                let mut mangled = doc.clone();
                *mangled.pointer_mut(pointer).unwrap() = replacement.clone();
                if let Ok(api) = import_openapi(&mangled.to_string()) {
                    common::assert_valid(&api);
                    imported += 1;
                }
            }
        }
        for (cut, _) in text.char_indices().step_by(7) {
            let _ = import_openapi(&text[..cut]);
        }
    }
    assert!(
        imported > 1000,
        "only {imported} mangled documents imported"
    );
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let p = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                collect_pointers(item, p, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_pointers(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    if !at.is_empty() {
        out.push(at);
    }
}
