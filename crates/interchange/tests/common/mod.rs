//! Helpers shared by the integration tests.

#![allow(dead_code)]

use serde_json::Value;
use tollgate_contract::ApiVersion;
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::api::{Api, KeyParameterNames};
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;
use tollgate_interchange::{ImportedApi, export_swagger, import_openapi};

/// The text of a fixture.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The four Petstore fixtures.
pub const FIXTURES: [&str; 4] = [
    "swagger-2.0-petstore.json",
    "swagger-2.0-petstore-expanded.json",
    "openapi-3.0-petstore.json",
    "openapi-3.0-petstore-expanded.json",
];

/// What the round trip keeps of an operation.
#[derive(Debug, PartialEq, Eq)]
pub struct Kept {
    pub id: String,
    pub name: String,
    pub method: String,
    pub url_template: String,
    pub template_parameters: Vec<String>,
    pub query_parameters: Vec<String>,
    pub request_types: Vec<String>,
    pub responses: Vec<(i64, Vec<String>)>,
}

fn names(list: &[tollgate_contract::entity::operation::Parameter]) -> Vec<String> {
    list.iter().filter_map(|p| p.name.clone()).collect()
}

fn types(list: &[tollgate_contract::entity::operation::Representation]) -> Vec<String> {
    list.iter().filter_map(|r| r.content_type.clone()).collect()
}

/// The kept parts of every operation.
pub fn kept(api: &ImportedApi) -> Vec<Kept> {
    api.operations
        .iter()
        .map(|(id, op)| Kept {
            id: id.clone(),
            name: op.name.clone(),
            method: op.method.clone(),
            url_template: op.url_template.clone(),
            template_parameters: names(&op.template_parameters),
            query_parameters: names(&op.request.query_parameters),
            request_types: types(&op.request.representations),
            responses: op
                .responses
                .iter()
                .map(|r| (r.status_code.unwrap_or(0), types(&r.representations)))
                .collect(),
        })
        .collect()
}

/// The API an import describes, as it would be stored.
pub fn api_of(imported: &ImportedApi) -> Api {
    Api {
        name: imported.name.clone(),
        description: imported.description.clone(),
        service_url: imported.service_url.clone(),
        path: "petstore".to_owned(),
        protocols: imported.protocols.clone(),
        authentication_settings: None,
        subscription_key_parameter_names: KeyParameterNames {
            header: "Ocp-Apim-Subscription-Key".to_owned(),
            query: "subscription-key".to_owned(),
        },
        api_type: None,
    }
}

/// Exports an import as Swagger 2.0.
pub fn export(imported: &ImportedApi) -> Value {
    export_swagger(&api_of(imported), &imported.operations, &imported.schemas)
}

/// Imports `document`, exports it, imports the export, and checks the operations survive.
pub fn assert_round_trip(document: &str) -> (ImportedApi, ImportedApi) {
    let first = import_openapi(document).expect("the document imports");
    let exported = export(&first);
    let second = import_openapi(&exported.to_string())
        .unwrap_or_else(|e| panic!("the export does not import: {e}\n{exported:#}"));
    assert_eq!(kept(&first), kept(&second), "export:\n{exported:#}");
    (first, second)
}

/// Checks every operation and schema against Tollgate's own validation.
pub fn assert_valid(api: &ImportedApi) {
    for (id, op) in &api.operations {
        let body = serde_json::to_vec(op).unwrap();
        let checked = Operation::from_put(ApiVersion::LATEST, &body)
            .unwrap_or_else(|e| panic!("operation {id} is invalid: {e:?}"));
        assert_eq!(&checked, op, "validation changed operation {id}");
        for schema_id in op.schema_ids() {
            assert!(
                api.schemas.iter().any(|(s, _)| s == schema_id),
                "operation {id} names the missing schema {schema_id}"
            );
        }
    }
    for (id, schema) in &api.schemas {
        let body = serde_json::json!({"contentType": schema.content_type, "document": {"value": schema.value}});
        Schema::from_put(ApiVersion::LATEST, body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("schema {id} is invalid: {e:?}"));
    }
    for (id, _) in &api.operations {
        tollgate_contract::ident::check_id("operationId", id, 80)
            .unwrap_or_else(|e| panic!("operation id {id} is invalid: {e:?}"));
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{id}"
        );
    }
    let mut ids: Vec<String> = api
        .operations
        .iter()
        .map(|(id, _)| id.to_lowercase())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        api.operations.len(),
        "operation ids are not unique"
    );
}
