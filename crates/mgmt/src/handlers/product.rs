//! Products and their links to APIs and groups (`/products/{productId}/apis/{apiId}`,
//! `/products/{productId}/groups/{groupId}`).
//!
//! A link is a record of kind `productApi` / `productGroup` under `products/{productId}`, keyed by
//! the member's id. Questions from the member's side ("which products include this API?",
//! "remove this API from every product") walk the products, which are few.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::{ListQuery, Version};
use crate::resource::{Place, Resource, decode_record};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tollgate_contract::entity::api::Api;
use tollgate_contract::entity::group::Group;
use tollgate_contract::entity::policy::{self, PolicyScope};
use tollgate_contract::entity::product::Product;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ApiVersion, ident, odata};
use tollgate_store::{Key, Record, Store, Tx};

/// An entity that products link to.
pub trait Member: Resource {
    /// The store kind of the links.
    const LINK_KIND: &'static str;
}

impl Member for Api {
    const LINK_KIND: &'static str = "productApi";
}

impl Member for Group {
    const LINK_KIND: &'static str = "productGroup";
}

fn product_key(id: &str) -> String {
    format!("products/{id}")
}

impl Resource for Product {
    async fn decorate(
        state: &AppState,
        version: ApiVersion,
        query: &ListQuery,
        id: &str,
        item: &mut Value,
    ) -> Result<(), Failure> {
        if query
            .other("expandGroups")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            item["groups"] = groups_of(state.store(), state.instance(), id, version).await?;
        }
        Ok(())
    }

    async fn before_delete(
        tx: &mut dyn Tx,
        _place: &Place,
        id: &str,
        _entity: &Self,
    ) -> Result<(), Failure> {
        let parent = product_key(id);
        for kind in [Api::LINK_KIND, Group::LINK_KIND] {
            for record in tx.list(kind, &parent).await? {
                tx.delete(Key {
                    kind,
                    parent: &parent,
                    id: &record.id,
                })
                .await?;
            }
        }
        tx.delete(Key::top(
            policy::KIND,
            &PolicyScope::Product(id.to_owned()).wire_id(),
        ))
        .await?;
        Ok(())
    }
}

/// Removes a member (an API or group being deleted) from every product, in the caller's transaction.
pub async fn unlink_everywhere<M: Member>(tx: &mut dyn Tx, member_id: &str) -> Result<(), Failure> {
    for product in tx.list(Product::KIND, "").await? {
        tx.delete(Key {
            kind: M::LINK_KIND,
            parent: &product_key(&product.id),
            id: member_id,
        })
        .await?;
    }
    Ok(())
}

/// The products that include an API, in creation order.
pub async fn products_of(
    store: &dyn Store,
    instance: &str,
    api_id: &str,
) -> Result<Vec<Record>, Failure> {
    let mut out = Vec::new();
    for product in store.list(instance, Product::KIND, "").await? {
        let link = Key {
            kind: Api::LINK_KIND,
            parent: &product_key(&product.id),
            id: api_id,
        };
        if store.get(instance, link).await?.is_some() {
            out.push(product);
        }
    }
    Ok(out)
}

async fn product(store: &dyn Store, instance: &str, id: &str) -> Result<Record, Failure> {
    ident::check_id(Product::ID_PARAM, id, Product::MAX_ID_LEN)?;
    Ok(store
        .get(instance, Key::top(Product::KIND, id))
        .await?
        .ok_or_else(|| ApiError::not_found(Product::TYPE_NAME, id))?)
}

/// `GET /products/{productId}/apis` or `…/groups`: the members, filtered and paged.
pub async fn list_members<M: Member>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(product_id): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let filter = match &query.filter {
        Some(text) => Some(
            odata::parse(text, M::filter_fields(version)).map_err(|err| {
                let target = err.field.clone().unwrap_or_else(|| "$filter".to_owned());
                ApiError::invalid_field(&target, "InvalidFilter", format!("$filter: {err}"))
            })?,
        ),
        None => None,
    };
    let store = state.store();
    let product = product(store, state.instance(), &product_id).await?;
    let mut items = Vec::new();
    for link in store
        .list(state.instance(), M::LINK_KIND, &product_key(&product.id))
        .await?
    {
        let Some(record) = store
            .get(state.instance(), Key::top(M::KIND, &link.id))
            .await?
        else {
            continue;
        };
        let member: M = decode_record(&record)?;
        if filter.as_ref().is_none_or(|f| {
            f.matches(&Fields {
                member: &member,
                id: &record.id,
            })
        }) {
            items.push(member.render(version, &wire_id::<M>("", &record.id)));
        }
    }
    Ok(respond::json(
        StatusCode::OK,
        None,
        &collection::page(items, &query, version, uri.path(), &headers),
    ))
}

struct Fields<'a, M> {
    member: &'a M,
    id: &'a str,
}

impl<M: Entity> odata::Fields for Fields<'_, M> {
    fn field(&self, name: &str) -> odata::FieldValue<'_> {
        self.member.field(self.id, name)
    }
}

/// `GET`/`HEAD /products/{productId}/{apis|groups}/{id}`: the member when linked, else 404.
pub async fn get_member<M: Member>(
    State(state): State<AppState>,
    Version(version): Version,
    Path((product_id, member_id)): Path<(String, String)>,
) -> Outcome {
    let store = state.store();
    let product = product(store, state.instance(), &product_id).await?;
    let link = Key {
        kind: M::LINK_KIND,
        parent: &product_key(&product.id),
        id: &member_id,
    };
    let not_linked = || {
        ApiError::not_found(
            M::TYPE_NAME,
            &format!("{member_id}' in product '{}", product.id),
        )
    };
    store
        .get(state.instance(), link)
        .await?
        .ok_or_else(not_linked)?;
    let record = store
        .get(state.instance(), Key::top(M::KIND, &member_id))
        .await?
        .ok_or_else(not_linked)?;
    let member: M = decode_record(&record)?;
    Ok(respond::json(
        StatusCode::OK,
        None,
        &member.render(version, &wire_id::<M>("", &record.id)),
    ))
}

/// `PUT /products/{productId}/{apis|groups}/{id}`: links the member (both must exist).
pub async fn put_member<M: Member>(
    State(state): State<AppState>,
    Version(version): Version,
    Path((product_id, member_id)): Path<(String, String)>,
) -> Outcome {
    ident::check_id(Product::ID_PARAM, &product_id, Product::MAX_ID_LEN)?;
    ident::check_id(M::ID_PARAM, &member_id, M::MAX_ID_LEN)?;
    let mut tx = state.store().begin(state.instance()).await?;
    let product = tx
        .get(Key::top(Product::KIND, &product_id))
        .await?
        .ok_or_else(|| ApiError::not_found(Product::TYPE_NAME, &product_id))?;
    let record = tx
        .get(Key::top(M::KIND, &member_id))
        .await?
        .ok_or_else(|| ApiError::not_found(M::TYPE_NAME, &member_id))?;
    let parent = product_key(&product.id);
    let link = Key {
        kind: M::LINK_KIND,
        parent: &parent,
        id: &record.id,
    };
    let existed = tx.get(link).await?.is_some();
    if !existed {
        tx.put(link, &json!({}).to_string()).await?;
    }
    tx.commit().await?;
    if version < ApiVersion::V2017_03_01 {
        let status = if existed {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::CREATED
        };
        return Ok(respond::empty(status, None));
    }
    let member: M = decode_record(&record)?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(respond::json(
        status,
        None,
        &member.render(version, &wire_id::<M>("", &record.id)),
    ))
}

/// `DELETE /products/{productId}/{apis|groups}/{id}`: unlinks the member (404 when not linked).
pub async fn delete_member<M: Member>(
    State(state): State<AppState>,
    Path((product_id, member_id)): Path<(String, String)>,
) -> Outcome {
    ident::check_id(Product::ID_PARAM, &product_id, Product::MAX_ID_LEN)?;
    let mut tx = state.store().begin(state.instance()).await?;
    let product = tx
        .get(Key::top(Product::KIND, &product_id))
        .await?
        .ok_or_else(|| ApiError::not_found(Product::TYPE_NAME, &product_id))?;
    let parent = product_key(&product.id);
    if !tx
        .delete(Key {
            kind: M::LINK_KIND,
            parent: &parent,
            id: &member_id,
        })
        .await?
    {
        return Err(ApiError::not_found(
            M::TYPE_NAME,
            &format!("{member_id}' in product '{}", product.id),
        )
        .into());
    }
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}

/// The groups of a product, rendered (for `expandGroups=true`).
pub async fn groups_of(
    store: &dyn Store,
    instance: &str,
    product_id: &str,
    version: ApiVersion,
) -> Result<Value, Failure> {
    let mut groups = Vec::new();
    for link in store
        .list(instance, Group::LINK_KIND, &product_key(product_id))
        .await?
    {
        if let Some(record) = store.get(instance, Key::top(Group::KIND, &link.id)).await? {
            let group: Group = decode_record(&record)?;
            groups.push(group.render(version, &wire_id::<Group>("", &record.id)));
        }
    }
    Ok(Value::Array(groups))
}
