//! The global policy: `/policies/policy` (2017-03-01, JSON or XML) and `/tenant/policy`
//! (earlier versions, XML). GET answers XML unless `Accept` asks for JSON (`PolicyContract`) or
//! raw XML; PUT takes either XML media type or the JSON form.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::body::is_json;
use crate::extract::if_match::check;
use crate::extract::{Body, IfMatchHeader, ListQuery, RequiredIfMatch, Version};
use crate::resource::decode_record;
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode};
use tollgate_contract::entity::policy::{
    self, PolicyScope, RAW_XML_MEDIA_TYPE, StoredPolicy, XML_MEDIA_TYPE,
};
use tollgate_contract::{ApiError, ApiVersion, ErrorCode, Etag, IfMatch};
use tollgate_policy::{PolicyDocument, PolicyFormat};
use tollgate_store::{Key, Tx};

/// How a policy is represented in a request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Representation {
    Xml,
    RawXml,
    Json,
}

/// The scope a policy URL names, after checking that the URL fits the api-version.
fn global_scope(
    uri: &OriginalUri,
    version: ApiVersion,
    policy_id: Option<&str>,
) -> Result<PolicyScope, ApiError> {
    let legacy_url = uri.path().starts_with("/tenant/");
    match (legacy_url, version >= ApiVersion::V2017_03_01) {
        (true, true) => Err(ApiError::new(
            ErrorCode::ResourceNotFound,
            "From api-version 2017-03-01 the global policy is at /policies/policy.",
        )),
        (false, false) => Err(ApiError::new(
            ErrorCode::ResourceNotFound,
            format!(
                "Before api-version 2017-03-01 the global policy is at /tenant/policy (this call uses {version})."
            ),
        )),
        _ => match policy_id {
            Some(id) if id != "policy" => Err(ApiError::invalid_field(
                "policyId",
                "Enum",
                format!("policyId must be 'policy', got '{id}'"),
            )),
            _ => Ok(PolicyScope::Global),
        },
    }
}

fn key(scope: &PolicyScope) -> String {
    scope.wire_id()
}

/// The stored policy of a scope and its ETag, if one is set.
async fn read(
    state: &AppState,
    scope: &PolicyScope,
) -> Result<Option<(StoredPolicy, Etag)>, Failure> {
    match state
        .store()
        .get(state.instance(), Key::top(policy::KIND, &key(scope)))
        .await?
    {
        Some(record) => Ok(Some((decode_record(&record)?, Etag(record.revision)))),
        None => Ok(None),
    }
}

/// The representation `Accept` asks for: XML when absent; 406 when nothing acceptable is listed.
fn negotiate(headers: &HeaderMap) -> Result<Representation, ApiError> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Representation::Xml);
    };
    for range in accept.split(',') {
        let essence = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            RAW_XML_MEDIA_TYPE => return Ok(Representation::RawXml),
            XML_MEDIA_TYPE | "application/xml" | "text/xml" | "*/*" | "application/*" | "" => {
                return Ok(Representation::Xml);
            }
            t if is_json(t) => return Ok(Representation::Json),
            _ => {}
        }
    }
    Err(ApiError::new(
        ErrorCode::NotAcceptable,
        format!(
            "Accept '{accept}' lists no supported type: application/json, {XML_MEDIA_TYPE}, {RAW_XML_MEDIA_TYPE}."
        ),
    ))
}

/// Reads the document from a PUT body of any accepted media type.
fn document_from(body: &Body) -> Result<PolicyDocument, ApiError> {
    let text = std::str::from_utf8(&body.bytes).map_err(|_| {
        ApiError::invalid_field("body", "Encoding", "the policy must be UTF-8 text")
    })?;
    let looks_json = text.trim_start().starts_with('{');
    let (content, format, target) = match body.media_type.as_deref() {
        Some(t) if is_json(t) => (
            policy::content_from_json(&body.bytes)?,
            PolicyFormat::Xml,
            "policyContent",
        ),
        None if looks_json => (
            policy::content_from_json(&body.bytes)?,
            PolicyFormat::Xml,
            "policyContent",
        ),
        Some(RAW_XML_MEDIA_TYPE) => (text.to_owned(), PolicyFormat::Raw, "body"),
        Some(XML_MEDIA_TYPE | "application/xml" | "text/xml") | None => {
            (text.to_owned(), PolicyFormat::Xml, "body")
        }
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "Content-Type '{other}' is not supported: use {XML_MEDIA_TYPE}, {RAW_XML_MEDIA_TYPE} or application/json."
                ),
            ));
        }
    };
    PolicyDocument::parse(&content, format).map_err(|err| {
        ApiError::invalid_field(
            target,
            "InvalidPolicy",
            format!("the policy document is not valid: {err}"),
        )
    })
}

/// `GET` (and `HEAD`) of the global policy.
pub async fn get_policy(
    State(state): State<AppState>,
    Version(version): Version,
    uri: OriginalUri,
    policy_id: Option<Path<String>>,
    headers: HeaderMap,
) -> Outcome {
    let scope = global_scope(&uri, version, policy_id.as_deref().map(String::as_str))?;
    let representation = negotiate(&headers)?;
    let (stored, etag) = read(&state, &scope).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::ResourceNotFound,
            format!("No policy is set for {}.", scope.describe()),
        )
    })?;
    let etag = Some(etag);
    Ok(match representation {
        Representation::Json => {
            respond::json(StatusCode::OK, etag, &policy::contract(&scope, &stored.xml))
        }
        Representation::Xml => respond::text(StatusCode::OK, XML_MEDIA_TYPE, etag, stored.xml),
        Representation::RawXml => {
            let raw = PolicyDocument::parse(&stored.xml, PolicyFormat::Xml).map_err(|err| {
                tracing::error!(%err, "a stored policy no longer parses");
                Failure(ApiError::internal())
            })?;
            respond::text(StatusCode::OK, RAW_XML_MEDIA_TYPE, etag, raw.to_raw())
        }
    })
}

/// `PUT` of the global policy.
pub async fn put_policy(
    State(state): State<AppState>,
    Version(version): Version,
    uri: OriginalUri,
    policy_id: Option<Path<String>>,
    IfMatchHeader(condition): IfMatchHeader,
    body: Body,
) -> Outcome {
    let scope = global_scope(&uri, version, policy_id.as_deref().map(String::as_str))?;
    let legacy = version < ApiVersion::V2017_03_01;
    if legacy && condition.is_none() {
        return Err(ApiError::invalid_field(
            "If-Match",
            "Required",
            "the If-Match header is required: send the ETag, or *",
        )
        .into());
    }
    let document = document_from(&body)?;
    let mut tx = state.store().begin(state.instance()).await?;
    let store_key = key(&scope);
    let current = tx.get(Key::top(policy::KIND, &store_key)).await?;
    match (&current, &condition) {
        (Some(record), _) => check(condition.as_ref(), Etag(record.revision), "The policy")?,
        (None, Some(IfMatch::Tags(_))) => {
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                "If-Match names a version, but no policy is set.",
            )
            .into());
        }
        (None, _) => {}
    }
    let stored = StoredPolicy {
        xml: document.xml().to_owned(),
    };
    let encoded = serde_json::to_string(&stored).map_err(|_| Failure(ApiError::internal()))?;
    tx.put(Key::top(policy::KIND, &store_key), &encoded).await?;
    let etag = Some(Etag(tx.revision()));
    tx.commit().await?;
    let created = current.is_none();
    if legacy {
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::NO_CONTENT
        };
        return Ok(respond::empty(status, etag));
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond::json(
        status,
        etag,
        &policy::contract(&scope, &stored.xml),
    ))
}

/// `DELETE` of the global policy.
pub async fn delete_policy(
    State(state): State<AppState>,
    Version(version): Version,
    uri: OriginalUri,
    policy_id: Option<Path<String>>,
    RequiredIfMatch(condition): RequiredIfMatch,
) -> Outcome {
    let scope = global_scope(&uri, version, policy_id.as_deref().map(String::as_str))?;
    let mut tx = state.store().begin(state.instance()).await?;
    let store_key = key(&scope);
    let record = tx
        .get(Key::top(policy::KIND, &store_key))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("No policy is set for {}.", scope.describe()),
            )
        })?;
    check(Some(&condition), Etag(record.revision), "The policy")?;
    tx.delete(Key::top(policy::KIND, &store_key)).await?;
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}

/// `GET /policies?scope=…` (2017-03-01): the policies of a scope kind.
pub async fn list_policies(
    State(state): State<AppState>,
    Version(version): Version,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    if version < ApiVersion::V2017_03_01 {
        return Err(ApiError::new(
            ErrorCode::ResourceNotFound,
            "GET /policies is available from api-version 2017-03-01.",
        )
        .into());
    }
    let scope = query.other("scope").unwrap_or("All");
    let global = match scope.to_ascii_lowercase().as_str() {
        "tenant" | "all" => true,
        "product" | "api" | "operation" => false,
        _ => {
            return Err(ApiError::invalid_field(
                "scope",
                "Enum",
                format!("scope must be one of Tenant, Product, Api, Operation, All; got '{scope}'"),
            )
            .into());
        }
    };
    let mut items = Vec::new();
    if global {
        let scope = PolicyScope::Global;
        if let Some((stored, _)) = read(&state, &scope).await? {
            items.push(policy::contract(&scope, &stored.xml));
        }
    }
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::page(items, &query, version, uri.path(), &headers),
    ))
}

/// The ids of the stored policies that reference the named value `name` as `{{name}}`.
pub async fn referencing_policies(tx: &mut dyn Tx, name: &str) -> Result<Vec<String>, Failure> {
    let mut ids = Vec::new();
    for record in tx.list_kind(policy::KIND).await? {
        let stored = decode_record::<StoredPolicy>(&record)?;
        let Ok(document) = PolicyDocument::parse(&stored.xml, PolicyFormat::Xml) else {
            tracing::error!(id = %record.id, "a stored policy no longer parses");
            continue;
        };
        if document
            .named_values()
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
        {
            ids.push(record.id);
        }
    }
    Ok(ids)
}
