//! Policies at every scope: global (`/policies/policy`, legacy `/tenant/policy`), API
//! (`/apis/{apiId}/policies/policy`, legacy `/apis/{apiId}/policy`) and operation
//! (`…/operations/{operationId}/policies/policy`, legacy `…/policy`). The 2017-03-01 URLs answer
//! only 2017-03-01 calls and the legacy ones only earlier calls. GET answers XML unless `Accept`
//! asks for JSON (`PolicyContract`) or raw XML; PUT takes either XML media type or the JSON
//! form, checks the document's structure for its scope and that every `{{name}}` exists.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::if_match::check;
use crate::extract::{Body, IfMatchHeader, ListQuery, RequiredIfMatch, Version};
use crate::handlers::policy_media::{Representation, document_from, negotiate};
use crate::resource::{Reader, decode_record};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use tollgate_contract::entity::Entity;
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::policy::{
    self, PolicyScope, RAW_XML_MEDIA_TYPE, StoredPolicy, XML_MEDIA_TYPE,
};
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::property::Property;
use tollgate_contract::{ApiError, ApiVersion, ErrorCode, Etag, IfMatch, ident};
use tollgate_policy::pipeline::{self, NamedValues};
use tollgate_policy::{PolicyDocument, PolicyFormat, ScopeKind};
use tollgate_store::{Key, Tx};

/// The path parameters of a policy URL, if any.
type Params = Option<Path<Vec<(String, String)>>>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .as_ref()?
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The scope a policy URL names: the URL must fit the api-version, `policyId` must be
/// `policy`, and the API and operation must exist.
async fn scope_of(
    reader: &mut Reader<'_>,
    uri: &OriginalUri,
    version: ApiVersion,
    params: &Params,
) -> Result<PolicyScope, Failure> {
    let mut segments = uri.path().rsplit('/');
    let legacy_url = segments.next() == Some("policy") && segments.next() != Some("policies");
    match (legacy_url, version >= ApiVersion::V2017_03_01) {
        (true, true) => {
            let message = "From api-version 2017-03-01 policies are at …/policies/policy (the global one at /policies/policy).";
            return Err(ApiError::new(ErrorCode::ResourceNotFound, message).into());
        }
        (false, false) => {
            let message = format!(
                "Before api-version 2017-03-01 policies are at …/policy (the global one at /tenant/policy); this call uses {version}."
            );
            return Err(ApiError::new(ErrorCode::ResourceNotFound, message).into());
        }
        _ => {}
    }
    if let Some(id) = param(params, "policyId").filter(|id| *id != "policy") {
        return Err(ApiError::invalid_field(
            "policyId",
            "Enum",
            format!("policyId must be 'policy', got '{id}'"),
        )
        .into());
    }
    if let Some(product_id) = param(params, "productId") {
        ident::check_id(Product::ID_PARAM, product_id, Product::MAX_ID_LEN)?;
        let product = reader
            .get(Key::top(Product::KIND, product_id))
            .await?
            .ok_or_else(|| ApiError::not_found(Product::TYPE_NAME, product_id))?;
        return Ok(PolicyScope::Product(product.id));
    }
    scope_at(reader, param(params, "apiId"), param(params, "operationId")).await
}

/// The scope of an API or operation, which must exist; the global scope without an API.
async fn scope_at(
    reader: &mut Reader<'_>,
    api_id: Option<&str>,
    op_id: Option<&str>,
) -> Result<PolicyScope, Failure> {
    let Some(api_id) = api_id else {
        return Ok(PolicyScope::Global);
    };
    ident::check_id(Api::ID_PARAM, api_id, Api::MAX_ID_LEN)?;
    let api = reader
        .get(Key::top(Api::KIND, api_id))
        .await?
        .ok_or_else(|| ApiError::not_found(Api::TYPE_NAME, api_id))?;
    let Some(op_id) = op_id else {
        return Ok(PolicyScope::Api(api.id));
    };
    ident::check_id(Operation::ID_PARAM, op_id, Operation::MAX_ID_LEN)?;
    let parent = format!("apis/{}", api.id);
    let op = reader
        .get(Key {
            kind: Operation::KIND,
            parent: &parent,
            id: op_id,
        })
        .await?
        .ok_or_else(|| ApiError::not_found(Operation::TYPE_NAME, op_id))?;
    Ok(PolicyScope::Operation(api.id, op.id))
}

fn scope_kind(scope: &PolicyScope) -> ScopeKind {
    match scope {
        PolicyScope::Global => ScopeKind::Global,
        PolicyScope::Product(_) => ScopeKind::Product,
        PolicyScope::Api(_) => ScopeKind::Api,
        PolicyScope::Operation(..) => ScopeKind::Operation,
    }
}

fn no_policy(scope: &PolicyScope) -> Failure {
    ApiError::new(
        ErrorCode::ResourceNotFound,
        format!("No policy is set for {}.", scope.describe()),
    )
    .into()
}

/// `GET` (and `HEAD`) of a policy.
pub async fn get_policy(
    State(state): State<AppState>,
    Version(version): Version,
    uri: OriginalUri,
    params: Params,
    headers: HeaderMap,
) -> Outcome {
    let scope = scope_of(
        &mut Reader::Store(state.store(), state.instance()),
        &uri,
        version,
        &params,
    )
    .await?;
    let representation = negotiate(&headers)?;
    let record = state
        .store()
        .get(state.instance(), Key::top(policy::KIND, &scope.wire_id()))
        .await?
        .ok_or_else(|| no_policy(&scope))?;
    let stored: StoredPolicy = decode_record(&record)?;
    let etag = Some(Etag(record.revision));
    Ok(match representation {
        Representation::Json => {
            respond::json(StatusCode::OK, etag, &policy::contract(&scope, &stored.xml))
        }
        Representation::Xml => respond::text(StatusCode::OK, XML_MEDIA_TYPE, etag, stored.xml),
        Representation::RawXml => {
            let document =
                PolicyDocument::parse(&stored.xml, PolicyFormat::Xml).map_err(|err| {
                    tracing::error!(%err, "a stored policy no longer parses");
                    Failure(ApiError::internal())
                })?;
            respond::text(StatusCode::OK, RAW_XML_MEDIA_TYPE, etag, document.to_raw())
        }
    })
}

/// Every `{{name}}` of the document must name a property; returns the properties the document
/// references, with their values.
async fn check_named_values(
    tx: &mut dyn Tx,
    document: &PolicyDocument,
    target: &str,
) -> Result<NamedValues, Failure> {
    let wanted = document.named_values();
    let mut named = NamedValues::default();
    if wanted.is_empty() {
        return Ok(named);
    }
    let mut names = Vec::new();
    for record in tx.list(Property::KIND, "").await? {
        let property = decode_record::<Property>(&record)?;
        named.insert(&property.name, &property.value);
        names.push(property.name.to_lowercase());
    }
    match wanted.iter().find(|w| !names.contains(&w.to_lowercase())) {
        None => Ok(named),
        Some(missing) => {
            let message = format!(
                "the policy references {{{{{missing}}}}}, but no property is named '{missing}'"
            );
            Err(ApiError::invalid_field(target, "UnknownNamedValue", message).into())
        }
    }
}

/// The document must run on Tollgate's gateway: every statement and attribute supported, and
/// every expression valid once named values are substituted.
fn check_runnable(
    document: &PolicyDocument,
    scope: ScopeKind,
    named: &NamedValues,
    target: &str,
) -> Result<(), Failure> {
    let compiled = document
        .policy(scope)
        .and_then(|policy| pipeline::compile(&policy, scope, named));
    compiled.map(|_| ()).map_err(|err| {
        let message = format!("the policy cannot run on Tollgate's gateway: {err}");
        ApiError::invalid_field(target, "UnsupportedPolicy", message).into()
    })
}

/// `PUT` of a policy.
pub async fn put_policy(
    State(state): State<AppState>,
    Version(version): Version,
    uri: OriginalUri,
    params: Params,
    IfMatchHeader(condition): IfMatchHeader,
    body: Body,
) -> Outcome {
    let legacy = version < ApiVersion::V2017_03_01;
    let submitted = document_from(&body)?;
    let mut tx = state.begin().await?;
    let scope = scope_of(&mut Reader::Tx(tx.as_mut()), &uri, version, &params).await?;
    // Legacy PUTs, and 2017 PUTs of API and operation policies, require If-Match (`*` also creates).
    if condition.is_none()
        && (legacy || matches!(scope, PolicyScope::Api(_) | PolicyScope::Operation(..)))
    {
        return Err(ApiError::invalid_field(
            "If-Match",
            "Required",
            "the If-Match header is required: send the ETag, or *",
        )
        .into());
    }
    submitted
        .document
        .check_structure(scope_kind(&scope))
        .map_err(|err| {
            ApiError::invalid_field(
                submitted.target,
                "InvalidPolicy",
                format!("the policy document is not valid: {err}"),
            )
        })?;
    let named = check_named_values(tx.as_mut(), &submitted.document, submitted.target).await?;
    check_runnable(
        &submitted.document,
        scope_kind(&scope),
        &named,
        submitted.target,
    )?;
    let key = scope.wire_id();
    let current = tx.get(Key::top(policy::KIND, &key)).await?;
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
        xml: submitted.document.xml().to_owned(),
    };
    let encoded = serde_json::to_string(&stored).map_err(|_| Failure(ApiError::internal()))?;
    tx.put(Key::top(policy::KIND, &key), &encoded).await?;
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

/// `DELETE` of a policy.
pub async fn delete_policy(
    State(state): State<AppState>,
    Version(version): Version,
    uri: OriginalUri,
    params: Params,
    RequiredIfMatch(condition): RequiredIfMatch,
) -> Outcome {
    let mut tx = state.begin().await?;
    let scope = scope_of(&mut Reader::Tx(tx.as_mut()), &uri, version, &params).await?;
    let key = scope.wire_id();
    let record = tx
        .get(Key::top(policy::KIND, &key))
        .await?
        .ok_or_else(|| no_policy(&scope))?;
    check(Some(&condition), Etag(record.revision), "The policy")?;
    tx.delete(Key::top(policy::KIND, &key)).await?;
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}

/// The scope kind of a stored policy, from its id.
fn kind_of(id: &str) -> &'static str {
    let segments: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    match (segments.first().copied(), segments.len()) {
        (_, 2) => "Tenant",
        (Some("products"), _) => "Product",
        (_, 4) => "Api",
        _ => "Operation",
    }
}

/// `GET /policies?scope=…` (every scope of a kind), `GET /apis/{apiId}/policies` and
/// `GET /apis/{apiId}/operations/{operationId}/policies` (2017-03-01).
pub async fn list_policies(
    State(state): State<AppState>,
    Version(version): Version,
    params: Params,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    if version < ApiVersion::V2017_03_01 {
        let message = "Lists of policies are available from api-version 2017-03-01.";
        return Err(ApiError::new(ErrorCode::ResourceNotFound, message).into());
    }
    let mut items = Vec::new();
    if let Some(api_id) = param(&params, "apiId") {
        let reader = &mut Reader::Store(state.store(), state.instance());
        let scope = scope_at(reader, Some(api_id), param(&params, "operationId")).await?;
        if let Some(record) = state
            .store()
            .get(state.instance(), Key::top(policy::KIND, &scope.wire_id()))
            .await?
        {
            items.push(policy::contract(
                &scope,
                &decode_record::<StoredPolicy>(&record)?.xml,
            ));
        }
    } else {
        let wanted = query.other("scope").unwrap_or("All").to_ascii_lowercase();
        if !["tenant", "product", "api", "operation", "all"].contains(&wanted.as_str()) {
            let message = format!(
                "scope must be one of Tenant, Product, Api, Operation, All; got '{wanted}'"
            );
            return Err(ApiError::invalid_field("scope", "Enum", message).into());
        }
        for record in state
            .store()
            .list(state.instance(), policy::KIND, "")
            .await?
        {
            if wanted == "all" || kind_of(&record.id).eq_ignore_ascii_case(&wanted) {
                let stored: StoredPolicy = decode_record(&record)?;
                items.push(serde_json::json!({ "id": record.id, "policyContent": stored.xml }));
            }
        }
    }
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::page(items, &query, version, uri.path(), &headers),
    ))
}

/// Deletes the policies of an API and of its operations (`operation` = `None`), or of one
/// operation, inside the caller's transaction.
pub async fn delete_policies_under(
    tx: &mut dyn Tx,
    api_id: &str,
    operation: Option<&str>,
) -> Result<(), Failure> {
    let prefix = match operation {
        None => format!("/apis/{api_id}/").to_lowercase(),
        Some(op) => PolicyScope::Operation(api_id.to_owned(), op.to_owned())
            .wire_id()
            .to_lowercase(),
    };
    for record in tx.list(policy::KIND, "").await? {
        if record.id.to_lowercase().starts_with(&prefix) {
            tx.delete(Key::top(policy::KIND, &record.id)).await?;
        }
    }
    Ok(())
}

/// The ids of the stored policies for which `uses` holds.
pub async fn policies_where(
    tx: &mut dyn Tx,
    uses: impl Fn(&PolicyDocument) -> bool,
) -> Result<Vec<String>, Failure> {
    let found = policies_using(tx, |document| uses(document).then_some(())).await?;
    Ok(found.into_iter().map(|(id, ())| id).collect())
}

/// The ids of the stored policies for which `how` says how they use something, with that.
pub async fn policies_using<T>(
    tx: &mut dyn Tx,
    how: impl Fn(&PolicyDocument) -> Option<T>,
) -> Result<Vec<(String, T)>, Failure> {
    let mut found = Vec::new();
    for record in tx.list_kind(policy::KIND).await? {
        let stored: StoredPolicy = decode_record(&record)?;
        let Ok(document) = PolicyDocument::parse(&stored.xml, PolicyFormat::Xml) else {
            tracing::error!(id = %record.id, "a stored policy no longer parses");
            continue;
        };
        if let Some(use_) = how(&document) {
            found.push((record.id, use_));
        }
    }
    Ok(found)
}

/// The ids of the stored policies that reference the named value `name` as `{{name}}`.
pub async fn referencing_policies(tx: &mut dyn Tx, name: &str) -> Result<Vec<String>, Failure> {
    policies_where(tx, |document| {
        document
            .named_values()
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
    })
    .await
}
