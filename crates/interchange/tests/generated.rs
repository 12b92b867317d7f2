//! A large Swagger 2.0 document built in code: 150 operations across 50 paths.

mod common;

use serde_json::{Map, Value, json};
use tollgate_interchange::import_openapi;

/// The template of path `i`: plain, mixed `{name}.{ext}` segments, or a parameter the document
/// forgets to describe (every seventh).
fn path(i: usize) -> String {
    match i % 10 {
        0 => format!("/files{i}/{{name}}.{{ext}}"),
        _ => format!("/stores{i}/items/{{itemId}}"),
    }
}

fn document() -> Value {
    let mut paths = Map::new();
    for i in 0..50 {
        let mut path_parameters = Vec::new();
        if i % 10 == 0 {
            path_parameters
                .push(json!({"name": "name", "in": "path", "required": true, "type": "string"}));
            path_parameters.push(json!({"name": "ext", "in": "path", "required": true, "type": "string", "enum": ["txt", "md"]}));
        } else if i % 7 != 0 {
            path_parameters
                .push(json!({"name": "itemId", "in": "path", "required": true, "type": "integer"}));
        }
        let item = json!({
            "parameters": path_parameters,
            "get": {
                "operationId": format!("get-item-{i}"),
                "summary": format!("Get item {i}"),
                "parameters": [
                    {"name": "limit", "in": "query", "type": "integer", "default": 10},
                    {"name": "filter", "in": "query", "type": "string", "enum": ["all", "some"]},
                    {"name": "x-trace", "in": "header", "type": "string"},
                ],
                "produces": ["application/json", "application/xml"],
                "responses": {
                    "200": {"description": "found", "schema": {"$ref": format!("#/definitions/Item{}", i % 5)}},
                    "404": {"description": "missing"},
                    "default": {"description": "error"},
                },
            },
            "put": {
                "operationId": format!("put-item-{i}"),
                "consumes": ["application/json", "text/xml"],
                "parameters": [
                    {"name": "item", "in": "body", "required": true, "schema": {"$ref": format!("#/definitions/Item{}", i % 5)}},
                ],
                "responses": {
                    "201": {"description": "stored", "schema": {"$ref": format!("#/definitions/Item{}", i % 5)}},
                    "400": {"description": "bad", "schema": {"type": "string"}},
                    "4XX": {"description": "ranges are skipped"},
                },
            },
            "delete": {
                // No operationId: the id is derived from the method and path.
                "responses": {"204": {"description": "gone"}},
            },
        });
        paths.insert(path(i), item);
    }
    let definitions: Map<String, Value> = (0..5)
        .map(|i| {
            (
                format!("Item{i}"),
                json!({"type": "object", "properties": {"id": {"type": "integer"}}}),
            )
        })
        .collect();
    json!({
        "swagger": "2.0",
        "info": {"title": "Generated", "version": "1"},
        "host": "backend.example:8443",
        "basePath": "/base",
        "schemes": ["http", "https"],
        "paths": paths,
        "definitions": definitions,
    })
}

#[test]
fn imports_150_operations_across_50_paths() {
    let api = import_openapi(&document().to_string()).unwrap();
    common::assert_valid(&api);
    assert_eq!(
        api.service_url.as_deref(),
        Some("https://backend.example:8443/base")
    );
    assert_eq!(api.protocols, ["http", "https"]);
    assert_eq!(api.operations.len(), 150);
    assert_eq!(api.schemas.len(), 1);
    for i in 0..50 {
        let ops = &api.operations[i * 3..i * 3 + 3];
        let template = path(i);
        let methods: Vec<&str> = ops.iter().map(|(_, op)| op.method.as_str()).collect();
        assert_eq!(methods, ["GET", "PUT", "DELETE"]);
        for (_, op) in ops {
            assert_eq!(op.url_template, template);
            let names: Vec<&str> = op
                .template_parameters
                .iter()
                .filter_map(|p| p.name.as_deref())
                .collect();
            let expected: &[&str] = if i % 10 == 0 {
                &["name", "ext"]
            } else {
                &["itemId"]
            };
            assert_eq!(names, expected, "{template}");
            let first = &op.template_parameters[0];
            assert_eq!(first.required, Some(true));
            let expected_type = match (i % 10, i % 7) {
                (0, _) | (_, 0) => "string",
                _ => "integer",
            };
            assert_eq!(
                first.param_type.as_deref(),
                Some(expected_type),
                "{template}"
            );
        }
        let (get_id, get) = &ops[0];
        assert_eq!(get_id, &format!("get-item-{i}"));
        assert_eq!(get.name, format!("Get item {i}"));
        assert_eq!(get.request.query_parameters.len(), 2);
        assert_eq!(
            get.request.query_parameters[0].default_value.as_deref(),
            Some("10")
        );
        assert_eq!(
            get.request.query_parameters[1].values,
            Some(vec!["all".to_owned(), "some".to_owned()])
        );
        assert_eq!(get.request.headers.len(), 1);
        let codes: Vec<i64> = get.responses.iter().filter_map(|r| r.status_code).collect();
        assert_eq!(codes, [200, 404]);
        assert_eq!(get.responses[0].representations.len(), 2);
        assert!(get.responses[1].representations.is_empty());
        let (put_id, put) = &ops[1];
        assert_eq!(put_id, &format!("put-item-{i}"));
        assert_eq!(put.name, format!("put-item-{i}"));
        let body: Vec<(&str, &str, &str)> = put
            .request
            .representations
            .iter()
            .map(|r| {
                (
                    r.content_type.as_deref().unwrap(),
                    r.schema_id.as_deref().unwrap(),
                    r.type_name.as_deref().unwrap(),
                )
            })
            .collect();
        let item = format!("Item{}", i % 5);
        assert_eq!(
            body,
            [
                ("application/json", "swagger-definitions", item.as_str()),
                ("text/xml", "swagger-definitions", item.as_str())
            ]
        );
        let codes: Vec<i64> = put.responses.iter().filter_map(|r| r.status_code).collect();
        assert_eq!(codes, [201, 400]);
        assert_eq!(put.responses[1].representations[0].type_name, None);
        let (delete_id, delete) = &ops[2];
        let derived: String = format!("delete-{template}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        assert_eq!(delete_id, &derived);
        assert_eq!(delete.name, format!("DELETE {template}"));
    }
    let responses: usize = api
        .operations
        .iter()
        .map(|(_, op)| op.responses.len())
        .sum();
    assert_eq!(responses, 50 * 5);
}

#[test]
fn the_generated_document_round_trips() {
    let (_, second) = common::assert_round_trip(&document().to_string());
    common::assert_valid(&second);
    assert_eq!(
        second.service_url.as_deref(),
        Some("https://backend.example:8443/base")
    );
}
