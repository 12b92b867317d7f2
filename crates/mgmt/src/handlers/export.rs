//! Exporting an API (`GET /apis/{apiId}?export=true`), by `Accept`:
//! `application/vnd.swagger.doc+json` → a Swagger 2.0 document; `application/json` (or none) → the
//! API with its operations embedded (the legacy JSON export). WADL, WSDL and the 2017 link forms
//! are not supported yet (406 naming what is).

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
    let store = state.store();
    let record = store
        .get(state.instance(), Key::top(Api::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(Api::TYPE_NAME, id))?;
    let api: Api = decode_record(&record)?;
    let parent = format!("apis/{}", record.id);
    let operations = children::<Operation>(&state, &parent).await?;
    if swagger {
        let schemas = children::<Schema>(&state, &parent).await?;
        let document = tollgate_interchange::export_swagger(&api, &operations, &schemas);
        return Ok(respond::json_as(
            StatusCode::OK,
            SWAGGER_MEDIA_TYPE,
            &document,
        ));
    }
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
