//! Importing an API from a description document, in the 2017-03-01 form (`contentFormat` /
//! `contentValue` in a JSON body) or the legacy one (`?import=true&path=…`, the document as the body):
//! the API, its schemas and its operations are written in one transaction; re-importing an
//! existing API replaces its operations (and their policies) and schemas. Fields of the request
//! body other than the import fields (`path`, `name`, `serviceUrl`, …) override the document.

use crate::error::{Failure, Outcome};
use crate::extract::if_match::check;
use crate::handlers::fetch::fetch_document;
use crate::handlers::policy::delete_policies_under;
use crate::resource::{Place, Resource, decode_record, if_match_to_replace};
use crate::respond;
use crate::state::AppState;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ApiVersion, ErrorCode, Etag, IfMatch};
use tollgate_store::{Key, Tx};

/// The fields that ask for an import.
const IMPORT_FIELDS: [&str; 3] = ["contentFormat", "contentValue", "wsdlSelector"];

/// The media type of a Swagger/OpenAPI document in the legacy `?import=true` form.
pub const SWAGGER_MEDIA_TYPE: &str = "application/vnd.swagger.doc+json";
/// The media type of a `{"link": …}` to such a document.
pub const SWAGGER_LINK_MEDIA_TYPE: &str = "application/vnd.swagger.link+json";

/// The media type of a WADL document.
pub const WADL_MEDIA_TYPE: &str = "application/vnd.sun.wadl+xml";
/// The media type of a `{"link": …}` to a WADL document.
pub const WADL_LINK_MEDIA_TYPE: &str = "application/vnd.sun.wadl.link+json";

/// A description language Tollgate imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    OpenApi,
    Wadl,
    Wsdl,
}

/// The 2017-03-01 `contentFormat` values (and the names later api-versions use for OpenAPI):
/// the language, and whether `contentValue` is the document's URL.
const CONTENT_FORMATS: &[(&str, Language, bool)] = &[
    ("swagger-json", Language::OpenApi, false),
    ("openapi+json", Language::OpenApi, false),
    ("openapi", Language::OpenApi, false),
    ("swagger-link-json", Language::OpenApi, true),
    ("openapi-link", Language::OpenApi, true),
    ("openapi+json-link", Language::OpenApi, true),
    ("wadl-xml", Language::Wadl, false),
    ("wadl-link-json", Language::Wadl, true),
    ("wsdl", Language::Wsdl, false),
    ("wsdl-link", Language::Wsdl, true),
];

/// The legacy `?import=true` media types: the language, and whether the body is `{"link": …}`.
const LEGACY_MEDIA_TYPES: &[(&str, Language, bool)] = &[
    (SWAGGER_MEDIA_TYPE, Language::OpenApi, false),
    (SWAGGER_LINK_MEDIA_TYPE, Language::OpenApi, true),
    (WADL_MEDIA_TYPE, Language::Wadl, false),
    (WADL_LINK_MEDIA_TYPE, Language::Wadl, true),
];

/// What to import: the document, the body fields that override it, and which form asked.
pub struct ImportRequest {
    language: Language,
    document: Source,
    selector: tollgate_interchange::WsdlSelector,
    overrides: Map<String, Value>,
    /// The legacy `?import=true` form: 201 without a body, or 204 (If-Match required) on update.
    legacy_form: bool,
}

/// Where the document is.
enum Source {
    /// In the request.
    Inline(String),
    /// At a URL; errors name the field that carried it.
    Link { url: String, target: &'static str },
}

impl Source {
    async fn text(self) -> Result<String, ApiError> {
        match self {
            Source::Inline(text) => Ok(text),
            Source::Link { url, target } => fetch_document(&url, target).await,
        }
    }
}

fn names<T>(table: &[(&str, T, bool)]) -> String {
    table
        .iter()
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The 2017-03-01 form: a JSON body with `contentFormat` and `contentValue` (and `wsdlSelector`);
/// `None` when the body has no import fields.
pub fn content_fields_request(
    version: ApiVersion,
    body: &[u8],
) -> Result<Option<ImportRequest>, Failure> {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(body) else {
        return Ok(None);
    };
    if !IMPORT_FIELDS.iter().any(|f| fields.contains_key(*f)) {
        return Ok(None);
    }
    if version < ApiVersion::V2017_03_01 {
        let message = "contentFormat is available from api-version 2017-03-01 (earlier versions import with ?import=true)";
        return Err(ApiError::invalid_field("contentFormat", "UnknownField", message).into());
    }
    let format = fields
        .remove("contentFormat")
        .and_then(|f| f.as_str().map(str::to_owned))
        .unwrap_or_default();
    let Some(&(_, language, by_link)) = CONTENT_FORMATS
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(&format))
    else {
        let message = format!(
            "contentFormat '{format}' is not one of {}",
            names(CONTENT_FORMATS)
        );
        return Err(ApiError::invalid_field("contentFormat", "Enum", message).into());
    };
    let document = match (fields.remove("contentValue"), by_link) {
        (Some(Value::String(url)), true) => Source::Link {
            url,
            target: "contentValue",
        },
        (Some(Value::String(text)), false) => Source::Inline(text),
        (Some(object @ Value::Object(_)), false) if language == Language::OpenApi => {
            Source::Inline(object.to_string())
        }
        _ => {
            let message = "contentValue must hold the document, or its URL for a link format";
            return Err(ApiError::invalid_field("contentValue", "Required", message).into());
        }
    };
    let selector = wsdl_selector(fields.remove("wsdlSelector"), language)?;
    Ok(Some(ImportRequest {
        language,
        document,
        selector,
        overrides: fields,
        legacy_form: false,
    }))
}

/// `wsdlSelector {wsdlServiceName, wsdlEndpointName}`, for WSDL documents only.
fn wsdl_selector(
    value: Option<Value>,
    language: Language,
) -> Result<tollgate_interchange::WsdlSelector, Failure> {
    let mut selector = tollgate_interchange::WsdlSelector {
        service_name: None,
        endpoint_name: None,
    };
    let Some(value) = value else {
        return Ok(selector);
    };
    if language != Language::Wsdl {
        return Err(ApiError::invalid_field(
            "wsdlSelector",
            "Unexpected",
            "wsdlSelector applies to WSDL documents only",
        )
        .into());
    }
    let Value::Object(fields) = value else {
        return Err(ApiError::invalid_field(
            "wsdlSelector",
            "InvalidType",
            "wsdlSelector must be an object",
        )
        .into());
    };
    for (name, value) in fields {
        let text = value.as_str().map(str::to_owned);
        match name.as_str() {
            "wsdlServiceName" => selector.service_name = text,
            "wsdlEndpointName" => selector.endpoint_name = text,
            other => {
                let message =
                    format!("unknown field '{other}'; expected wsdlServiceName, wsdlEndpointName");
                return Err(ApiError::invalid_field(
                    &format!("wsdlSelector.{other}"),
                    "UnknownField",
                    message,
                )
                .into());
            }
        }
    }
    Ok(selector)
}

/// The legacy form: `PUT /apis/{apiId}?import=true&path=…` with the document (or `{"link": …}`)
/// as the body.
pub fn legacy_request(
    media_type: Option<&str>,
    body: &[u8],
    path: Option<&str>,
) -> Result<ImportRequest, Failure> {
    let path = path.ok_or_else(|| {
        ApiError::invalid_field(
            "path",
            "Required",
            "?import=true needs the query parameter path",
        )
    })?;
    let Some(&(_, language, by_link)) = LEGACY_MEDIA_TYPES
        .iter()
        .find(|(name, _, _)| Some(*name) == media_type)
    else {
        let message = format!(
            "Content-Type '{}' cannot be imported; use one of {}",
            media_type.unwrap_or("(none)"),
            names(LEGACY_MEDIA_TYPES)
        );
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType, message).into());
    };
    let document = if by_link {
        let link = serde_json::from_slice::<Value>(body).ok();
        let url = link
            .as_ref()
            .and_then(|v| v.get("link"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "link",
                    "Required",
                    r#"the body must be {"link": "<URL of the document>"}"#,
                )
            })?;
        Source::Link {
            url: url.to_owned(),
            target: "link",
        }
    } else {
        Source::Inline(String::from_utf8(body.to_vec()).map_err(|_| {
            ApiError::invalid_field("body", "Encoding", "the document must be UTF-8 text")
        })?)
    };
    let mut overrides = Map::new();
    overrides.insert("path".into(), json!(path));
    let selector = tollgate_interchange::WsdlSelector {
        service_name: None,
        endpoint_name: None,
    };
    Ok(ImportRequest {
        language,
        document,
        selector,
        overrides,
        legacy_form: true,
    })
}

/// Imports an API: `PUT /apis/{apiId}` in either form.
pub async fn import_api(
    state: &AppState,
    version: ApiVersion,
    id: &str,
    condition: Option<IfMatch>,
    ImportRequest {
        language,
        document,
        selector,
        overrides: mut fields,
        legacy_form,
    }: ImportRequest,
) -> Outcome {
    let document = document.text().await?;
    let imported = match language {
        Language::OpenApi => tollgate_interchange::import_openapi(&document),
        Language::Wadl => tollgate_interchange::import_wadl(&document),
        Language::Wsdl => tollgate_interchange::import_wsdl(&document, &selector),
    };
    let target = if legacy_form { "body" } else { "contentValue" };
    let imported = imported.map_err(|err| {
        ApiError::invalid_field(
            target,
            "InvalidDocument",
            format!("the document cannot be imported: {err}"),
        )
    })?;
    // The document gives the defaults; the body's own fields win.
    let mut api_body = Map::new();
    api_body.insert("name".into(), json!(imported.name));
    if let Some(d) = &imported.description {
        api_body.insert("description".into(), json!(d));
    }
    if let Some(url) = &imported.service_url {
        api_body.insert("serviceUrl".into(), json!(url));
    }
    api_body.insert("protocols".into(), json!(imported.protocols));
    if let Some(api_type) = &imported.api_type {
        api_body.insert("type".into(), json!(api_type));
    }
    api_body.append(&mut fields);
    let mut api = Api::from_put(version, Value::Object(api_body).to_string().as_bytes())?;
    // Each imported entity passes the same validation as one created by hand.
    let mut schemas = Vec::with_capacity(imported.schemas.len());
    for (schema_id, schema) in &imported.schemas {
        schemas.push((
            schema_id.clone(),
            Schema::from_put(version, &schema_body(schema))?,
        ));
    }
    let mut operations = Vec::with_capacity(imported.operations.len());
    for (op_id, operation) in &imported.operations {
        let body = serde_json::to_vec(operation).map_err(|_| Failure(ApiError::internal()))?;
        operations.push((op_id.clone(), Operation::from_put(version, &body)?));
    }

    let mut tx = state.begin().await?;
    let current = tx.get(Key::top(Api::KIND, id)).await?;
    if let Some(record) = &current {
        if condition.is_none() {
            return Err(if_match_to_replace(Api::TYPE_NAME, id).into());
        }
        check(
            condition.as_ref(),
            Etag(record.revision),
            &format!("Api '{id}'"),
        )?;
    }
    let old: Option<Api> = current.as_ref().map(decode_record).transpose()?;
    let top = Place::default();
    Api::check_write(tx.as_mut(), &top, id, &mut api, old.as_ref()).await?;
    let api_id = current.as_ref().map_or(id, |r| r.id.as_str()).to_owned();
    let place = Place {
        parent_key: format!("apis/{api_id}"),
        parent_wire: format!("/apis/{api_id}"),
    };
    if current.is_some() {
        replace_children(tx.as_mut(), &api_id, &place).await?;
    }
    tx.put(Key::top(Api::KIND, id), &encode(&api)?).await?;
    for (schema_id, schema) in &schemas {
        tx.put(place.key(Schema::KIND, schema_id), &encode(schema)?)
            .await?;
    }
    for (op_id, operation) in &operations {
        tx.put(place.key(Operation::KIND, op_id), &encode(operation)?)
            .await?;
    }
    let etag = Etag(tx.revision());
    tx.commit().await?;
    if legacy_form && version < ApiVersion::V2017_03_01 {
        let status = if current.is_some() {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::CREATED
        };
        return Ok(respond::empty(status, Some(etag)));
    }
    let status = if current.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(respond::json(
        status,
        Some(etag),
        &api.render(version, &wire_id::<Api>("", &api_id)),
    ))
}

/// Removes what a re-import replaces: the operations (with their policies) and the schemas.
async fn replace_children(tx: &mut dyn Tx, api_id: &str, place: &Place) -> Result<(), Failure> {
    for kind in [Operation::KIND, Schema::KIND] {
        for record in tx.list(kind, &place.parent_key).await? {
            if kind == Operation::KIND {
                delete_policies_under(tx, api_id, Some(&record.id)).await?;
            }
            tx.delete(place.key(kind, &record.id)).await?;
        }
    }
    Ok(())
}

/// A schema as the JSON body that would create it.
fn schema_body(schema: &Schema) -> Vec<u8> {
    json!({ "contentType": schema.content_type, "document": { "value": schema.value } })
        .to_string()
        .into_bytes()
}

fn encode<T: serde::Serialize>(entity: &T) -> Result<String, Failure> {
    serde_json::to_string(entity).map_err(|_| Failure(ApiError::internal()))
}
