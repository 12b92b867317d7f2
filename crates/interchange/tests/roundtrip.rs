//! Round trips of documents that stress what Swagger 2.0 can say: forms, per-response media
//! types, non-JSON bodies, OpenAPI 3 server variables and `{name}.{ext}` templates.

mod common;

use serde_json::json;
use tollgate_interchange::import_openapi;

#[test]
fn openapi_features_survive_a_swagger_round_trip() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Shapes", "description": "d"},
        "servers": [{"url": "{scheme}://api.example/{version}",
                     "variables": {"scheme": {"default": "https"}, "version": {"default": "v2"}}}],
        "paths": {
            "/files/{name}.{ext}": {
                "parameters": [{"$ref": "#/components/parameters/name"}],
                "get": {
                    "summary": "Get a file",
                    "parameters": [{"name": "ext", "in": "path", "required": true, "schema": {"type": "string", "enum": ["txt"]}},
                                   {"name": "session", "in": "cookie", "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"$ref": "#/components/responses/File"},
                        "404": {"description": "none", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "2XX": {"description": "skipped"},
                    },
                },
                "trace": {"responses": {"200": {"description": "echo", "content": {"message/http": {}}}}},
            },
            "/forms": {
                "post": {
                    "operationId": "post form",
                    "requestBody": {"$ref": "#/components/requestBodies/Form"},
                    "responses": {"303": {"description": "see other", "headers": {"Location": {"$ref": "#/components/headers/Location"}}}},
                },
                "put": {
                    "operationId": "post form",
                    "requestBody": {"content": {"application/xml": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "responses": {},
                },
                "patch": {
                    "operationId": "POST-FORM",
                    "requestBody": {"content": {"multipart/form-data": {}}},
                },
            },
        },
        "components": {
            "parameters": {"name": {"name": "name", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Name"}}},
            "responses": {"File": {"description": "the file", "content": {
                "text/plain": {"example": "hello"},
                "application/octet-stream": {},
            }}},
            "requestBodies": {"Form": {"description": "a form", "content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["a"],
                    "properties": {"a": {"type": "integer"}, "b": {"$ref": "#/components/schemas/Name"}}}},
            }}},
            "headers": {"Location": {"required": true, "schema": {"type": "string"}}},
            "schemas": {
                "Name": {"type": ["string", "null"], "default": "index"},
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
            },
        },
    });
    let api = import_openapi(&doc.to_string()).unwrap();
    common::assert_valid(&api);
    assert_eq!(api.service_url.as_deref(), Some("https://api.example/v2"));
    assert_eq!(api.protocols, ["https"]);
    let ids: Vec<&str> = api.operations.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "get--files--name-.-ext-",
            "trace--files--name-.-ext-",
            "post-form",
            "post-form-2",
            "POST-FORM-3"
        ]
    );
    let (_, get) = &api.operations[0];
    assert_eq!(
        get.template_parameters[0].param_type.as_deref(),
        Some("string")
    );
    assert_eq!(
        get.template_parameters[0].default_value.as_deref(),
        Some("index")
    );
    assert_eq!(
        get.template_parameters[1].values,
        Some(vec!["txt".to_owned()])
    );
    assert!(get.request.headers.is_empty(), "cookies are not described");
    let file = &get.responses[0];
    assert_eq!(file.representations[0].sample.as_deref(), Some("hello"));
    assert_eq!(file.representations.len(), 2);
    let (_, form) = &api.operations[2];
    assert_eq!(form.request.description.as_deref(), Some("a form"));
    let fields = form.request.representations[0]
        .form_parameters
        .as_ref()
        .unwrap();
    let fields: Vec<_> = fields
        .iter()
        .map(|p| {
            (
                p.name.as_deref().unwrap(),
                p.param_type.as_deref().unwrap(),
                p.required.unwrap(),
            )
        })
        .collect();
    assert_eq!(fields, [("a", "integer", true), ("b", "string", false)]);
    assert_eq!(form.responses[0].headers[0].required, Some(true));

    let (first, second) = common::assert_round_trip(&doc.to_string());
    common::assert_valid(&second);
    assert_eq!(second.service_url, first.service_url);
    let exported = common::export(&first);
    let get = &exported["paths"]["/files/{name}.{ext}"]["get"];
    assert_eq!(
        get["responses"]["200"]["x-tollgate-produces"],
        json!(["text/plain", "application/octet-stream"])
    );
    assert_eq!(
        get["responses"]["404"]["x-tollgate-produces"],
        json!(["application/json"])
    );
    assert_eq!(
        get["responses"]["404"]["schema"]["$ref"],
        "#/definitions/Error"
    );
    assert_eq!(get["responses"]["200"]["examples"]["text/plain"], "hello");
    let post = &exported["paths"]["/forms"]["post"];
    assert_eq!(post["parameters"][0]["in"], "formData");
    assert!(
        post["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["in"] != "body")
    );
    assert_eq!(
        exported["paths"]["/forms"]["put"]["parameters"][0]["in"],
        "body"
    );
    assert_eq!(
        exported["paths"]["/forms"]["put"]["responses"],
        json!({"default": {"description": ""}})
    );
}

#[test]
fn swagger_forms_and_query_template_parameters_export() {
    let doc = json!({
        "swagger": "2.0",
        "info": {"title": "Forms"},
        "consumes": ["application/json"],
        "paths": {
            "/upload": {"post": {
                "operationId": "upload",
                "parameters": [
                    {"name": "file", "in": "formData", "type": "file", "required": true},
                    {"name": "note", "in": "formData", "type": "string"},
                ],
                "responses": {"200": {"description": "ok", "examples": {"application/json": {"ok": true}}}},
            }},
            "/both": {"post": {
                "consumes": ["application/json", "application/x-www-form-urlencoded"],
                "parameters": [
                    {"name": "payload", "in": "body", "schema": {}},
                    {"name": "f", "in": "formData", "type": "string"},
                ],
            }},
        },
    });
    let api = import_openapi(&doc.to_string()).unwrap();
    common::assert_valid(&api);
    assert_eq!(api.service_url, None);
    assert_eq!(api.protocols, ["https"]);
    assert!(api.schemas.is_empty());
    let (_, upload) = &api.operations[0];
    let rep = &upload.request.representations[0];
    assert_eq!(rep.content_type.as_deref(), Some("multipart/form-data"));
    assert_eq!(rep.form_parameters.as_ref().unwrap().len(), 2);
    assert_eq!(
        upload.responses[0].representations[0].sample.as_deref(),
        Some(r#"{"ok":true}"#)
    );
    let (_, both) = &api.operations[1];
    let types: Vec<_> = both
        .request
        .representations
        .iter()
        .map(|r| {
            (
                r.content_type.as_deref().unwrap(),
                r.form_parameters.is_some(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            ("application/json", false),
            ("application/x-www-form-urlencoded", true)
        ]
    );
    common::assert_round_trip(&doc.to_string());

    // A stored operation may carry a query part: its parameters export as required query
    // parameters, and the path drops the query.
    let mut stored = api.clone();
    stored.operations[0].1.url_template = "/upload/{kind}?date={d}".to_owned();
    stored.operations[0].1.template_parameters = vec![
        tollgate_contract::entity::operation::Parameter {
            name: Some("kind".to_owned()),
            description: None,
            param_type: Some("string".to_owned()),
            default_value: None,
            required: Some(true),
            values: None,
        },
        tollgate_contract::entity::operation::Parameter {
            name: Some("d".to_owned()),
            description: None,
            param_type: Some("string".to_owned()),
            default_value: None,
            required: Some(true),
            values: None,
        },
    ];
    stored.operations[0].1.method = "MERGE".to_owned();
    stored.operations[1].1.method = "get".to_owned();
    let exported = common::export(&stored);
    assert!(exported.get("host").is_none());
    assert!(
        exported["paths"].get("/upload/{kind}").is_none(),
        "MERGE has no Swagger form"
    );
    stored.operations[0].1.method = "GET".to_owned();
    let exported = common::export(&stored);
    let params = &exported["paths"]["/upload/{kind}"]["get"]["parameters"];
    assert_eq!(
        params[0],
        json!({"name": "kind", "in": "path", "required": true, "type": "string"})
    );
    assert_eq!(
        params[1],
        json!({"name": "date", "in": "query", "required": true, "type": "string"})
    );
}
