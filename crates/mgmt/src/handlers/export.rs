//! Exporting an API (`GET /apis/{apiId}?export=true`), by `Accept`:
//! `application/vnd.swagger.doc+json` → a Swagger 2.0 document; `application/json` (or none) → the
//! API with its operations embedded (the legacy JSON export); `application/vnd.swagger.link+json`
//! (2017-03-01) → `{"link": …}` to a URL that serves the Swagger document for 5 minutes without
//! credentials (signed with the primary key, like a SAS token). WADL and WSDL are not supported
//! yet (406 naming what is).

use crate::error::{Failure, Outcome};
use crate::extract::{ListQuery, Version};
use crate::resource::{self, decode_record};
use crate::respond;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::schema::Schema;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ErrorCode, ident};
use tollgate_store::Key;

/// The media type of a Swagger document.
pub const SWAGGER_MEDIA_TYPE: &str = "application/vnd.swagger.doc+json";
/// The media type of a link to one.
pub const SWAGGER_LINK_MEDIA_TYPE: &str = "application/vnd.swagger.link+json";
/// How long an export link works.
pub const LINK_LIFETIME_SECONDS: i64 = 300;

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
    let swagger = match essence.as_str() {
        SWAGGER_MEDIA_TYPE => true,
        SWAGGER_LINK_MEDIA_TYPE => {
            return export_link(
                &state,
                path.0.first().map_or("", |(_, v)| v.as_str()),
                &headers,
            )
            .await;
        }
        "application/json" | "*/*" | "" => false,
        _ => {
            let message = format!(
                "export as '{accept}' is not supported yet; supported: {SWAGGER_MEDIA_TYPE}, application/json"
            );
            return Err(ApiError::new(ErrorCode::NotAcceptable, message).into());
        }
    };
    let id = path.0.first().map(|(_, v)| v.as_str()).unwrap_or_default();
    ident::check_id(Api::ID_PARAM, id, Api::MAX_ID_LEN)?;
    let record = state
        .store()
        .get(state.instance(), Key::top(Api::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(Api::TYPE_NAME, id))?;
    let api: Api = decode_record(&record)?;
    if swagger {
        return swagger_document(&state, &api, &record.id).await;
    }
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

/// What an export link signs: the API and the format.
fn link_subject(api_id: &str) -> String {
    format!("export:swagger:{}", api_id.to_lowercase())
}

/// `{"link": …}` to the Swagger document of an API, valid for [`LINK_LIFETIME_SECONDS`].
async fn export_link(state: &AppState, id: &str, headers: &HeaderMap) -> Outcome {
    ident::check_id(Api::ID_PARAM, id, Api::MAX_ID_LEN)?;
    let record = state
        .store()
        .get(state.instance(), Key::top(Api::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(Api::TYPE_NAME, id))?;
    let expires = (chrono::Utc::now().timestamp() + LINK_LIFETIME_SECONDS).to_string();
    let sig = tollgate_auth::signature(
        &link_subject(&record.id),
        &expires,
        &state.access().primary_key,
    );
    let query = serde_urlencoded::to_string([("expires", expires.as_str()), ("sig", sig.as_str())])
        .unwrap_or_default();
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let link = format!("http://{host}/export/apis/{}/swagger?{query}", record.id);
    Ok(respond::json(
        StatusCode::OK,
        None,
        &json!({ "link": link }),
    ))
}

/// `GET /export/apis/{apiId}/swagger?expires=…&sig=…`: the document behind an export link.
pub async fn download_export(
    State(state): State<AppState>,
    Path(api_id): Path<String>,
    query: ListQuery,
) -> Outcome {
    let expires = query.other("expires").unwrap_or("");
    let sig = query.other("sig").unwrap_or("");
    let access = state.access();
    let subject = link_subject(&api_id);
    let signed = [&access.primary_key, &access.secondary_key]
        .iter()
        .any(|key| tollgate_auth::verify_signature(&subject, expires, key, sig));
    let fresh = expires
        .parse::<i64>()
        .is_ok_and(|at| at > chrono::Utc::now().timestamp());
    if !signed || !fresh {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "The export link is not valid or has expired; ask for a new one.",
        )
        .into());
    }
    let record = state
        .store()
        .get(state.instance(), Key::top(Api::KIND, &api_id))
        .await?
        .ok_or_else(|| ApiError::not_found(Api::TYPE_NAME, &api_id))?;
    let api: Api = decode_record(&record)?;
    swagger_document(&state, &api, &record.id).await
}

/// The Swagger 2.0 document of an API.
async fn swagger_document(state: &AppState, api: &Api, api_id: &str) -> Outcome {
    let parent = format!("apis/{api_id}");
    let operations = children::<Operation>(state, &parent).await?;
    let schemas = children::<Schema>(state, &parent).await?;
    let document = tollgate_interchange::export_swagger(api, &operations, &schemas);
    Ok(respond::json_as(
        StatusCode::OK,
        SWAGGER_MEDIA_TYPE,
        &document,
    ))
}
