//! Exporting an API (`GET /apis/{apiId}?export=true`), by `Accept`:
//! - `application/json` (or none): the API with its operations embedded (the legacy JSON export);
//! - a document type: Swagger 2.0 (`application/vnd.swagger.doc+json`), WADL
//!   (`application/vnd.sun.wadl+xml`) or WSDL (`application/wsdl+xml`, SOAP APIs only);
//! - a link type (2017-03-01): `{"link": …}` to a URL that serves that document for 5 minutes
//!   without credentials, signed with the primary key like a SAS token.

use crate::error::{Failure, Outcome};
use crate::extract::{ListQuery, Version};
use crate::resource::{self, decode_record, existing};
use crate::respond;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header::{ACCEPT, HOST};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ErrorCode};
use tollgate_store::Record;

/// How long an export link works.
pub const LINK_LIFETIME_SECONDS: i64 = 300;

/// A document format an API exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Swagger,
    Wadl,
    Wsdl,
}

const FORMATS: [Format; 3] = [Format::Swagger, Format::Wadl, Format::Wsdl];

impl Format {
    fn media_type(self) -> &'static str {
        match self {
            Format::Swagger => "application/vnd.swagger.doc+json",
            Format::Wadl => "application/vnd.sun.wadl+xml",
            Format::Wsdl => "application/wsdl+xml",
        }
    }

    fn link_media_type(self) -> &'static str {
        match self {
            Format::Swagger => "application/vnd.swagger.link+json",
            Format::Wadl => "application/vnd.sun.wadl.link+json",
            Format::Wsdl => "application/vnd.ms.wsdl.link+xml",
        }
    }

    /// The format's name in export link URLs.
    fn name(self) -> &'static str {
        match self {
            Format::Swagger => "swagger",
            Format::Wadl => "wadl",
            Format::Wsdl => "wsdl",
        }
    }
}

/// What `Accept` asks an export for.
enum Wanted {
    LegacyJson,
    Document(Format),
    Link(Format),
}

fn wanted(headers: &HeaderMap) -> Result<Wanted, ApiError> {
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let essence = accept
        .split([',', ';'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if matches!(essence.as_str(), "application/json" | "*/*" | "") {
        return Ok(Wanted::LegacyJson);
    }
    for format in FORMATS {
        if essence == format.media_type() {
            return Ok(Wanted::Document(format));
        }
        if essence == format.link_media_type() {
            return Ok(Wanted::Link(format));
        }
    }
    let supported: Vec<&str> = FORMATS
        .iter()
        .flat_map(|f| [f.media_type(), f.link_media_type()])
        .chain(["application/json"])
        .collect();
    let message = format!(
        "an API cannot be exported as '{accept}'; supported: {}",
        supported.join(", ")
    );
    Err(ApiError::new(ErrorCode::NotAcceptable, message))
}

/// `GET /apis/{apiId}`: the API, or its export with `?export=true`.
pub async fn get_api(
    state: State<AppState>,
    version: Version,
    path: Path<Vec<(String, String)>>,
    query: ListQuery,
    headers: HeaderMap,
) -> Outcome {
    if !query
        .other("export")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return resource::get::<Api>(state, version, path).await;
    }
    let wanted = wanted(&headers)?;
    let id = path.0.first().map(|(_, v)| v.as_str()).unwrap_or_default();
    let record = existing::<Api>(&state, id).await?;
    match wanted {
        Wanted::Document(format) => document(&state, &record, format).await,
        Wanted::Link(format) => Ok(respond::json(
            StatusCode::OK,
            None,
            &json!({ "link": link(&state, &record, format, &headers) }),
        )),
        Wanted::LegacyJson => {
            let api: Api = decode_record(&record)?;
            let operations = children::<Operation>(&state, &format!("apis/{}", record.id)).await?;
            let api_wire = wire_id::<Api>("", &record.id);
            let mut body = api.render(version.0, &api_wire);
            let items: Vec<Value> = operations
                .iter()
                .map(|(op_id, op)| op.render(version.0, &wire_id::<Operation>(&api_wire, op_id)))
                .collect();
            body["operations"] = json!({ "value": items, "count": items.len() });
            Ok(respond::json(StatusCode::OK, None, &body))
        }
    }
}

/// What an export link signs: the API and the format.
fn link_subject(api_id: &str, format: Format) -> String {
    format!("export:{}:{}", format.name(), api_id.to_lowercase())
}

/// A URL that serves the document for [`LINK_LIFETIME_SECONDS`].
fn link(state: &AppState, record: &Record, format: Format, headers: &HeaderMap) -> String {
    let expires = (chrono::Utc::now().timestamp() + LINK_LIFETIME_SECONDS).to_string();
    let sig = tollgate_auth::signature(
        &link_subject(&record.id, format),
        &expires,
        &state.access().primary_key,
    );
    let query = serde_urlencoded::to_string([("expires", expires.as_str()), ("sig", sig.as_str())])
        .unwrap_or_default();
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!(
        "http://{host}/export/apis/{}/{}?{query}",
        record.id,
        format.name()
    )
}

/// `GET /export/apis/{apiId}/{format}?expires=…&sig=…`: the document behind an export link.
pub async fn download_export(
    State(state): State<AppState>,
    Path((api_id, format_name)): Path<(String, String)>,
    query: ListQuery,
) -> Outcome {
    let refused = || {
        Failure(ApiError::new(
            ErrorCode::Unauthorized,
            "The export link is not valid or has expired; ask for a new one.",
        ))
    };
    let format = FORMATS
        .into_iter()
        .find(|f| f.name() == format_name)
        .ok_or_else(refused)?;
    let expires = query.other("expires").unwrap_or("");
    let sig = query.other("sig").unwrap_or("");
    let access = state.access();
    let subject = link_subject(&api_id, format);
    let signed = [&access.primary_key, &access.secondary_key]
        .iter()
        .any(|key| tollgate_auth::verify_signature(&subject, expires, key, sig));
    let fresh = expires
        .parse::<i64>()
        .is_ok_and(|at| at > chrono::Utc::now().timestamp());
    if !signed || !fresh {
        return Err(refused());
    }
    let record = existing::<Api>(&state, &api_id).await?;
    document(&state, &record, format).await
}

/// The document of an API in a format.
async fn document(state: &AppState, record: &Record, format: Format) -> Outcome {
    let api: Api = decode_record(record)?;
    let parent = format!("apis/{}", record.id);
    let operations = children::<Operation>(state, &parent).await?;
    let schemas = children::<Schema>(state, &parent).await?;
    Ok(match format {
        Format::Swagger => {
            let document = tollgate_interchange::export_swagger(&api, &operations, &schemas);
            respond::json_as(StatusCode::OK, format.media_type(), &document)
        }
        Format::Wadl => {
            let document = tollgate_interchange::export_wadl(&api, &operations, &schemas);
            respond::text(StatusCode::OK, format.media_type(), None, document)
        }
        Format::Wsdl => {
            let document =
                tollgate_interchange::export_wsdl(&api, &operations, &schemas).map_err(|err| {
                    ApiError::new(
                        ErrorCode::NotAcceptable,
                        format!("this API cannot be exported as WSDL: {err}"),
                    )
                })?;
            respond::text(StatusCode::OK, format.media_type(), None, document)
        }
    })
}

async fn children<E: Entity>(state: &AppState, parent: &str) -> Result<Vec<(String, E)>, Failure> {
    let records = state
        .store()
        .list(state.instance(), E::KIND, parent)
        .await?;
    records
        .iter()
        .map(|r| Ok((r.id.clone(), decode_record::<E>(r)?)))
        .collect()
}
