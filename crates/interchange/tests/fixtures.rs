//! The Swagger Petstore documents of the OpenAPI Specification (see `fixtures/README.md`).

mod common;

use common::{FIXTURES, assert_round_trip, assert_valid, fixture};
use serde_json::Value;
use tollgate_contract::entity::operation::{Operation, Parameter};
use tollgate_interchange::{ImportedApi, import_openapi};

fn import(name: &str) -> ImportedApi {
    let api = import_openapi(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_valid(&api);
    api
}

fn op<'a>(api: &'a ImportedApi, id: &str) -> &'a Operation {
    &api.operations
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
        .1
}

fn summary(api: &ImportedApi) -> Vec<(&str, &str, &str)> {
    api.operations
        .iter()
        .map(|(id, op)| (id.as_str(), op.method.as_str(), op.url_template.as_str()))
        .collect()
}

fn param(name: &str, param_type: &str, required: bool) -> Parameter {
    Parameter {
        name: Some(name.to_owned()),
        description: None,
        param_type: Some(param_type.to_owned()),
        default_value: None,
        required: Some(required),
        values: None,
    }
}

fn schema_keys(api: &ImportedApi, wrapper: &[&str]) -> Vec<String> {
    let (_, schema) = &api.schemas[0];
    let mut value: Value = serde_json::from_str(&schema.value).unwrap();
    for key in wrapper {
        value = value[key].take();
    }
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn swagger_petstore() {
    let api = import("swagger-2.0-petstore.json");
    assert_eq!(api.name, "Swagger Petstore");
    assert_eq!(api.description, None);
    assert_eq!(
        api.service_url.as_deref(),
        Some("http://petstore.swagger.io/v1")
    );
    assert_eq!(api.protocols, ["http"]);
    assert_eq!(
        summary(&api),
        [
            ("listPets", "GET", "/pets"),
            ("createPets", "POST", "/pets"),
            ("showPetById", "GET", "/pets/{petId}")
        ]
    );
    let list = op(&api, "listPets");
    assert_eq!(list.name, "List all pets");
    let limit = &list.request.query_parameters[0];
    assert_eq!(
        (
            limit.name.as_deref(),
            limit.param_type.as_deref(),
            limit.required
        ),
        (Some("limit"), Some("integer"), Some(false))
    );
    assert_eq!(list.responses.len(), 1, "default is skipped");
    let ok = &list.responses[0];
    assert_eq!(ok.status_code, Some(200));
    assert_eq!(ok.description.as_deref(), Some("An paged array of pets"));
    let rep = &ok.representations[0];
    assert_eq!(rep.content_type.as_deref(), Some("application/json"));
    assert_eq!(rep.schema_id.as_deref(), Some("swagger-definitions"));
    assert_eq!(rep.type_name.as_deref(), Some("Pets"));
    assert_eq!(ok.headers[0].name.as_deref(), Some("x-next"));
    assert_eq!(ok.headers[0].param_type.as_deref(), Some("string"));
    let create = op(&api, "createPets");
    assert!(create.request.representations.is_empty());
    assert_eq!(create.responses[0].status_code, Some(201));
    assert!(create.responses[0].representations.is_empty());
    let show = op(&api, "showPetById");
    let mut pet_id = param("petId", "string", true);
    pet_id.description = Some("The id of the pet to retrieve".to_owned());
    assert_eq!(show.template_parameters, [pet_id]);
    assert_eq!(api.schemas.len(), 1);
    assert_eq!(api.schemas[0].0, "swagger-definitions");
    assert_eq!(
        api.schemas[0].1.content_type,
        "application/vnd.ms-azure-apim.swagger.definitions+json"
    );
    assert_eq!(
        schema_keys(&api, &["definitions"]),
        ["Pet", "Pets", "Error"]
    );
}

#[test]
fn swagger_petstore_expanded() {
    let api = import("swagger-2.0-petstore-expanded.json");
    assert!(
        api.description
            .as_deref()
            .unwrap()
            .starts_with("A sample API")
    );
    assert_eq!(
        api.service_url.as_deref(),
        Some("http://petstore.swagger.io/api")
    );
    assert_eq!(
        summary(&api),
        [
            ("findPets", "GET", "/pets"),
            ("addPet", "POST", "/pets"),
            ("find-pet-by-id", "GET", "/pets/{id}"),
            ("deletePet", "DELETE", "/pets/{id}")
        ]
    );
    let find = op(&api, "findPets");
    assert_eq!(
        find.name, "findPets",
        "no summary: the operationId names it"
    );
    assert_eq!(find.description.as_ref().unwrap().chars().count(), 1000);
    let query: Vec<_> = find
        .request
        .query_parameters
        .iter()
        .map(|p| (p.name.as_deref().unwrap(), p.param_type.as_deref().unwrap()))
        .collect();
    assert_eq!(query, [("tags", "array"), ("limit", "integer")]);
    let listed = &find.responses[0].representations[0];
    assert_eq!(
        (listed.schema_id.as_ref(), listed.type_name.as_ref()),
        (None, None)
    );
    let add = op(&api, "addPet");
    assert_eq!(
        add.request.description.as_deref(),
        Some("Pet to add to the store")
    );
    let body = &add.request.representations[0];
    assert_eq!(body.content_type.as_deref(), Some("application/json"));
    assert_eq!(body.type_name.as_deref(), Some("NewPet"));
    let by_id = op(&api, "find-pet-by-id");
    assert_eq!(by_id.name, "find pet by id");
    assert_eq!(
        by_id.template_parameters[0].param_type.as_deref(),
        Some("integer")
    );
    assert_eq!(op(&api, "deletePet").responses[0].status_code, Some(204));
    assert_eq!(
        schema_keys(&api, &["definitions"]),
        ["Pet", "NewPet", "Error"]
    );
}

#[test]
fn openapi_petstore() {
    let api = import("openapi-3.0-petstore.json");
    assert_eq!(
        api.service_url.as_deref(),
        Some("http://petstore.swagger.io/v1")
    );
    assert_eq!(api.protocols, ["http"]);
    assert_eq!(
        summary(&api),
        [
            ("listPets", "GET", "/pets"),
            ("createPets", "POST", "/pets"),
            ("showPetById", "GET", "/pets/{petId}")
        ]
    );
    let list = op(&api, "listPets");
    assert_eq!(
        list.request.query_parameters[0].param_type.as_deref(),
        Some("integer")
    );
    assert_eq!(
        list.responses[0].headers[0].param_type.as_deref(),
        Some("string")
    );
    assert_eq!(
        list.responses[0].representations[0].schema_id.as_deref(),
        Some("openapi-components")
    );
    let create = op(&api, "createPets");
    let body = &create.request.representations[0];
    assert_eq!(body.content_type.as_deref(), Some("application/json"));
    assert_eq!(body.type_name.as_deref(), Some("Pet"));
    assert_eq!(create.responses.len(), 1);
    assert_eq!(api.schemas[0].0, "openapi-components");
    assert_eq!(
        api.schemas[0].1.content_type,
        "application/vnd.oai.openapi.components+json"
    );
    assert_eq!(
        schema_keys(&api, &["components", "schemas"]),
        ["Pet", "Pets", "Error"]
    );
}

#[test]
fn openapi_petstore_expanded() {
    let api = import("openapi-3.0-petstore-expanded.json");
    assert_eq!(
        api.service_url.as_deref(),
        Some("http://petstore.swagger.io/api")
    );
    assert_eq!(
        summary(&api),
        [
            ("findPets", "GET", "/pets"),
            ("addPet", "POST", "/pets"),
            ("find-pet-by-id", "GET", "/pets/{id}"),
            ("deletePet", "DELETE", "/pets/{id}")
        ]
    );
    let add = op(&api, "addPet");
    assert_eq!(
        add.request.description.as_deref(),
        Some("Pet to add to the store")
    );
    assert_eq!(
        add.request.representations[0].type_name.as_deref(),
        Some("NewPet")
    );
    assert_eq!(
        add.responses[0].representations[0].type_name.as_deref(),
        Some("Pet")
    );
    let find = op(&api, "findPets");
    assert_eq!(
        find.request.query_parameters[0].param_type.as_deref(),
        Some("array")
    );
}

#[test]
fn every_fixture_round_trips_through_swagger_export() {
    for name in FIXTURES {
        let (first, second) = assert_round_trip(&fixture(name));
        assert_valid(&second);
        assert_eq!(second.name, first.name, "{name}");
        assert_eq!(second.service_url, first.service_url, "{name}");
        assert_eq!(second.schemas.len(), first.schemas.len(), "{name}");
        // Type references survive too: the definitions travel with the export.
        let refs = |api: &ImportedApi| -> Vec<Option<String>> {
            api.operations
                .iter()
                .flat_map(|(_, op)| op.responses.iter().flat_map(|r| r.representations.iter()))
                .map(|r| r.type_name.clone())
                .collect()
        };
        assert_eq!(refs(&first), refs(&second), "{name}");
    }
}

#[test]
fn the_export_of_a_swagger_fixture_keeps_its_shape() {
    let api = import("swagger-2.0-petstore.json");
    let doc = common::export(&api);
    assert_eq!(doc["swagger"], "2.0");
    assert_eq!(doc["info"]["title"], "Swagger Petstore");
    assert_eq!(doc["info"]["version"], "1.0");
    assert_eq!(doc["host"], "petstore.swagger.io");
    assert_eq!(doc["basePath"], "/v1");
    assert_eq!(doc["schemes"], serde_json::json!(["http"]));
    let list = &doc["paths"]["/pets"]["get"];
    assert_eq!(list["operationId"], "listPets");
    assert_eq!(list["summary"], "List all pets");
    assert_eq!(list["produces"], serde_json::json!(["application/json"]));
    assert_eq!(
        list["responses"]["200"]["schema"]["$ref"],
        "#/definitions/Pets"
    );
    assert_eq!(list["parameters"][0]["in"], "query");
    let show = &doc["paths"]["/pets/{petId}"]["get"];
    assert_eq!(show["parameters"][0]["in"], "path");
    assert_eq!(show["parameters"][0]["required"], true);
    assert!(doc["definitions"]["Pet"].is_object());
}

#[test]
fn yaml_and_json_petstores_import_alike() {
    let json =
        tollgate_interchange::import_openapi(include_str!("fixtures/openapi-3.0-petstore.json"))
            .unwrap();
    let yaml =
        tollgate_interchange::import_openapi(include_str!("fixtures/openapi-3.0-petstore.yaml"))
            .unwrap();
    let shape =
        |api: &tollgate_interchange::ImportedApi| -> Vec<(String, String, String, Vec<i64>)> {
            api.operations
                .iter()
                .map(|(id, op)| {
                    let codes = op.responses.iter().filter_map(|r| r.status_code).collect();
                    (
                        id.clone(),
                        op.method.clone(),
                        op.url_template.clone(),
                        codes,
                    )
                })
                .collect()
        };
    assert_eq!(yaml.name, "Swagger Petstore");
    assert_eq!(yaml.operations.len(), 3);
    assert_eq!(
        shape(&yaml),
        shape(&json),
        "the YAML and JSON petstores describe the same operations"
    );
    // YAML response codes are integer keys; they become the same status codes.
    assert!(
        shape(&yaml)
            .iter()
            .any(|(_, _, _, codes)| codes.contains(&200))
    );
}
