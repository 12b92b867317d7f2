//! API rules that involve other entities: paths are unique among APIs, and deleting an API
//! deletes what lives under it (operations, schemas, policies), in the same transaction.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::{Body, IfMatchHeader, ListQuery, Version};
use crate::handlers::authorization_server::check_server_of;
use crate::handlers::import;
use crate::handlers::links::{owners_of, unlink_everywhere};
use crate::handlers::policy::delete_policies_under;
use crate::resource;
use crate::resource::{Place, Resource, decode_record};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::operation::Operation;
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::schema::Schema;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ident};
use tollgate_store::{Key, Tx};

/// Kinds of entity stored under an API (`apis/{apiId}`).
const CHILD_KINDS: &[&str] = &[Operation::KIND, Schema::KIND];

/// The form under which paths are compared: without surrounding slashes, case-folded.
fn normal_path(path: &str) -> String {
    path.trim_matches('/').to_lowercase()
}

impl Resource for Api {
    const PUT_REPLACE_NEEDS_IF_MATCH: bool = true;

    async fn check_write(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        entity: &mut Self,
        _old: Option<&Self>,
    ) -> Result<(), Failure> {
        check_server_of(tx, entity).await?;
        let wanted = normal_path(&entity.path);
        for record in tx.list(Self::KIND, "").await? {
            if record.id.to_lowercase() == id.to_lowercase() {
                continue;
            }
            let other: Api = decode_record(&record)?;
            if normal_path(&other.path) == wanted {
                return Err(ApiError::invalid_field(
                    "path",
                    "Unique",
                    format!(
                        "path '{}' is already used by API '{}'",
                        entity.path, record.id
                    ),
                )
                .into());
            }
        }
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        _entity: &Self,
        _query: &ListQuery,
    ) -> Result<(), Failure> {
        delete_policies_under(tx, id, None).await?;
        unlink_everywhere::<Product, Api>(tx, id).await?;
        let parent = format!("apis/{id}");
        for kind in CHILD_KINDS {
            for record in tx.list(kind, &parent).await? {
                tx.delete(Key {
                    kind,
                    parent: &parent,
                    id: &record.id,
                })
                .await?;
            }
        }
        Ok(())
    }
}

/// `PUT /apis/{apiId}`: an API, or an import (`contentFormat` in the body, or `?import=true`).
pub async fn put_api(
    state: State<AppState>,
    version: Version,
    path: Path<Vec<(String, String)>>,
    query: ListQuery,
    if_match: IfMatchHeader,
    body: Body,
) -> Outcome {
    let id = path
        .0
        .first()
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    let request = if query
        .other("import")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        import::legacy_request(body.media_type.as_deref(), &body.bytes, query.other("path"))?
    } else {
        let body = body.into_json()?;
        match import::content_fields_request(version.0, &body.0)? {
            Some(request) => request,
            None => return resource::put::<Api>(state, version, path, if_match, body).await,
        }
    };
    ident::check_id(Api::ID_PARAM, &id, Api::MAX_ID_LEN)?;
    import::import_api(&state.0, version.0, &id, if_match.0, request).await
}

/// `GET /apis/{apiId}/products`: the products that include the API.
pub async fn list_api_products(
    State(state): State<AppState>,
    Version(version): Version,
    Path(api_id): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    ident::check_id(Api::ID_PARAM, &api_id, Api::MAX_ID_LEN)?;
    if state
        .store()
        .get(state.instance(), Key::top(Api::KIND, &api_id))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found(Api::TYPE_NAME, &api_id).into());
    }
    let mut items = Vec::new();
    for record in owners_of::<Product, Api>(state.store(), state.instance(), &api_id).await? {
        let product: Product = decode_record(&record)?;
        items.push(product.render(version, &wire_id::<Product>("", &record.id)));
    }
    let body = collection::page(items, &query, version, uri.path(), &headers);
    Ok(respond::json(StatusCode::OK, None, &body))
}
