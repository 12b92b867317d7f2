//! Links between entities: products to APIs and groups, groups to users
//! (`/products/{productId}/apis/{apiId}`, `/groups/{groupId}/users/{userId}`, …).
//!
//! A link is a record of the member's link kind under `{owner collection}/{ownerId}`, keyed by
//! the member's id. Questions from the member's side ("which products include this API?",
//! "remove this user from every group") walk the owners, which are few.

use crate::collection;
use crate::error::{Failure, Outcome};
use crate::extract::{ListQuery, Version};
use crate::resource::{Resource, decode_record, existing};
use crate::respond;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;
use tollgate_contract::entity::{Entity, wire_id};
use tollgate_contract::{ApiError, ApiVersion, ident, odata};
use tollgate_store::{Key, Record, Store, Tx};

/// An entity that others are linked to (products, groups).
pub trait Owner: Resource {}

/// An entity linked to owners of type `O`.
pub trait Member<O: Owner>: Resource {
    /// The store kind of the links.
    const LINK_KIND: &'static str;

    /// Refuses changing an owner's members by hand (the built-in groups).
    fn check_change(_owner: &O, _owner_id: &str) -> Result<(), Failure> {
        Ok(())
    }
}

/// The store parent of an owner's links (`products/{id}`).
pub fn owner_key<O: Owner>(id: &str) -> String {
    format!("{}/{id}", O::COLLECTION.trim_start_matches('/'))
}

/// Removes a member that is being deleted from every owner, in the caller's transaction.
pub async fn unlink_everywhere<O: Owner, M: Member<O>>(
    tx: &mut dyn Tx,
    member_id: &str,
) -> Result<(), Failure> {
    for owner in tx.list(O::KIND, "").await? {
        tx.delete(Key {
            kind: M::LINK_KIND,
            parent: &owner_key::<O>(&owner.id),
            id: member_id,
        })
        .await?;
    }
    Ok(())
}

/// Removes every member of an owner that is being deleted, in the caller's transaction.
pub async fn unlink_all<O: Owner, M: Member<O>>(
    tx: &mut dyn Tx,
    owner_id: &str,
) -> Result<(), Failure> {
    let parent = owner_key::<O>(owner_id);
    for record in tx.list(M::LINK_KIND, &parent).await? {
        tx.delete(Key {
            kind: M::LINK_KIND,
            parent: &parent,
            id: &record.id,
        })
        .await?;
    }
    Ok(())
}

/// Links a member to an owner inside the caller's transaction (no checks).
pub async fn link<O: Owner, M: Member<O>>(
    tx: &mut dyn Tx,
    owner_id: &str,
    member_id: &str,
) -> Result<(), Failure> {
    tx.put(
        Key {
            kind: M::LINK_KIND,
            parent: &owner_key::<O>(owner_id),
            id: member_id,
        },
        "{}",
    )
    .await?;
    Ok(())
}

/// Whether a member is linked to an owner.
pub async fn is_linked<O: Owner, M: Member<O>>(
    store: &dyn Store,
    instance: &str,
    owner_id: &str,
    member_id: &str,
) -> Result<bool, Failure> {
    let link = Key {
        kind: M::LINK_KIND,
        parent: &owner_key::<O>(owner_id),
        id: member_id,
    };
    Ok(store.get(instance, link).await?.is_some())
}

/// The owners a member is linked to, in creation order.
pub async fn owners_of<O: Owner, M: Member<O>>(
    store: &dyn Store,
    instance: &str,
    member_id: &str,
) -> Result<Vec<Record>, Failure> {
    let mut out = Vec::new();
    for owner in store.list(instance, O::KIND, "").await? {
        if is_linked::<O, M>(store, instance, &owner.id, member_id).await? {
            out.push(owner);
        }
    }
    Ok(out)
}

/// The members of an owner, in creation order of the links.
pub async fn members_of<O: Owner, M: Member<O>>(
    store: &dyn Store,
    instance: &str,
    owner_id: &str,
) -> Result<Vec<(Record, M)>, Failure> {
    let mut out = Vec::new();
    for link in store
        .list(instance, M::LINK_KIND, &owner_key::<O>(owner_id))
        .await?
    {
        if let Some(record) = store.get(instance, Key::top(M::KIND, &link.id)).await? {
            let member: M = decode_record(&record)?;
            out.push((record, member));
        }
    }
    Ok(out)
}

fn not_linked<O: Owner, M: Entity>(member_id: &str, owner_id: &str) -> ApiError {
    ApiError::not_found(
        M::TYPE_NAME,
        &format!(
            "{member_id}' in {} '{owner_id}",
            O::TYPE_NAME.to_lowercase()
        ),
    )
}

/// `GET /{owners}/{ownerId}/{members}`: the members, filtered and paged.
pub async fn list_members<O: Owner, M: Member<O>>(
    State(state): State<AppState>,
    Version(version): Version,
    Path(owner_id): Path<String>,
    query: ListQuery,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Outcome {
    let filter = query.parsed_filter(M::filter_fields(version))?;
    let owner = existing::<O>(&state, &owner_id).await?;
    let mut items = Vec::new();
    for (record, member) in members_of::<O, M>(state.store(), state.instance(), &owner.id).await? {
        if filter.as_ref().is_none_or(|f| {
            f.matches(&Fields {
                member: &member,
                id: &record.id,
            })
        }) {
            let mut item = member.render(version, &wire_id::<M>("", &record.id));
            M::decorate(&state, version, &query, &record.id, &mut item).await?;
            items.push(item);
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

/// `GET`/`HEAD /{owners}/{ownerId}/{members}/{id}`: the member when linked, else 404.
pub async fn get_member<O: Owner, M: Member<O>>(
    State(state): State<AppState>,
    Version(version): Version,
    Path((owner_id, member_id)): Path<(String, String)>,
) -> Outcome {
    let store = state.store();
    let owner = existing::<O>(&state, &owner_id).await?;
    let link = Key {
        kind: M::LINK_KIND,
        parent: &owner_key::<O>(&owner.id),
        id: &member_id,
    };
    store
        .get(state.instance(), link)
        .await?
        .ok_or_else(|| not_linked::<O, M>(&member_id, &owner.id))?;
    let record = store
        .get(state.instance(), Key::top(M::KIND, &member_id))
        .await?
        .ok_or_else(|| not_linked::<O, M>(&member_id, &owner.id))?;
    let member: M = decode_record(&record)?;
    Ok(respond::json(
        StatusCode::OK,
        None,
        &member.render(version, &wire_id::<M>("", &record.id)),
    ))
}

/// `PUT /{owners}/{ownerId}/{members}/{id}`: links the member (both must exist).
pub async fn put_member<O: Owner, M: Member<O>>(
    State(state): State<AppState>,
    Version(version): Version,
    Path((owner_id, member_id)): Path<(String, String)>,
) -> Outcome {
    ident::check_id(O::ID_PARAM, &owner_id, O::MAX_ID_LEN)?;
    ident::check_id(M::ID_PARAM, &member_id, M::MAX_ID_LEN)?;
    let mut tx = state.begin().await?;
    let owner_record = tx
        .get(Key::top(O::KIND, &owner_id))
        .await?
        .ok_or_else(|| ApiError::not_found(O::TYPE_NAME, &owner_id))?;
    M::check_change(&decode_record(&owner_record)?, &owner_record.id)?;
    let record = tx
        .get(Key::top(M::KIND, &member_id))
        .await?
        .ok_or_else(|| ApiError::not_found(M::TYPE_NAME, &member_id))?;
    let key = Key {
        kind: M::LINK_KIND,
        parent: &owner_key::<O>(&owner_record.id),
        id: &record.id,
    };
    let existed = tx.get(key).await?.is_some();
    if !existed {
        tx.put(key, &json!({}).to_string()).await?;
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
    let mut body = member.render(version, &wire_id::<M>("", &record.id));
    M::decorate(
        &state,
        version,
        &ListQuery::default(),
        &record.id,
        &mut body,
    )
    .await?;
    Ok(respond::json(status, None, &body))
}

/// `DELETE /{owners}/{ownerId}/{members}/{id}`: unlinks the member (404 when not linked).
pub async fn delete_member<O: Owner, M: Member<O>>(
    State(state): State<AppState>,
    Path((owner_id, member_id)): Path<(String, String)>,
) -> Outcome {
    ident::check_id(O::ID_PARAM, &owner_id, O::MAX_ID_LEN)?;
    let mut tx = state.begin().await?;
    let owner_record = tx
        .get(Key::top(O::KIND, &owner_id))
        .await?
        .ok_or_else(|| ApiError::not_found(O::TYPE_NAME, &owner_id))?;
    M::check_change(&decode_record(&owner_record)?, &owner_record.id)?;
    if !tx
        .delete(Key {
            kind: M::LINK_KIND,
            parent: &owner_key::<O>(&owner_record.id),
            id: &member_id,
        })
        .await?
    {
        return Err(not_linked::<O, M>(&member_id, &owner_record.id).into());
    }
    tx.commit().await?;
    Ok(respond::empty(StatusCode::NO_CONTENT, None))
}
